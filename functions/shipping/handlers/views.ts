import * as z from '../../shared/zod';
import { addressSchema, orderIdSchema, productIdSchema } from '../../shared/contracts/common';
import { CARRIER, SHIPMENT_STATUSES, type Shipment } from '../domain/shipment';

/** A shipment as other services and carriers see it. */
export const shipmentViewSchema = z.object({
  shipmentId: z.string(),
  orderId: orderIdSchema,
  status: z.enum(SHIPMENT_STATUSES),
  address: addressSchema,
  items: z.array(z.object({ productId: productIdSchema, quantity: z.number().check(z.int(), z.minimum(1)) })),
  carrier: z.literal(CARRIER),
  trackingNumber: z.string(),
  createdAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  shippedAt: z.optional(z.iso.datetime({ offset: true })),
  deliveredAt: z.optional(z.iso.datetime({ offset: true })),
  cancelledAt: z.optional(z.iso.datetime({ offset: true })),
});
export type ShipmentView = z.infer<typeof shipmentViewSchema>;

/** The view of a stored shipment (nothing internal to the table leaks). */
export const toShipmentView = (shipment: Shipment): ShipmentView => ({
  shipmentId: shipment.shipmentId,
  orderId: shipment.orderId,
  status: shipment.status,
  address: { ...shipment.address },
  items: shipment.items.map(({ productId, quantity }) => ({ productId, quantity })),
  carrier: shipment.carrier,
  trackingNumber: shipment.trackingNumber,
  createdAt: shipment.createdAt,
  updatedAt: shipment.updatedAt,
  ...(shipment.shippedAt !== undefined ? { shippedAt: shipment.shippedAt } : {}),
  ...(shipment.deliveredAt !== undefined ? { deliveredAt: shipment.deliveredAt } : {}),
  ...(shipment.cancelledAt !== undefined ? { cancelledAt: shipment.cancelledAt } : {}),
});
