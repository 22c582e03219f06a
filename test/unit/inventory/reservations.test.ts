import { mergeLines } from '../../../functions/inventory/domain/inventory';
import { createReleaseInventoryHandler } from '../../../functions/inventory/handlers/release-inventory';
import { createReserveInventoryHandler } from '../../../functions/inventory/handlers/reserve-inventory';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { ORDER_ID } from '../../fixtures/events';
import { InMemoryInventoryRepository, stockLevel } from '../../fakes/inventory-repository';
import { RecordingInventoryMetrics } from '../../fakes/inventory-metrics';
import { invoke } from '../../support/lambda';

const OTHER_ORDER = '0c4d6f1a-2b3c-4d5e-8f70-81a2b3c4d5e6';
const RESERVED_AT = '2026-03-01T12:00:00.000Z';
const LATER = '2026-03-01T12:05:00.000Z';

const setup = (seed = [stockLevel('p-mug', 5), stockLevel('p-tea', 2)]) => {
  const inventory = new InMemoryInventoryRepository(seed);
  const metrics = new RecordingInventoryMetrics();
  let clock = new Date(RESERVED_AT);
  const deps = { inventory, metrics, now: () => clock };
  return {
    inventory,
    metrics,
    reserve: createReserveInventoryHandler(deps),
    release: createReleaseInventoryHandler(deps),
    advanceClock: (to: string) => {
      clock = new Date(to);
    },
    stockOf: (productId: string) => inventory.stock.get(productId)?.stock,
  };
};

const reserveInput = (overrides: Record<string, unknown> = {}) => ({
  orderId: ORDER_ID,
  correlationId: 'corr-1',
  executionId: 'exec-1',
  items: [
    { productId: 'p-mug', quantity: 2 },
    { productId: 'p-tea', quantity: 1 },
  ],
  ...overrides,
});

const releaseInput = (orderId = ORDER_ID) => ({ orderId, correlationId: 'corr-1' });

describe('mergeLines', () => {
  it('sums the quantities of repeated products, keeping first-seen order', () => {
    expect(
      mergeLines([
        { productId: 'b', quantity: 1 },
        { productId: 'a', quantity: 2 },
        { productId: 'b', quantity: 3 },
      ]),
    ).toEqual([
      { productId: 'b', quantity: 4 },
      { productId: 'a', quantity: 2 },
    ]);
  });
});

describe('ReserveInventory', () => {
  it('takes every line from stock and records the reservation', async () => {
    // Prepare
    const { reserve, inventory, stockOf } = setup();

    // Act
    const output = await invoke(reserve, reserveInput());

    // Assess
    expect(output).toEqual({ reservedAt: RESERVED_AT });
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([3, 1]);
    expect(inventory.reservations.get(ORDER_ID)).toEqual({
      orderId: ORDER_ID,
      executionId: 'exec-1',
      lines: [
        { productId: 'p-mug', quantity: 2 },
        { productId: 'p-tea', quantity: 1 },
      ],
      status: 'RESERVED',
      reservedAt: RESERVED_AT,
    });
  });

  it('merges repeated products so the stock condition holds for their total', async () => {
    const { reserve, inventory, stockOf } = setup([stockLevel('p-mug', 3)]);
    const items = [
      { productId: 'p-mug', quantity: 2 },
      { productId: 'p-mug', quantity: 2 },
    ];
    await expect(invoke(reserve, reserveInput({ items }))).rejects.toMatchObject({ name: SagaErrors.outOfStock });
    expect(stockOf('p-mug')).toBe(3);

    await invoke(reserve, reserveInput({ items: [{ productId: 'p-mug', quantity: 1 }, { productId: 'p-mug', quantity: 2 }] }));
    expect(stockOf('p-mug')).toBe(0);
    expect(inventory.reservations.get(ORDER_ID)?.lines).toEqual([{ productId: 'p-mug', quantity: 3 }]);
  });

  it('refuses the whole order with OutOfStockError naming the short products, changing nothing', async () => {
    const { reserve, inventory, stockOf } = setup();
    const items = [
      { productId: 'p-mug', quantity: 5 },
      { productId: 'p-tea', quantity: 3 },
      { productId: 'p-unknown', quantity: 1 },
    ];
    const error = await invoke(reserve, reserveInput({ items })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'OutOfStockError', productIds: ['p-tea', 'p-unknown'] });
    expect((error as Error).message).toContain('p-tea, p-unknown');
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([5, 2]);
    expect(inventory.reservations.size).toBe(0);
    expect(inventory.writes).toBe(0);
  });

  it('answers a retry of the same execution with the first result, without taking stock twice', async () => {
    const { reserve, advanceClock, stockOf } = setup();
    const first = await invoke(reserve, reserveInput());
    advanceClock(LATER);
    const retry = await invoke(reserve, reserveInput());
    expect(retry).toEqual(first);
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([3, 1]);
  });

  it('refuses another execution for the same order with DuplicateSagaError, changing nothing', async () => {
    const { reserve, inventory, stockOf } = setup();
    await invoke(reserve, reserveInput());
    const writes = inventory.writes;
    const before = inventory.reservations.get(ORDER_ID);

    await expect(invoke(reserve, reserveInput({ executionId: 'exec-2' }))).rejects.toMatchObject({ name: SagaErrors.duplicateSaga });

    expect(inventory.reservations.get(ORDER_ID)).toEqual(before);
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([3, 1]);
    expect(inventory.writes).toBe(writes);
  });

  it('treats a released reservation as a finished saga, even for its own execution', async () => {
    const { reserve, release, stockOf } = setup();
    await invoke(reserve, reserveInput());
    await invoke(release, releaseInput());
    await expect(invoke(reserve, reserveInput())).rejects.toMatchObject({ name: SagaErrors.duplicateSaga });
    await expect(invoke(reserve, reserveInput({ executionId: 'exec-2' }))).rejects.toMatchObject({ name: SagaErrors.duplicateSaga });
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([5, 2]);
  });

  it('lets exactly one of many concurrent orders take the last unit', async () => {
    const { reserve, inventory, stockOf } = setup([stockLevel('p-mug', 1)]);
    const orders = Array.from({ length: 10 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);
    const results = await Promise.allSettled(
      orders.map((orderId) => invoke(reserve, reserveInput({ orderId, items: [{ productId: 'p-mug', quantity: 1 }] }))),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && (r.reason as Error).name === SagaErrors.outOfStock)).toHaveLength(9);
    expect(stockOf('p-mug')).toBe(0);
    expect(inventory.reservations.size).toBe(1);
  });

  it('rejects input outside the task contract before touching stock', async () => {
    const { reserve, inventory } = setup();
    await expect(invoke(reserve, reserveInput({ items: [] }))).rejects.toMatchObject({ name: 'ContractViolationError' });
    await expect(invoke(reserve, reserveInput({ executionId: undefined }))).rejects.toMatchObject({ name: 'ContractViolationError' });
    expect(inventory.writes).toBe(0);
  });

  it('refuses more distinct products than one transaction can hold', async () => {
    const { reserve, inventory } = setup();
    const items = Array.from({ length: 100 }, (_, i) => ({ productId: `p-${i}`, quantity: 1 }));
    await expect(invoke(reserve, reserveInput({ items }))).rejects.toMatchObject({ name: 'ReservationTooLargeError' });
    expect(inventory.writes).toBe(0);
  });

  it('reserves exactly 99 distinct products, the most one transaction holds with the reservation, counting repeats once', async () => {
    // Prepare
    const seed = Array.from({ length: 99 }, (_, i) => stockLevel(`p-${i}`, i === 0 ? 2 : 1));
    const { reserve, inventory } = setup(seed);
    const items = [...seed.map((level) => ({ productId: level.productId, quantity: 1 })), { productId: 'p-0', quantity: 1 }];

    // Act
    const result = await invoke(reserve, reserveInput({ items }));

    // Assess
    expect(result).toEqual({ reservedAt: RESERVED_AT });
    expect(inventory.reservations.get(ORDER_ID)?.lines).toHaveLength(99);
    expect(seed.every((level) => inventory.stock.get(level.productId)?.stock === 0)).toBe(true);
  });

  it('turns a throttled write into a TransientError the saga retries', async () => {
    const { reserve, inventory } = setup();
    inventory.reserve = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    };
    await expect(invoke(reserve, reserveInput())).rejects.toMatchObject({ name: SagaErrors.transient });
  });
});

