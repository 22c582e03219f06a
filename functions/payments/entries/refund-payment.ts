import { DynamoDbPaymentRepository } from '../adapters/dynamodb-payment-repository';
import { PowertoolsPaymentsMetrics } from '../adapters/powertools-payments-metrics';
import { createPaymentProvider } from '../adapters/default-payment-provider';
import { loadPaymentsConfig } from '../config';
import { createRefundPaymentHandler } from '../handlers/refund-payment';

const config = loadPaymentsConfig();

export const handler = createRefundPaymentHandler({
  payments: new DynamoDbPaymentRepository(config.TABLE_NAME),
  provider: createPaymentProvider(config),
  metrics: new PowertoolsPaymentsMetrics(),
});
