import { ExpressSagaStates, OrderSagaStates } from '../../lib/orchestration/order-saga';
import { DECLINING_TOKENS, UNSERVED_COUNTRY } from './order-mix';
import type { ExecutionTrace, TraceStep } from './saga-history';
import type { OrderItem, PaymentItem, ReservationItem, ShipmentItem, TableSnapshot } from './table-snapshot';

/**
 * The soak's invariants, each a pure function of what the run left behind:
 * the four service tables read at the end ({@link TableSnapshot}), the stock
 * sampled while it ran, the saga executions' histories, and what the client
 * itself saw. Every one must come out 0.
 *
 * What final state can and cannot show: tables keep the last value of each
 * item, not its history. A conditional write that was skipped leaves no
 * trace, and a value that went wrong and came back (stock dipping below zero
 * between two reads) is seen only if a sample caught it. The checks below
 * therefore pair each "never twice" rule with the conservation law that a
 * second occurrence would break (money, units), which final state does show.
 */

/** The verdict on one invariant. */
export interface InvariantResult {
  /** Stable key, for tests and machine-readable reports. */
  readonly id: InvariantId;
  /** What is counted, for a person. */
  readonly title: string;
  /** The figure the issue asks to print (units, minor units, orders...). Must be 0. */
  readonly value: number;
  /** Its unit, for printing. */
  readonly unit: string;
  /** How the figure breaks down, when it sums several counts. */
  readonly breakdown?: string;
  /** Up to {@link MAX_EXAMPLES} offenders, each naming its order, product or execution. */
  readonly examples: readonly string[];
  /** True when the invariant holds. */
  readonly ok: boolean;
}

/** The invariants, in the order they are printed. */
export type InvariantId =
  | 'unitsOversold'
  | 'money'
  | 'ordersNotTerminal'
  | 'doubleCharges'
  | 'doubleShipments'
  | 'doubleReleases'
  | 'compensations'
  | 'stockConservation'
  | 'idempotency'
  | 'placementFailures'
  | 'endStates'
  | 'duplicateSagas'
  | 'cancellations'
  | 'malformedItems';

/** How many offenders an invariant lists. */
export const MAX_EXAMPLES = 12;

/** A product of the run with the stock the soak set before the first order. */
export interface ProductFacts {
  readonly id: string;
  readonly initialStock: number;
}

/** What the client saw, beyond the tables. */
export interface ClientFacts {
  /** Orders the run planned to place (one Idempotency-Key each). */
  readonly plannedOrders: number;
  /** Each duplicated request (same Idempotency-Key) answered with another order id, or refused: one line each. */
  readonly idempotencyMismatches: readonly string[];
  /** Planned orders that no attempt got accepted (202): one line each. */
  readonly placementFailures: readonly string[];
  /**
   * Every `POST /orders/{id}/cancel` the client sent, with the status it
   * finally answered (0: no answer after retries).
   * @default none
   */
  readonly cancellations?: ReadonlyArray<{ readonly orderId: string; readonly moment: string; readonly answer: number }>;
}

/** Everything the invariants are computed from. */
export interface SoakFacts {
  readonly products: readonly ProductFacts[];
  /** The lowest on-hand count seen for each product, by sampling while the run went on (the final count included). */
  readonly minObservedStock: ReadonlyMap<string, number>;
  readonly snapshot: TableSnapshot;
  /** The order saga's executions. */
  readonly traces: readonly ExecutionTrace[];
  /** The cancellation state machine's executions. @default none */
  readonly cancellationTraces?: readonly ExecutionTrace[];
  /** User ids (JWT `sub`) of the soak's shoppers: only their orders are checked. */
  readonly userIds: ReadonlySet<string>;
  readonly client: ClientFacts;
}

const S = OrderSagaStates;

/** Statuses an order may end in. SHIPPED and DELIVERED come after CONFIRMED; all three are confirmed orders. */
export const TERMINAL_STATUSES: readonly string[] = ['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'];
const CONFIRMED_STATUSES: readonly string[] = ['CONFIRMED', 'SHIPPED', 'DELIVERED'];

/** Payment statuses that mean the money was captured once (REFUNDED was CAPTURED first). */
const CAPTURED_ONCE: readonly PaymentItem['status'][] = ['CAPTURED', 'REFUNDED'];

/** Each compensation and the forward step it undoes. */
export const COMPENSATION_OF: ReadonlyArray<{ readonly forward: string; readonly compensation: string; readonly technicalFailure: string }> = [
  { forward: S.reserveInventory, compensation: S.releaseInventory, technicalFailure: S.reserveFailed },
  { forward: S.chargePayment, compensation: S.refundPayment, technicalFailure: S.chargeFailed },
  { forward: S.createShipment, compensation: S.cancelShipment, technicalFailure: S.shipmentFailed },
];

