import { DynamoDbBreakerStore } from '../../shared/dynamodb-breaker-store';
import { SharedCircuitBreaker } from '../../shared/shared-circuit-breaker';
import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { invokeThrough } from '../adapters/function-invoke';
import { LambdaPaymentReader } from '../adapters/lambda-payment-reader';
import { LambdaPriceCatalog } from '../adapters/lambda-price-catalog';
import { LambdaShipmentCanceller } from '../adapters/lambda-shipment-canceller';
import { LambdaShipmentReader } from '../adapters/lambda-shipment-reader';
import { StepFunctionsSagaExecutions } from '../adapters/step-functions-saga-executions';
import { loadOrdersApiConfig } from '../config';
import { createOrdersApi } from '../handlers/api';
import { ORDERS_API_CALLEES } from '../breakers';

const config = loadOrdersApiConfig();
const store = new DynamoDbBreakerStore(config.TABLE_NAME);

/**
 * One circuit breaker per function this one calls, shared by all its
 * execution environments through the `BREAKER#<callee>` items of the orders
 * table: a callee that keeps failing is answered 503 at once rather than
 * waited on by every request, and one probe tells when it is back.
 */
const through = (callee: string) =>
  invokeThrough(
    new SharedCircuitBreaker({
      dependency: callee,
      store,
      failureThreshold: config.CALL_BREAKER_FAILURES,
      openMs: config.CALL_BREAKER_OPEN_MS,
      cacheMs: config.CALL_BREAKER_CACHE_MS,
    }),
  );

export const handler = createOrdersApi({
  orders: new DynamoDbOrderRepository(config.TABLE_NAME),
  catalog: new LambdaPriceCatalog(config.CATALOG_PRICES_FUNCTION, through(ORDERS_API_CALLEES.prices)),
  payments: new LambdaPaymentReader(config.PAYMENTS_QUERY_FUNCTION, through(ORDERS_API_CALLEES.payments)),
  shipments: new LambdaShipmentReader(config.SHIPMENTS_QUERY_FUNCTION, through(ORDERS_API_CALLEES.shipments)),
  shipping: new LambdaShipmentCanceller(config.SHIPMENTS_CANCEL_FUNCTION, through(ORDERS_API_CALLEES.shipmentCancel)),
  cancellations: new StepFunctionsSagaExecutions(config.CANCELLATION_STATE_MACHINE_ARN),
});
