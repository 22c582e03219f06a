import * as z from '../../shared/zod';

/** Largest on-hand count an admin may set for one product. */
export const MAX_STOCK = 1_000_000;

/**
 * Most distinct products one reservation may hold: a reservation is one
 * TransactWriteItems (limit 100 actions), one action per product plus the
 * reservation itself.
 */
export const MAX_RESERVATION_LINES = 99;

/** Units of a product on hand and not reserved by any order. Never negative. */
export interface StockLevel {
  readonly productId: string;
  readonly stock: number;
  readonly updatedAt: string;
}

/** What an admin sends to set the on-hand count of a product. */
export const stockChangeSchema = z.strictObject({ stock: z.number().check(z.int(), z.minimum(0), z.maximum(MAX_STOCK)) });
export type StockChange = z.infer<typeof stockChangeSchema>;

/** Units of one product held for an order. */
export interface ReservationLine {
  readonly productId: string;
  readonly quantity: number;
}

/** RESERVED holds the stock; RELEASED has given it back (once, for good). */
export type ReservationStatus = 'RESERVED' | 'RELEASED';

/**
 * The stock one order holds. Keyed by order id, so a second saga for the same
 * order finds it; `executionId` tells a retry of the same step from a
 * duplicate saga.
 */
export interface Reservation {
  readonly orderId: string;
  readonly executionId: string;
  readonly lines: readonly ReservationLine[];
  readonly status: ReservationStatus;
  readonly reservedAt: string;
  readonly releasedAt?: string;
}

/**
 * One line per product, quantities summed, in first-seen order: a
 * transaction may touch an item only once, and the stock condition must hold
 * for the total.
 */
export const mergeLines = (items: readonly ReservationLine[]): ReservationLine[] => {
  const totals = new Map<string, number>();
  for (const { productId, quantity } of items) totals.set(productId, (totals.get(productId) ?? 0) + quantity);
  return [...totals].map(([productId, quantity]) => ({ productId, quantity }));
};