/** Newest step first: the order compensations must run in. */
const COMPENSATION_RANK: ReadonlyMap<string, number> = new Map([
  [S.cancelShipment, 0],
  [S.refundPayment, 1],
  [S.releaseInventory, 2],
]);
const FORWARD_STEPS: ReadonlySet<string> = new Set([S.reserveInventory, S.chargePayment, S.createShipment, S.publishOrderConfirmed]);

const result = (id: InvariantId, title: string, unit: string, value: number, examples: readonly string[], extra: { breakdown?: string; violations?: number } = {}): InvariantResult => ({
  id,
  title,
  unit,
  value,
  ...(extra.breakdown !== undefined ? { breakdown: extra.breakdown } : {}),
  examples: examples.slice(0, MAX_EXAMPLES),
  ok: value === 0 && (extra.violations ?? 0) === 0,
});

const sum = (values: Iterable<number>): number => {
  let total = 0;
  for (const value of values) total += value;
  return total;
};

const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
};

/** The soak's orders (those of its users) from the snapshot. */
export const soakOrders = (facts: Pick<SoakFacts, 'snapshot' | 'userIds'>): OrderItem[] => facts.snapshot.orders.filter((order) => facts.userIds.has(order.userId));

const isConfirmed = (order: OrderItem): boolean => CONFIRMED_STATUSES.includes(order.status);

/** Units of each product in the confirmed orders. */
const confirmedQuantities = (orders: readonly OrderItem[]): Map<string, number> => {
  const quantities = new Map<string, number>();
  for (const order of orders.filter(isConfirmed)) {
    for (const item of order.items) quantities.set(item.productId, (quantities.get(item.productId) ?? 0) + item.quantity);
  }
  return quantities;
};

/** Units of each product held by RESERVED reservations. */
const reservedQuantities = (reservations: readonly ReservationItem[]): Map<string, number> => {
  const quantities = new Map<string, number>();
  for (const reservation of reservations.filter((r) => r.status === 'RESERVED')) {
    for (const line of reservation.lines) quantities.set(line.productId, (quantities.get(line.productId) ?? 0) + line.quantity);
  }
  return quantities;
};

const onHand = (snapshot: TableSnapshot): Map<string, number> => new Map(snapshot.stock.map((item) => [item.productId, item.stock]));

/**
 * **Units oversold.** For each product p, the largest of
 * - `−lowest on-hand count seen`: stock ever below zero, as far as sampling
 *   and the final read can see (a dip between two samples is not observable
 *   from final state);
 * - `units held by RESERVED reservations − initial stock`: reserved beyond
 *   stock, orders holding more units than ever existed;
 * - `on hand + units in live (CREATED, SHIPPED or DELIVERED) shipments −
 *   initial stock`: units promised twice, on the shelf for the next order while
 *   already in a parcel;
 *
 * and 0; the figure is the sum over products.
 */
export const checkUnitsOversold = (facts: SoakFacts): InvariantResult => {
  const reserved = reservedQuantities(facts.snapshot.reservations);
  const shipped = new Map<string, number>();
  for (const shipment of facts.snapshot.shipments.filter((s) => s.status !== 'CANCELLED')) {
    for (const item of shipment.items) shipped.set(item.productId, (shipped.get(item.productId) ?? 0) + item.quantity);
  }
  const final = onHand(facts.snapshot);
  const examples: string[] = [];
  let total = 0;
  for (const product of facts.products) {
    const lowest = Math.min(facts.minObservedStock.get(product.id) ?? Number.POSITIVE_INFINITY, final.get(product.id) ?? Number.POSITIVE_INFINITY);
    const below = Number.isFinite(lowest) ? Math.max(0, -lowest) : 0;
    const beyond = (reserved.get(product.id) ?? 0) - product.initialStock;
    const twice = (final.get(product.id) ?? 0) + (shipped.get(product.id) ?? 0) - product.initialStock;
    const oversold = Math.max(0, below, beyond, twice);
    if (oversold > 0) {
      examples.push(
        `${product.id}: initial ${product.initialStock}; lowest stock seen ${lowest}; reserved ${reserved.get(product.id) ?? 0}; ` +
          `on hand ${final.get(product.id) ?? 0} + in live shipments ${shipped.get(product.id) ?? 0}`,
      );
    }
    total += oversold;
  }
  return result('unitsOversold', 'units oversold (stock below zero, reserved beyond stock, or both on hand and shipped)', 'units', total, examples);
};

/**
 * **Money.** Per currency, `Σ charges − Σ refunds − Σ totals of confirmed
 * orders`, where a charge is the amount of a payment that was captured
 * (status CAPTURED or REFUNDED) and a refund the amount of a REFUNDED one.
 * The figure is that sum (added up over currencies, in minor units). It must
 * also balance order by order (`captured − refunded − (confirmed ? total : 0)`),
 * so that two opposite mistakes cannot cancel out, and no payment may be left
 * PENDING (money in doubt: the provider may or may not have taken it).
 * VOIDED and DECLINED payments moved no money.
 */
