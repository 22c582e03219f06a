import { DynamoDbProductRepository } from '../adapters/dynamodb-product-repository';
import { loadCatalogConfig } from '../config';
import { createGetPricesHandler } from '../handlers/get-prices';

const config = loadCatalogConfig();

export const handler = createGetPricesHandler({ products: new DynamoDbProductRepository(config.TABLE_NAME) });
