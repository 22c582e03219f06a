import { countCompensation } from '../../shared/compensation-metric';
import { cancelShipmentInput, type CancelShipmentOutput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import { cancelShipment, type ShippingDeps } from '../use-cases/shipments';

/**
 * CancelShipment: the saga's compensation, and what the orders service
 * invokes when an order's owner cancels it (with a tombstone: the order's
 * address and lines). Idempotent: only a CREATED shipment changes, or, with a
 * tombstone, a missing one is written cancelled. The answer says what it
 * found; a shipment too far along (shipped, delivered) is reported, never
 * thrown, so the saga's compensation carries on and the orders service can
 * refuse the cancellation. The metric counts calls that undid something.
 */
export const createCancelShipmentHandler = (deps: ShippingDeps) =>
  sagaTask('CancelShipment', cancelShipmentInput, async ({ orderId, tombstone }): Promise<CancelShipmentOutput> => {
    const { outcome, changed } = await cancelShipment(deps, orderId, tombstone);
    if (outcome === 'shipped' || outcome === 'delivered') {
      logger.warn(`Shipment already ${outcome}; it cannot be cancelled`, { orderId });
    }
    if (changed) countCompensation(metrics, 'CancelShipment');
    return { cancelled: changed, outcome };
  });
