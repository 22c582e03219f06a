import { dynamoDbTableCheck } from '../adapters/dynamodb-table-check';
import { loadHealthConfig } from '../config';
import { createHealthHandler } from '../handlers/health';

const config = loadHealthConfig();

export const handler = createHealthHandler({
  version: config.SHOP_VERSION,
  checks: Object.fromEntries(Object.entries(config.HEALTH_TABLES).map(([name, table]) => [name, dynamoDbTableCheck(table)])),
});