export const checkMoney = (facts: SoakFacts): InvariantResult => {
  const orders = soakOrders(facts);
  const byId = new Map(orders.map((order) => [order.orderId, order]));
  const perCurrency = new Map<string, number>();
  const add = (currency: string, amount: number) => perCurrency.set(currency, (perCurrency.get(currency) ?? 0) + amount);
  const perOrder = new Map<string, { currency: string; balance: number }>();
  const addOrder = (orderId: string, currency: string, amount: number) => {
    const entry = perOrder.get(orderId) ?? { currency, balance: 0 };
    entry.balance += amount;
    perOrder.set(orderId, entry);
  };
  let charges = 0;
  let refunds = 0;
  let confirmed = 0;
  for (const payment of facts.snapshot.payments) {
    const { amount, currency } = payment.amount;
    if (CAPTURED_ONCE.includes(payment.status)) {
      add(currency, amount);
      addOrder(payment.orderId, currency, amount);
      charges += amount;
    }
    if (payment.status === 'REFUNDED') {
      add(currency, -amount);
      addOrder(payment.orderId, currency, -amount);
      refunds += amount;
    }
  }
  for (const order of orders.filter(isConfirmed)) {
    add(order.total.currency, -order.total.amount);
    addOrder(order.orderId, order.total.currency, -order.total.amount);
    confirmed += order.total.amount;
  }
  const examples: string[] = [];
  let unbalanced = 0;
  for (const [orderId, { currency, balance }] of perOrder) {
    if (balance === 0) continue;
    unbalanced += 1;
    examples.push(`order ${orderId} (${byId.get(orderId)?.status ?? 'not a soak order'}): ${balance > 0 ? 'kept' : 'missing'} ${Math.abs(balance)} ${currency}`);
  }
  const inDoubt = facts.snapshot.payments.filter((payment) => payment.status === 'PENDING');
  for (const payment of inDoubt) examples.push(`order ${payment.orderId}: payment left PENDING (${payment.amount.amount} ${payment.amount.currency} in doubt)`);
  const value = sum([...perCurrency.values()].map((balance) => (perCurrency.size === 1 ? balance : Math.abs(balance))));
  return result('money', 'money: Σ charges − Σ refunds − Σ totals of confirmed orders', 'minor units', value, examples, {
    breakdown: `charges ${charges} − refunds ${refunds} − confirmed ${confirmed}; ${unbalanced} orders unbalanced; ${inDoubt.length} payments PENDING`,
    violations: unbalanced + inDoubt.length,
  });
};

/**
 * **Orders not terminal.** The soak's orders whose status, read from the
 * orders table once every order was terminal or the settle time after the
 * last request, is not CONFIRMED, SHIPPED, DELIVERED or CANCELLED, or that
 * still carry a cancellation request that never finished (a CONFIRMED order
 * its owner asked to cancel is on its way to CANCELLED, not done).
 */
export const checkOrdersNotTerminal = (facts: SoakFacts): InvariantResult => {
  const pending = soakOrders(facts).filter(
    (order) => !TERMINAL_STATUSES.includes(order.status) || (order.cancelRequestedAt !== undefined && order.status !== 'CANCELLED'),
  );
  return result(
    'ordersNotTerminal',
    'orders not terminal (CONFIRMED, SHIPPED, DELIVERED or CANCELLED, no cancellation left unfinished) at the end',
    'orders',
    pending.length,
    pending.map((order) => `order ${order.orderId}: ${order.status}${order.cancelRequestedAt ? `, cancellation requested ${order.cancelRequestedAt}` : ''}`),
  );
};

/**
 * **Double charges.** Captures beyond one per order:
 * `Σ_order max(0, distinct chargeIds of its captured payments − 1)`, plus
 * captured (CAPTURED/REFUNDED) payments without a chargeId (a capture not
 * traceable to one provider charge), plus chargeIds booked on more than one
 * order. Observable limits: the payments table has one item per order by
 * key (created with `attribute_not_exists`), and the provider is called with
 * the idempotency key `charge-<orderId>`, so a repeated provider call is the
 * same charge by construction; the simulator keeps no ledger, so a capture
 * the provider made but the table never recorded is not visible here — it
 * would show as a PENDING payment (money in doubt, see {@link checkMoney}).
 */
