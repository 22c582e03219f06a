import { StockChanged } from '../../shared/contracts/events';
import { queuedEventConsumer } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { recordAvailability, type CatalogDeps } from '../use-cases/products';

/**
 * Keeps each product's `available` current from inventory's StockChanged
 * events (rule → queue → this function). A redelivered or overtaken event
 * changes nothing: only a higher version is recorded.
 */
export const createAvailabilityConsumer = (deps: CatalogDeps) =>
  queuedEventConsumer([StockChanged] as const, async ({ detail }) => {
    const { productId, available, version } = detail.data;
    const recorded = await recordAvailability(deps, productId, { available, version });
    if (recorded) logger.info('Availability recorded', { productId, available, version });
    else logger.info('Availability already newer; event ignored', { productId, available, version });
  });
