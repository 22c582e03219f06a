import { DynamoDbProductRepository } from '../adapters/dynamodb-product-repository';
import { loadCatalogConfig } from '../config';
import { createAvailabilityConsumer } from '../handlers/availability-consumer';

const config = loadCatalogConfig();

export const handler = createAvailabilityConsumer({ products: new DynamoDbProductRepository(config.TABLE_NAME) });
