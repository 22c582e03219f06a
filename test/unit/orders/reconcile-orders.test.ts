import { createReconcileOrdersHandler } from '../../../functions/orders/handlers/reconcile-orders';
import type { SagaState } from '../../../functions/orders/ports/saga-executions';
import { reconcileOrders } from '../../../functions/orders/use-cases/reconcile-orders';
import { OrderPlaced } from '../../../functions/shared/contracts/events';
import { metrics } from '../../../functions/shared/powertools';
import { shipmentIdFor, trackingNumberFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { FakeExecutions, FakeShipmentCanceller } from '../../fakes/cancellations';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';
import { InMemoryShipmentRepository } from '../../fakes/shipment-repository';
import { invoke } from '../../support/lambda';

/** Order ids (the contracts want UUIDs), named for what each test makes of them. */
const id = {
  no_saga: '00000000-0000-4000-8000-000000000001',
  confirmed: '00000000-0000-4000-8000-000000000002',
  cancelled: '00000000-0000-4000-8000-000000000003',
  running: '00000000-0000-4000-8000-000000000004',
  failed: '00000000-0000-4000-8000-000000000005',
  young: '00000000-0000-4000-8000-000000000006',
  b: '00000000-0000-4000-8000-000000000007',
  a: '00000000-0000-4000-8000-000000000008',
  moved: '00000000-0000-4000-8000-000000000009',
  gone: '00000000-0000-4000-8000-00000000000a',
} as const;

const NOW = new Date('2026-03-01T12:30:00.000Z');
/** Placed 30 minutes before NOW: old enough to be looked at with a 10-minute threshold. */
const stuck = (orderId: string, overrides: Parameters<typeof order>[0] = {}) => order({ orderId, createdAt: '2026-03-01T12:00:00.000Z', ...overrides });

const setup = (
  orders: ReturnType<typeof order>[],
  states: Record<string, SagaState> = {},
  options: { readonly cancellations?: Record<string, SagaState>; readonly shipments?: Shipment[] } = {},
) => {
  const repository = new InMemoryOrderRepository(orders);
  const sagas = new FakeExecutions(states);
  const cancellations = new FakeExecutions(options.cancellations);
  const shipping = new FakeShipmentCanceller(new InMemoryShipmentRepository(options.shipments));
  return { repository, sagas, cancellations, shipping, deps: { orders: repository, sagas, cancellations, shipping, now: () => NOW } };
};

describe('the order reconciler', () => {
  it("drives each stuck order to what the system decided: starts a missing saga, applies a saga's outcome, leaves a running one", async () => {
    // Prepare
    const { repository, sagas, deps } = setup(
      [stuck(id.no_saga), stuck(id.confirmed), stuck(id.cancelled), stuck(id.running)],
      { [id.confirmed]: { kind: 'confirmed' }, [id.cancelled]: { kind: 'cancelled', reason: 'PAYMENT_DECLINED' }, [id.running]: { kind: 'running' } },
    );

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report).toEqual({
      examined: 4,
      actions: {
        'saga-started': 1,
        confirmed: 1,
        cancelled: 1,
        'left-running': 1,
        'needs-attention': 0,
        'cancellation-started': 0,
        'cancellation-applied': 0,
        'cancellation-withdrawn': 0,
        skipped: 0,
        failed: 0,
      },
      needsAttention: [],
      failures: [],
    });
    expect(repository.orders.get(id.confirmed)?.status).toBe('CONFIRMED');
    expect(repository.orders.get(id.cancelled)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'PAYMENT_DECLINED' });
    expect(repository.orders.get(id.running)?.status).toBe('PENDING');
    expect(sagas.started.map((s) => s.orderId)).toEqual([id.no_saga]);
    expect(OrderPlaced.detail.parse(JSON.parse(sagas.started[0]?.input ?? '{}'))).toMatchObject({
      metadata: { eventId: `reconciler-${id.no_saga}`, correlationId: 'corr-1234' },
      data: { orderId: id.no_saga, total: { amount: 2999, currency: 'EUR' }, paymentToken: 'tok_visa' },
    });
  });

  it('leaves an order whose saga failed to a person, and says what stopped it', async () => {
    // Prepare
    const { repository, deps } = setup([stuck(id.failed)], { [id.failed]: { kind: 'needs-attention', status: 'FAILED', error: 'CompensationFailed' } });

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report.needsAttention).toEqual([{ orderId: id.failed, status: 'FAILED', error: 'CompensationFailed' }]);
    expect(repository.orders.get(id.failed)?.status).toBe('PENDING');
    expect(repository.writes).toBe(0);
  });

  it('looks only at orders older than the threshold, at most limit of them, oldest first', async () => {
    // Prepare
    const young = order({ orderId: id.young, createdAt: '2026-03-01T12:25:00.000Z' });
    const { sagas, deps } = setup([stuck(id.b, { createdAt: '2026-03-01T12:01:00.000Z' }), stuck(id.a), young]);

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 1 });

    // Assess
    expect(report.examined).toBe(1);
    expect(sagas.started.map((s) => s.orderId)).toEqual([id.a]);
  });

  it('changes nothing when run again: the started saga is running, the applied outcome is applied', async () => {
    // Prepare
    const { repository, sagas, deps } = setup([stuck(id.no_saga), stuck(id.confirmed)], { [id.confirmed]: { kind: 'confirmed' } });
    await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    const writes = repository.writes;

    // Act
    const again = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(again.actions).toMatchObject({ 'saga-started': 0, confirmed: 0, 'left-running': 1 });
    expect(repository.writes).toBe(writes);
    expect(sagas.started).toHaveLength(1);
  });

  it('skips an order the index still lists although it moved on', async () => {
    // Prepare: the fake lists like the index; make it lag by listing a CONFIRMED order anyway.
    const { repository, sagas, deps } = setup([stuck(id.moved, { status: 'CONFIRMED' })]);
    jest.spyOn(repository, 'listPendingSince').mockResolvedValue([id.moved, id.gone]);

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report.actions.skipped).toBe(2);
    expect(sagas.started).toEqual([]);
  });
});

