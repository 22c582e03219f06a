import * as z from '../../shared/zod';
import {
  addressSchema,
  cancellationReasonSchema,
  MAX_LINE_QUANTITY,
  moneySchema,
  orderIdSchema,
  pricedLineSchema,
  productIdSchema,
  userIdSchema,
  type Address,
  type CancellationReason,
  type Money,
  type PricedLine,
} from '../../shared/contracts/common';

/**
 * Where an order is: `PENDING → CONFIRMED → SHIPPED → DELIVERED`, or
 * `→ CANCELLED(reason)` from PENDING or CONFIRMED. CANCELLED and DELIVERED
 * are final; once SHIPPED an order can no longer be cancelled.
 */
export const orderStatusSchema = z.enum(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** One step of an order's history, appended on every status change. */
export interface StatusEntry {
  readonly status: OrderStatus;
  readonly at: string;
  readonly reason?: CancellationReason;
}

/** An order as the orders service owns it. Prices were fixed by catalog when it was placed. */
export interface Order {
  readonly orderId: string;
  readonly userId: string;
  readonly items: readonly PricedLine[];
  readonly total: Money;
  readonly paymentToken: string;
  readonly shippingAddress: Address;
  readonly status: OrderStatus;
  readonly cancellationReason?: CancellationReason;
  /**
   * When its owner first asked to cancel it. Set before anything else of the
   * cancellation runs, so the reconciler can finish one that was interrupted;
   * removed again if the shipment turned out to be on its way.
   */
  readonly cancelRequestedAt?: string;
  readonly statusHistory: readonly StatusEntry[];
  /** Correlation id of the request that placed it; carried by its events and saga. */
  readonly correlationId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

// Stryker disable next-line ObjectLiteral,BooleanLiteral: orders are written with toISOString() (UTC, Z) only; an offset is tolerated, never produced
const timestamp = z.iso.datetime({ offset: true });

/**
 * The stored order, as read back from somewhere that cannot be trusted to be
 * typed (a stream image). Unknown attributes (keys, index attributes) are
 * dropped.
 */
export const storedOrderSchema = z.object({
  orderId: orderIdSchema,
  userId: userIdSchema,
  items: z.array(pricedLineSchema).check(z.minLength(1)),
  total: moneySchema,
  paymentToken: z.string().check(z.minLength(1)),
  shippingAddress: addressSchema,
  status: orderStatusSchema,
  cancellationReason: z.optional(cancellationReasonSchema),
  cancelRequestedAt: z.optional(timestamp),
  statusHistory: z.array(z.object({ status: orderStatusSchema, at: timestamp, reason: z.optional(cancellationReasonSchema) })),
  correlationId: z.string().check(z.minLength(1)),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** Most lines one order may have. */
export const MAX_ORDER_LINES = 50;

/** Token the simulated payment provider accepts, used when the client sends none. */
export const DEFAULT_PAYMENT_TOKEN = 'tok_visa';

/**
 * What a client sends to place an order. Strict: prices, totals, a user id or
 * anything else are unknown fields (422). The user is the token's `sub`, and
 * prices come from catalog.
 */
export const placeOrderRequestSchema = z.strictObject({
  items: z
    .array(z.strictObject({ productId: productIdSchema, quantity: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_LINE_QUANTITY)) }))
    .check(z.minLength(1), z.maxLength(MAX_ORDER_LINES)),
  paymentToken: z._default(z.string().check(z.minLength(1), z.maxLength(64)), DEFAULT_PAYMENT_TOKEN),
  shippingAddress: addressSchema,
});
export type PlaceOrderRequest = z.infer<typeof placeOrderRequestSchema>;

/**
 * The statuses an order may move to a status from. Only forward: an event
 * that arrives late or twice finds the order elsewhere and changes nothing.
 * Events may overtake each other (a shipment delivered before its order was
 * heard to be confirmed), so a status may be reached from any earlier one.
 * CONFIRMED → CANCELLED is a customer cancelling a confirmed order, or a saga
 * that compensated after its OrderConfirmed was put but reported failed.
 */
export const ALLOWED_FROM: Readonly<Record<Exclude<OrderStatus, 'PENDING'>, readonly OrderStatus[]>> = {
  CONFIRMED: ['PENDING'],
  SHIPPED: ['PENDING', 'CONFIRMED'],
  DELIVERED: ['PENDING', 'CONFIRMED', 'SHIPPED'],
  CANCELLED: ['PENDING', 'CONFIRMED'],
};

/** The statuses a customer may cancel an order in: before it ships. */
export const CANCELLABLE: readonly OrderStatus[] = ['PENDING', 'CONFIRMED'];

/**
 * Whether the reconciler must look at an order: one still PENDING (its saga
 * may be stuck), and one its owner asked to cancel that is not cancelled yet
 * (the cancellation may have been interrupted). The orders table keeps
 * exactly these in its sparse index, keyed by {@link reconcilerIndexTime}.
 */
export const needsReconciling = (order: Pick<Order, 'status' | 'cancelRequestedAt'>): boolean =>
  order.status === 'PENDING' || (order.cancelRequestedAt !== undefined && CANCELLABLE.includes(order.status));

/**
 * From when the reconciler counts an order's age: the cancellation request if
 * there is one (a cancellation is as young as its request, however old the
 * order), else its creation.
 */
export const reconcilerIndexTime = (order: Pick<Order, 'createdAt' | 'cancelRequestedAt'>): string => order.cancelRequestedAt ?? order.createdAt;

/** A forward status change, applied only if the order is in one of `from`. */
export interface StatusChange {
  readonly to: Exclude<OrderStatus, 'PENDING'>;
  readonly from: readonly OrderStatus[];
  readonly at: string;
  readonly reason?: CancellationReason;
}

/** The change that moves an order to `to`, from wherever it may legally come. */
export const statusChange = (to: StatusChange['to'], at: string, reason?: CancellationReason): StatusChange => ({
  to,
  from: ALLOWED_FROM[to],
  at,
  // Stryker disable next-line ConditionalExpression: a reason of undefined is left out by both repositories (`reason !== undefined`)
  ...(reason !== undefined ? { reason } : {}),
});