export const checkDoubleCharges = (facts: SoakFacts): InvariantResult => {
  const captured = facts.snapshot.payments.filter((payment) => CAPTURED_ONCE.includes(payment.status));
  const examples: string[] = [];
  let extraCaptures = 0;
  for (const [orderId, payments] of groupBy(captured, (payment) => payment.orderId)) {
    const ids = new Set(payments.map((payment) => payment.chargeId ?? `(none:${payment.pk})`));
    if (ids.size > 1) {
      extraCaptures += ids.size - 1;
      examples.push(`order ${orderId}: ${ids.size} captures (${[...ids].join(', ')})`);
    }
  }
  const untraceable = captured.filter((payment) => payment.chargeId === undefined);
  for (const payment of untraceable) examples.push(`order ${payment.orderId}: ${payment.status} without a chargeId`);
  let shared = 0;
  for (const [chargeId, payments] of groupBy(captured.filter((p) => p.chargeId !== undefined), (payment) => payment.chargeId ?? '')) {
    const orders = new Set(payments.map((payment) => payment.orderId));
    if (orders.size > 1) {
      shared += orders.size - 1;
      examples.push(`charge ${chargeId} booked on ${orders.size} orders: ${[...orders].join(', ')}`);
    }
  }
  return result('doubleCharges', 'double charges', 'charges', extraCaptures + untraceable.length + shared, examples, {
    breakdown: `${extraCaptures} extra captures, ${untraceable.length} untraceable, ${shared} shared charge ids`,
  });
};

/**
 * **Double shipments.** Live shipments (CREATED, SHIPPED or DELIVERED) beyond what an
 * order's status entitles it to — one for a confirmed order, none for any
 * other: `Σ_order max(0, live shipments − entitled)`, plus shipments whose id
 * is not `shp-<orderId>` (the derivation that makes CreateShipment
 * idempotent). A live shipment of a cancelled order is goods sent for an
 * order that is not paid for. The table has one item per shipment id, so two
 * shipments of one order can only exist under two ids.
 */
export const checkDoubleShipments = (facts: SoakFacts): InvariantResult => {
  const orders = new Map(soakOrders(facts).map((order) => [order.orderId, order]));
  const live = facts.snapshot.shipments.filter((shipment) => shipment.status !== 'CANCELLED');
  const examples: string[] = [];
  let extra = 0;
  for (const [orderId, shipments] of groupBy(live, (shipment) => shipment.orderId)) {
    const order = orders.get(orderId);
    const entitled = order && isConfirmed(order) ? 1 : 0;
    if (shipments.length > entitled) {
      extra += shipments.length - entitled;
      examples.push(`order ${orderId} (${order?.status ?? 'unknown order'}): ${shipments.map((s) => `${s.shipmentId} ${s.status}`).join(', ')}`);
    }
  }
  const misnamed = facts.snapshot.shipments.filter((shipment) => shipment.shipmentId !== `shp-${shipment.orderId}`);
  for (const shipment of misnamed) examples.push(`shipment ${shipment.shipmentId} of order ${shipment.orderId} is not shp-<orderId>`);
  return result('doubleShipments', 'double shipments', 'shipments', extra + misnamed.length, examples, {
    breakdown: `${extra} live shipments beyond entitlement, ${misnamed.length} misnamed`,
  });
};

/**
 * **Double releases.** Units given back beyond those taken:
 * `Σ_product max(0, on hand + confirmed quantity − initial stock)`; also a
 * violation, listed but not in the figure: RELEASED reservations of
 * confirmed orders (stock given back for goods that ship). A release is one transaction that flips the reservation RESERVED →
 * RELEASED (conditionally) and ADDs its units back; the flip cannot be seen
 * twice in final state, so a second release is observable only as this
 * surplus of units (the conservation law below).
 */
export const checkDoubleReleases = (facts: SoakFacts): InvariantResult => {
  const orders = soakOrders(facts);
  const confirmed = confirmedQuantities(orders);
  const final = onHand(facts.snapshot);
  const examples: string[] = [];
  let surplus = 0;
  for (const product of facts.products) {
    const extra = (final.get(product.id) ?? 0) + (confirmed.get(product.id) ?? 0) - product.initialStock;
    if (extra > 0) {
      surplus += extra;
      examples.push(`${product.id}: ${extra} units more on hand than initial − confirmed`);
    }
  }
  const confirmedIds = new Set(orders.filter(isConfirmed).map((order) => order.orderId));
  const releasedButConfirmed = facts.snapshot.reservations.filter((r) => r.status === 'RELEASED' && confirmedIds.has(r.orderId));
  for (const reservation of releasedButConfirmed) examples.push(`order ${reservation.orderId}: confirmed, but its reservation was RELEASED`);
  return result('doubleReleases', 'double releases (units given back beyond those taken)', 'units', surplus, examples, {
    breakdown: `${surplus} surplus units, ${releasedButConfirmed.length} reservations of confirmed orders released`,
    violations: releasedButConfirmed.length,
  });
};

/** What is wrong with one execution's compensations, if anything. */
export interface CompensationFindings {
  readonly outOfOrder: readonly string[];
  readonly repeated: readonly string[];
  readonly withoutForwardStep: readonly string[];
  readonly missing: readonly string[];
}

