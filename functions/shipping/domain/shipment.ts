import { createHash } from 'node:crypto';
import * as z from '../../shared/zod';
import { orderIdSchema, type Address } from '../../shared/contracts/common';

/**
 * Where a shipment is in its life: `CREATED → SHIPPED → DELIVERED` (a
 * created one may also be delivered at once), or `CREATED → CANCELLED`.
 * CANCELLED and DELIVERED are final; a SHIPPED one can no longer be
 * cancelled, which is what decides whether an order can be.
 */
export const SHIPMENT_STATUSES = ['CREATED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

/** A product and how many of it travel in the parcel. */
export interface ShipmentLine {
  readonly productId: string;
  readonly quantity: number;
}

/** The one carrier the shop uses; a simulator, so tracking numbers are derived, not issued. */
export const CARRIER = 'SimCarrier';

/** A shipment as shipping owns it. There is exactly one per order. */
export interface Shipment {
  readonly shipmentId: string;
  readonly orderId: string;
  readonly status: ShipmentStatus;
  readonly address: Address;
  readonly items: readonly ShipmentLine[];
  readonly carrier: typeof CARRIER;
  readonly trackingNumber: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly shippedAt?: string;
  readonly deliveredAt?: string;
  readonly cancelledAt?: string;
  /**
   * True for a shipment written CANCELLED because the order was cancelled
   * before the saga created its shipment: it stands in for the shipment, so
   * CreateShipment for the order finds it cancelled and the saga compensates.
   */
  readonly cancelledBeforeCreation?: boolean;
}

const SHIPMENT_PREFIX = 'shp-';

/**
 * The id of an order's shipment. Deriving it from the order id (rather than
 * drawing a random one) is what makes CreateShipment idempotent by
 * construction: a retried or redelivered task can only ever address the same
 * item, and a conditional put decides whether it already exists.
 */
export const shipmentIdFor = (orderId: string): string => `${SHIPMENT_PREFIX}${orderId}`;

/** Same order, same tracking number, so a retried create never changes what a customer was told. */
export const trackingNumberFor = (orderId: string): string =>
  `SIM${createHash('sha256').update(orderId).digest('hex').slice(0, 16).toUpperCase()}`;

/** A shipment id as it appears in a path: `shp-<order id>`. */
export const shipmentIdSchema = z.string().check(
  z.refine((id) => id.startsWith(SHIPMENT_PREFIX) && orderIdSchema.safeParse(id.slice(SHIPMENT_PREFIX.length)).success, {
    message: 'must be shp-<order id>',
  }),
);
