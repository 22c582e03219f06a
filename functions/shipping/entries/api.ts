import { EventBridgePublisher } from '../../shared/eventbridge-publisher';
import { DynamoDbShipmentRepository } from '../adapters/dynamodb-shipment-repository';
import { loadDeliveryConfig } from '../config';
import { createShippingApi } from '../handlers/api';

const config = loadDeliveryConfig();

export const handler = createShippingApi({
  shipments: new DynamoDbShipmentRepository(config.TABLE_NAME),
  events: new EventBridgePublisher(config.EVENT_BUS_NAME),
});
