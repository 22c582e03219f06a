import { createReconcileOrdersHandler } from '../../../functions/orders/handlers/reconcile-orders';
import type { SagaExecutions, SagaState } from '../../../functions/orders/ports/saga-executions';
import { reconcileOrders } from '../../../functions/orders/use-cases/reconcile-orders';
import { OrderPlaced } from '../../../functions/shared/contracts/events';
import { metrics } from '../../../functions/shared/powertools';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';
import { invoke } from '../../support/lambda';

/** Sagas by order id, and the executions started meanwhile. */
class FakeSagas implements SagaExecutions {
  public readonly started: Array<{ orderId: string; input: string }> = [];

  public constructor(private readonly states: Readonly<Record<string, SagaState>> = {}) {}

  public async stateOf(orderId: string): Promise<SagaState> {
    return this.started.some((s) => s.orderId === orderId) ? { kind: 'running' } : (this.states[orderId] ?? { kind: 'absent' });
  }

  public async start(orderId: string, input: string): Promise<'started' | 'already-started'> {
    if (this.started.some((s) => s.orderId === orderId)) return 'already-started';
    this.started.push({ orderId, input });
    return 'started';
  }
}

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

const setup = (orders: ReturnType<typeof order>[], states: Record<string, SagaState> = {}) => {
  const repository = new InMemoryOrderRepository(orders);
  const sagas = new FakeSagas(states);
  return { repository, sagas, deps: { orders: repository, sagas, now: () => NOW } };
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
      actions: { 'saga-started': 1, confirmed: 1, cancelled: 1, 'left-running': 1, 'needs-attention': 0, skipped: 0, failed: 0 },
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
    // Prepare: the fake lists by status like the index; make it lag by listing a CONFIRMED order anyway.
    const { repository, sagas, deps } = setup([stuck(id.moved, { status: 'CONFIRMED' })]);
    jest.spyOn(repository, 'listPendingSince').mockResolvedValue([id.moved, id.gone]);

    // Act
    const report = await reconcileOrders(deps, { olderThanSeconds: 600, limit: 10 });

    // Assess
    expect(report.actions.skipped).toBe(2);
    expect(sagas.started).toEqual([]);
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
});
