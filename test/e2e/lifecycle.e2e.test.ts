import { bodyAs, orderViewSchema, problemSchema, ShopClient, type ApiReply } from './support/shop-client';
import { LIFECYCLE_STOCK, Lifecycle } from './support/lifecycle';
import { isRemoteTarget, startShopTarget, type Caller, type ShopTarget } from './support/target';

/*
 * The order lifecycle over HTTP only, as its customers and carriers see it:
 * a customer cancelling a confirmed order, twice, someone else's, too late
 * (shipped), or one the saga already cancelled; a carrier shipping and
 * delivering. Every cancelled order is checked the way its owner could check
 * it: its payment refunded or never captured and its shipment cancelled or
 * absent (GET /orders/{id}/details), its stock back on sale (GET
 * /inventory/{id}). Runs on the local cloud by default, on a deployed stack
 * when SHOP_API_URL is set (the admin ships there, standing in for a
 * carrier). The moments only faults can make — a cancellation before or
 * during the saga, shipping down — are in lifecycle-faults.e2e.test.ts.
 */

const remote = isRemoteTarget();
jest.setTimeout(remote ? 180_000 : 120_000);

let target: ShopTarget;
let shop: ShopClient;
let life: Lifecycle;
let alice: Caller;
let bob: Caller;
let carrier: Caller;

beforeAll(async () => {
  target = await startShopTarget();
  shop = new ShopClient(target);
  alice = target.userA;
  bob = target.userB;
  carrier = target.carrier ?? target.admin;
  life = new Lifecycle(shop, alice, target.admin, Math.max(target.waitMs, 30_000), () => target.diagnostics());
}, 240_000);

afterAll(async () => {
  if (!target) return;
  try {
    if (remote) for (const id of life?.createdProducts ?? []) await shop.call('DELETE', `/products/${id}`, { as: target.admin });
  } finally {
    await target.stop();
  }
}, 60_000);

describe('a customer cancels an order', () => {
  it('once CONFIRMED: its shipment is cancelled and the cancellation refunds and releases', async () => {
    // Prepare
    const product = await life.stockedProduct('confirmed');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));
    expect((await shop.outcomeOf(alice, placed)).status).toBe('CONFIRMED');
    expect(await shop.stockOf(alice, product)).toBe(LIFECYCLE_STOCK - 2);

    // Act
    const answer = await life.cancel(alice, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 202, location: `/orders/${placed.orderId}`, body: { status: 'CONFIRMED', cancellationRequestedAt: expect.any(String) } });
    await life.expectFullyCancelled(placed.orderId, product);
    const details = await shop.details(alice, placed.orderId);
    expect(details.payment?.status).toBe('REFUNDED');
    expect(details.shipment?.status).toBe('CANCELLED');
    expect(details.order.statusHistory.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'CANCELLED']);
  });

  it('twice: the second answer is the first, and nothing runs twice', async () => {
    // Prepare
    const product = await life.stockedProduct('twice');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));
    await shop.outcomeOf(alice, placed);

    // Act
    const [first, second] = await Promise.all([life.cancel(alice, placed.orderId), life.cancel(alice, placed.orderId)]);
    await life.expectFullyCancelled(placed.orderId, product);
    const afterwards = await life.cancel(alice, placed.orderId);

    // Assess
    expect([first?.status, second?.status, afterwards.status]).toEqual([202, 202, 202]);
    const requestedAt = bodyAs(orderViewSchema, afterwards).cancellationRequestedAt;
    expect(requestedAt).toEqual(expect.any(String));
    expect([first, second].map((reply) => bodyAs(orderViewSchema, reply as ApiReply).cancellationRequestedAt)).toContain(requestedAt);
    expect(bodyAs(orderViewSchema, afterwards)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_REQUEST' });
  });

  it("of someone else: 404 as for a missing order, and the order goes on", async () => {
    // Prepare
    const product = await life.stockedProduct('not-yours');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));

    // Act
    const answer = await life.cancel(bob, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 404, contentType: 'application/problem+json', body: { code: 'ORDER_NOT_FOUND' } });
    expect((await shop.outcomeOf(alice, placed)).status).toBe('CONFIRMED');
    expect((await shop.order(alice, placed.orderId)).cancellationRequestedAt).toBeUndefined();
  });

  it('once SHIPPED: 409 ORDER_NOT_CANCELLABLE, and the order, its money and its stock stay as they are', async () => {
    // Prepare
    const product = await life.stockedProduct('shipped');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));
    await shop.outcomeOf(alice, placed);
    expect((await shop.call('POST', `/shipments/shp-${placed.orderId}/ship`, { as: carrier })).status).toBe(200);
    await life.waitFor(placed.orderId, 'shipped', (o) => o.status === 'SHIPPED');

    // Act
    const answer = await life.cancel(alice, placed.orderId);

    // Assess
    expect(answer).toMatchObject({ status: 409, contentType: 'application/problem+json' });
    expect(bodyAs(problemSchema, answer).code).toBe('ORDER_NOT_CANCELLABLE');
    const details = await shop.details(alice, placed.orderId);
    expect([details.order.status, details.order.cancellationRequestedAt, details.payment?.status, details.shipment?.status]).toEqual(['SHIPPED', undefined, 'CAPTURED', 'SHIPPED']);
    expect(await shop.stockOf(alice, product)).toBe(LIFECYCLE_STOCK - 2);
  });

  it('already cancelled by the saga (out of stock): 202 with the order as it is', async () => {
    const product = await life.stockedProduct('short');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product, LIFECYCLE_STOCK + 1));
    expect((await shop.outcomeOf(alice, placed)).cancellationReason).toBe('OUT_OF_STOCK');
    const answer = await life.cancel(alice, placed.orderId);
    expect(answer).toMatchObject({ status: 202, body: { status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' } });
    expect(await shop.stockOf(alice, product)).toBe(LIFECYCLE_STOCK);
  });
});

