import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { ExpressSagaClaims } from '../adapters/express-saga-claims';
import { LambdaShipmentCanceller } from '../adapters/lambda-shipment-canceller';
import { StepFunctionsSagaExecutions } from '../adapters/step-functions-saga-executions';
import { loadReconcilerConfig } from '../config';
import { createReconcileOrdersHandler } from '../handlers/reconcile-orders';

const config = loadReconcilerConfig();
const cancellations = new StepFunctionsSagaExecutions(config.CANCELLATION_STATE_MACHINE_ARN);

export const handler = createReconcileOrdersHandler({
  orders: new DynamoDbOrderRepository(config.TABLE_NAME),
  // An Express saga is read from its claims; a Standard one's executions are described.
  sagas: config.SAGA_CLAIMS_TABLE ? new ExpressSagaClaims(config.SAGA_CLAIMS_TABLE, config.STATE_MACHINE_ARN, cancellations) : new StepFunctionsSagaExecutions(config.STATE_MACHINE_ARN),
  cancellations,
  shipping: new LambdaShipmentCanceller(config.SHIPMENTS_CANCEL_FUNCTION),
});
