import { DynamoDbProductRepository } from '../adapters/dynamodb-product-repository';
import { loadCatalogConfig } from '../config';
import { createCatalogApi } from '../handlers/api';

const config = loadCatalogConfig();

export const handler = createCatalogApi({ products: new DynamoDbProductRepository(config.TABLE_NAME) });