describe('a carrier ships and delivers an order', () => {
  it('moves it CONFIRMED → SHIPPED → DELIVERED, each step idempotent, and a cancelled shipment cannot be shipped', async () => {
    // Prepare
    const product = await life.stockedProduct('ship');
    const placed = await shop.placeAcceptedOrder(alice, life.order(product));
    await shop.outcomeOf(alice, placed);
    const shipmentId = `shp-${placed.orderId}`;

    // Act
    const shipped = await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: carrier });
    const shippedAgain = await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: target.admin });
    await life.waitFor(placed.orderId, 'shipped', (o) => o.status === 'SHIPPED');
    const delivered = await shop.call('POST', `/shipments/${shipmentId}/deliver`, { as: carrier });
    const deliveredAgain = await shop.call('POST', `/shipments/${shipmentId}/deliver`, { as: carrier });
    const done = await life.waitFor(placed.orderId, 'delivered', (o) => o.status === 'DELIVERED');

    // Assess
    expect(shipped).toMatchObject({ status: 200, body: { shipmentId, status: 'SHIPPED', shippedAt: expect.any(String) } });
    expect(shippedAgain.body).toEqual(shipped.body);
    expect(delivered).toMatchObject({ status: 200, body: { status: 'DELIVERED', shippedAt: (shipped.body as { shippedAt: string }).shippedAt } });
    expect(deliveredAgain.body).toEqual(delivered.body);
    expect(done.statusHistory.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);
    expect((await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: carrier })).status).toBe(409);
    expect((await shop.call('POST', `/shipments/${shipmentId}/ship`, { as: alice })).status).toBe(403);

    // A cancelled order's shipment: the carrier is refused.
    const other = await shop.placeAcceptedOrder(alice, life.order(product));
    await shop.outcomeOf(alice, other);
    expect((await life.cancel(alice, other.orderId)).status).toBe(202);
    const refused = await shop.call('POST', `/shipments/shp-${other.orderId}/ship`, { as: carrier });
    expect(refused).toMatchObject({ status: 409, body: { code: 'SHIPMENT_CANCELLED' } });
    await life.expectFullyCancelled(other.orderId, product, LIFECYCLE_STOCK - 2);
  });
});
