import { createPublishStockChangedHandler } from '../handlers/publish-stock-changed';

export const handler = createPublishStockChangedHandler();