/**
 * Checks the compensations of one execution, from its history in order.
 *
 * - An *attempt chain* is a maximal run of consecutive entries into the same
 *   state with no other state entered in between: how a state's Retry may
 *   show in a history. It counts as one run of that state.
 * - **Run for a step that never ran**: a compensation (`CancelShipment`,
 *   `RefundPayment`, `ReleaseInventory`) entered while its forward step
 *   (`CreateShipment`, `ChargePayment`, `ReserveInventory`) had not been
 *   entered earlier in the same execution.
 * - **Repeated**: a compensation with more than one run.
 * - **Out of order**: compensations not newest first — a compensation
 *   entered after one of an older step (`ReleaseInventory` before
 *   `RefundPayment`, say) — or a forward step entered after a compensation.
 * - **Missing** (only for executions that ended SUCCEEDED after entering
 *   `PublishOrderCancelled`, the compensated ones): a forward step whose task
 *   succeeded, or that failed technically (left through its
 *   `ReserveFailed`/`ChargeFailed`/`ShipmentFailed` catch: its outcome is
 *   unknown), with no run of its compensation.
 */
export const compensationFindings = (trace: Pick<ExecutionTrace, 'status' | 'steps'>): CompensationFindings => {
  const runs: string[] = [];
  const succeeded = new Set<string>();
  let current: string | undefined;
  for (const step of trace.steps) {
    if (step.kind === 'entered') {
      if (runs[runs.length - 1] !== step.state) runs.push(step.state);
      current = step.state;
    } else if (step.kind === 'task-succeeded' && current !== undefined) {
      succeeded.add(current);
    }
  }
  const outOfOrder: string[] = [];
  const repeated: string[] = [];
  const withoutForwardStep: string[] = [];
  const entered = new Set<string>();
  const compensated = new Set<string>();
  let lastRank: number | undefined;
  for (const state of runs) {
    const rank = COMPENSATION_RANK.get(state);
    if (rank !== undefined) {
      const pair = COMPENSATION_OF.find((p) => p.compensation === state);
      if (pair && !entered.has(pair.forward)) withoutForwardStep.push(`${state} without ${pair.forward}`);
      if (compensated.has(state)) repeated.push(`${state} ran again`);
      else if (lastRank !== undefined && rank < lastRank) outOfOrder.push(`${state} after a compensation of an older step`);
      compensated.add(state);
      lastRank = Math.max(lastRank ?? rank, rank);
    } else if (FORWARD_STEPS.has(state) && compensated.size > 0) {
      outOfOrder.push(`${state} entered after compensating began`);
    }
    entered.add(state);
  }
  const missing: string[] = [];
  if (trace.status === 'SUCCEEDED' && entered.has(S.publishOrderCancelled)) {
    for (const pair of COMPENSATION_OF) {
      const needsIt = succeeded.has(pair.forward) || runs.some((state, i) => state === pair.technicalFailure && runs[i - 1] === pair.forward);
      if (needsIt && !compensated.has(pair.compensation)) missing.push(`${pair.forward} ${succeeded.has(pair.forward) ? 'succeeded' : 'failed technically'} but ${pair.compensation} never ran`);
    }
  }
  return { outOfOrder, repeated, withoutForwardStep, missing };
};

/** **Compensations** out of order, repeated, run for a step that never ran, or missing: executions with any. See {@link compensationFindings}. */
export const checkCompensations = (facts: Pick<SoakFacts, 'traces'>): InvariantResult => {
  const examples: string[] = [];
  const counts = { outOfOrder: 0, repeated: 0, withoutForwardStep: 0, missing: 0 };
  let executions = 0;
  for (const trace of facts.traces) {
    const findings = compensationFindings(trace);
    const all = [...findings.outOfOrder, ...findings.repeated, ...findings.withoutForwardStep, ...findings.missing];
    if (all.length === 0) continue;
    executions += 1;
    counts.outOfOrder += findings.outOfOrder.length;
    counts.repeated += findings.repeated.length;
    counts.withoutForwardStep += findings.withoutForwardStep.length;
    counts.missing += findings.missing.length;
    examples.push(`order ${trace.orderId ?? '?'} execution ${trace.executionArn.split(':').pop() ?? ''}: ${all.join('; ')}`);
  }
  return result('compensations', 'saga executions with compensations out of order, repeated, for a step that never ran, or missing', 'executions', executions, examples, {
    breakdown: `out of order ${counts.outOfOrder}, repeated ${counts.repeated}, without forward step ${counts.withoutForwardStep}, missing ${counts.missing}`,
  });
};

/**
 * **Stock conservation**, per product: `initial stock = on hand + units in
 * confirmed orders`. Reserving takes units from on hand; a confirmed order
 * keeps them; every other order must have given them back. The figure is the
 * number of products for which it does not hold (a deficit is leaked stock:
 * units held for an order that is not confirmed; a surplus is a double
 * release, see {@link checkDoubleReleases}).
 */
