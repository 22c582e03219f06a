import type { IdempotencyRecord } from '../domain/idempotency';
import type { Order, StatusChange } from '../domain/order';

/** A page of a user's orders, newest first, and the cursor of the next one. */
export interface OrderPage {
  readonly items: readonly Order[];
  readonly nextCursor?: string;
}

/** Port: where orders and their idempotency records live. */
export interface OrderRepository {
  /**
   * Takes a user's Idempotency-Key for `record`'s order: writes `record`
   * unless a live record (unexpired at `record.createdAt`) holds the key;
   * then nothing is written and that record is returned. An expired record
   * is replaced. Of concurrent claims of one key, exactly one succeeds.
   */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
  /** Gives back a key `record` holds (its order will not be written); a key another order holds stays. */
  releaseIdempotencyKey(record: IdempotencyRecord): Promise<void>;
  /** Writes a new order; false, writing nothing, when an order with its id exists. */
  create(order: Order): Promise<boolean>;
  get(orderId: string): Promise<Order | undefined>;
  /** A user's orders, newest first. A cursor from another user or another API is a 422. */
  listByUser(userId: string, limit: number, cursor?: string): Promise<OrderPage>;
  /**
   * Ids of the orders the reconciler must look at (see `needsReconciling`)
   * whose age (see `reconcilerIndexTime`) began before `before` (ISO time),
   * oldest first, at most `limit`. Read from an eventually consistent index:
   * an order listed may have moved on since; read it before acting.
   */
  listPendingSince(before: string, limit: number): Promise<string[]>;
  /**
   * Applies a forward status change if the order is in `change.from`, and
   * returns the order as changed; `undefined` (nothing written) otherwise. The order leaves the reconciler's index
   * unless it still needs reconciling (a cancellation requested of an order
   * now CONFIRMED); SHIPPED and DELIVERED drop a cancellation request, which
   * can no longer be met.
   */
  transition(orderId: string, change: StatusChange): Promise<Order | undefined>;
  /**
   * Records its owner's request to cancel the order, if it is PENDING or
   * CONFIRMED: sets `cancelRequestedAt` (a repeat keeps the first time) and
   * puts the order in the reconciler's index at `requestedAt`. The order as
   * now stored, or undefined (nothing written) when it was in no cancellable
   * status (or is gone).
   */
  recordCancelRequest(orderId: string, requestedAt: string): Promise<Order | undefined>;
  /**
   * Withdraws a cancellation request that cannot be met (the shipment is on
   * its way): removes `cancelRequestedAt`, and the order leaves the
   * reconciler's index unless it is still PENDING. False when there was no
   * request to withdraw.
   */
  withdrawCancelRequest(order: Pick<Order, 'orderId' | 'createdAt'>): Promise<boolean>;
}
