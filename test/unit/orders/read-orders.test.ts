import type { Context } from 'aws-lambda';
import { createGetPricesHandler } from '../../../functions/catalog/handlers/get-prices';
import type { InvokeFn } from '../../../functions/orders/adapters/function-invoke';
import { getPaymentAnswerSchema, LambdaPaymentReader } from '../../../functions/orders/adapters/lambda-payment-reader';
import { LambdaPriceCatalog } from '../../../functions/orders/adapters/lambda-price-catalog';
import { LambdaShipmentReader } from '../../../functions/orders/adapters/lambda-shipment-reader';
import { createOrdersApi } from '../../../functions/orders/handlers/api';
import type { Order } from '../../../functions/orders/domain/order';
import { tracer } from '../../../functions/shared/powertools';
import * as z from '../../../functions/shared/zod';
import { UnservedCountriesCoverage } from '../../../functions/shipping/adapters/unserved-countries-coverage';
import { createGetShipmentHandler } from '../../../functions/shipping/handlers/get-shipment';
import { createShipment } from '../../../functions/shipping/use-cases/shipments';
import { FakeExecutions, FakeShipmentCanceller } from '../../fakes/cancellations';
import { FakePaymentReader, FakeShipmentReader } from '../../fakes/order-readers';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';
import { FakePriceCatalog } from '../../fakes/price-catalog';
import { InMemoryProductRepository, product } from '../../fakes/product-repository';
import { InMemoryShipmentRepository } from '../../fakes/shipment-repository';
import { alice, bob, bodyOf, fakeContext, httpEvent, invoke } from '../../support/lambda';

const ALICE_ORDER = '4f7a2c1e-9b3d-4e8f-a6b5-2c1d0e9f8a7b';

const setup = (seed: Order[] = [order()]) => {
  const orders = new InMemoryOrderRepository(seed);
  const payments = new FakePaymentReader();
  const shipments = new FakeShipmentReader();
  return {
    orders,
    payments,
    shipments,
    api: createOrdersApi({ orders, catalog: new FakePriceCatalog(), payments, shipments, shipping: new FakeShipmentCanceller(), cancellations: new FakeExecutions() }),
  };
};

const orderAt = (n: number, userId = 'user-alice'): Order =>
  order({ orderId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, userId, createdAt: `2026-03-01T00:00:${String(n).padStart(2, '0')}.000Z` });

describe('GET /orders/{id}', () => {
  it('shows the owner her order, without the payment token', async () => {
    const { api } = setup();
    const result = await invoke(api, httpEvent({ routeKey: 'GET /orders/{id}', pathParameters: { id: ALICE_ORDER }, caller: alice }));
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      orderId: ALICE_ORDER,
      status: 'PENDING',
      items: order().items,
      total: { amount: 2999, currency: 'EUR' },
      shippingAddress: order().shippingAddress,
      statusHistory: order().statusHistory,
      createdAt: order().createdAt,
      updatedAt: order().updatedAt,
    });
  });

  it("annotates the request's trace with the order's id", async () => {
    const { api } = setup();
    const annotate = jest.spyOn(tracer, 'putAnnotation');

    await invoke(api, httpEvent({ routeKey: 'GET /orders/{id}', pathParameters: { id: ALICE_ORDER }, caller: alice }));
    await invoke(api, httpEvent({ routeKey: 'GET /orders/{id}/details', pathParameters: { id: ALICE_ORDER }, caller: alice }));

    expect(annotate.mock.calls.filter(([key]) => key === 'orderId')).toEqual([['orderId', ALICE_ORDER], ['orderId', ALICE_ORDER]]);
    annotate.mockRestore();
  });

  it("answers bob 404 ORDER_NOT_FOUND for alice's order, exactly as for a missing one", async () => {
    const { api } = setup();
    const foreign = await invoke(api, httpEvent({ routeKey: 'GET /orders/{id}', pathParameters: { id: ALICE_ORDER }, caller: bob }));
    const missing = await invoke(
      api,
      httpEvent({ routeKey: 'GET /orders/{id}', pathParameters: { id: '11111111-2222-4333-8444-555555555555' }, caller: bob }),
    );
    expect([foreign.statusCode, missing.statusCode]).toEqual([404, 404]);
    expect(bodyOf(foreign)).toMatchObject({ code: 'ORDER_NOT_FOUND' });
    expect((bodyOf(foreign) as { detail: string }).detail).toBe(
      (bodyOf(missing) as { detail: string }).detail.replace('11111111-2222-4333-8444-555555555555', ALICE_ORDER),
    );
  });

  it('answers 422 for an id that is not an order id', async () => {
    const { api } = setup();
    const result = await invoke(api, httpEvent({ routeKey: 'GET /orders/{id}', pathParameters: { id: 'not-a-uuid' }, caller: alice }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ errors: [{ path: 'id' }] });
  });
});

