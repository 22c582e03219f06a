import { DynamoDbShipmentRepository } from '../adapters/dynamodb-shipment-repository';
import { loadShippingConfig } from '../config';
import { createGetShipmentHandler } from '../handlers/get-shipment';

const config = loadShippingConfig();

export const handler = createGetShipmentHandler({ shipments: new DynamoDbShipmentRepository(config.TABLE_NAME) });
