import type { CostRun } from '../../bench/cost/run-cost';
import { byName, invocations, measureConfirmedAndDeclined, pathNamed as pathOf } from '../support/cost-run';

/*
 * The cost meter against the shop with the Express saga (-c saga=express):
 * one happy and one compensated order through a fresh local cloud, counted
 * by hand from the template and the code. What changes from the Standard
 * count (cost-run.test.ts): no transitions but one Express execution each,
 * billed by duration; no starter function and no starter queue (the rule
 * starts the state machine); the claim and its outcome, two writes to the
 * saga's claims table.
 */

jest.setTimeout(240_000);

let run: CostRun;

beforeAll(async () => {
  run = await measureConfirmedAndDeclined('express');
}, 240_000);

const pathNamed = (name: string) => pathOf(run, name);

describe('what one order makes AWS bill with the Express saga, counted by the meter', () => {
  it('runs the Express saga', () => {
    expect(run.saga).toBe('express');
  });

  it('a confirmed order: one Express execution billed by its duration, 8 invocations, 3 SQS requests, the claim written twice', () => {
    const { usage } = pathNamed('confirmed');

    const saga = byName(usage.stateMachines).OrderSagaStateMachine;
    // ClaimOrder → ReserveInventory → ChargePayment → CreateShipment → PublishOrderConfirmed → RecordConfirmed, one execution.
    expect(saga).toMatchObject({ type: 'EXPRESS', executions: 1 });
    // Billed by duration, rounded up to 100 ms, at 64 MB: 0.1 s is 0.00625 GB-s.
    expect(saga?.billedMs).toBeGreaterThanOrEqual(100);
    expect((saga?.billedMs ?? 1) % 100).toBe(0);
    expect(saga?.gbSeconds).toBeCloseTo(((saga?.billedMs ?? 0) / 1000) * (64 / 1024), 9);
    expect(invocations(usage)).toEqual({
      OrdersApi: 2, // POST /orders, GET /orders/{id}
      CatalogGetPrices: 1,
      OrdersPublishOrderPlaced: 1, // the orders outbox's enrichment
      InventoryReserveInventory: 1,
      PaymentsChargePayment: 1,
      ShippingCreateShipment: 1,
      OrdersStatusConsumer: 1, // OrderConfirmed, from its queue
      // No StockChanged: one unit of plenty taken is no news to the catalog.
    });
    // One queued consumer (status): a send, a receive and a delete. No starter queue.
    expect(usage.sqsRequests).toBe(3);
    expect(usage.events).toBe(2);
    expect(usage.pipeRequests).toBe(1);
    // ClaimOrder (a PutItem) and RecordConfirmed (an UpdateItem) of an item under 1 KB: a write unit each.
    expect(byName(usage.tables).OrderSagaClaimsTable).toEqual({ readUnits: 0, writeUnits: 2 });
    // One sampled trace: the execution, at the sampling rule's 5 %.
    expect(usage.traces).toBe(0);
    expect(Object.values(usage.sampledTraces)).toEqual([{ executions: 1, traces: expect.closeTo(0.05, 12) as number, fixedRate: 0.05, reservoirSize: 0 }]);
  });

  it('a declined order: still one execution, the reservation released, the cancellation recorded on the claim', () => {
    const { usage } = pathNamed('declined');

    expect(byName(usage.stateMachines).OrderSagaStateMachine).toMatchObject({ type: 'EXPRESS', executions: 1 });
    expect(invocations(usage)).toEqual({
      OrdersApi: 2,
      CatalogGetPrices: 1,
      OrdersPublishOrderPlaced: 1,
      InventoryReserveInventory: 1,
      PaymentsChargePayment: 1,
      InventoryReleaseInventory: 1,
      OrdersStatusConsumer: 1, // OrderCancelled
    });
    expect(byName(usage.tables).OrderSagaClaimsTable).toEqual({ readUnits: 0, writeUnits: 2 });
  });

  it('prices Step Functions per execution and duration, not per transition', () => {
    const confirmed = pathNamed('confirmed');
    const saga = byName(confirmed.usage.stateMachines).OrderSagaStateMachine;
    // $1.00 per million requests + $0.00001667 per GB-s.
    const expected = 1 / 1_000_000 + (saga?.gbSeconds ?? 0) * 0.00001667;
    expect(confirmed.bill.find((line) => line.component === 'Step Functions')?.usd).toBeCloseTo(expected, 12);
    expect(confirmed.perMillion).toBeLessThan(pathNamed('declined').perMillion);
  });
});
