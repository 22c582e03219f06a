import { DynamoDbShipmentRepository } from '../adapters/dynamodb-shipment-repository';
import { UnservedCountriesCoverage } from '../adapters/unserved-countries-coverage';
import { loadCreateShipmentConfig } from '../config';
import { createCreateShipmentHandler } from '../handlers/create-shipment';

const config = loadCreateShipmentConfig();

export const handler = createCreateShipmentHandler({
  shipments: new DynamoDbShipmentRepository(config.TABLE_NAME),
  coverage: new UnservedCountriesCoverage(config.UNSERVED_COUNTRIES),
});