describe('the order reconciler, for cancellations its owner requested', () => {
  /** Requested 20 minutes before NOW: old enough with a 10-minute threshold. */
  const REQUESTED = '2026-03-01T12:10:00.000Z';
  const requested = (orderId: string, overrides: Parameters<typeof order>[0] = {}) => stuck(orderId, { status: 'CONFIRMED', cancelRequestedAt: REQUESTED, ...overrides });
  const shipmentOf = (orderId: string, overrides: Partial<Shipment> = {}): Shipment => ({
    shipmentId: shipmentIdFor(orderId),
    orderId,
    status: 'CREATED',
    address: order().shippingAddress,
    items: [{ productId: 'p-mug', quantity: 2 }],
    carrier: 'SimCarrier',
    trackingNumber: trackingNumberFor(orderId),
    createdAt: '2026-03-01T12:00:05.000Z',
    updatedAt: '2026-03-01T12:00:05.000Z',
    ...overrides,
  });

  it('finishes an interrupted one: cancels the shipment and starts the cancellation state machine, never the saga', async () => {
    // Prepare
    const { repository, sagas, cancellations, shipping, deps } = setup([requested(id.a), requested(id.b, { status: 'PENDING' })], {}, { shipments: [shipmentOf(id.a)] });

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess: the shipped-to-be order's shipment is cancelled; the order without a shipment (and no saga) gets its stand-in written,
    // and, as no saga will ever fail on it, the cancellation state machine too.
    expect(report.actions).toMatchObject({ 'cancellation-started': 2, 'saga-started': 0 });
    expect(shipping.repository.shipments.get(shipmentIdFor(id.a))?.status).toBe('CANCELLED');
    expect(shipping.repository.shipments.get(shipmentIdFor(id.b))).toMatchObject({ status: 'CANCELLED', cancelledBeforeCreation: true });
    expect(cancellations.started.map((s) => s.orderId).sort()).toEqual([id.a, id.b].sort());
    expect(sagas.started).toEqual([]);
    expect([repository.orders.get(id.a)?.status, repository.orders.get(id.b)?.status]).toEqual(['CONFIRMED', 'PENDING']);
  });

  it('leaves a cancellation to a saga still running when the shipment never existed: the saga fails at CreateShipment and compensates', async () => {
    const { cancellations, deps } = setup([requested(id.running, { status: 'PENDING' })], { [id.running]: { kind: 'running' } });
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions).toMatchObject({ 'left-running': 1, 'cancellation-started': 0 });
    expect(cancellations.started).toEqual([]);
  });

  it("applies the saga's own cancellation when it ended before creating the shipment and its outcome was lost", async () => {
    const { repository, cancellations, deps } = setup([requested(id.cancelled, { status: 'PENDING' })], { [id.cancelled]: { kind: 'cancelled', reason: 'OUT_OF_STOCK' } });
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions.cancelled).toBe(1);
    expect(repository.orders.get(id.cancelled)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'OUT_OF_STOCK' });
    expect(cancellations.started).toEqual([]);
  });

  it('applies CANCELLED(CUSTOMER_REQUEST) when the cancellation state machine succeeded but its OrderCancelled was lost, and then forgets the order', async () => {
    // Prepare
    const { repository, shipping, deps } = setup([requested(id.confirmed)], {}, { cancellations: { [id.confirmed]: { kind: 'cancelled', reason: 'CUSTOMER_REQUEST' } } });

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    const again = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report.actions['cancellation-applied']).toBe(1);
    expect(repository.orders.get(id.confirmed)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_REQUEST', cancelRequestedAt: REQUESTED });
    expect(again.examined).toBe(0);
    expect(shipping.calls).toEqual([]);
  });

  it('leaves a running cancellation alone and reports a failed one to a person', async () => {
    const { cancellations, shipping, deps } = setup([requested(id.running), requested(id.failed)], {}, {
      cancellations: { [id.running]: { kind: 'running' }, [id.failed]: { kind: 'needs-attention', status: 'FAILED', error: 'CompensationFailed' } },
    });
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions).toMatchObject({ 'left-running': 1, 'needs-attention': 1 });
    expect(report.needsAttention).toEqual([{ orderId: id.failed, status: 'FAILED', error: 'CompensationFailed' }]);
    expect([shipping.calls, cancellations.started]).toEqual([[], []]);
  });

  it('reports to a person a cancellation execution that succeeded without cancelling the order', async () => {
    const { cancellations, shipping, deps } = setup([requested(id.confirmed)], {}, { cancellations: { [id.confirmed]: { kind: 'confirmed' } } });
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions).toMatchObject({ 'needs-attention': 1 });
    expect(report.needsAttention).toEqual([{ orderId: id.confirmed, status: 'SUCCEEDED', error: expect.stringContaining('without cancelling') }]);
    expect([shipping.calls, cancellations.started]).toEqual([[], []]);
  });

  it('leaves a cancellation that another run started meanwhile to finish, whatever the order saga did', async () => {
    // Prepare: a shipment to cancel; no cancellation when looked at, one by the time this run starts it; the order saga ended cancelled
    const { repository, cancellations, deps } = setup([requested(id.running)], { [id.running]: { kind: 'cancelled', reason: 'PAYMENT_DECLINED' } }, { shipments: [shipmentOf(id.running)] });
    cancellations.start = async () => 'already-started';

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess: the running cancellation applies its own outcome; this run writes nothing
    expect(report.actions['left-running']).toBe(1);
    expect(repository.orders.get(id.running)).toMatchObject({ status: 'CONFIRMED' });
  });

  it('reports to a person an order whose shipment never existed when its saga needs attention', async () => {
    // Prepare: no shipment to cancel (its tombstone takes its place), so the order saga decides, and it failed
    const { cancellations, deps } = setup([requested(id.failed)], { [id.failed]: { kind: 'needs-attention', status: 'FAILED', error: 'CompensationFailed' } });

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report.actions['needs-attention']).toBe(1);
    expect(report.needsAttention).toEqual([{ orderId: id.failed, status: 'FAILED', error: 'CompensationFailed' }]);
    expect(cancellations.started).toEqual([]);
  });

  it('withdraws the request when the shipment shipped meanwhile, and the order leaves the index', async () => {
    const { repository, cancellations, deps } = setup([requested(id.moved)], {}, { shipments: [shipmentOf(id.moved, { status: 'SHIPPED' })] });
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions['cancellation-withdrawn']).toBe(1);
    expect(repository.orders.get(id.moved)?.cancelRequestedAt).toBeUndefined();
    expect(cancellations.started).toEqual([]);
    expect(await repository.listPendingSince(NOW.toISOString(), 10)).toEqual([]);
  });

  it("counts a cancellation's age from its request, not from the order", async () => {
    const { shipping, deps } = setup([requested(id.young, { cancelRequestedAt: '2026-03-01T12:25:00.000Z' })]);
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.examined).toBe(0);
    expect(shipping.calls).toEqual([]);
  });

  it('counts a run that fails on one order (shipping down) and carries on with the others', async () => {
    const { shipping, deps } = setup([requested(id.a), stuck(id.no_saga)]);
    shipping.available = false;
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });
    expect(report.actions).toMatchObject({ failed: 1, 'saga-started': 1 });
    expect(report.failures).toEqual([{ orderId: id.a, error: expect.stringMatching(/^DependencyUnavailableError/) }]);
  });
});

