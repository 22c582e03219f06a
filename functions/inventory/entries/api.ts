import { DynamoDbInventoryRepository } from '../adapters/dynamodb-inventory-repository';
import { loadInventoryConfig } from '../config';
import { createInventoryApi } from '../handlers/api';

const config = loadInventoryConfig();

export const handler = createInventoryApi({ inventory: new DynamoDbInventoryRepository(config.TABLE_NAME) });
