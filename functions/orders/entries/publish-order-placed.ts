import { createPublishOrderPlacedHandler } from '../handlers/publish-order-placed';

export const handler = createPublishOrderPlacedHandler();