describe('the reconciler handler', () => {
  afterEach(() => jest.restoreAllMocks());

  it('counts what it did and the orders needing a person, and refuses an input it does not understand', async () => {
    // Prepare
    const { deps } = setup([stuck(id.failed), stuck(id.no_saga)], { [id.failed]: { kind: 'needs-attention', status: 'TIMED_OUT' } });
    const handler = createReconcileOrdersHandler(deps);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    const report = await invoke(handler, { olderThanSeconds: 600, limit: 5 });
    const refused = invoke(handler, { olderThanSeconds: -1 });

    // Assess
    expect(report).toMatchObject({ examined: 2, actions: { 'saga-started': 1, 'needs-attention': 1 } });
    expect(addMetric.mock.calls.map(([name, , value]) => [name, value])).toEqual([
      ['OrdersRecovered', 1],
      ['OrdersNeedingAttention', 1],
    ]);
    await expect(refused).rejects.toMatchObject({ name: 'ContractViolationError' });
  });

  it('counts finished cancellations among the recovered orders, by action', async () => {
    // Prepare
    const { deps } = setup([stuck(id.a, { status: 'CONFIRMED', cancelRequestedAt: '2026-03-01T12:10:00.000Z' })]);
    const single = metrics.singleMetric();
    const addDimension = jest.spyOn(single, 'addDimension');
    jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await invoke(createReconcileOrdersHandler(deps), { olderThanSeconds: 600 });

    // Assess
    expect(addDimension).toHaveBeenCalledWith('action', 'cancellation-started');
    expect(addMetric.mock.calls.map(([name, , value]) => [name, value])).toContainEqual(['OrdersRecovered', 1]);
  });
});
