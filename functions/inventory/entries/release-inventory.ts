import { DynamoDbInventoryRepository } from '../adapters/dynamodb-inventory-repository';
import { PowertoolsInventoryMetrics } from '../adapters/powertools-inventory-metrics';
import { loadInventoryConfig } from '../config';
import { createReleaseInventoryHandler } from '../handlers/release-inventory';

const config = loadInventoryConfig();

export const handler = createReleaseInventoryHandler({
  inventory: new DynamoDbInventoryRepository(config.TABLE_NAME),
  metrics: new PowertoolsInventoryMetrics(),
});
