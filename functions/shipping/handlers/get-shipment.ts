import * as z from '../../shared/zod';
import { orderIdSchema } from '../../shared/contracts/common';
import { internalQuery } from '../../shared/middleware';
import { getShipmentOfOrder, type ShippingDeps } from '../use-cases/shipments';
import { shipmentViewSchema, toShipmentView } from './views';

/** Request of GetShipment, the query the orders service invokes for order details. */
export const getShipmentRequest = z.object({
  orderId: orderIdSchema,
  correlationId: z.optional(z.string()),
});
export type GetShipmentRequest = z.infer<typeof getShipmentRequest>;

/** Answer of GetShipment: the order's shipment, or null if it has none (yet). */
export const getShipmentResponse = z.object({ shipment: z.nullable(shipmentViewSchema) });
export type GetShipmentResponse = z.infer<typeof getShipmentResponse>;

/** Internal query GetShipment: read-only, by order id. */
export const createGetShipmentHandler = (deps: ShippingDeps) =>
  internalQuery('GetShipment', getShipmentRequest, async ({ orderId }): Promise<GetShipmentResponse> => {
    const shipment = await getShipmentOfOrder(deps, orderId);
    return { shipment: shipment ? toShipmentView(shipment) : null };
  });