describe('GET /orders', () => {
  it("lists only the caller's orders, newest first, page by page", async () => {
    // Prepare
    const { api } = setup([orderAt(1), orderAt(2, 'user-bob'), orderAt(3), orderAt(4), orderAt(5, 'user-bob'), orderAt(6)]);
    const list = (cursor?: string) =>
      invoke(api, httpEvent({ routeKey: 'GET /orders', query: { limit: '2', ...(cursor ? { cursor } : {}) }, caller: alice }));

    // Act
    const first = bodyOf(await list()) as { items: Array<{ orderId: string }>; nextCursor?: string };
    const second = bodyOf(await list(first.nextCursor)) as { items: Array<{ orderId: string }>; nextCursor?: string };

    // Assess
    expect(first.items.map((o) => o.orderId)).toEqual([orderAt(6).orderId, orderAt(4).orderId]);
    expect(second.items.map((o) => o.orderId)).toEqual([orderAt(3).orderId, orderAt(1).orderId]);
    expect(second.nextCursor).toBeUndefined();
  });

  it("rejects a bad limit and bob replaying alice's cursor with 422", async () => {
    const { api } = setup([orderAt(1), orderAt(2), orderAt(3)]);
    const page = bodyOf(await invoke(api, httpEvent({ routeKey: 'GET /orders', query: { limit: '1' }, caller: alice }))) as { nextCursor: string };
    const stolen = await invoke(api, httpEvent({ routeKey: 'GET /orders', query: { cursor: page.nextCursor }, caller: bob }));
    const tooBig = await invoke(api, httpEvent({ routeKey: 'GET /orders', query: { limit: '101' }, caller: alice }));
    expect([stolen.statusCode, tooBig.statusCode]).toEqual([422, 422]);
    expect(bodyOf(stolen)).toMatchObject({ code: 'INVALID_CURSOR' });
    expect(bodyOf(tooBig)).toMatchObject({ errors: [{ path: 'limit' }] });
  });

  it('needs a token', async () => {
    const { api } = setup();
    expect((await invoke(api, httpEvent({ routeKey: 'GET /orders' }))).statusCode).toBe(401);
  });
});

describe('GET /orders/{id}/details', () => {
  const payment = {
    paymentId: 'pay-1',
    status: 'CAPTURED',
    amount: { amount: 2999, currency: 'EUR' },
    createdAt: '2026-03-01T12:00:01.000Z',
    updatedAt: '2026-03-01T12:00:01.000Z',
  };
  const shipment = {
    shipmentId: `shp-${ALICE_ORDER}`,
    status: 'CREATED',
    address: order().shippingAddress,
    items: [{ productId: 'p-mug', quantity: 2 }],
    carrier: 'SimCarrier',
    trackingNumber: 'SIM0000000000000001',
    createdAt: '2026-03-01T12:00:02.000Z',
    updatedAt: '2026-03-01T12:00:02.000Z',
  };
  const details = (caller = alice) => httpEvent({ routeKey: 'GET /orders/{id}/details', pathParameters: { id: ALICE_ORDER }, caller });

  it('assembles the order with its payment and shipment', async () => {
    const { api, payments, shipments } = setup();
    payments.payments.set(ALICE_ORDER, payment);
    shipments.shipments.set(ALICE_ORDER, shipment);
    const result = await invoke(api, details());
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ order: expect.objectContaining({ orderId: ALICE_ORDER, status: 'PENDING' }), payment, shipment });
  });

  it('shows null for a payment or shipment that does not exist yet', async () => {
    const { api } = setup();
    const result = await invoke(api, details());
    expect(bodyOf(result)).toMatchObject({ order: { orderId: ALICE_ORDER }, payment: null, shipment: null });
  });

  it('answers 503 with Retry-After when payments or shipping cannot answer', async () => {
    const { api, payments, shipments } = setup();
    payments.available = false;
    const paymentsDown = await invoke(api, details());
    payments.available = true;
    shipments.available = false;
    const shippingDown = await invoke(api, details());
    expect([paymentsDown.statusCode, shippingDown.statusCode]).toEqual([503, 503]);
    expect(paymentsDown.headers?.['retry-after']).toBe('1');
  });

  it("answers bob 404 for alice's order even while a dependency is down", async () => {
    const { api, payments } = setup();
    payments.available = false;
    const result = await invoke(api, details(bob));
    expect(result.statusCode).toBe(404);
    expect(bodyOf(result)).toMatchObject({ code: 'ORDER_NOT_FOUND' });
  });
});