export const checkStockConservation = (facts: SoakFacts): InvariantResult => {
  const confirmed = confirmedQuantities(soakOrders(facts));
  const final = onHand(facts.snapshot);
  const examples: string[] = [];
  for (const product of facts.products) {
    const stock = final.get(product.id);
    const kept = confirmed.get(product.id) ?? 0;
    if (stock === undefined || stock + kept !== product.initialStock) {
      examples.push(`${product.id}: initial ${product.initialStock} ≠ on hand ${stock ?? 'missing'} + confirmed ${kept} (off by ${(stock ?? 0) + kept - product.initialStock})`);
    }
  }
  return result('stockConservation', 'products breaking stock conservation (initial = on hand + confirmed)', 'products', examples.length, examples);
};

/**
 * **Idempotency.** One order per Idempotency-Key, however often and however
 * concurrently the request was sent: duplicated requests answered with
 * another order id or refused (as the client saw them), plus soak orders no
 * idempotency record names (every soak request carries a key, so such an
 * order was placed twice), plus records naming an order that does not exist,
 * plus orders beyond the number planned.
 */
export const checkIdempotency = (facts: SoakFacts): InvariantResult => {
  const orders = soakOrders(facts);
  const named = new Set(facts.snapshot.idempotency.map((record) => record.orderId));
  const existing = new Set(facts.snapshot.orders.map((order) => order.orderId));
  const unnamed = orders.filter((order) => !named.has(order.orderId));
  const dangling = facts.snapshot.idempotency.filter((record) => !existing.has(record.orderId));
  const beyondPlan = Math.max(0, orders.length - facts.client.plannedOrders);
  const examples = [
    ...facts.client.idempotencyMismatches,
    ...unnamed.map((order) => `order ${order.orderId}: no Idempotency-Key record names it (a second order for one key?)`),
    ...dangling.map((record) => `${record.pk} names missing order ${record.orderId}`),
    ...(beyondPlan > 0 ? [`${orders.length} orders in the table for ${facts.client.plannedOrders} planned`] : []),
  ];
  return result('idempotency', 'idempotency violations (one order per Idempotency-Key)', 'cases', facts.client.idempotencyMismatches.length + unnamed.length + dangling.length + beyondPlan, examples, {
    breakdown: `${facts.client.idempotencyMismatches.length} mismatched replies, ${unnamed.length} unkeyed orders, ${dangling.length} dangling records, ${beyondPlan} beyond plan`,
  });
};

/** **Placement failures**: planned orders that no attempt (with retries on 429/5xx) got accepted. */
export const checkPlacementFailures = (facts: SoakFacts): InvariantResult =>
  result('placementFailures', 'orders the API never accepted (after retries)', 'orders', facts.client.placementFailures.length, facts.client.placementFailures);

/**
 * Why an order's end state is illegal, or undefined when it is legal. The
 * legal end states, across the four tables:
 * - CONFIRMED / SHIPPED / DELIVERED: reservation RESERVED; payment CAPTURED
 *   with the order's total; shipment CREATED, SHIPPED or DELIVERED, as the
 *   order; the card is not a declining one and the country is served.
 * - CANCELLED: nothing live — no RESERVED reservation, no CAPTURED or
 *   PENDING payment, no CREATED, SHIPPED or DELIVERED shipment — and the
 *   reason fits: OUT_OF_STOCK leaves no reservation and no payment;
 *   PAYMENT_DECLINED means a DECLINED payment of a declining card;
 *   SHIPPING_UNAVAILABLE means an unserved country and a REFUNDED payment;
 *   CUSTOMER_REQUEST means its owner asked (`cancelRequestedAt`).
 * - PENDING is not an end state (see {@link checkOrdersNotTerminal}).
 */
