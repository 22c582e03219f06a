import { DynamoDbShipmentRepository } from '../adapters/dynamodb-shipment-repository';
import { loadShippingConfig } from '../config';
import { createCancelShipmentHandler } from '../handlers/cancel-shipment';

const config = loadShippingConfig();

export const handler = createCancelShipmentHandler({ shipments: new DynamoDbShipmentRepository(config.TABLE_NAME) });