describe('ReleaseInventory', () => {
  it('gives back exactly what the order reserved and counts the compensation', async () => {
    // Prepare
    const { reserve, release, inventory, metrics, advanceClock, stockOf } = setup();
    await invoke(reserve, reserveInput());
    advanceClock(LATER);

    // Act
    const output = await invoke(release, releaseInput());

    // Assess
    expect(output).toEqual({ released: true });
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([5, 2]);
    expect(inventory.reservations.get(ORDER_ID)).toMatchObject({ status: 'RELEASED', releasedAt: LATER });
    expect(metrics.compensationsRun).toBe(1);
  });

  it('releases once when called twice, the repeat costing a read and no write attempt', async () => {
    const { reserve, release, metrics, stockOf, inventory } = setup();
    await invoke(reserve, reserveInput());
    const first = await invoke(release, releaseInput());
    const attempt = jest.spyOn(inventory, 'release');
    const second = await invoke(release, releaseInput());
    expect([first, second]).toEqual([{ released: true }, { released: false }]);
    expect(attempt).not.toHaveBeenCalled();
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([5, 2]);
    expect(metrics.compensationsRun).toBe(1);
  });

  it('releases once when two releases race', async () => {
    const { reserve, release, metrics, stockOf } = setup();
    await invoke(reserve, reserveInput());
    const results = await Promise.all([invoke(release, releaseInput()), invoke(release, releaseInput())]);
    expect(results.map((r) => r.released).sort()).toEqual([false, true]);
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([5, 2]);
    expect(metrics.compensationsRun).toBe(1);
  });

  it('answers released: false and writes nothing when the order reserved nothing', async () => {
    const { release, inventory, metrics } = setup();
    expect(await invoke(release, releaseInput(OTHER_ORDER))).toEqual({ released: false });
    expect(inventory.writes).toBe(0);
    expect(metrics.compensationsRun).toBe(0);
  });

  it('leaves other orders’ reservations and the stock they took alone', async () => {
    const { reserve, release, inventory, stockOf } = setup();
    await invoke(reserve, reserveInput());
    await invoke(reserve, reserveInput({ orderId: OTHER_ORDER, executionId: 'exec-9', items: [{ productId: 'p-mug', quantity: 3 }] }));
    await invoke(release, releaseInput(OTHER_ORDER));
    expect([stockOf('p-mug'), stockOf('p-tea')]).toEqual([3, 1]);
    expect(inventory.reservations.get(ORDER_ID)?.status).toBe('RESERVED');
  });
});
