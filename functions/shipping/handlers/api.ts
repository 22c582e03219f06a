import * as z from 'zod';
import { DependencyUnavailableError, TransientError } from '../../shared/errors';
import type { EventPublisher } from '../../shared/event-publisher';
import { jsonResponse, validate } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { shipmentIdSchema } from '../domain/shipment';
import { shippingRoutes } from '../routes';
import { deliverShipment, type ShippingDeps } from '../use-cases/shipments';
import { toShipmentView } from './views';

const shipmentPath = z.object({ id: shipmentIdSchema });

/** Dependencies of shipping's HTTP routes. */
export interface ShippingApiDeps extends ShippingDeps {
  readonly events: EventPublisher;
}

/** Shipping's HTTP routes: carriers (and admins) mark shipments delivered. */
export const createShippingApi = (deps: ShippingApiDeps) =>
  httpApi(shippingRoutes, {
    'POST /shipments/{id}/deliver': async ({ event, correlationId }) => {
      const { id } = validate(shipmentPath, event.pathParameters ?? {});
      try {
        const { shipment, changed } = await deliverShipment(deps, id, correlationId);
        if (!changed) logger.info('Shipment was already delivered; ShipmentDelivered published again', { shipmentId: id });
        return jsonResponse(200, toShipmentView(shipment));
      } catch (error) {
        if (error instanceof TransientError) {
          throw new DependencyUnavailableError('The delivery is recorded but could not be announced yet; retry to finish it.', 1, { cause: error });
        }
        throw error;
      }
    },
  });
