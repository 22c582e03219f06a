import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbInventoryRepository } from '../../functions/inventory/adapters/dynamodb-inventory-repository';
import { createReleaseInventoryHandler } from '../../functions/inventory/handlers/release-inventory';
import { createReserveInventoryHandler } from '../../functions/inventory/handlers/reserve-inventory';
import type { Reservation } from '../../functions/inventory/domain/inventory';
import { RecordingInventoryMetrics } from '../fakes/inventory-metrics';
import { stockLevel } from '../fakes/inventory-repository';
import { createTestTable, scanAll, testDocumentClient } from '../support/dynamodb';
import { invoke } from '../support/lambda';

const ORDER = '4f7a2c1e-9b3d-4e8f-a6b5-2c1d0e9f8a7b';

const reservation = (overrides: Partial<Reservation> = {}): Reservation => ({
  orderId: ORDER,
  executionId: 'exec-1',
  lines: [
    { productId: 'p-mug', quantity: 2 },
    { productId: 'p-tea', quantity: 1 },
  ],
  status: 'RESERVED',
  reservedAt: '2026-03-01T12:00:00.000Z',
  ...overrides,
});

/** Wraps a client to record the commands sent and optionally drop `Item` from cancellation reasons. */
const recording = (inner: DynamoDBDocumentClient, options: { stripReasonItems: boolean }) => {
  const sent: string[] = [];
  const wrapped = {
    send: async (command: { constructor: { name: string } }) => {
      sent.push(command.constructor.name);
      try {
        return await (inner.send as (c: unknown) => Promise<unknown>).call(inner, command);
      } catch (error) {
        if (options.stripReasonItems) {
          for (const reason of (error as { CancellationReasons?: Array<{ Item?: unknown }> }).CancellationReasons ?? []) delete reason.Item;
        }
        throw error;
      }
    },
  } as unknown as DynamoDBDocumentClient;
  return { sent, client: wrapped };
};

