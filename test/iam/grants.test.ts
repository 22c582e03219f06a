import { randomUUID } from 'node:crypto';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { unusedGrants, type UnusedGrant } from '../../local/iam/coverage';
import type { FaultConfig } from '../../local/faults';
import { eventually } from '../e2e/support/eventually';
import { ShopClient, type Address, type OrderRequest } from '../e2e/support/shop-client';
import { CollectedLog, sagaContext, sagaTypeUnderTest, type Caller } from '../e2e/support/target';

/*
 * Proves the template grants exactly what the code calls. One run of the
 * shop's paths — every route, every saga path, every dead-letter queue — on
 * the local cloud with IAM strict records, for each allowed call, the
 * statements that allowed it. Then:
 * - no call was denied (every needed grant is present), and
 * - every action/resource pair of every role's statements (and of every
 *   trust policy and Lambda permission) allowed some call on its own, so
 *   removing it would deny that call (no grant is unused).
 * `test/iam/grant-removal.test.ts` removes a few statements for real and
 * shows the recording predicts what fails. `grants-express.test.ts` runs it
 * again on the template with the Express saga (SHOP_SAGA_TYPE=express): its
 * claims, its rule's role, its hand-over to the repair.
 */

jest.setTimeout(240_000);

let fresh: FreshLocalCloud;
let shop: ShopClient;
let admin: Caller;
let alice: Caller;
const collected = new CollectedLog();

const address = (country = 'US'): Address => ({ name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country });
const order = (productId: string, quantity: number, overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  items: [{ productId, quantity }],
  paymentToken: 'tok_visa',
  shippingAddress: address(),
  ...overrides,
});

/** The dead-letter queue whose logical id starts with `prefix` (the hash CDK appends is left out). */
const deadLetters = (prefix: string) => {
  const [queue, ...others] = [...fresh.cloud.queueLogicalIds()].filter((id) => id.startsWith(prefix) && /^[A-Za-z]+[0-9A-F]{8}$/.test(id));
  if (!queue || others.length > 0) throw new Error(`expected one queue named ${prefix}…, found ${[queue, ...others].join(', ')}`);
  return () => fresh.cloud.queueMessages(queue);
};

const waitForDeadLetter = (prefix: string, atLeast = 1) =>
  eventually(`${atLeast} message(s) in ${prefix}`, async () => deadLetters(prefix)().length, (count) => count >= atLeast, {
    timeoutMs: 90_000,
    diagnostics: () => collected.describe(),
  });

/** Places an order while `faults` break some functions, and waits for what must follow. */
const withFaults = (faults: FaultConfig['functions'], work: () => Promise<unknown>) => fresh.cloud.withFaults({ functions: faults }, work);

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.002, iam: 'strict', failOnDenials: false, ...sagaContext() });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 20_000, diagnostics: (id) => collected.describe(id) });
  admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
}, 240_000);

afterAll(async () => {
  await fresh?.stop();
});

