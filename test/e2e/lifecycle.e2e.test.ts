import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { eventually } from './support/eventually';
import { bodyAs, orderViewSchema, problemSchema, ShopClient, type ApiReply, type OrderRequest, type OrderView } from './support/shop-client';
import { CollectedLog, type Caller } from './support/target';

/*
 * The order lifecycle over HTTP, on the local cloud with IAM strict: a
 * customer cancelling at every moment (before the saga runs, while it runs,
 * once the order is confirmed, twice, someone else's, too late) and a carrier
 * shipping and delivering. Every cancelled order is checked the way its
 * owner could check it: its payment refunded or never captured and its
 * shipment cancelled or absent (GET /orders/{id}/details), its stock back on
 * sale (GET /inventory/{id}). Moments are made with the local cloud's faults
 * (a slow saga starter, a slow CreateShipment, shipping down), never with
 * code in the shop.
 */

jest.setTimeout(120_000);

const run = randomBytes(3).toString('hex');
let fresh: FreshLocalCloud;
let shop: ShopClient;
let alice: Caller;
let bob: Caller;
let admin: Caller;
let carrier: Caller;
const collected = new CollectedLog();

const STOCK = 20;

/** A product of this run with {@link STOCK} units, so each scenario can check its own stock comes back. */
const stockedProduct = async (name: string): Promise<string> => {
  const id = `life-${run}-${name}`;
  await shop.stockProduct(admin, { id, name, price: { amount: 900, currency: 'EUR' } }, STOCK);
  return id;
};

const order = (productId: string, quantity = 2): OrderRequest => ({
  items: [{ productId, quantity }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

const cancel = (caller: Caller, orderId: string): Promise<ApiReply> => shop.call('POST', `/orders/${orderId}/cancel`, { as: caller });

const waitFor = (caller: Caller, orderId: string, what: string, done: (order: OrderView) => boolean): Promise<OrderView> =>
  eventually(`order ${orderId} ${what}`, () => shop.order(caller, orderId), done, { timeoutMs: 30_000, diagnostics: () => collected.describe() });

/**
 * What a customer can see of a cancelled order: CANCELLED with the reason,
 * its money not kept (never captured, voided or refunded), its shipment
 * cancelled or never made, and every unit back on sale.
 */
const expectFullyCancelled = async (orderId: string, productId: string, onSale = STOCK): Promise<void> => {
  const cancelled = await waitFor(alice, orderId, 'cancelled', (o) => o.status === 'CANCELLED');
  expect(cancelled.cancellationReason).toBe('CUSTOMER_REQUEST');
  expect(cancelled.statusHistory.filter((entry) => entry.status === 'CANCELLED')).toHaveLength(1);
  const details = await shop.details(alice, orderId);
  expect({ payment: details.payment === null ? 'never charged' : details.payment.status }).toEqual({ payment: expect.stringMatching(/^(never charged|REFUNDED|VOIDED|DECLINED)$/) });
  expect({ shipment: details.shipment === null ? 'none' : details.shipment.status }).toEqual({ shipment: expect.stringMatching(/^(none|CANCELLED)$/) });
  expect(await shop.stockOf(alice, productId)).toBe(onSale);
};

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.01, iam: 'strict' });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 30_000, diagnostics: (id) => collected.describe(id) });
  const mint = (name: string, groups: string[] = []): Caller => ({ name, token: fresh.cloud.issuer.mint({ username: `${name}@example.com`, groups }).token });
  alice = mint('alice');
  bob = mint('bob');
  admin = mint('admin', ['admin']);
  carrier = mint('carrier', ['carrier']);
}, 240_000);

afterAll(async () => {
  await fresh?.stop();
}, 60_000);

