import { DynamoDbInventoryRepository } from '../adapters/dynamodb-inventory-repository';
import { PowertoolsInventoryMetrics } from '../adapters/powertools-inventory-metrics';
import { loadInventoryConfig } from '../config';
import { createReserveInventoryHandler } from '../handlers/reserve-inventory';

const config = loadInventoryConfig();

export const handler = createReserveInventoryHandler({
  inventory: new DynamoDbInventoryRepository(config.TABLE_NAME),
  metrics: new PowertoolsInventoryMetrics(),
});