describe('the template grants exactly what the code calls', () => {
  beforeAll(async () => {
    // Every route.
    expect((await shop.call('GET', '/health')).status).toBe(200);
    expect((await shop.call('GET', '/ready')).status).toBe(200);
    await shop.stockProduct(admin, { id: 'iam-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 50);
    expect((await shop.call('PUT', '/products/iam-mug', { as: admin, json: { name: 'Big mug', price: { amount: 1300, currency: 'EUR' } } })).status).toBe(200);
    expect((await shop.call('GET', '/products')).status).toBe(200);
    expect((await shop.call('GET', '/products?category=test')).status).toBe(200);
    expect((await shop.call('GET', '/products/iam-mug')).status).toBe(200);
    // Stock reaches the catalog through inventory's outbox pipe, the bus and catalog's queued consumer.
    await shop.availableReaches('iam-mug', 50);
    await shop.stockProduct(admin, { id: 'iam-gone', name: 'Gone', price: { amount: 100, currency: 'EUR' } }, 1);
    expect((await shop.call('DELETE', '/products/iam-gone', { as: admin })).status).toBe(204);
    expect(await shop.stockOf(alice, 'iam-mug')).toBe(50);

    // Every saga path that needs no fault: confirmed then delivered, out of stock, declined, unserved, technical.
    const confirmed = await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
    expect((await shop.outcomeOf(alice, confirmed)).status).toBe('CONFIRMED');
    const details = await shop.details(alice, confirmed.orderId);
    expect((await shop.call('POST', `/shipments/${details.shipment?.shipmentId ?? ''}/deliver`, { as: admin })).status).toBe(200);
    await shop.reachedStatus(alice, confirmed, 'DELIVERED');
    expect((await shop.call('GET', '/orders', { as: alice })).status).toBe(200);
    expect((await shop.call('POST', `/shipments/shp-${randomUUID()}/deliver`, { as: admin })).status).toBe(404);
    // A saga task retried after its answer was lost finds its own earlier write (CreateShipment reads it back).
    const createShipment = fresh.cloud.runtime.functions().find((fn) => fn.name.startsWith('ShippingCreateShipment'));
    const retried = await fresh.cloud.runtime.invoke(createShipment?.arn ?? 'missing', {
      orderId: confirmed.orderId,
      correlationId: 'iam-retry',
      address: address(),
      items: [{ productId: 'iam-mug', quantity: 1 }],
    });
    expect(retried).toMatchObject({ ok: true, payload: { shipmentId: details.shipment?.shipmentId } });
    const failures = await Promise.all(
      [order('iam-mug', 999), order('iam-mug', 1, { paymentToken: 'tok_decline' }), order('iam-mug', 1, { shippingAddress: address('AQ') }), order('iam-mug', 1, { paymentToken: 'tok_unavailable' })].map(
        async (request) => shop.outcomeOf(alice, await shop.placeAcceptedOrder(alice, request)),
      ),
    );
    expect(failures.map((o) => o.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED', 'CANCELLED']);

    // An invalid order with an Idempotency-Key gives its key back (DeleteItem), so nothing is left written.
    expect((await shop.placeOrder(alice, order('iam-no-such-product', 1), 'iam-invalid-key')).status).toBe(422);

    // The lifecycle: a carrier ships; a customer cancels a confirmed order (CancelShipment, then the cancellation state machine).
    const toShip = await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
    await shop.outcomeOf(alice, toShip);
    expect((await shop.call('POST', `/shipments/shp-${toShip.orderId}/ship`, { as: admin })).status).toBe(200);
    const toCancel = await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
    await shop.outcomeOf(alice, toCancel);
    expect((await shop.call('POST', `/orders/${toCancel.orderId}/cancel`, { as: alice })).status).toBe(202);
    await shop.reachedStatus(alice, toCancel, 'CANCELLED');

    // A service call that fails is counted against its callee's circuit breaker (BREAKER#… in the orders table);
    // the next success resets the count.
    await withFaults({ 'CatalogGetPrices*': { errorRate: 1 } }, async () => {
      expect((await shop.placeOrder(alice, order('iam-mug', 1))).status).toBe(503);
    });

    // The query functions log nothing when all goes well (INFO lines only, Lambda's own lines dropped at WARN), but
    // they still need their log group: for what they log when a caller breaks their contract.
    for (const prefix of ['CatalogGetPrices', 'PaymentsGetPayment', 'ShippingGetShipment']) {
      const fn = fresh.cloud.runtime.functions().find((candidate) => candidate.name.startsWith(prefix));
      if (!fn) throw new Error(`the template has no ${prefix} function`);
      expect(await fresh.cloud.runtime.invoke(fn.arn, { unexpected: true })).toMatchObject({ ok: false });
    }

    // The paths only failures take: a shipment that fails after the charge (CancelShipment), and every dead-letter queue.
    await withFaults({ 'ShippingCreateShipment*': { errorRate: 1 }, 'OrdersStatusConsumer*': { errorRate: 1 } }, async () => {
      await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
      await waitForDeadLetter('EventsOrderStatusConsumerDeadLetters');
    });
    const express = sagaTypeUnderTest() === 'express';
    // A saga that never starts: the Standard saga's starter fails; an Express saga has none (its rule starts it), so
    // OrderPlaced is kept from the bus instead.
    const [neverStarts, itsDeadLetters] = express ? ['OrdersPublishOrderPlaced*', 'EventsOrdersOutboxDeadLetters'] : ['OrderSagaStarter*', 'EventsStartOrderSagaStarterDeadLetters'];
    await withFaults({ [neverStarts]: { errorRate: 1 } }, async () => {
      // One at a time: the outbox may park both orders' records in one batch or each in its own, and an order whose
      // record is still being retried when the fault ends would get its saga after all.
      await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
      await waitForDeadLetter(itsDeadLetters);
      // Cancelled before any saga: CancelShipment writes the shipment cancelled in its place; the reconciler finishes it.
      const cancelledEarly = await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
      expect((await shop.call('POST', `/orders/${cancelledEarly.orderId}/cancel`, { as: alice })).status).toBe(202);
      await waitForDeadLetter(itsDeadLetters, 2);
    });
    if (!express) {
      await withFaults({ 'OrdersPublishOrderPlaced*': { errorRate: 1 } }, async () => {
        await shop.placeAcceptedOrder(alice, order('iam-mug', 1));
        await waitForDeadLetter('EventsOrdersOutboxDeadLetters');
      });
    } else {
      // An Express saga's compensation that outlasts its retries: the saga hands the order to the repair (the
      // cancellation state machine), which finishes once the release works again.
      let handedOver = '';
      await withFaults({ 'InventoryReleaseInventory*': { errorRate: 1 } }, async () => {
        handedOver = (await shop.placeAcceptedOrder(alice, order('iam-mug', 1, { paymentToken: 'tok_decline' }))).orderId;
        await eventually('the hand-over to the repair', async () => collected.count(/HandToRepair ✓/), (count) => count > 0, { timeoutMs: 60_000, diagnostics: () => collected.describe() });
      });
      await shop.reachedStatus(alice, { orderId: handedOver }, 'CANCELLED');
    }
    await withFaults({ 'InventoryPublishStockChanged*': { errorRate: 1 } }, async () => {
      // A count of 10 or fewer is news to the catalog, so the outbox publishes it.
      await shop.setStock(admin, 'iam-mug', 5);
      await waitForDeadLetter('EventsInventoryOutboxDeadLetters');
    });

    // The reconciler: its schedule's permission, then a run over the orders the dead letters left behind
    // (a saga never started: start it; a saga that cancelled unheard: apply its outcome; a cancellation whose
    // saga never started: start the cancellation state machine).
    const reconciler = fresh.cloud.runtime.functions().find((fn) => fn.name.startsWith('OrdersReconcilerFunction'));
    const schedule = fresh.cloud.scheduledRuleLogicalIds().find((id) => id.startsWith('OrdersReconcilerSchedule'));
    if (!reconciler || !schedule) throw new Error('the template has no order reconciler');
    fresh.cloud.fireSchedule(schedule);
    const run = await fresh.cloud.runtime.invoke(reconciler.arn, { olderThanSeconds: 0, limit: 100 });
    expect(run).toMatchObject({ ok: true, payload: { actions: { 'saga-started': express ? 1 : 2, cancelled: 1, 'cancellation-started': 1, failed: 0 } } });
  }, 200_000);

  it('denies nothing the shop calls', () => {
    const denials = fresh.cloud.iam.authorizer.denials.map((denial) => `${denial.hop ?? ''}: ${denial.message}`);

    expect(denials).toEqual([]);
  });

  it('grants nothing the shop does not call', () => {
    const unused = unusedGrants(fresh.cloud.iam.model, fresh.cloud.iam.authorizer.grants()).filter(
      (grant) => grant.source.resourceType !== 'AWS::SQS::QueuePolicy',
    );

    expect(unused.map(describeGrant)).toEqual([]);
  });
});

const describeGrant = (grant: UnusedGrant): string => `${grant.source.logicalId} ${grant.source.path}: ${grant.action} on ${grant.resource}`;