describe('a customer cancels an order', () => {
  it('before its saga runs: the shipment is cancelled before it exists, and the saga, when it comes, undoes its own charge and reservation', async () => {
    // Prepare: the saga starter is slow (3 s before it runs), so the saga starts well after the cancellation.
    const product = await stockedProduct('before');
    let orderId = '';
    let answer: ApiReply | undefined;

    // Act
    await fresh.cloud.withFaults({ functions: { 'OrderSagaStarter*': { latencyRate: 1, latencyMs: 3000 } } }, async () => {
      orderId = (await shop.placeAcceptedOrder(alice, order(product))).orderId;
      answer = await cancel(alice, orderId);
      // Long enough for the starter's invocation to have begun (and drawn its latency) under the fault.
      await sleep(1500);
    });

    // Assess: accepted while still PENDING, and the request shows.
    expect(answer).toMatchObject({ status: 202, body: { orderId, status: 'PENDING', cancellationRequestedAt: expect.any(String) } });
    await expectFullyCancelled(orderId, product);
    // The saga ran once released: it reserved and charged, found the shipment cancelled, and undid both itself.
    expect(await shop.details(alice, orderId)).toMatchObject({ payment: { status: 'REFUNDED' }, shipment: { status: 'CANCELLED' } });
  });

  it('while its saga runs: whatever the saga did is undone, once', async () => {
    // Prepare: CreateShipment is slow, so the cancellation arrives while the saga is at it.
    const product = await stockedProduct('during');
    let orderId = '';
    let answer: ApiReply | undefined;

    // Act
    await fresh.cloud.withFaults({ functions: { 'ShippingCreateShipment*': { latencyRate: 1, latencyMs: 1500 } } }, async () => {
      orderId = (await shop.placeAcceptedOrder(alice, order(product))).orderId;
      await eventually('the charge', () => shop.details(alice, orderId), (d) => d.payment?.status === 'CAPTURED', { timeoutMs: 20_000, diagnostics: () => collected.describe() });
      answer = await cancel(alice, orderId);
      await waitFor(alice, orderId, 'cancelled', (o) => o.status === 'CANCELLED');
    });

    // Assess
    expect(answer?.status).toBe(202);
    await expectFullyCancelled(orderId, product);
    expect((await shop.details(alice, orderId)).payment?.status).toBe('REFUNDED');
  });

  it('once CONFIRMED: its shipment is cancelled and the cancellation refunds and releases', async () => {
    // Prepare
    const product = await stockedProduct('confirmed');
    const placed = await shop.placeAcceptedOrder(alice, order(product));
    expect((await shop.outcomeOf(alice, placed)).status).toBe('CONFIRMED');
    expect(await shop.stockOf(alice, product)).toBe(STOCK - 2);

    // Act
    const answer = await cancel(alice, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 202, location: `/orders/${placed.orderId}`, body: { status: 'CONFIRMED', cancellationRequestedAt: expect.any(String) } });
    await expectFullyCancelled(placed.orderId, product);
    const details = await shop.details(alice, placed.orderId);
    expect(details.payment?.status).toBe('REFUNDED');
    expect(details.shipment?.status).toBe('CANCELLED');
    expect(details.order.statusHistory.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'CANCELLED']);
  });

  it('twice: the second answer is the first, and nothing runs twice', async () => {
    // Prepare
    const product = await stockedProduct('twice');
    const placed = await shop.placeAcceptedOrder(alice, order(product));
    await shop.outcomeOf(alice, placed);

    // Act
    const [first, second] = await Promise.all([cancel(alice, placed.orderId), cancel(alice, placed.orderId)]);
    await expectFullyCancelled(placed.orderId, product);
    const afterwards = await cancel(alice, placed.orderId);

    // Assess
    expect([first?.status, second?.status, afterwards.status]).toEqual([202, 202, 202]);
    const requestedAt = bodyAs(orderViewSchema, afterwards).cancellationRequestedAt;
    expect(requestedAt).toEqual(expect.any(String));
    expect([first, second].map((reply) => bodyAs(orderViewSchema, reply as ApiReply).cancellationRequestedAt)).toContain(requestedAt);
    expect(bodyAs(orderViewSchema, afterwards)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_REQUEST' });
  });

  it("of someone else: 404 as for a missing order, and the order goes on", async () => {
    // Prepare
    const product = await stockedProduct('not-yours');
    const placed = await shop.placeAcceptedOrder(alice, order(product));

    // Act
    const answer = await cancel(bob, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 404, contentType: 'application/problem+json', body: { code: 'ORDER_NOT_FOUND' } });
    expect((await shop.outcomeOf(alice, placed)).status).toBe('CONFIRMED');
    expect((await shop.order(alice, placed.orderId)).cancellationRequestedAt).toBeUndefined();
  });

  it('once SHIPPED: 409 ORDER_NOT_CANCELLABLE, and the order, its money and its stock stay as they are', async () => {
    // Prepare
    const product = await stockedProduct('shipped');
    const placed = await shop.placeAcceptedOrder(alice, order(product));
    await shop.outcomeOf(alice, placed);
    expect((await shop.call('POST', `/shipments/shp-${placed.orderId}/ship`, { as: carrier })).status).toBe(200);
    await waitFor(alice, placed.orderId, 'shipped', (o) => o.status === 'SHIPPED');

    // Act
    const answer = await cancel(alice, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 409, contentType: 'application/problem+json' });
    expect(bodyAs(problemSchema, answer).code).toBe('ORDER_NOT_CANCELLABLE');
    const details = await shop.details(alice, placed.orderId);
    expect([details.order.status, details.order.cancellationRequestedAt, details.payment?.status, details.shipment?.status]).toEqual(['SHIPPED', undefined, 'CAPTURED', 'SHIPPED']);
    expect(await shop.stockOf(alice, product)).toBe(STOCK - 2);
  });

  it('while shipping is down: 503 DEPENDENCY_UNAVAILABLE, the request stays recorded, and the reconciler finishes it', async () => {
    // Prepare
    const product = await stockedProduct('outage');
    const placed = await shop.placeAcceptedOrder(alice, order(product));
    await shop.outcomeOf(alice, placed);

    // Act: the cancellation's first step fails; then the reconciler runs, as its schedule would, once shipping is back.
    const answer = await fresh.cloud.withFaults({ functions: { 'ShippingCancelShipment*': { errorRate: 1 } } }, () => cancel(alice, placed.orderId));
    const recorded = await shop.order(alice, placed.orderId);
    const reconciler = fresh.cloud.runtime.functions().find((fn) => fn.name.startsWith('OrdersReconcilerFunction'));
    const run = await fresh.cloud.runtime.invoke(reconciler?.arn ?? 'no reconciler', { olderThanSeconds: 0, limit: 100 });

    // Assess
    expect(answer).toMatchObject({ status: 503, contentType: 'application/problem+json', body: { code: 'DEPENDENCY_UNAVAILABLE' } });
    expect(recorded).toMatchObject({ status: 'CONFIRMED', cancellationRequestedAt: expect.any(String) });
    expect(run).toMatchObject({ ok: true, payload: { actions: { 'cancellation-started': 1, failed: 0 } } });
    await expectFullyCancelled(placed.orderId, product);
  });

  it('already cancelled by the saga (out of stock): 202 with the order as it is', async () => {
    const product = await stockedProduct('short');
    const placed = await shop.placeAcceptedOrder(alice, order(product, STOCK + 1));
    expect((await shop.outcomeOf(alice, placed)).cancellationReason).toBe('OUT_OF_STOCK');
    const answer = await cancel(alice, placed.orderId);
    expect(answer).toMatchObject({ status: 202, body: { status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' } });
    expect(await shop.stockOf(alice, product)).toBe(STOCK);
  });
});

describe('a carrier ships and delivers an order', () => {
  it('moves it CONFIRMED → SHIPPED → DELIVERED, each step idempotent, and a cancelled shipment cannot be shipped', async () => {
    // Prepare
    const product = await stockedProduct('ship');
    const placed = await shop.placeAcceptedOrder(alice, order(product));
    await shop.outcomeOf(alice, placed);
    const shipmentId = `shp-${placed.orderId}`;

    // Act
    const shipped = await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: carrier });
    const shippedAgain = await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: admin });
    await waitFor(alice, placed.orderId, 'shipped', (o) => o.status === 'SHIPPED');
    const delivered = await shop.call('POST', `/shipments/${shipmentId}/deliver`, { as: carrier });
    const deliveredAgain = await shop.call('POST', `/shipments/${shipmentId}/deliver`, { as: carrier });
    const done = await waitFor(alice, placed.orderId, 'delivered', (o) => o.status === 'DELIVERED');

    // Assess
    expect(shipped).toMatchObject({ status: 200, body: { shipmentId, status: 'SHIPPED', shippedAt: expect.any(String) } });
    expect(shippedAgain.body).toEqual(shipped.body);
    expect(delivered).toMatchObject({ status: 200, body: { status: 'DELIVERED', shippedAt: (shipped.body as { shippedAt: string }).shippedAt } });
    expect(deliveredAgain.body).toEqual(delivered.body);
    expect(done.statusHistory.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);
    expect((await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: carrier })).status).toBe(409);
    expect((await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: alice })).status).toBe(403);

    // A cancelled order's shipment: the carrier is refused.
    const other = await shop.placeAcceptedOrder(alice, order(product));
    await shop.outcomeOf(alice, other);
    expect((await cancel(alice, other.orderId)).status).toBe(202);
    const refused = await shop.call('POST', `/shipments/shp-${other.orderId}/ship`, { as: carrier });
    expect(refused).toMatchObject({ status: 409, body: { code: 'SHIPMENT_CANCELLED' } });
    await expectFullyCancelled(other.orderId, product, STOCK - 2);
  });
});
