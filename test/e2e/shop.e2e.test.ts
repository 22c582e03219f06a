import { randomBytes, randomUUID } from 'node:crypto';
import { bodyAs, healthSchema, placementSchema, problemSchema, readySchema, ShopClient, type Address, type ApiReply, type OrderRequest } from './support/shop-client';
import { isRemoteTarget, startShopTarget, type ShopTarget } from './support/target';

/*
 * Black-box scenarios over HTTP: on the local cloud (started here from a fresh
 * synth) by default, on a deployed stack when SHOP_API_URL is set. Failures
 * are induced only through the README's documented inputs, and side effects
 * are checked only through the API.
 */

const remote = isRemoteTarget();
jest.setTimeout(remote ? 180_000 : 60_000);

/** Every product this run creates is `e2e-<run>-<name>`, so runs and scenarios never share stock. */
const run = randomBytes(4).toString('hex');

let target: ShopTarget;
let shop: ShopClient;
const createdProducts: string[] = [];

const PRICE = { amount: 1250, currency: 'EUR' } as const;

const address = (country = 'US'): Address => ({ name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country });

/** A product of this run with `stock` units on hand, priced {@link PRICE}. */
const stockedProduct = async (name: string, stock: number): Promise<string> => {
  const id = `e2e-${run}-${name}`;
  await shop.stockProduct(target.admin, { id, name: `e2e ${name}`, price: PRICE }, stock);
  createdProducts.push(id);
  return id;
};

const order = (productId: string, quantity: number, overrides: Partial<OrderRequest> = {}): OrderRequest => ({
  items: [{ productId, quantity }],
  paymentToken: 'tok_visa',
  shippingAddress: address(),
  ...overrides,
});

const totalOf = (quantity: number) => ({ amount: PRICE.amount * quantity, currency: PRICE.currency });

const expectProblem = (reply: ApiReply, status: number, code: string) => {
  expect(reply).toMatchObject({ status, contentType: 'application/problem+json', body: { status, code } });
  return bodyAs(problemSchema, reply);
};

beforeAll(async () => {
  target = await startShopTarget();
  shop = new ShopClient(target);
}, 240_000);

afterAll(async () => {
  if (!target) return;
  try {
    // Keeps a deployed stack's catalog clean; the local cloud is thrown away anyway.
    for (const id of createdProducts) await shop.call('DELETE', `/products/${id}`, { as: target.admin });
  } finally {
    await target.stop();
  }
}, 60_000);

