import type { Context } from 'aws-lambda';
import type { $ZodType } from 'zod/v4/core';
import type { InvokeFn } from '../../../functions/orders/adapters/function-invoke';
import { LambdaShipmentCanceller } from '../../../functions/orders/adapters/lambda-shipment-canceller';
import type { Order } from '../../../functions/orders/domain/order';
import { createOrdersApi } from '../../../functions/orders/handlers/api';
import { reconcileOrders } from '../../../functions/orders/use-cases/reconcile-orders';
import { cancellationInputSchema } from '../../../functions/shared/contracts/saga';
import { metrics, tracer } from '../../../functions/shared/powertools';
import * as z from '../../../functions/shared/zod';
import { shipmentIdFor, trackingNumberFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { createCancelShipmentHandler } from '../../../functions/shipping/handlers/cancel-shipment';
import { FakeExecutions, FakeShipmentCanceller } from '../../fakes/cancellations';
import { FakePaymentReader, FakeShipmentReader } from '../../fakes/order-readers';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';
import { FakePriceCatalog } from '../../fakes/price-catalog';
import { InMemoryShipmentRepository } from '../../fakes/shipment-repository';
import { alice, bob, bodyOf, fakeContext, httpEvent, invoke, type TestCaller } from '../../support/lambda';

const ORDER_ID = order().orderId;
const SHIPMENT_ID = shipmentIdFor(ORDER_ID);
const NOW = new Date('2026-03-01T12:30:00.000Z');
const LATER = new Date('2026-03-01T13:00:00.000Z');

const createdShipment = (overrides: Partial<Shipment> = {}): Shipment => ({
  shipmentId: SHIPMENT_ID,
  orderId: ORDER_ID,
  status: 'CREATED',
  address: order().shippingAddress,
  items: [
    { productId: 'p-mug', quantity: 2 },
    { productId: 'p-tea', quantity: 1 },
  ],
  carrier: 'SimCarrier',
  trackingNumber: trackingNumberFor(ORDER_ID),
  createdAt: '2026-03-01T12:00:01.000Z',
  updatedAt: '2026-03-01T12:00:01.000Z',
  ...overrides,
});

const setup = (options: { readonly order?: Order; readonly shipments?: Shipment[] } = {}) => {
  const orders = new InMemoryOrderRepository([options.order ?? order()]);
  const shipmentTable = new InMemoryShipmentRepository(options.shipments);
  const shipping = new FakeShipmentCanceller(shipmentTable);
  const cancellations = new FakeExecutions();
  const sagas = new FakeExecutions();
  const deps = {
    orders,
    catalog: new FakePriceCatalog(),
    payments: new FakePaymentReader(),
    shipments: new FakeShipmentReader(),
    shipping,
    cancellations,
    now: () => NOW,
  };
  return { orders, shipmentTable, shipping, cancellations, sagas, api: createOrdersApi(deps) };
};

const cancel = (caller: TestCaller = alice, id = ORDER_ID) =>
  httpEvent({ routeKey: 'POST /orders/{id}/cancel', pathParameters: { id }, caller, headers: { 'x-correlation-id': 'corr-cancel' } });

const stored = (orders: InMemoryOrderRepository) => orders.orders.get(ORDER_ID);

afterEach(() => jest.restoreAllMocks());

describe('POST /orders/{id}/cancel', () => {
  it("annotates the request's trace with the order's id and the request's correlation id", async () => {
    const { api } = setup();
    const annotate = jest.spyOn(tracer, 'putAnnotation');

    await invoke(api, cancel());

    expect(annotate.mock.calls).toEqual(expect.arrayContaining([['correlationId', 'corr-cancel'], ['orderId', ORDER_ID]]));
  });

  it('cancels a PENDING order with no shipment yet by writing the shipment cancelled, and leaves the rest to the saga', async () => {
    // Prepare
    const { api, orders, shipmentTable, cancellations } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const result = await invoke(api, cancel());

    // Assess
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ orderId: ORDER_ID, status: 'PENDING', cancellationRequestedAt: NOW.toISOString() });
    expect(stored(orders)?.cancelRequestedAt).toBe(NOW.toISOString());
    expect(shipmentTable.shipments.get(SHIPMENT_ID)).toMatchObject({
      status: 'CANCELLED',
      cancelledBeforeCreation: true,
      address: order().shippingAddress,
      items: [
        { productId: 'p-mug', quantity: 2 },
        { productId: 'p-tea', quantity: 1 },
      ],
    });
    expect(cancellations.started).toEqual([]);
    expect(addMetric.mock.calls.map(([name, , value]) => [name, value])).toEqual([['OrdersCancelRequested', 1]]);
  });

  it("cancels a CONFIRMED order's shipment and starts the cancellation state machine, named after the order", async () => {
    // Prepare
    const { api, shipmentTable, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment()] });

    // Act
    const result = await invoke(api, cancel());

    // Assess
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ status: 'CONFIRMED', cancellationRequestedAt: NOW.toISOString() });
    expect(shipmentTable.shipments.get(SHIPMENT_ID)).toMatchObject({ status: 'CANCELLED' });
    expect(cancellations.started.map((s) => s.orderId)).toEqual([ORDER_ID]);
    expect(cancellationInputSchema.parse(JSON.parse(cancellations.started[0]?.input ?? '{}'))).toEqual({
      data: { orderId: ORDER_ID, userId: 'user-alice' },
      metadata: { correlationId: order().correlationId },
      cancellation: { reason: 'CUSTOMER_REQUEST' },
    });
  });

  it('answers a repeated cancellation the same way, keeping the first request time and running nothing twice', async () => {
    // Prepare
    const { api, orders, shipmentTable, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment()] });
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const first = await invoke(api, cancel());
    const writes = { orders: orders.writes, shipments: shipmentTable.writes };

    // Act
    const second = await invoke(api, cancel());

    // Assess
    expect(second.statusCode).toBe(202);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(shipmentTable.writes).toBe(writes.shipments);
    expect(cancellations.started).toHaveLength(1);
    expect(addMetric.mock.calls.filter(([name]) => name === 'OrdersCancelRequested')).toHaveLength(1);
  });

  it('answers 202 with the order for an order already cancelled, and runs nothing', async () => {
    const { api, shipping, cancellations, orders } = setup({ order: order({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' }) });
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const result = await invoke(api, cancel());
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(bodyOf(result)).not.toHaveProperty('cancellationRequestedAt');
    expect([shipping.calls, cancellations.started, orders.writes]).toEqual([[], [], 0]);
    expect(addMetric.mock.calls.filter(([name]) => name === 'OrdersCancelRequested')).toEqual([]);
  });

  it.each(['SHIPPED', 'DELIVERED'] as const)('refuses a %s order with 409 ORDER_NOT_CANCELLABLE and writes nothing', async (status) => {
    const { api, shipping, orders } = setup({ order: order({ status }) });
    const result = await invoke(api, cancel());
    expect(result.statusCode).toBe(409);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(result)).toMatchObject({ status: 409, code: 'ORDER_NOT_CANCELLABLE' });
    expect([shipping.calls, orders.writes]).toEqual([[], 0]);
  });

  it('refuses with 409 and withdraws the request when the shipment shipped before the order heard of it', async () => {
    // Prepare: the carrier shipped; OrderShipped has not reached the order yet.
    const { api, orders, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment({ status: 'SHIPPED' })] });

    // Act
    const result = await invoke(api, cancel());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE' });
    expect(stored(orders)?.cancelRequestedAt).toBeUndefined();
    expect(cancellations.started).toEqual([]);
    expect(await orders.listPendingSince(LATER.toISOString(), 10)).toEqual([]);
  });

  it('refuses with 409 naming the status when the shipment was delivered before the order heard of it', async () => {
    // Prepare
    const { api, orders, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment({ status: 'DELIVERED' })] });

    // Act
    const result = await invoke(api, cancel());
    const shipped = await invoke(
      setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment({ status: 'SHIPPED' })] }).api,
      cancel(),
    );

    // Assess
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', detail: expect.stringContaining('DELIVERED') });
    expect(bodyOf(shipped)).toMatchObject({ code: 'ORDER_NOT_CANCELLABLE', detail: expect.stringContaining('SHIPPED') });
    expect(stored(orders)?.cancelRequestedAt).toBeUndefined();
    expect(cancellations.started).toEqual([]);
  });

  it('answers 503 after three reads of an order whose status keeps moving, calling shipping never', async () => {
    // Prepare: every conditional record of the request loses to another writer.
    const { api, orders, shipping } = setup({ order: order({ status: 'CONFIRMED' }) });
    const record = jest.spyOn(orders, 'recordCancelRequest').mockResolvedValue(undefined);

    // Act
    const result = await invoke(api, cancel());

    // Assess
    expect(result.statusCode).toBe(503);
    expect(bodyOf(result)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', detail: expect.stringContaining(order().orderId) });
    expect(record).toHaveBeenCalledTimes(3);
    expect(shipping.calls).toEqual([]);
  });

  it('refuses with 409 when the order shipped between being read and the request being recorded', async () => {
    // Prepare
    const { api, orders, shipping } = setup({ order: order({ status: 'CONFIRMED' }) });
    const record = orders.recordCancelRequest.bind(orders);
    jest.spyOn(orders, 'recordCancelRequest').mockImplementationOnce(async (orderId, at) => {
      await orders.transition(orderId, { to: 'SHIPPED', from: ['CONFIRMED'], at });
      return record(orderId, at);
    });

    // Act
    const result = await invoke(api, cancel());

    // Assess
    expect(result.statusCode).toBe(409);
    expect(shipping.calls).toEqual([]);
    expect(stored(orders)?.status).toBe('SHIPPED');
  });

  it("answers 404 for someone else's order as for a missing one, 422 for a malformed id, 401 without a token", async () => {
    const { api, orders, shipping } = setup();
    const answers = [
      await invoke(api, cancel(bob)),
      await invoke(api, cancel(alice, '11111111-2222-4333-8444-555555555555')),
      await invoke(api, cancel(alice, 'not-an-id')),
      await invoke(api, httpEvent({ routeKey: 'POST /orders/{id}/cancel', pathParameters: { id: ORDER_ID } })),
    ];
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 422, 401]);
    expect(answers.slice(0, 2).map((a) => (bodyOf(a) as { code: string }).code)).toEqual(['ORDER_NOT_FOUND', 'ORDER_NOT_FOUND']);
    expect([orders.writes, shipping.calls]).toEqual([0, []]);
  });

  it('answers 503 + Retry-After when shipping is down, keeping the request recorded; a retry finishes it', async () => {
    // Prepare
    const { api, orders, shipping, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment()] });
    shipping.available = false;

    // Act
    const failed = await invoke(api, cancel());
    shipping.available = true;
    const retried = await invoke(api, cancel());

    // Assess
    expect([failed.statusCode, failed.headers?.['retry-after']]).toEqual([503, '1']);
    expect(retried.statusCode).toBe(202);
    expect(stored(orders)?.cancelRequestedAt).toBe(NOW.toISOString());
    expect(cancellations.started).toHaveLength(1);
  });

  it('answers 503 when the cancellation state machine cannot be started, and a retry starts it once', async () => {
    // Prepare
    const { api, shipmentTable, cancellations } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment()] });
    cancellations.failWith = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });

    // Act
    const failed = await invoke(api, cancel());
    cancellations.failWith = undefined;
    const retried = await invoke(api, cancel());

    // Assess
    expect([failed.statusCode, retried.statusCode]).toEqual([503, 202]);
    expect(shipmentTable.shipments.get(SHIPMENT_ID)?.status).toBe('CANCELLED');
    expect(cancellations.started).toHaveLength(1);
  });
});

