import { createOrdersApi } from '../../../functions/orders/handlers/api';
import { logger, metrics, tracer } from '../../../functions/shared/powertools';
import { FakeExecutions, FakeShipmentCanceller } from '../../fakes/cancellations';
import { FakePaymentReader, FakeShipmentReader } from '../../fakes/order-readers';
import { InMemoryOrderRepository } from '../../fakes/order-repository';
import { FakePriceCatalog } from '../../fakes/price-catalog';
import { alice, bob, bodyOf, httpEvent, invoke, type TestCaller } from '../../support/lambda';

const NOW = new Date('2026-03-01T11:59:59.000Z');
const address = { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const body = { items: [{ productId: 'p-mug', quantity: 2 }, { productId: 'p-tea', quantity: 1 }], shippingAddress: address };

const setup = (clock: () => Date = () => NOW) => {
  const orders = new InMemoryOrderRepository();
  const catalog = new FakePriceCatalog();
  let next = 0;
  const api = createOrdersApi({
    orders,
    catalog,
    payments: new FakePaymentReader(),
    shipments: new FakeShipmentReader(),
    shipping: new FakeShipmentCanceller(),
    cancellations: new FakeExecutions(),
    now: clock,
    newOrderId: () => `00000000-0000-4000-8000-${String((next += 1)).padStart(12, '0')}`,
  });
  return { orders, catalog, api };
};

const place = (options: { body?: unknown; caller?: TestCaller; key?: string; headers?: Record<string, string> } = {}) =>
  httpEvent({
    routeKey: 'POST /orders',
    caller: 'caller' in options ? options.caller : alice,
    body: 'body' in options ? options.body : body,
    headers: { ...(options.key !== undefined ? { 'idempotency-key': options.key } : {}), ...options.headers },
  });

afterEach(() => jest.restoreAllMocks());

describe('POST /orders', () => {
  it('places a PENDING order for the token user, priced by catalog, and answers 202 with its Location', async () => {
    // Prepare
    const { api, orders, catalog } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const result = await invoke(api, place({ headers: { 'x-correlation-id': 'corr-1234' } }));

    // Assess
    const orderId = '00000000-0000-4000-8000-000000000001';
    const items = [
      { productId: 'p-mug', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
      { productId: 'p-tea', quantity: 1, unitPrice: { amount: 499, currency: 'EUR' } },
    ];
    expect(result.statusCode).toBe(202);
    expect(result.headers?.location).toBe(`/orders/${orderId}`);
    expect(bodyOf(result)).toEqual({ orderId, status: 'PENDING', total: { amount: 2999, currency: 'EUR' }, items });
    expect(orders.orders.get(orderId)).toEqual({
      orderId,
      userId: 'user-alice',
      items,
      total: { amount: 2999, currency: 'EUR' },
      paymentToken: 'tok_visa',
      shippingAddress: address,
      status: 'PENDING',
      statusHistory: [{ status: 'PENDING', at: NOW.toISOString() }],
      correlationId: 'corr-1234',
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expect(catalog.calls).toEqual([{ productIds: ['p-mug', 'p-tea'], correlationId: 'corr-1234' }]);
    expect(addMetric).toHaveBeenCalledWith('OrdersPlaced', 'Count', 1);
  });

  it("annotates the request's trace with the new order's id and the correlation id, so X-Ray finds the order's traces", async () => {
    const { api } = setup();
    const annotate = jest.spyOn(tracer, 'putAnnotation');

    await invoke(api, place({ headers: { 'x-correlation-id': 'corr-1234' } }));

    expect(annotate.mock.calls).toEqual(expect.arrayContaining([['correlationId', 'corr-1234'], ['orderId', '00000000-0000-4000-8000-000000000001']]));
  });

  it('merges lines naming the same product and keeps the payment token sent', async () => {
    const { api, orders } = setup();
    const result = await invoke(
      api,
      place({ body: { ...body, items: [{ productId: 'p-mug', quantity: 1 }, { productId: 'p-tea', quantity: 1 }, { productId: 'p-mug', quantity: 3 }], paymentToken: 'tok_decline' } }),
    );
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({
      total: { amount: 4 * 1250 + 499, currency: 'EUR' },
      items: [{ productId: 'p-mug', quantity: 4 }, { productId: 'p-tea', quantity: 1 }],
    });
    expect([...orders.orders.values()][0]?.paymentToken).toBe('tok_decline');
  });

  it('rejects client-sent prices, totals and user ids as unknown fields (422), writing nothing', async () => {
    const { api, orders, catalog } = setup();
    const withPrice = await invoke(api, place({ body: { ...body, items: [{ productId: 'p-mug', quantity: 1, unitPrice: { amount: 1, currency: 'EUR' } }] } }));
    const withTotal = await invoke(api, place({ body: { ...body, total: { amount: 1, currency: 'EUR' }, userId: 'user-bob' } }));
    expect([withPrice.statusCode, withTotal.statusCode]).toEqual([422, 422]);
    expect(bodyOf(withPrice)).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'items.0.unitPrice', message: 'unknown field' }] });
    expect(bodyOf(withTotal)).toMatchObject({ errors: [{ path: 'total', message: 'unknown field' }, { path: 'userId', message: 'unknown field' }] });
    expect(orders.orders.size).toBe(0);
    expect(catalog.calls).toHaveLength(0);
  });

  it('answers 400 for malformed JSON, 401 without a token and 422 naming every bad field, writing nothing', async () => {
    const { api, orders, catalog } = setup();
    const malformed = await invoke(api, place({ body: '{"items":' }));
    const anonymous = await invoke(api, place({ caller: undefined }));
    const invalid = await invoke(
      api,
      place({ body: { items: [{ productId: 'p mug', quantity: 0 }], shippingAddress: { ...address, country: 'usa' }, paymentToken: '' } }),
    );
    const tooMany = await invoke(api, place({ body: { ...body, items: Array.from({ length: 51 }, (_, i) => ({ productId: `p-${i}`, quantity: 1 })) } }));
    const empty = await invoke(api, place({ body: { ...body, items: [] } }));

    expect([malformed.statusCode, anonymous.statusCode, invalid.statusCode, tooMany.statusCode, empty.statusCode]).toEqual([400, 401, 422, 422, 422]);
    expect(bodyOf(malformed)).toMatchObject({ code: 'MALFORMED_JSON' });
    const paths = (bodyOf(invalid) as { errors: Array<{ path: string }> }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['items.0.productId', 'items.0.quantity', 'paymentToken', 'shippingAddress.country']);
    expect(bodyOf(tooMany)).toMatchObject({ errors: [{ path: 'items' }] });
    expect(orders.orders.size).toBe(0);
    expect(catalog.calls).toHaveLength(0);
  });

  it('answers 422 UNKNOWN_PRODUCT naming each line catalog does not know, writing nothing', async () => {
    const { api, orders } = setup();
    const result = await invoke(
      api,
      place({ body: { ...body, items: [{ productId: 'p-mug', quantity: 1 }, { productId: 'p-ghost', quantity: 1 }, { productId: 'p-ghost', quantity: 2 }] } }),
    );
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({
      code: 'UNKNOWN_PRODUCT',
      errors: [
        { path: 'items.1.productId', message: "unknown product 'p-ghost'" },
        { path: 'items.2.productId', message: "unknown product 'p-ghost'" },
      ],
    });
    expect(orders.orders.size).toBe(0);
  });

  it('answers 422 MIXED_CURRENCIES when the products are priced in different currencies', async () => {
    const { api, orders, catalog } = setup();
    catalog.prices.set('p-usd', { amount: 100, currency: 'USD' });
    const result = await invoke(api, place({ body: { ...body, items: [{ productId: 'p-mug', quantity: 1 }, { productId: 'p-usd', quantity: 1 }] } }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ code: 'MIXED_CURRENCIES', errors: [{ path: 'items', message: expect.stringContaining('EUR, USD') }] });
    expect(orders.orders.size).toBe(0);
  });

  it('answers 422 when merged lines exceed the per-product quantity', async () => {
    const { api, orders } = setup();
    const result = await invoke(api, place({ body: { ...body, items: [{ productId: 'p-mug', quantity: 600 }, { productId: 'p-mug', quantity: 600 }] } }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ code: 'ORDER_TOO_LARGE', errors: [{ path: 'items.0.quantity' }] });
    expect(orders.orders.size).toBe(0);
  });

  it('answers 503 with Retry-After when catalog is unavailable, writing nothing', async () => {
    const { api, orders, catalog } = setup();
    catalog.available = false;
    const result = await invoke(api, place());
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(bodyOf(result)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE' });
    expect(orders.orders.size).toBe(0);
  });
});

describe('POST /orders with an Idempotency-Key', () => {
  it('answers a retry exactly like the first attempt, with one order written and counted once', async () => {
    // Prepare
    const { api, orders, catalog } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const first = await invoke(api, place({ key: 'checkout-42' }));
    const retry = await invoke(api, place({ key: 'checkout-42', body: { shippingAddress: address, paymentToken: 'tok_visa', items: body.items } }));

    // Assess
    expect(retry.statusCode).toBe(202);
    expect(retry.headers?.location).toBe(first.headers?.location);
    expect(bodyOf(retry)).toEqual(bodyOf(first));
    expect(orders.orders.size).toBe(1);
    expect(orders.writes).toBe(1);
    expect(catalog.calls).toHaveLength(1);
    expect(addMetric.mock.calls.filter(([name]) => name === 'OrdersPlaced')).toHaveLength(1);
  });

  it('remembers the key for 24 hours from the first attempt, with the hash of the request it placed', async () => {
    const { api, orders } = setup();
    const first = await invoke(api, place({ key: 'checkout-42' }));
    expect([...orders.idempotency.values()]).toEqual([
      {
        userId: 'user-alice',
        key: 'checkout-42',
        requestHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        orderId: (bodyOf(first) as { orderId: string }).orderId,
        createdAt: NOW.toISOString(),
        expiresAt: Math.floor(NOW.getTime() / 1000) + 24 * 60 * 60,
      },
    ]);
  });

  it('replays a retry just before the key expires and places a new order with it after', async () => {
    // Prepare
    let now = NOW;
    const { api, orders } = setup(() => now);
    const first = await invoke(api, place({ key: 'checkout-42' }));

    // Act
    now = new Date(NOW.getTime() + 24 * 60 * 60 * 1000 - 1000);
    const lastRetry = await invoke(api, place({ key: 'checkout-42' }));
    now = new Date(NOW.getTime() + 24 * 60 * 60 * 1000 + 1000);
    const nextDay = await invoke(api, place({ key: 'checkout-42' }));

    // Assess
    expect(bodyOf(lastRetry)).toEqual(bodyOf(first));
    expect(nextDay.statusCode).toBe(202);
    expect((bodyOf(nextDay) as { orderId: string }).orderId).not.toBe((bodyOf(first) as { orderId: string }).orderId);
    expect(orders.orders.size).toBe(2);
  });

  it('refuses the same key with a body that differs only in a quantity', async () => {
    const { api, orders } = setup();
    await invoke(api, place({ key: 'checkout-42' }));
    const other = await invoke(api, place({ key: 'checkout-42', body: { ...body, items: [{ productId: 'p-mug', quantity: 3 }, { productId: 'p-tea', quantity: 1 }] } }));
    expect(other.statusCode).toBe(409);
    expect(bodyOf(other)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', type: 'urn:serverless-shop:problem:idempotency-key-reused', title: 'Conflict', status: 409 });
    expect(orders.orders.size).toBe(1);
  });

  it('answers the first attempt even after the order has moved on', async () => {
    const { api, orders } = setup();
    const first = await invoke(api, place({ key: 'checkout-42' }));
    const { orderId } = bodyOf(first) as { orderId: string };
    await orders.transition(orderId, { to: 'CONFIRMED', from: ['PENDING'], at: NOW.toISOString() });
    const retry = await invoke(api, place({ key: 'checkout-42' }));
    expect(bodyOf(retry)).toEqual(bodyOf(first));
  });

  it('refuses the same key with another body with 409 IDEMPOTENCY_KEY_REUSED, writing nothing', async () => {
    const { api, orders } = setup();
    await invoke(api, place({ key: 'checkout-42' }));
    const other = await invoke(api, place({ key: 'checkout-42', body: { ...body, items: [{ productId: 'p-tea', quantity: 5 }] } }));
    expect(other.statusCode).toBe(409);
    expect(bodyOf(other)).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(orders.orders.size).toBe(1);
  });

  it('places and counts exactly one order for concurrent requests with the same key', async () => {
    const { api, orders } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const results = await Promise.all(Array.from({ length: 5 }, () => invoke(api, place({ key: 'double-click' }))));
    expect(results.map((r) => r.statusCode)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(results.map((r) => (bodyOf(r) as { orderId: string }).orderId)).size).toBe(1);
    expect(orders.orders.size).toBe(1);
    expect(addMetric.mock.calls.filter(([name]) => name === 'OrdersPlaced')).toHaveLength(1);
  });

  it("answers 500 and logs it when a new order's id is already another order's, overwriting nothing", async () => {
    // Prepare: bob's order took the id the next order of alice is given.
    const { api, orders } = setup();
    await invoke(api, place({ caller: bob }));
    const taken = [...orders.orders.keys()][0] as string;
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    jest.spyOn(orders, 'create').mockResolvedValueOnce(false);

    // Act
    const result = await invoke(api, place());

    // Assess
    expect(result.statusCode).toBe(500);
    expect(bodyOf(result)).toMatchObject({ code: 'INTERNAL_ERROR' });
    expect(orders.orders.size).toBe(1);
    expect(orders.orders.get(taken)).toMatchObject({ userId: bob?.sub });
    expect(error).toHaveBeenCalledWith('Request failed', { error: expect.objectContaining({ message: expect.stringContaining('is taken by another order') }) });
  });

  it("scopes keys to the user: bob's key does not replay alice's order", async () => {
    const { api, orders } = setup();
    const mine = await invoke(api, place({ key: 'same-key' }));
    const his = await invoke(api, place({ key: 'same-key', caller: bob }));
    expect(his.statusCode).toBe(202);
    expect((bodyOf(his) as { orderId: string }).orderId).not.toBe((bodyOf(mine) as { orderId: string }).orderId);
    expect(orders.orders.size).toBe(2);
  });

  it('gives the key of an invalid request back, so the corrected request with that key is placed, not refused as reuse', async () => {
    // Prepare
    const { api, orders } = setup();

    // Act
    const invalid = await invoke(api, place({ key: 'checkout-7', body: { ...body, items: [{ productId: 'p-gone', quantity: 1 }] } }));
    const corrected = await invoke(api, place({ key: 'checkout-7' }));

    // Assess
    expect([invalid.statusCode, corrected.statusCode]).toEqual([422, 202]);
    expect(orders.orders.size).toBe(1);
    expect([...orders.idempotency.values()].map((r) => r.orderId)).toEqual([(bodyOf(corrected) as { orderId: string }).orderId]);
  });

  it('keeps the key of a request catalog could not price, and the retry places that order under the first id and time', async () => {
    // Prepare
    const { api, orders, catalog } = setup();
    catalog.available = false;
    const unavailable = await invoke(api, place({ key: 'checkout-8' }));
    catalog.available = true;

    // Act
    const retry = await invoke(api, place({ key: 'checkout-8' }));
    const again = await invoke(api, place({ key: 'checkout-8' }));

    // Assess
    expect([unavailable.statusCode, retry.statusCode, again.statusCode]).toEqual([503, 202, 202]);
    const first = [...orders.idempotency.values()][0];
    expect((bodyOf(retry) as { orderId: string }).orderId).toBe(first?.orderId);
    expect(bodyOf(again)).toEqual(bodyOf(retry));
    expect(orders.orders.get(first?.orderId ?? '')).toMatchObject({ createdAt: first?.createdAt, status: 'PENDING' });
    expect(orders.writes).toBe(1);
  });

  it('refuses another body with the key of a request catalog could not price (409), writing no order', async () => {
    const { api, orders, catalog } = setup();
    catalog.available = false;
    await invoke(api, place({ key: 'checkout-9' }));
    catalog.available = true;
    const other = await invoke(api, place({ key: 'checkout-9', body: { ...body, items: [{ productId: 'p-tea', quantity: 5 }] } }));
    expect(other.statusCode).toBe(409);
    expect(orders.orders.size).toBe(0);
  });

  it('answers 422 on the idempotency-key header when the key is malformed, writing nothing', async () => {
    const { api, orders } = setup();
    const spaces = await invoke(api, place({ key: 'has spaces' }));
    const tooLong = await invoke(api, place({ key: 'k'.repeat(256) }));
    expect([spaces.statusCode, tooLong.statusCode]).toEqual([422, 422]);
    expect(bodyOf(spaces)).toMatchObject({ errors: [{ path: 'idempotency-key', message: expect.stringContaining('1-255') }] });
    expect(orders.orders.size).toBe(0);
  });
});
