import * as z from '../zod';
import { addressSchema, cancellationReasonSchema, moneySchema, orderIdSchema, pricedLineSchema, productIdSchema, userIdSchema } from './common';
import { defineEvent } from './envelope';

/** Sources on the `shop` bus, one per service. */
export const Sources = {
  orders: 'shop.orders',
  shipping: 'shop.shipping',
  inventory: 'shop.inventory',
} as const;

/**
 * An order was accepted and written as PENDING. Published from the orders
 * table's stream (transactional outbox), never by the HTTP handler itself.
 * Starts the saga.
 */
export const OrderPlaced = defineEvent(
  'OrderPlaced',
  Sources.orders,
  '1',
  z.object({
    orderId: orderIdSchema,
    userId: userIdSchema,
    items: z.array(pricedLineSchema).check(z.minLength(1)),
    total: moneySchema,
    paymentToken: z.string().check(z.minLength(1)),
    shippingAddress: addressSchema,
    placedAt: z.iso.datetime({ offset: true }),
  }),
);

/** The saga reserved stock, captured payment and created a shipment. */
export const OrderConfirmed = defineEvent(
  'OrderConfirmed',
  Sources.orders,
  '1',
  z.object({
    orderId: orderIdSchema,
    userId: userIdSchema,
    total: moneySchema,
    paymentId: z.string().check(z.minLength(1)),
    shipmentId: z.string().check(z.minLength(1)),
  }),
);

/**
 * The order was cancelled and what had been done for it was undone: by the
 * saga when a step failed (or found the shipment cancelled by the customer),
 * or by the cancellation state machine when its owner cancelled it
 * (`CUSTOMER_REQUEST`).
 */
export const OrderCancelled = defineEvent(
  'OrderCancelled',
  Sources.orders,
  '1',
  z.object({
    orderId: orderIdSchema,
    userId: userIdSchema,
    reason: cancellationReasonSchema,
    /** The error the failing step reported, for people reading events. */
    error: z.optional(z.string()),
  }),
);

/** A compensation failed after all its retries: a person must look. */
export const CompensationFailed = defineEvent(
  'CompensationFailed',
  Sources.orders,
  '1',
  z.object({
    orderId: orderIdSchema,
    step: z.enum(['CancelShipment', 'RefundPayment', 'ReleaseInventory']),
    error: z.string(),
    cause: z.optional(z.string()),
  }),
);

/**
 * A carrier (or an admin) handed the shipment over for delivery. From then on
 * the order can no longer be cancelled: the shipment's conditional write is
 * the fence between shipping and cancelling.
 */
export const OrderShipped = defineEvent(
  'OrderShipped',
  Sources.shipping,
  '1',
  z.object({
    orderId: orderIdSchema,
    shipmentId: z.string().check(z.minLength(1)),
    shippedAt: z.iso.datetime({ offset: true }),
  }),
);

/** A carrier (or an admin) marked a shipment delivered. */
export const ShipmentDelivered = defineEvent(
  'ShipmentDelivered',
  Sources.shipping,
  '1',
  z.object({
    orderId: orderIdSchema,
    shipmentId: z.string().check(z.minLength(1)),
    deliveredAt: z.iso.datetime({ offset: true }),
  }),
);

/**
 * Units on sale at or below which a product's count is news: StockChanged is
 * published for every change that starts or ends at or below it, and the
 * catalog shows the exact count only there ("3 left"); above it, a product is
 * simply in stock. An order that takes one of many units publishes nothing,
 * which keeps the catalog's copy from costing an event, a pipe request, a
 * queued consumer and a write per order.
 */
export const LOW_STOCK_UNITS = 10;

/**
 * The units of a product on sale changed (a stock take, a reservation, a
 * release) and the count is news: the product is new, or the change starts or
 * ends at or below {@link LOW_STOCK_UNITS} units. A change from above it to
 * above it (100 → 99) is not published, so a consumer knows the exact count
 * whenever it is at or below the threshold, and otherwise only that it is
 * above. Published from the inventory table's stream (transactional outbox),
 * at most once per change of the product's stock item. `version` counts the
 * item's stock writes: it only grows, so a consumer keeps the highest it has
 * seen and ignores an older or repeated event, whatever order they arrive in.
 */
export const StockChanged = defineEvent(
  'StockChanged',
  Sources.inventory,
  '1',
  z.object({
    productId: productIdSchema,
    /** Units on hand and not reserved by any order. */
    available: z.number().check(z.int(), z.nonnegative()),
    version: z.number().check(z.int(), z.positive()),
  }),
);

/** Every contract on the bus. */
export const AllEvents = [OrderPlaced, OrderConfirmed, OrderCancelled, CompensationFailed, OrderShipped, ShipmentDelivered, StockChanged] as const;
