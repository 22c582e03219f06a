/**
 * What a run of `npm start` would have cost on AWS, so far: the cost meter's
 * running total priced by `./bill`, per order. One order is one execution of
 * the order saga, the state machine whose name starts with
 * {@link ORDER_STATE_MACHINE_PREFIX}. The CLI prints it on Ctrl-C; the
 * console shows it live.
 */
import { formatBill, priceUsage, totalOf, type BillLine } from './bill';
import type { Usage } from './meter';

/** The state machine one execution of which is one order. */
export const ORDER_STATE_MACHINE_PREFIX = 'OrderSaga';

/** The run's bill so far. */
export interface RunBill {
  /** Order saga executions started (an injected duplicate Express start counts too). */
  readonly orders: number;
  /** The bill's lines for everything the run did, priced per order when there were orders. */
  readonly lines: readonly BillLine[];
}

/** How many orders a usage holds: order saga executions started. */
export const ordersIn = (usage: Usage): number =>
  Object.entries(usage.stateMachines)
    .filter(([name]) => name.startsWith(ORDER_STATE_MACHINE_PREFIX))
    .reduce((sum, [, machine]) => sum + machine.executions, 0);

/** Prices a run's usage: per order (its details per order) when there were orders, the whole run as one otherwise. */
export const runBill = (usage: Usage): RunBill => {
  const orders = ordersIn(usage);
  return { orders, lines: priceUsage(usage, Math.max(orders, 1)) };
};

/** What this run would have cost on AWS: per million orders once it placed orders. */
export const describeRunCost = (usage: Usage): string => {
  const { orders, lines } = runBill(usage);
  if (orders === 0) return `No orders were placed; what the run did would have cost $${totalOf(lines).toFixed(6)} on AWS (npm run cost prices an order).`;
  return formatBill('What this run would have cost on AWS, everything it did included (demo data, cold starts)', lines, orders);
};