describe('a cancellation interrupted after its request was recorded', () => {
  it('is finished by the reconciler: shipment cancelled, cancellation state machine started, once', async () => {
    // Prepare: the request is recorded, then the function dies before shipping answers (a crash, not a 503).
    const { api, orders, shipping, shipmentTable, cancellations, sagas } = setup({ order: order({ status: 'CONFIRMED' }), shipments: [createdShipment()] });
    jest.spyOn(shipping, 'cancelShipment').mockRejectedValueOnce(new Error('Runtime.ExitError'));
    const crashed = await invoke(api, cancel());

    // Act
    const deps = { orders, sagas, cancellations, shipping, now: () => LATER };
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    const again = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(crashed.statusCode).toBe(500);
    expect(report.actions['cancellation-started']).toBe(1);
    expect(again.actions).toMatchObject({ 'cancellation-started': 0, 'left-running': 1 });
    expect(shipmentTable.shipments.get(SHIPMENT_ID)?.status).toBe('CANCELLED');
    expect(cancellations.started.map((s) => s.orderId)).toEqual([ORDER_ID]);
    expect(sagas.started).toEqual([]);
  });
});

describe("the orders service's copy of CancelShipment's contract", () => {
  const viaHandler =
    <E>(handler: (event: E, context: Context) => Promise<unknown>): InvokeFn =>
    async <T>(_functionName: string, payload: unknown, schema: $ZodType<T>) =>
      z.parse(schema, JSON.parse(JSON.stringify(await handler(JSON.parse(JSON.stringify(payload)) as E, fakeContext()))));

  it("reads shipping's real CancelShipment answer, tombstone and all", async () => {
    // Prepare
    const repository = new InMemoryShipmentRepository();
    const canceller = new LambdaShipmentCanceller('CancelShipment', viaHandler(createCancelShipmentHandler({ shipments: repository })));
    const tombstone = { address: order().shippingAddress, items: [{ productId: 'p-mug', quantity: 2 }] };

    // Act
    const first = await canceller.cancelShipment(ORDER_ID, 'corr-1', tombstone);
    const again = await canceller.cancelShipment(ORDER_ID, 'corr-1', tombstone);

    // Assess
    expect([first, again]).toEqual(['cancelled-before-creation', 'cancelled-before-creation']);
    expect(repository.shipments.get(SHIPMENT_ID)).toMatchObject({ status: 'CANCELLED', items: tombstone.items });
  });
});