describe('DynamoDbInventoryRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let repository: DynamoDbInventoryRepository;

  const stockOf = async (productId: string) => (await repository.getStock(productId))?.stock;

  beforeEach(async () => {
    tableName = await createTestTable();
    repository = new DynamoDbInventoryRepository(tableName, client);
    await repository.putStock(stockLevel('p-mug', 5));
    await repository.putStock(stockLevel('p-tea', 1));
  });
  afterAll(() => client.destroy());

  it('stores stock under PRODUCT#<id> and reads it back', async () => {
    expect(await repository.getStock('p-mug')).toEqual(stockLevel('p-mug', 5));
    expect(await repository.getStock('p-none')).toBeUndefined();
    const items = await scanAll(client, tableName);
    expect(items).toContainEqual({ pk: 'PRODUCT#p-mug', productId: 'p-mug', stock: 5, updatedAt: '2026-01-01T00:00:00.000Z', version: 1 });
  });

  it('reserves every line and records the reservation in one transaction', async () => {
    // Act
    const result = await repository.reserve(reservation());

    // Assess
    expect(result).toEqual({ kind: 'reserved' });
    expect([await stockOf('p-mug'), await stockOf('p-tea')]).toEqual([3, 0]);
    expect((await repository.getStock('p-mug'))?.updatedAt).toBe('2026-03-01T12:00:00.000Z');
    expect(await repository.getReservation(ORDER)).toEqual(reservation());
  });

  it('changes nothing when any line is short or unknown, and names those lines', async () => {
    const before = await scanAll(client, tableName);
    const result = await repository.reserve(
      reservation({
        lines: [
          { productId: 'p-mug', quantity: 5 },
          { productId: 'p-tea', quantity: 2 },
          { productId: 'p-none', quantity: 1 },
        ],
      }),
    );
    expect(result).toEqual({ kind: 'outOfStock', productIds: ['p-tea', 'p-none'] });
    expect(await scanAll(client, tableName)).toEqual(before);
  });

  it('reports the existing reservation (from the cancellation reason) and changes nothing on a second reserve', async () => {
    await repository.reserve(reservation());
    const before = await scanAll(client, tableName);

    const { sent, client: watched } = recording(client, { stripReasonItems: false });
    const sameExecution = await new DynamoDbInventoryRepository(tableName, watched).reserve(reservation({ reservedAt: '2026-03-01T12:09:00.000Z' }));
    const otherExecution = await repository.reserve(reservation({ executionId: 'exec-2', lines: [{ productId: 'p-mug', quantity: 1 }] }));

    const existing = { executionId: 'exec-1', status: 'RESERVED', reservedAt: '2026-03-01T12:00:00.000Z' };
    expect(sameExecution).toEqual({ kind: 'alreadyReserved', existing });
    expect(otherExecution).toEqual({ kind: 'alreadyReserved', existing });
    expect(sent).toEqual(['TransactWriteCommand']);
    expect(await scanAll(client, tableName)).toEqual(before);
  });

  it('treats a cancellation reason without the existing reservation as transient, and reads nothing', async () => {
    await repository.reserve(reservation());
    const { sent, client: stripping } = recording(client, { stripReasonItems: true });

    const result = new DynamoDbInventoryRepository(tableName, stripping).reserve(reservation({ executionId: 'exec-2' }));

    await expect(result).rejects.toMatchObject({ name: 'TransientError' });
    expect(sent).toEqual(['TransactWriteCommand']);
  });

  it('turns a transaction conflict into a TransientError', async () => {
    const conflicting = {
      send: async () => {
        throw Object.assign(new Error('Transaction cancelled'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }, { Code: 'None' }],
        });
      },
    } as unknown as DynamoDBDocumentClient;
    const conflicted = new DynamoDbInventoryRepository(tableName, conflicting);
    await expect(conflicted.reserve(reservation())).rejects.toMatchObject({ name: 'TransientError' });
    await expect(conflicted.release(reservation(), '2026-03-01T12:05:00.000Z')).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('reports the existing reservation first when the retry would also be short of stock', async () => {
    await repository.reserve(reservation());
    expect(await repository.reserve(reservation())).toMatchObject({ kind: 'alreadyReserved' });
    expect(await stockOf('p-tea')).toBe(0);
  });

  it('lets exactly one of 10 concurrent reservations take the last unit; stock never goes negative', async () => {
    const orders = Array.from({ length: 10 }, (_, i) => `00000000-0000-4000-8000-00000000000${i}`);
    const results = await Promise.all(
      orders.map((orderId) =>
        repository.reserve(reservation({ orderId, lines: [{ productId: 'p-tea', quantity: 1 }, { productId: 'p-mug', quantity: 1 }] })).catch((e: unknown) => e),
      ),
    );

    const won = results.filter((r) => (r as { kind?: string }).kind === 'reserved');
    const lostOnStock = results.filter((r) => (r as { kind?: string }).kind === 'outOfStock');
    const conflicts = results.filter((r) => r instanceof Error);
    expect(won).toHaveLength(1);
    expect(lostOnStock.length + conflicts.length).toBe(9);
    expect(conflicts.every((e) => (e as Error).name === 'TransientError')).toBe(true);
    expect([await stockOf('p-tea'), await stockOf('p-mug')]).toEqual([0, 4]);
    const reservations = (await scanAll(client, tableName)).filter((item) => String(item.pk).startsWith('RESERVATION#'));
    expect(reservations).toHaveLength(1);
  });

  it('releases once: gives the lines back, marks RELEASED, refuses the second release', async () => {
    await repository.reserve(reservation());
    const first = await repository.release(reservation(), '2026-03-01T12:05:00.000Z');
    const afterFirst = await scanAll(client, tableName);
    const second = await repository.release(reservation(), '2026-03-01T12:06:00.000Z');

    expect([first, second]).toEqual([true, false]);
    expect(await scanAll(client, tableName)).toEqual(afterFirst);
    expect([await stockOf('p-mug'), await stockOf('p-tea')]).toEqual([5, 1]);
    expect(await repository.getReservation(ORDER)).toEqual(
      reservation({ status: 'RELEASED', releasedAt: '2026-03-01T12:05:00.000Z' }),
    );
  });

  it('releases once when two releases race', async () => {
    await repository.reserve(reservation());
    const results = await Promise.all([
      repository.release(reservation(), '2026-03-01T12:05:00.000Z').catch((e: unknown) => e),
      repository.release(reservation(), '2026-03-01T12:05:00.000Z').catch((e: unknown) => e),
    ]);
    expect(results.filter((r) => r === true)).toHaveLength(1);
    expect([await stockOf('p-mug'), await stockOf('p-tea')]).toEqual([5, 1]);
  });

  it('refuses to release an order that reserved nothing, writing nothing', async () => {
    const before = await scanAll(client, tableName);
    expect(await repository.release(reservation(), '2026-03-01T12:05:00.000Z')).toBe(false);
    expect(await scanAll(client, tableName)).toEqual(before);
  });

  it('runs the saga tasks end to end: a retried reserve and a repeated release each count once', async () => {
    // Prepare
    const metrics = new RecordingInventoryMetrics();
    const deps = { inventory: repository, metrics, now: () => new Date('2026-03-01T12:00:00.000Z') };
    const reserve = createReserveInventoryHandler(deps);
    const release = createReleaseInventoryHandler(deps);
    const input = { orderId: ORDER, correlationId: 'corr-1', executionId: 'exec-1', items: [{ productId: 'p-mug', quantity: 2 }] };

    // Act
    await invoke(reserve, input);
    await invoke(reserve, input);
    const duplicate = await invoke(reserve, { ...input, executionId: 'exec-2' }).catch((e: unknown) => e);
    const afterReserve = await stockOf('p-mug');
    const released = [await invoke(release, { orderId: ORDER, correlationId: 'corr-1' }), await invoke(release, { orderId: ORDER, correlationId: 'corr-1' })];

    // Assess
    expect(afterReserve).toBe(3);
    expect(duplicate).toMatchObject({ name: 'DuplicateSagaError' });
    expect(released).toEqual([{ released: true }, { released: false }]);
    expect(await stockOf('p-mug')).toBe(5);
    expect(metrics.compensationsRun).toBe(1);
  });

  describe('counting stock changes for the outbox', () => {
    const stockItem = async (productId: string) => (await scanAll(client, tableName)).find((item) => item.pk === `PRODUCT#${productId}`);

    it('counts every stock write and records who caused it: a set, a reservation, a release', async () => {
      // Act
      const set = await repository.putStock({ productId: 'p-mug', stock: 8, updatedAt: '2026-03-01T11:00:00.000Z' }, 'corr-admin');
      const afterSet = await stockItem('p-mug');
      await repository.reserve(reservation(), 'corr-order');
      const afterReserve = await stockItem('p-mug');
      await repository.release(reservation(), '2026-03-01T12:05:00.000Z', 'corr-release');
      const afterRelease = await stockItem('p-mug');

      // Assess
      expect(set).toEqual({ productId: 'p-mug', stock: 8, updatedAt: '2026-03-01T11:00:00.000Z' });
      expect(afterSet).toMatchObject({ stock: 8, version: 2, correlationId: 'corr-admin' });
      expect(afterReserve).toMatchObject({ stock: 6, version: 3, correlationId: 'corr-order' });
      expect(afterRelease).toMatchObject({ stock: 8, version: 4, correlationId: 'corr-release' });
    });

    it('writes nothing when the count set is the one stored, and answers the stored level', async () => {
      // Prepare
      const before = await stockItem('p-mug');

      // Act
      const level = await repository.putStock({ productId: 'p-mug', stock: 5, updatedAt: '2026-03-09T00:00:00.000Z' }, 'corr-again');

      // Assess
      expect(level).toEqual(stockLevel('p-mug', 5));
      expect(await stockItem('p-mug')).toEqual(before);
    });

    it('counts stock stored before versioning from 1, even when it is set to the count it has', async () => {
      // Prepare
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'PRODUCT#p-old', productId: 'p-old', stock: 3, updatedAt: '2025-01-01T00:00:00.000Z' } }));

      // Act
      await repository.putStock({ productId: 'p-old', stock: 3, updatedAt: '2026-03-01T00:00:00.000Z' }, 'corr-backfill');

      // Assess
      expect(await stockItem('p-old')).toMatchObject({ stock: 3, version: 1, correlationId: 'corr-backfill', updatedAt: '2026-03-01T00:00:00.000Z' });
    });
  });
});