export const endStateProblem = (
  order: OrderItem,
  reservation: ReservationItem | undefined,
  payment: PaymentItem | undefined,
  shipment: ShipmentItem | undefined,
): string | undefined => {
  const problems: string[] = [];
  const declining = DECLINING_TOKENS.includes(order.paymentToken);
  const unserved = order.shippingAddress.country === UNSERVED_COUNTRY;
  const seen = `reservation ${reservation?.status ?? 'none'}, payment ${payment?.status ?? 'none'}, shipment ${shipment?.status ?? 'none'}`;
  if (isConfirmed(order)) {
    if (reservation?.status !== 'RESERVED') problems.push('no RESERVED reservation');
    if (payment?.status !== 'CAPTURED') problems.push('payment not CAPTURED');
    else if (payment.amount.amount !== order.total.amount || payment.amount.currency !== order.total.currency) problems.push(`captured ${payment.amount.amount} for a total of ${order.total.amount}`);
    const wanted = order.status === 'CONFIRMED' ? 'CREATED' : order.status;
    if (shipment?.status !== wanted) problems.push(`shipment not ${wanted}`);
    if (declining) problems.push(`confirmed with ${order.paymentToken}`);
    if (unserved) problems.push(`confirmed to ${order.shippingAddress.country}`);
  } else if (order.status === 'CANCELLED') {
    if (reservation?.status === 'RESERVED') problems.push('stock still RESERVED');
    if (payment?.status === 'CAPTURED' || payment?.status === 'PENDING') problems.push(`payment ${payment.status}`);
    if (shipment && shipment.status !== 'CANCELLED') problems.push(`shipment ${shipment.status}`);
    switch (order.cancellationReason) {
      case 'OUT_OF_STOCK':
        if (reservation || payment) problems.push('OUT_OF_STOCK but a reservation or payment exists');
        break;
      case 'PAYMENT_DECLINED':
        if (payment?.status !== 'DECLINED' || !declining) problems.push(`PAYMENT_DECLINED with ${order.paymentToken} and payment ${payment?.status ?? 'none'}`);
        break;
      case 'SHIPPING_UNAVAILABLE':
        if (!unserved || payment?.status !== 'REFUNDED') problems.push(`SHIPPING_UNAVAILABLE to ${order.shippingAddress.country} with payment ${payment?.status ?? 'none'}`);
        break;
      case 'TECHNICAL':
        break;
      case 'CUSTOMER_REQUEST':
        if (order.cancelRequestedAt === undefined) problems.push('CUSTOMER_REQUEST but its owner never asked');
        break;
      default:
        problems.push(`cancelled with reason ${order.cancellationReason ?? '(none)'}`);
    }
  }
  return problems.length > 0 ? `${problems.join(', ')} (${seen})` : undefined;
};

/**
 * **Illegal end states**: terminal soak orders whose items in the other
 * tables contradict their status or their inputs (see {@link endStateProblem}),
 * plus reservations, payments and shipments of orders that do not exist.
 */
export const checkEndStates = (facts: SoakFacts): InvariantResult => {
  const orders = soakOrders(facts);
  const reservations = new Map(facts.snapshot.reservations.map((r) => [r.orderId, r]));
  const payments = new Map(facts.snapshot.payments.map((p) => [p.orderId, p]));
  const shipments = new Map(facts.snapshot.shipments.map((s) => [s.orderId, s]));
  const examples: string[] = [];
  for (const order of orders.filter((o) => TERMINAL_STATUSES.includes(o.status))) {
    const problem = endStateProblem(order, reservations.get(order.orderId), payments.get(order.orderId), shipments.get(order.orderId));
    if (problem) examples.push(`order ${order.orderId} ${order.status}${order.cancellationReason ? `(${order.cancellationReason})` : ''}: ${problem}`);
  }
  const known = new Set(facts.snapshot.orders.map((order) => order.orderId));
  const orphans = [
    ...facts.snapshot.reservations.filter((r) => !known.has(r.orderId)).map((r) => `reservation of unknown order ${r.orderId}`),
    ...facts.snapshot.payments.filter((p) => !known.has(p.orderId)).map((p) => `payment of unknown order ${p.orderId}`),
    ...facts.snapshot.shipments.filter((s) => !known.has(s.orderId)).map((s) => `shipment of unknown order ${s.orderId}`),
  ];
  return result('endStates', 'orders whose tables contradict their status or inputs', 'orders', examples.length + orphans.length, [...examples, ...orphans]);
};

const lastState = (steps: readonly TraceStep[]): string | undefined => {
  for (let i = steps.length - 1; i >= 0; i -= 1) {
    const step = steps[i];
    if (step.kind === 'entered') return step.state;
  }
  return undefined;
};

/**
 * **Duplicate sagas.** A redelivered OrderPlaced starts a second execution
 * that must change nothing. Counted: orders with more than one execution that
 * got past ReserveInventory (entered ChargePayment), or whose executions
 * reached different outcomes (one OrderConfirmed, another OrderCancelled).
 * Two executions that both stop at OUT_OF_STOCK agree and are not counted.
 * An Express execution's order is known only from its claim (its logs carry
 * no input): one with no order that went on to ReserveInventory did work
 * without holding the order's claim, and counts too.
 */
export const checkDuplicateSagas = (facts: Pick<SoakFacts, 'traces'>): InvariantResult => {
  const examples: string[] = [];
  for (const trace of facts.traces.filter((t) => t.orderId === undefined)) {
    if (trace.steps.some((step) => step.kind === 'entered' && step.state === S.reserveInventory)) {
      examples.push(`execution ${trace.executionArn}: went on to ${S.reserveInventory} without holding any order's claim`);
    }
  }
  for (const [orderId, traces] of groupBy(facts.traces.filter((t) => t.orderId !== undefined), (trace) => trace.orderId ?? '')) {
    if (traces.length < 2) continue;
    const pastReserve = traces.filter((trace) => trace.steps.some((step) => step.kind === 'entered' && step.state === S.chargePayment));
    const outcomes = new Set(traces.map((trace) => lastState(trace.steps)).filter((state) => state === S.publishOrderConfirmed || state === S.publishOrderCancelled));
    if (pastReserve.length > 1 || outcomes.size > 1) {
      examples.push(`order ${orderId}: ${traces.length} executions, ${pastReserve.length} past ReserveInventory, ending ${traces.map((t) => lastState(t.steps) ?? t.status).join(' / ')}`);
    }
  }
  return result('duplicateSagas', 'orders whose duplicate saga executions did work or disagreed', 'orders', examples.length, examples);
};

