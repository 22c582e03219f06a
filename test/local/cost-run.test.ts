import type { CostRun } from '../../bench/cost/run-cost';
import type { Usage } from '../../local/cost/meter';
import { invocations, measureConfirmedAndDeclined, pathNamed as pathOf } from '../support/cost-run';

/*
 * The cost meter against the shop itself: one happy and one compensated
 * order through a fresh local cloud, and what the meter counted for each,
 * checked against a count by hand from the template and the code (below).
 * Counts that depend on how the stream poller and the queues batch records
 * (two stock changes a few ms apart may travel in one batch) are bounded;
 * the rest are exact.
 */

jest.setTimeout(240_000);

let run: CostRun;

beforeAll(async () => {
  run = await measureConfirmedAndDeclined();
}, 240_000);

const pathNamed = (name: string) => pathOf(run, name);

const transitions = (usage: Usage, machine: RegExp): number =>
  Object.entries(usage.stateMachines)
    .filter(([name]) => machine.test(name))
    .reduce((sum, [, m]) => sum + m.transitions, 0);

describe('what one order makes AWS bill, counted by the meter', () => {
  it('a confirmed order: 4 transitions, 9 invocations, 2 events, 1 pipe request, 2 HTTP requests', () => {
    const { usage } = pathNamed('confirmed');

    // ReserveInventory → ChargePayment → CreateShipment → PublishOrderConfirmed (events:putEvents; the last state).
    expect(transitions(usage, /^OrderSaga/)).toBe(4);
    expect(invocations(usage)).toEqual({
      OrdersApi: 2, // POST /orders, GET /orders/{id}
      CatalogGetPrices: 1, // the prices of POST /orders
      OrdersPublishOrderPlaced: 1, // the orders outbox's enrichment
      OrderSagaStarter: 1, // OrderPlaced, from its queue
      InventoryReserveInventory: 1,
      PaymentsChargePayment: 1,
      ShippingCreateShipment: 1,
      OrdersStatusConsumer: 1, // OrderConfirmed, from its queue
      // No StockChanged: the reservation took one unit of plenty (100,000 → 99,999), which is no news to the catalog.
    });
    // OrderPlaced, OrderConfirmed.
    expect(usage.events).toBe(2);
    // One record past the orders outbox's filter (the new order); the stock change does not pass the inventory outbox's.
    expect(usage.pipeRequests).toBe(1);
    expect(usage.apiRequests).toBe(2);
    // Two queued consumers (the saga starter, the status consumer): a send, a receive and a delete each.
    expect(usage.sqsRequests).toBe(6);
    // Trace roots Lambda starts itself: none, every function being PassThrough (with Active tracing, each of the
    // 2 HTTP requests, 2 pipe enrichments and 3 queue batches would start one).
    expect(usage.traces).toBe(0);
    // The saga's execution, traced by X-Ray at its sampling rule's fixed rate (5 %, no reservoir): an expected 0.05 trace.
    expect(Object.values(usage.sampledTraces)).toEqual([{ executions: 1, traces: expect.closeTo(0.05, 12) as number, fixedRate: 0.05, reservoirSize: 0 }]);
    const writes = Object.values(usage.tables).reduce((sum, t) => sum + t.writeUnits, 0);
    const reads = Object.values(usage.tables).reduce((sum, t) => sum + t.readUnits, 0);
    expect(writes).toBeGreaterThan(0);
    expect(reads).toBeGreaterThan(0);
  });

  it('a declined order: 5 transitions, the reservation released (no StockChanged either way), OrderCancelled instead of OrderConfirmed', () => {
    const { usage } = pathNamed('declined');

    // ReserveInventory → ChargePayment (caught) → PaymentDeclined (Pass) → ReleaseInventory → PublishOrderCancelled (the last state).
    expect(transitions(usage, /^OrderSaga/)).toBe(5);
    expect(invocations(usage)).toEqual({
      OrdersApi: 2,
      CatalogGetPrices: 1,
      OrdersPublishOrderPlaced: 1,
      OrderSagaStarter: 1,
      InventoryReserveInventory: 1,
      PaymentsChargePayment: 1,
      InventoryReleaseInventory: 1,
      OrdersStatusConsumer: 1, // OrderCancelled
    });
    // OrderPlaced, OrderCancelled.
    expect(usage.events).toBe(2);
    expect(usage.pipeRequests).toBe(1);
    expect(usage.apiRequests).toBe(2);
  });

  it('prices each path, and the confirmed order below the compensated one', () => {
    const confirmed = pathNamed('confirmed');
    const declined = pathNamed('declined');

    expect(confirmed.perMillion).toBeGreaterThan(0);
    expect(confirmed.perMillion).toBeLessThan(declined.perMillion);
    // Standard transitions are $25 per million: 4 of them are $100 per million orders.
    expect(confirmed.bill.find((line) => line.component === 'Step Functions')?.usd).toBeCloseTo(0.0001, 9);
    expect(run.blended).toBeCloseTo(confirmed.perMillion * 0.9 + declined.perMillion * 0.04, 6);
  });
});
