import * as z from '../../shared/zod';
import { DependencyUnavailableError, TransientError } from '../../shared/errors';
import type { EventPublisher } from '../../shared/event-publisher';
import { jsonResponse, validate } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { shipmentIdSchema } from '../domain/shipment';
import { shippingRoutes } from '../routes';
import { deliverShipment, shipShipment, type ShipmentChange, type ShippingDeps } from '../use-cases/shipments';
import { toShipmentView } from './views';

/** The path of the `/shipments/{id}` routes. */
export const shipmentPath = z.object({ id: shipmentIdSchema });

/** Dependencies of shipping's HTTP routes. */
export interface ShippingApiDeps extends ShippingDeps {
  readonly events: EventPublisher;
}

/**
 * Runs a carrier's step; a failure to announce it (the write is done) is a
 * 503 that asks for the retry which finishes it.
 */
const announced = async (what: string, step: () => Promise<ShipmentChange>): Promise<ShipmentChange> => {
  try {
    return await step();
  } catch (error) {
    if (error instanceof TransientError) {
      throw new DependencyUnavailableError(`The ${what} is recorded but could not be announced yet; retry to finish it.`, 1, { cause: error });
    }
    throw error;
  }
};

/** Shipping's HTTP routes: carriers (and admins) ship shipments and mark them delivered. */
export const createShippingApi = (deps: ShippingApiDeps) =>
  httpApi(shippingRoutes, {
    'POST /shipments/{id}/ship': async ({ event, correlationId }) => {
      const { id } = validate(shipmentPath, event.pathParameters ?? {});
      const { shipment, changed } = await announced('shipping', () => shipShipment(deps, id, correlationId));
      if (!changed) logger.info('Shipment was already shipped; OrderShipped published again', { shipmentId: id });
      return jsonResponse(200, toShipmentView(shipment));
    },
    'POST /shipments/{id}/deliver': async ({ event, correlationId }) => {
      const { id } = validate(shipmentPath, event.pathParameters ?? {});
      const { shipment, changed } = await announced('delivery', () => deliverShipment(deps, id, correlationId));
      if (!changed) logger.info('Shipment was already delivered; ShipmentDelivered published again', { shipmentId: id });
      return jsonResponse(200, toShipmentView(shipment));
    },
  });