describe(`serverless-shop end to end (${remote ? 'deployed stack at SHOP_API_URL' : 'local cloud'})`, () => {
  describe('the probes', () => {
    it('GET /health answers 200 without a token, with the version', async () => {
      const reply = await shop.call('GET', '/health');

      expect(reply.status).toBe(200);
      const health = bodyAs(healthSchema, reply);
      expect(health.version).toMatch(/^\d+\.\d+\.\d+/);
      expect(health.build).toMatch(/\S/);
    });

    it('GET /ready answers 200 without a token, every table, the bus, both state machines and the query functions ok', async () => {
      const reply = await shop.call('GET', '/ready');

      expect(reply.status).toBe(200);
      const ready = bodyAs(readySchema, reply);
      expect(Object.keys(ready.checks).sort()).toEqual(
        [
          'catalog-table',
          'inventory-table',
          'orders-table',
          'payments-table',
          'shipping-table',
          'events-bus',
          'order-saga',
          'order-cancellation',
          'catalog-get-prices',
          'payments-get-payment',
          'shipping-get-shipment',
        ].sort(),
      );
      for (const [name, check] of Object.entries(ready.checks)) expect({ name, ok: check.ok }).toEqual({ name, ok: true });
    });
  });

  describe('an order that goes through', () => {
    it('is CONFIRMED, takes the stock and the payment, gets a shipment, and is DELIVERED when an admin delivers it', async () => {
      // Prepare
      const mug = await stockedProduct('mug', 10);

      // Act
      const reply = await shop.placeOrder(target.userA, order(mug, 3));

      // Assess
      expect(reply).toMatchObject({ status: 202, body: { status: 'PENDING', total: totalOf(3), items: [{ productId: mug, quantity: 3, unitPrice: PRICE }] } });
      const placed = { ...bodyAs(placementSchema, reply), correlationId: reply.correlationId };
      expect(reply.location).toBe(`/orders/${placed.orderId}`);

      const confirmed = await shop.outcomeOf(target.userA, placed);
      expect(confirmed).toMatchObject({ status: 'CONFIRMED', total: totalOf(3) });
      expect(confirmed.cancellationReason).toBeUndefined();
      expect(await shop.stockOf(target.userA, mug)).toBe(7);
      const details = await shop.details(target.userA, placed.orderId);
      expect(details.payment).toMatchObject({ status: 'CAPTURED', amount: totalOf(3) });
      expect(details.shipment).toMatchObject({ shipmentId: `shp-${placed.orderId}`, status: 'CREATED', items: [{ productId: mug, quantity: 3 }] });

      // Act
      const delivery = await shop.call('POST', `/shipments/shp-${placed.orderId}/deliver`, { as: target.admin });

      // Assess
      expect(delivery).toMatchObject({ status: 200, body: { shipmentId: `shp-${placed.orderId}`, status: 'DELIVERED' } });
      const delivered = await shop.reachedStatus(target.userA, placed, 'DELIVERED');
      expect(delivered.status).toBe('DELIVERED');
      expect(delivered.statusHistory.map((entry) => entry.status)).toEqual(['PENDING', 'CONFIRMED', 'DELIVERED']);
      expect((await shop.details(target.userA, placed.orderId)).shipment).toMatchObject({ status: 'DELIVERED' });
      expect(await shop.stockOf(target.userA, mug)).toBe(7);
    });

    it('is CONFIRMED after a transient payment failure (tok_flaky): the saga retries and charges once', async () => {
      const beans = await stockedProduct('beans', 5);

      const placed = await shop.placeAcceptedOrder(target.userA, order(beans, 1, { paymentToken: 'tok_flaky' }));
      const outcome = await shop.outcomeOf(target.userA, placed);

      expect(outcome.status).toBe('CONFIRMED');
      const details = await shop.details(target.userA, placed.orderId);
      expect(details.payment).toMatchObject({ status: 'CAPTURED', amount: totalOf(1) });
      expect(details.shipment).toMatchObject({ status: 'CREATED' });
      expect(await shop.stockOf(target.userA, beans)).toBe(4);
    });
  });

  describe('an order the saga cancels, compensating what it did', () => {
    it('is CANCELLED(OUT_OF_STOCK) when it asks for more than the stock, leaving the stock and charging nothing', async () => {
      const grinder = await stockedProduct('grinder', 2);

      const placed = await shop.placeAcceptedOrder(target.userA, order(grinder, 3));
      const outcome = await shop.outcomeOf(target.userA, placed);

      expect(outcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
      expect(outcome.statusHistory.at(-1)).toMatchObject({ status: 'CANCELLED', reason: 'OUT_OF_STOCK' });
      expect(await shop.stockOf(target.userA, grinder)).toBe(2);
      const details = await shop.details(target.userA, placed.orderId);
      expect(details.payment).toBeNull();
      expect(details.shipment).toBeNull();
    });

    it('is CANCELLED(PAYMENT_DECLINED) for tok_decline, with the reserved stock given back', async () => {
      const kettle = await stockedProduct('kettle', 5);

      const placed = await shop.placeAcceptedOrder(target.userA, order(kettle, 2, { paymentToken: 'tok_decline' }));
      const outcome = await shop.outcomeOf(target.userA, placed);

      expect(outcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
      expect(await shop.stockOf(target.userA, kettle)).toBe(5);
      const details = await shop.details(target.userA, placed.orderId);
      expect(details.payment).toMatchObject({ status: 'DECLINED' });
      expect(details.shipment).toBeNull();
    });

    it('is CANCELLED(SHIPPING_UNAVAILABLE) for country AQ, with the payment REFUNDED and the stock given back', async () => {
      const tent = await stockedProduct('tent', 5);

      const placed = await shop.placeAcceptedOrder(target.userA, order(tent, 2, { shippingAddress: address('AQ') }));
      const outcome = await shop.outcomeOf(target.userA, placed);

      expect(outcome).toMatchObject({ status: 'CANCELLED', cancellationReason: 'SHIPPING_UNAVAILABLE' });
      expect(await shop.stockOf(target.userA, tent)).toBe(5);
      const details = await shop.details(target.userA, placed.orderId);
      expect(details.payment).toMatchObject({ status: 'REFUNDED', amount: totalOf(2) });
      expect(details.shipment).toBeNull();
    });
  });

  describe('the last unit', () => {
    it('goes to exactly one of five concurrent orders; the others are CANCELLED(OUT_OF_STOCK) and the stock ends at 0', async () => {
      // Prepare
      const print = await stockedProduct('signed-print', 1);
      const buyers = Array.from({ length: 5 }, (_, i) => target.shoppers[i % target.shoppers.length]);

      // Act
      const placed = await Promise.all(buyers.map((buyer) => shop.placeAcceptedOrder(buyer, order(print, 1))));
      const outcomes = await Promise.all(placed.map((p, i) => shop.outcomeOf(buyers[i], p)));

      // Assess
      const confirmed = outcomes.filter((o) => o.status === 'CONFIRMED');
      const cancelled = outcomes.filter((o) => o.status === 'CANCELLED');
      expect({ confirmed: confirmed.length, cancelled: cancelled.length }).toEqual({ confirmed: 1, cancelled: 4 });
      expect(cancelled.map((o) => o.cancellationReason)).toEqual(['OUT_OF_STOCK', 'OUT_OF_STOCK', 'OUT_OF_STOCK', 'OUT_OF_STOCK']);
      expect(await shop.stockOf(target.admin, print)).toBe(0);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a retry with the same body with the same order, placed and charged once', async () => {
      // Prepare
      const teapot = await stockedProduct('teapot', 10);
      const before = (await shop.allOrders(target.userA)).length;
      const key = `e2e-${run}-retry`;

      // Act
      const first = await shop.placeAcceptedOrder(target.userA, order(teapot, 2), key);
      const retry = await shop.placeAcceptedOrder(target.userA, order(teapot, 2), key);

      // Assess
      expect(retry.orderId).toBe(first.orderId);
      const mine = await shop.allOrders(target.userA);
      expect(mine).toHaveLength(before + 1);
      expect(mine.filter((o) => o.orderId === first.orderId)).toHaveLength(1);
      expect((await shop.outcomeOf(target.userA, first)).status).toBe('CONFIRMED');
      expect(await shop.stockOf(target.userA, teapot)).toBe(8);
    });

    it('refuses the same key with another body (409 IDEMPOTENCY_KEY_REUSED) and writes nothing', async () => {
      const cups = await stockedProduct('cups', 10);
      const key = `e2e-${run}-reused`;
      const first = await shop.placeAcceptedOrder(target.userA, order(cups, 1), key);
      const before = (await shop.allOrders(target.userA)).length;

      const reused = await shop.placeOrder(target.userA, order(cups, 4), key);

      expectProblem(reused, 409, 'IDEMPOTENCY_KEY_REUSED');
      expect(await shop.allOrders(target.userA)).toHaveLength(before);
      expect((await shop.outcomeOf(target.userA, first)).status).toBe('CONFIRMED');
      expect(await shop.stockOf(target.userA, cups)).toBe(9);
    });
  });

  describe('who sees and does what', () => {
    it("answers 404 problem+json for another user's order, and lists only one's own orders", async () => {
      const scarf = await stockedProduct('scarf', 10);
      const ofA = await shop.placeAcceptedOrder(target.userA, order(scarf, 1));
      const ofB = await shop.placeAcceptedOrder(target.userB, order(scarf, 1));

      expectProblem(await shop.call('GET', `/orders/${ofA.orderId}`, { as: target.userB }), 404, 'ORDER_NOT_FOUND');
      expectProblem(await shop.call('GET', `/orders/${ofA.orderId}/details`, { as: target.userB }), 404, 'ORDER_NOT_FOUND');
      const idsOfA = (await shop.allOrders(target.userA)).map((o) => o.orderId);
      const idsOfB = (await shop.allOrders(target.userB)).map((o) => o.orderId);
      expect(idsOfA).toContain(ofA.orderId);
      expect(idsOfA).not.toContain(ofB.orderId);
      expect(idsOfB).toContain(ofB.orderId);
      expect(idsOfB).not.toContain(ofA.orderId);
      expect((await shop.outcomeOf(target.userA, ofA)).status).toBe('CONFIRMED');
      expect((await shop.outcomeOf(target.userB, ofB)).status).toBe('CONFIRMED');
    });

    it('refuses catalog writes, stock changes and deliveries from a non-admin (403), writing nothing', async () => {
      const lamp = await stockedProduct('lamp', 3);
      const forbiddenId = `e2e-${run}-forbidden`;

      const create = await shop.call('POST', '/products', { as: target.userA, json: { id: forbiddenId, name: 'Not mine to sell', price: PRICE } });
      const update = await shop.call('PUT', `/products/${lamp}`, { as: target.userA, json: { name: 'Renamed', price: { amount: 1, currency: 'EUR' } } });
      const restock = await shop.call('PUT', `/inventory/${lamp}`, { as: target.userA, json: { stock: 999 } });
      const deliver = await shop.call('POST', `/shipments/shp-${randomUUID()}/deliver`, { as: target.userA });

      expectProblem(create, 403, 'FORBIDDEN');
      expectProblem(update, 403, 'FORBIDDEN');
      expectProblem(restock, 403, 'FORBIDDEN');
      expectProblem(deliver, 403, 'FORBIDDEN');
      expect((await shop.call('GET', `/products/${forbiddenId}`)).status).toBe(404);
      expect(await shop.call('GET', `/products/${lamp}`)).toMatchObject({ status: 200, body: { id: lamp, price: PRICE } });
      expect(await shop.stockOf(target.userA, lamp)).toBe(3);
    });

    it('answers 401 to a signed-in route without a token, while the catalog stays public', async () => {
      const anonymousOrder = await shop.call('POST', '/orders', { json: order(`e2e-${run}-nothing`, 1) });
      const anonymousList = await shop.call('GET', '/orders');
      const anonymousStock = await shop.call('GET', `/inventory/e2e-${run}-nothing`);
      const catalog = await shop.call('GET', '/products?limit=1');

      expect([anonymousOrder.status, anonymousList.status, anonymousStock.status]).toEqual([401, 401, 401]);
      expect(catalog.status).toBe(200);
    });

    it('refuses a client-sent price (422 naming the field) and writes nothing', async () => {
      const pen = await stockedProduct('pen', 10);
      const before = (await shop.allOrders(target.userA)).length;
      const valid = order(pen, 1);

      const linePrice = await shop.call('POST', '/orders', {
        as: target.userA,
        json: { ...valid, items: [{ productId: pen, quantity: 1, unitPrice: { amount: 1, currency: 'EUR' } }] },
      });
      const total = await shop.call('POST', '/orders', { as: target.userA, json: { ...valid, total: { amount: 1, currency: 'EUR' } } });

      expect(expectProblem(linePrice, 422, 'VALIDATION_FAILED').errors).toEqual([{ path: 'items.0.unitPrice', message: 'unknown field' }]);
      expect(expectProblem(total, 422, 'VALIDATION_FAILED').errors).toEqual([{ path: 'total', message: 'unknown field' }]);
      expect(await shop.allOrders(target.userA)).toHaveLength(before);
      expect(await shop.stockOf(target.userA, pen)).toBe(10);
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON with 400 and an unknown product with 422 naming it; nothing is written, not even the Idempotency-Key', async () => {
      // Prepare
      const notebook = await stockedProduct('notebook', 10);
      const before = (await shop.allOrders(target.userA)).length;
      const key = `e2e-${run}-rejected`;
      const unknownProduct = `e2e-${run}-no-such-product`;

      // Act
      const malformed = await shop.call('POST', '/orders', { as: target.userA, rawBody: '{"items": [', headers: { 'idempotency-key': key } });
      const unknown = await shop.placeOrder(
        target.userA,
        { ...order(notebook, 1), items: [{ productId: notebook, quantity: 1 }, { productId: unknownProduct, quantity: 1 }] },
        key,
      );

      // Assess
      expectProblem(malformed, 400, 'MALFORMED_JSON');
      expect(expectProblem(unknown, 422, 'UNKNOWN_PRODUCT').errors).toEqual([expect.objectContaining({ path: 'items.1.productId' })]);
      expect(await shop.allOrders(target.userA)).toHaveLength(before);
      expect(await shop.stockOf(target.userA, notebook)).toBe(10);

      // Act: the key was not spent on the rejected requests
      const accepted = await shop.placeAcceptedOrder(target.userA, order(notebook, 1), key);

      // Assess
      expect((await shop.outcomeOf(target.userA, accepted)).status).toBe('CONFIRMED');
      expect(await shop.allOrders(target.userA)).toHaveLength(before + 1);
    });
  });
});