/** Runs another service's handler as Lambda would: JSON in, JSON out, our schema on the answer. */
const viaHandler =
  <E>(handler: (event: E, context: Context) => Promise<unknown>): InvokeFn =>
  async (_functionName, payload, schema) =>
    z.parse(schema, JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(payload)) as E, fakeContext()))));

describe('consumer-side contracts of the functions orders invokes', () => {
  it("reads shipping's real GetShipment answer", async () => {
    // Prepare
    const repository = new InMemoryShipmentRepository();
    await createShipment(
      { shipments: repository, coverage: new UnservedCountriesCoverage([]) },
      { orderId: ALICE_ORDER, address: order().shippingAddress, items: [{ productId: 'p-mug', quantity: 2 }] },
    );
    const reader = new LambdaShipmentReader('GetShipment', viaHandler(createGetShipmentHandler({ shipments: repository })));

    // Act
    const found = await reader.getShipment(ALICE_ORDER, 'corr-1');
    const none = await reader.getShipment('11111111-2222-4333-8444-555555555555', 'corr-1');

    // Assess
    expect(found).toMatchObject({ shipmentId: `shp-${ALICE_ORDER}`, status: 'CREATED', carrier: 'SimCarrier' });
    expect(none).toBeNull();
  });

  it("prices through catalog's real GetPrices answer", async () => {
    const handler = createGetPricesHandler({ products: new InMemoryProductRepository([product({ id: 'p-mug' })]) });
    const catalog = new LambdaPriceCatalog('GetPrices', viaHandler(handler));
    expect(await catalog.getPrices(['p-mug', 'p-ghost'], 'corr-1')).toEqual({
      quotes: [{ productId: 'p-mug', name: 'Mug', price: { amount: 1250, currency: 'EUR' } }],
      missing: ['p-ghost'],
    });
  });

  it("reads payments' documented GetPayment answer and refuses one outside it", async () => {
    const answer = {
      payment: { paymentId: 'pay-1', status: 'DECLINED', amount: { amount: 2999, currency: 'EUR' }, createdAt: 'x', updatedAt: 'y', declineReason: 'card_declined', extra: 1 },
    };
    const reader = new LambdaPaymentReader('GetPayment', async (_name, payload, schema) => {
      expect(payload).toEqual({ orderId: ALICE_ORDER, correlationId: 'corr-1' });
      return z.parse(schema, answer);
    });
    expect(await reader.getPayment(ALICE_ORDER, 'corr-1')).toEqual({
      paymentId: 'pay-1',
      status: 'DECLINED',
      amount: { amount: 2999, currency: 'EUR' },
      createdAt: 'x',
      updatedAt: 'y',
      declineReason: 'card_declined',
    });
    expect(getPaymentAnswerSchema.safeParse({ payment: null }).success).toBe(true);
    expect(getPaymentAnswerSchema.safeParse({ payment: { paymentId: 'pay-1', amount: 2999 } }).success).toBe(false);
  });
});