/**
 * **Cancellations.** What a customer was told must be what happened, and the
 * cancellation state machine must never need a person:
 * - a cancellation answered 202 whose order did not end CANCELLED;
 * - one answered 409 (too late) whose order did not end SHIPPED or DELIVERED,
 *   or that still carries the request;
 * - one never answered 202 or 409 (after the client's retries);
 * - cancellation executions that did not succeed, or that ran for an order
 *   nobody asked to cancel and no Express saga handed over (`RecordRepair`:
 *   a compensation that outlasted the saga's retries is finished by the
 *   cancellation state machine, started in the order's name).
 * (A CANCELLED order's money, stock and shipment are checked with every other
 * order's: {@link checkEndStates}, {@link checkMoney}, {@link checkStockConservation}.)
 */
export const checkCancellations = (facts: Pick<SoakFacts, 'snapshot' | 'userIds' | 'client' | 'cancellationTraces' | 'traces'>): InvariantResult => {
  const orders = new Map(soakOrders(facts).map((order) => [order.orderId, order]));
  const examples: string[] = [];
  const counts = { accepted: 0, refused: 0, unanswered: 0, executions: 0 };
  // The last answer per order is what its owner was told.
  const answers = new Map((facts.client.cancellations ?? []).map((seen) => [seen.orderId, { moment: seen.moment, answer: seen.answer }]));
  for (const [orderId, { moment, answer }] of answers) {
    const order = orders.get(orderId);
    const status = order?.status ?? 'missing';
    if (answer === 202 && status !== 'CANCELLED') {
      counts.accepted += 1;
      examples.push(`order ${orderId}: cancellation (${moment}) accepted, but the order is ${status}`);
    } else if (answer === 409 && ((status !== 'SHIPPED' && status !== 'DELIVERED') || order?.cancelRequestedAt !== undefined)) {
      counts.refused += 1;
      examples.push(`order ${orderId}: cancellation (${moment}) refused as too late, but the order is ${status}${order?.cancelRequestedAt ? ' with the request still recorded' : ''}`);
    } else if (answer !== 202 && answer !== 409) {
      counts.unanswered += 1;
      examples.push(`order ${orderId}: cancellation (${moment}) answered ${answer === 0 ? 'nothing' : answer}`);
    }
  }
  const handedToRepair = new Set(
    facts.traces.filter((trace) => trace.steps.some((step) => step.kind === 'entered' && step.state === ExpressSagaStates.recordRepair)).map((trace) => trace.orderId),
  );
  for (const trace of facts.cancellationTraces ?? []) {
    const order = trace.orderId === undefined ? undefined : facts.snapshot.orders.find((o) => o.orderId === trace.orderId);
    const asked = order?.cancelRequestedAt !== undefined || handedToRepair.has(trace.orderId);
    if (trace.status !== 'SUCCEEDED' || !asked) {
      counts.executions += 1;
      examples.push(`cancellation execution ${trace.executionArn.split(':').pop() ?? ''} of order ${trace.orderId ?? '?'}: ${trace.status}${asked ? '' : ', for an order nobody asked to cancel and no saga handed over'}`);
    }
  }
  return result('cancellations', 'cancellations whose answer and outcome disagree, unanswered, or whose execution failed', 'cases', counts.accepted + counts.refused + counts.unanswered + counts.executions, examples, {
    breakdown: `${counts.accepted} accepted but not cancelled, ${counts.refused} refused but not shipped, ${counts.unanswered} unanswered, ${counts.executions} bad executions`,
  });
};

/** **Malformed items**: items whose key names a layout they do not fit. */
export const checkMalformedItems = (facts: Pick<SoakFacts, 'snapshot'>): InvariantResult =>
  result('malformedItems', 'items that do not fit their table layout', 'items', facts.snapshot.unreadable.length, facts.snapshot.unreadable.map((u) => `${u.table} ${u.pk}: ${u.problem}`));

/** Every invariant, in print order. */
export const checkInvariants = (facts: SoakFacts): InvariantResult[] => [
  checkUnitsOversold(facts),
  checkMoney(facts),
  checkOrdersNotTerminal(facts),
  checkDoubleCharges(facts),
  checkDoubleShipments(facts),
  checkDoubleReleases(facts),
  checkCompensations(facts),
  checkStockConservation(facts),
  checkIdempotency(facts),
  checkPlacementFailures(facts),
  checkEndStates(facts),
  checkDuplicateSagas(facts),
  checkCancellations(facts),
  checkMalformedItems(facts),
];
