import { CANCELLABLE, type Order } from '../domain/order';
import type { OrderRepository } from '../ports/order-repository';
import type { SagaExecutions } from '../ports/saga-executions';
import type { ShipmentCanceller } from '../ports/shipment-canceller';
import { advanceOrder } from './advance-order';
import { continueCancellation, startCancellation } from './cancel-order';
import { orderPlacedDetail } from './order-placed-event';

/** Dependencies of {@link reconcileOrders}. */
export interface ReconcileOrdersDeps {
  readonly orders: OrderRepository;
  /** The order sagas, one execution per order. */
  readonly sagas: SagaExecutions;
  /** The cancellation state machine's executions, one per cancelled order. */
  readonly cancellations: SagaExecutions;
  /** Shipping's CancelShipment, to finish a cancellation that was interrupted. */
  readonly shipping: ShipmentCanceller;
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
  /** The saga (or the cancellation) failed, timed out or was stopped (a compensation that kept failing): a person must look. */
  | 'needs-attention'
  /** A cancellation was requested but not carried through (the request crashed or got a 503): finished it, and started the cancellation state machine. */
  | 'cancellation-started'
  /** The cancellation state machine succeeded but the order never heard (its OrderCancelled was lost): cancelled it, CUSTOMER_REQUEST. */
  | 'cancellation-applied'
  /** A cancellation was requested but the shipment had shipped meanwhile: withdrew the request. */
  | 'cancellation-withdrawn'
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

/** The actions that finished an order some hop had given up on (the `OrdersRecovered` metric counts them). */
export const RECOVERY_ACTIONS: readonly ReconcileAction[] = ['saga-started', 'confirmed', 'cancelled', 'cancellation-started', 'cancellation-applied', 'cancellation-withdrawn'];

/**
 * Drives orders left PENDING for longer than `olderThanSeconds` to the
 * outcome the system already decided, and finishes cancellations requested
 * longer ago than that (see {@link reconcileCancellation}). Every hop of an order's way is at least
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
  const actions: Record<ReconcileAction, number> = {
    'saga-started': 0,
    confirmed: 0,
    cancelled: 0,
    'left-running': 0,
    'needs-attention': 0,
    'cancellation-started': 0,
    'cancellation-applied': 0,
    'cancellation-withdrawn': 0,
    skipped: 0,
    failed: 0,
  };
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

type Attention = (status: string, error?: string) => void;

const reconcileOne = async (deps: ReconcileOrdersDeps, orderId: string, attention: Attention): Promise<ReconcileAction> => {
  const order = await deps.orders.get(orderId);
  if (!order) return 'skipped';
  if (order.cancelRequestedAt !== undefined && CANCELLABLE.includes(order.status)) return reconcileCancellation(deps, order, attention);
  if (order.status !== 'PENDING') return 'skipped';
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

/**
 * Finishes a cancellation its owner requested that has not cancelled the
 * order yet (the request crashed after recording itself, got a 503, or the
 * outcome event was lost):
 * - the cancellation state machine succeeded → apply CANCELLED(CUSTOMER_REQUEST);
 *   running → leave it; failed → a person;
 * - none yet → run the request's remaining steps again (CancelShipment with
 *   the tombstone, then the state machine); a shipment already on its way
 *   withdraws the request;
 * - the shipment never existed and is now cancelled in its place → the saga
 *   decides: running, it will fail at CreateShipment and compensate; ended
 *   with a cancellation, apply it; never started (or ended without one), start
 *   the cancellation state machine, which undoes whatever is there.
 */
const reconcileCancellation = async (deps: ReconcileOrdersDeps, order: Order, attention: Attention): Promise<ReconcileAction> => {
  const cancellation = await deps.cancellations.stateOf(order.orderId);
  switch (cancellation.kind) {
    case 'cancelled':
      return (await advanceOrder(deps, order.orderId, 'CANCELLED', cancellation.reason)) ? 'cancellation-applied' : 'skipped';
    case 'running':
      return 'left-running';
    case 'needs-attention':
      attention(cancellation.status, cancellation.error);
      return 'needs-attention';
    case 'confirmed':
      attention('SUCCEEDED', 'the cancellation execution succeeded without cancelling the order');
      return 'needs-attention';
    // Stryker disable next-line ConditionalExpression: the last case only breaks; unmatched, the switch falls out the same way
    case 'absent':
      break;
  }
  const step = await continueCancellation(deps, order);
  switch (step) {
    case 'shipped':
    case 'delivered':
      return 'cancellation-withdrawn';
    case 'started':
      return 'cancellation-started';
    case 'already-started':
      return 'left-running';
    // Stryker disable next-line ConditionalExpression: as above
    case 'left-to-saga':
      break;
  }
  const saga = await deps.sagas.stateOf(order.orderId);
  switch (saga.kind) {
    case 'running':
      return 'left-running';
    case 'cancelled':
      return (await advanceOrder(deps, order.orderId, 'CANCELLED', saga.reason)) ? 'cancelled' : 'skipped';
    case 'needs-attention':
      attention(saga.status, saga.error);
      return 'needs-attention';
    case 'absent':
    case 'confirmed':
      return (await startCancellation(deps, order)) === 'started' ? 'cancellation-started' : 'left-running';
  }
};
