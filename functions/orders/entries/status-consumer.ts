import { DynamoDbOrderRepository } from '../adapters/dynamodb-order-repository';
import { loadOrderStatusConfig } from '../config';
import { createStatusConsumer } from '../handlers/status-consumer';

const config = loadOrderStatusConfig();

export const handler = createStatusConsumer({ orders: new DynamoDbOrderRepository(config.TABLE_NAME) });
