import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { LambdaShipmentCanceller } from '../adapters/lambda-shipment-canceller';
import { StepFunctionsSagaExecutions } from '../adapters/step-functions-saga-executions';
import { loadReconcilerConfig } from '../config';
import { createReconcileOrdersHandler } from '../handlers/reconcile-orders';

const config = loadReconcilerConfig();

export const handler = createReconcileOrdersHandler({
  orders: new DynamoDbOrderRepository(config.TABLE_NAME),
  sagas: new StepFunctionsSagaExecutions(config.STATE_MACHINE_ARN),
  cancellations: new StepFunctionsSagaExecutions(config.CANCELLATION_STATE_MACHINE_ARN),
  shipping: new LambdaShipmentCanceller(config.SHIPMENTS_CANCEL_FUNCTION),
});
