import { DynamoDbPaymentRepository } from '../adapters/dynamodb-payment-repository';
import { loadPaymentsConfig } from '../config';
import { createGetPaymentHandler } from '../handlers/get-payment';

const config = loadPaymentsConfig();

export const handler = createGetPaymentHandler({ payments: new DynamoDbPaymentRepository(config.TABLE_NAME) });
