import { orderPlacedDetail } from './order-placed-event';
import { advanceOrder } from './advance-order';
import type { OrderRepository } from '../ports/order-repository';
import type { SagaExecutions } from '../ports/saga-executions';

/** Dependencies of {@link reconcileOrders}. */
export interface ReconcileOrdersDeps {
  readonly orders: OrderRepository;
  readonly sagas: SagaExecutions;
  /** @default the clock */
  readonly now?: () => Date;
}

/** What the reconciler did with one order. */
export type ReconcileAction =
  /** No saga had started (OrderPlaced never reached the starter): started it. */
  | 'saga-started'
  /** The saga confirmed the order but the order never heard: confirmed it. */
  | 'confirmed'
  /** The saga cancelled the order but the order never heard: cancelled it, with the saga's reason. */
  | 'cancelled'
  /** The saga is still running: left to it. */
  | 'left-running'
  /** The saga failed, timed out or was stopped (a compensation that kept failing): a person must look. */
  | 'needs-attention'
  /** The order moved on meanwhile (the index lags), or is gone. */
  | 'skipped'
  /** Looking at it failed (a dependency down); the next run tries again. */
  | 'failed';

/** What one run found and did. */
export interface ReconcileReport {
  readonly examined: number;
  readonly actions: Readonly<Record<ReconcileAction, number>>;
  /** The orders a person must look at, with what stopped their saga. */
  readonly needsAttention: ReadonlyArray<{ readonly orderId: string; readonly status: string; readonly error?: string }>;
  /** The orders this run could not look at, and why (the next run tries again). */
  readonly failures: ReadonlyArray<{ readonly orderId: string; readonly error: string }>;
}

/**
 * Drives orders left PENDING for longer than `olderThanSeconds` to the
 * outcome the system already decided. Every hop of an order's way is at least
 * once and ends in a dead-letter queue when its retries run out, so an order
 * can be left behind: OrderPlaced dead-lettered before any saga started, or
 * the saga's OrderConfirmed / OrderCancelled dead-lettered before the order
 * heard of it. For each such order (at most `limit` a run, oldest first):
 * no saga → start it (named after the order, so never twice); a saga that
 * decided → apply its decision (a forward, conditional change, as the status
 * consumer makes it); a saga still running → leave it; a saga that failed or
 * was stopped → leave it to a person and report it. Running it again changes
 * nothing it already did.
 */
export const reconcileOrders = async (deps: ReconcileOrdersDeps, input: { readonly olderThanSeconds: number; readonly limit: number }): Promise<ReconcileReport> => {
  const now = (deps.now ?? (() => new Date()))();
  const before = new Date(now.getTime() - input.olderThanSeconds * 1000).toISOString();
  const candidates = await deps.orders.listPendingSince(before, input.limit);
  const actions: Record<ReconcileAction, number> = { 'saga-started': 0, confirmed: 0, cancelled: 0, 'left-running': 0, 'needs-attention': 0, skipped: 0, failed: 0 };
  const needsAttention: Array<{ orderId: string; status: string; error?: string }> = [];
  const failures: Array<{ orderId: string; error: string }> = [];
  for (const orderId of candidates) {
    try {
      actions[await reconcileOne(deps, orderId, (status, error) => needsAttention.push({ orderId, status, ...(error ? { error } : {}) }))] += 1;
    } catch (error) {
      // One order that cannot be looked at now must not keep the others waiting.
      actions.failed += 1;
      failures.push({ orderId, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    }
  }
  return { examined: candidates.length, actions, needsAttention, failures };
};

const reconcileOne = async (deps: ReconcileOrdersDeps, orderId: string, attention: (status: string, error?: string) => void): Promise<ReconcileAction> => {
  const order = await deps.orders.get(orderId);
  if (!order || order.status !== 'PENDING') return 'skipped';
  const saga = await deps.sagas.stateOf(orderId);
  switch (saga.kind) {
    case 'absent':
      // The same detail the outbox publishes; the event id says where it came from.
      await deps.sagas.start(orderId, JSON.stringify(orderPlacedDetail(order, `reconciler-${orderId}`)));
      return 'saga-started';
    case 'running':
      return 'left-running';
    case 'confirmed':
      return (await advanceOrder(deps, orderId, 'CONFIRMED')) ? 'confirmed' : 'skipped';
    case 'cancelled':
      return (await advanceOrder(deps, orderId, 'CANCELLED', saga.reason)) ? 'cancelled' : 'skipped';
    case 'needs-attention':
      attention(saga.status, saga.error);
      return 'needs-attention';
  }
};
