import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { StepFunctionsSagaExecutions } from '../adapters/step-functions-saga-executions';
import { loadReconcilerConfig } from '../config';
import { createReconcileOrdersHandler } from '../handlers/reconcile-orders';

const config = loadReconcilerConfig();

export const handler = createReconcileOrdersHandler({
  orders: new DynamoDbOrderRepository(config.TABLE_NAME),
  sagas: new StepFunctionsSagaExecutions(config.STATE_MACHINE_ARN),
});
