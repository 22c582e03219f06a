import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { LambdaPaymentReader } from '../adapters/lambda-payment-reader';
import { LambdaPriceCatalog } from '../adapters/lambda-price-catalog';
import { LambdaShipmentCanceller } from '../adapters/lambda-shipment-canceller';
import { LambdaShipmentReader } from '../adapters/lambda-shipment-reader';
import { StepFunctionsSagaExecutions } from '../adapters/step-functions-saga-executions';
import { loadOrdersApiConfig } from '../config';
import { createOrdersApi } from '../handlers/api';

const config = loadOrdersApiConfig();

export const handler = createOrdersApi({
  orders: new DynamoDbOrderRepository(config.TABLE_NAME),
  catalog: new LambdaPriceCatalog(config.CATALOG_PRICES_FUNCTION),
  payments: new LambdaPaymentReader(config.PAYMENTS_QUERY_FUNCTION),
  shipments: new LambdaShipmentReader(config.SHIPMENTS_QUERY_FUNCTION),
  shipping: new LambdaShipmentCanceller(config.SHIPMENTS_CANCEL_FUNCTION),
  cancellations: new StepFunctionsSagaExecutions(config.CANCELLATION_STATE_MACHINE_ARN),
});
