import { setTimeout as sleep } from 'node:timers/promises';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { eventually } from './support/eventually';
import { ShopClient, type ApiReply } from './support/shop-client';
import { Lifecycle } from './support/lifecycle';
import { CollectedLog, sagaContext, sagaTypeUnderTest, type Caller } from './support/target';

/*
 * The moments of the order lifecycle only the local cloud's faults can make
 * (a slow saga starter, a slow CreateShipment, shipping down), never code in
 * the shop: a customer cancelling before the saga runs, while it runs, and
 * while shipping is down (the reconciler then finishes the request). IAM
 * strict. Local cloud only: a deployed stack cannot be slowed on purpose;
 * the scenarios that need no fault are in lifecycle.e2e.test.ts.
 */

jest.setTimeout(120_000);

let fresh: FreshLocalCloud;
let shop: ShopClient;
let life: Lifecycle;
let alice: Caller;
const collected = new CollectedLog();

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.01, iam: 'strict', ...sagaContext() });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 30_000, diagnostics: (id) => collected.describe(id) });
  const mint = (name: string, groups: string[] = []): Caller => ({ name, token: fresh.cloud.issuer.mint({ username: `${name}@example.com`, groups }).token });
  alice = mint('alice');
  life = new Lifecycle(shop, alice, mint('admin', ['admin']), 30_000, () => collected.describe());
}, 240_000);

afterAll(async () => {
  await fresh?.stop();
}, 60_000);

describe('a customer cancels an order at a moment faults make', () => {
  it('before its saga runs: the shipment is cancelled before it exists, and the saga, when it comes, undoes its own charge and reservation', async () => {
    // Prepare: the saga starter is slow (3 s before it runs), so the saga starts well after the cancellation. An Express
    // saga has no starter (its rule starts it): its first step with a side effect, ReserveInventory, is the slow one.
    const product = await life.stockedProduct('before');
    const slowStart = sagaTypeUnderTest() === 'express' ? 'InventoryReserveInventory*' : 'OrderSagaStarter*';
    let orderId = '';
    let answer: ApiReply | undefined;

    // Act
    await fresh.cloud.withFaults({ functions: { [slowStart]: { latencyRate: 1, latencyMs: 3000 } } }, async () => {
      orderId = (await shop.placeAcceptedOrder(alice, life.order(product))).orderId;
      answer = await shop.requestCancellation(alice, orderId);
      // Long enough for the starter's invocation to have begun (and drawn its latency) under the fault.
      await sleep(1500);
    });

    // Assess: accepted while still PENDING, and the request shows.
    expect(answer).toMatchObject({ status: 202, body: { orderId, status: 'PENDING', cancellationRequestedAt: expect.any(String) } });
    await life.expectFullyCancelled(orderId, product);
    // The saga ran once released: it reserved and charged, found the shipment cancelled, and undid both itself.
    expect(await shop.details(alice, orderId)).toMatchObject({ payment: { status: 'REFUNDED' }, shipment: { status: 'CANCELLED' } });
  });

  it('while its saga runs: whatever the saga did is undone, once', async () => {
    // Prepare: CreateShipment is slow, so the cancellation arrives while the saga is at it.
    const product = await life.stockedProduct('during');
    let orderId = '';
    let answer: ApiReply | undefined;

    // Act
    await fresh.cloud.withFaults({ functions: { 'ShippingCreateShipment*': { latencyRate: 1, latencyMs: 1500 } } }, async () => {
      orderId = (await shop.placeAcceptedOrder(alice, life.order(product))).orderId;
      await eventually('the charge', () => shop.details(alice, orderId), (d) => d.payment?.status === 'CAPTURED', { timeoutMs: 20_000, diagnostics: () => collected.describe() });
      answer = await shop.requestCancellation(alice, orderId);
      await life.waitFor(orderId, 'cancelled', (o) => o.status === 'CANCELLED');
    });

    // Assess
    expect(answer?.status).toBe(202);
    await life.expectFullyCancelled(orderId, product);
    expect((await shop.details(alice, orderId)).payment?.status).toBe('REFUNDED');
  });

  it('while shipping is down: 503 DEPENDENCY_UNAVAILABLE, the request stays recorded, and the reconciler finishes it', async () => {
    // Prepare
    const product = await life.stockedProduct('outage');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));
    await shop.outcomeOf(alice, placed);

    // Act: the cancellation's first step fails; then the reconciler runs, as its schedule would, once shipping is back.
    const answer = await fresh.cloud.withFaults({ functions: { 'ShippingCancelShipment*': { errorRate: 1 } } }, () => life.cancel(alice, placed.orderId));
    const recorded = await shop.order(alice, placed.orderId);
    const reconciler = fresh.cloud.runtime.functions().find((fn) => fn.name.startsWith('OrdersReconcilerFunction'));
    const run = await fresh.cloud.runtime.invoke(reconciler?.arn ?? 'no reconciler', { olderThanSeconds: 0, limit: 100 });

    // Assess
    expect(answer).toMatchObject({ status: 503, contentType: 'application/problem+json', body: { code: 'DEPENDENCY_UNAVAILABLE' } });
    expect(recorded).toMatchObject({ status: 'CONFIRMED', cancellationRequestedAt: expect.any(String) });
    expect(run).toMatchObject({ ok: true, payload: { actions: { 'cancellation-started': 1, failed: 0 } } });
    await life.expectFullyCancelled(placed.orderId, product);
  });

});
