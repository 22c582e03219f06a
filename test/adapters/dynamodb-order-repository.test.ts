import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbOrderRepository } from '../../functions/orders/adapters/dynamodb-order-repository';
import { BY_USER_INDEX, PENDING_INDEX } from '../../functions/orders/table-layout';
import { requestHash, type IdempotencyRecord } from '../../functions/orders/domain/idempotency';
import { statusChange, type Order } from '../../functions/orders/domain/order';
import { placeOrder } from '../../functions/orders/use-cases/place-order';
import { order } from '../fakes/order-repository';
import { FakePriceCatalog } from '../fakes/price-catalog';
import { createTestTable, scanAll, testDocumentClient } from '../support/dynamodb';

const CREATED_AT = '2026-03-01T12:00:00.000Z';
const NOW_SECONDS = Date.parse(CREATED_AT) / 1000;
const idOf = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const record = (orderId: string, overrides: Partial<IdempotencyRecord> = {}): IdempotencyRecord => ({
  userId: 'user-alice',
  key: 'checkout-1',
  requestHash: 'hash-1',
  orderId,
  createdAt: CREATED_AT,
  expiresAt: NOW_SECONDS + 86_400,
  ...overrides,
});

const placeRequest = { items: [{ productId: 'p-mug', quantity: 1 }], paymentToken: 'tok_visa', shippingAddress: order().shippingAddress };

describe('DynamoDbOrderRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let repository: DynamoDbOrderRepository;

  beforeEach(async () => {
    tableName = await createTestTable({
      indexes: [
        { name: BY_USER_INDEX, partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
        { name: PENDING_INDEX, partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
      ],
    });
    repository = new DynamoDbOrderRepository(tableName, client);
  });
  afterAll(() => client.destroy());

  it('lists PENDING orders placed before a time, oldest first, and an order leaves the list when its status changes', async () => {
    // Prepare
    await repository.create(order({ orderId: idOf(21), createdAt: '2026-03-01T12:00:02.000Z' }));
    await repository.create(order({ orderId: idOf(22), createdAt: '2026-03-01T12:00:01.000Z' }));
    await repository.create(order({ orderId: idOf(23), createdAt: '2026-03-01T12:10:00.000Z' }));
    await repository.create(order({ orderId: idOf(24), createdAt: '2026-03-01T12:00:03.000Z' }));
    await repository.transition(idOf(24), statusChange('CONFIRMED', '2026-03-01T12:00:04.000Z'));

    // Act
    const listed = await repository.listPendingSince('2026-03-01T12:05:00.000Z', 10);
    const first = await repository.listPendingSince('2026-03-01T12:05:00.000Z', 1);

    // Assess
    expect(listed).toEqual([idOf(22), idOf(21)]);
    expect(first).toEqual([idOf(22)]);
    expect(await repository.get(idOf(24))).not.toHaveProperty('gsi2pk');
  });

  it('claims a key with its record (a TTL on it), then writes the order with its index keys: two plain writes, no transaction', async () => {
    // Act
    const holder = await repository.claimIdempotencyKey(record(idOf(1)));
    const created = await repository.create(order({ orderId: idOf(1), createdAt: CREATED_AT }));

    // Assess
    expect([holder, created]).toEqual([undefined, true]);
    const items = await scanAll(client, tableName);
    expect(items).toHaveLength(2);
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pk: `ORDER#${idOf(1)}`, type: 'ORDER', gsi1pk: 'user-alice', gsi1sk: `${CREATED_AT}#${idOf(1)}` }),
        {
          pk: 'IDEMPOTENCY#user-alice#checkout-1',
          type: 'IDEMPOTENCY',
          requestHash: 'hash-1',
          orderId: idOf(1),
          createdAt: CREATED_AT,
          expiresAt: NOW_SECONDS + 86_400,
        },
      ]),
    );
    expect(await repository.get(idOf(1))).toEqual(order({ orderId: idOf(1), createdAt: CREATED_AT }));
  });

  it('lets exactly one of many concurrent claims of a key write, and answers the others with its record, read from the refusal', async () => {
    // Prepare: count the reads, which the refusal's ALL_OLD makes unnecessary
    let reads = 0;
    const counting = {
      send: (command: Parameters<DynamoDBDocumentClient['send']>[0]) => {
        if (command instanceof GetCommand) reads += 1;
        return client.send(command);
      },
    } as unknown as DynamoDBDocumentClient;
    const counted = new DynamoDbOrderRepository(tableName, counting);

    // Act
    const holders = await Promise.all(Array.from({ length: 8 }, (_, i) => counted.claimIdempotencyKey(record(idOf(i + 1)))));

    // Assess
    const winners = holders.flatMap((holder, i) => (holder === undefined ? [idOf(i + 1)] : []));
    expect(winners).toHaveLength(1);
    for (const holder of holders) if (holder) expect(holder).toEqual(record(winners[0] ?? ''));
    expect(reads).toBe(0);
    expect((await scanAll(client, tableName)).filter((i) => i.type === 'IDEMPOTENCY')).toHaveLength(1);
  });

  it('places one order for concurrent same-key requests through the use case', async () => {
    let n = 0;
    const deps = { orders: repository, catalog: new FakePriceCatalog(), now: () => new Date(CREATED_AT), newOrderId: () => idOf((n += 1)) };
    const command = {
      userId: 'user-alice',
      correlationId: 'corr-1',
      idempotencyKey: 'double-click',
      request: { items: [{ productId: 'p-mug', quantity: 1 }], paymentToken: 'tok_visa', shippingAddress: order().shippingAddress },
    };
    const results = await Promise.all(Array.from({ length: 5 }, () => placeOrder(deps, command)));
    expect(new Set(results.map((r) => r.order.orderId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect((await scanAll(client, tableName)).filter((i) => i.type === 'ORDER')).toHaveLength(1);
  });

  it('finishes an order whose first attempt took the key and stopped before writing it, once, with the first attempt\'s id and time', async () => {
    // Prepare: the first attempt's key record, and no order (it crashed between its two writes)
    await repository.claimIdempotencyKey({ ...record(idOf(7)), requestHash: requestHash(placeRequest), createdAt: CREATED_AT });
    const deps = { orders: repository, catalog: new FakePriceCatalog(), now: () => new Date('2026-03-01T12:05:00.000Z'), newOrderId: () => idOf(8) };

    // Act
    const retries = await Promise.all([1, 2, 3].map(() => placeOrder(deps, { userId: 'user-alice', correlationId: 'corr-2', idempotencyKey: 'checkout-1', request: placeRequest })));

    // Assess
    expect(retries.map((r) => r.order.orderId)).toEqual([idOf(7), idOf(7), idOf(7)]);
    expect(retries.filter((r) => !r.replayed)).toHaveLength(1);
    expect(await repository.get(idOf(7))).toMatchObject({ createdAt: CREATED_AT, status: 'PENDING', statusHistory: [{ status: 'PENDING', at: CREATED_AT }] });
    expect((await scanAll(client, tableName)).filter((i) => i.type === 'ORDER').map((i) => i.orderId)).toEqual([idOf(7)]);
  });

  it('treats an expired idempotency record as absent and replaces it', async () => {
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: 'IDEMPOTENCY#user-alice#checkout-1', type: 'IDEMPOTENCY', requestHash: 'old', orderId: idOf(9), createdAt: 'old', expiresAt: NOW_SECONDS - 1 },
      }),
    );
    expect(await repository.claimIdempotencyKey(record(idOf(1)))).toBeUndefined();
    expect(await repository.claimIdempotencyKey(record(idOf(2)))).toEqual(record(idOf(1)));
  });

  it('answers a claim with a record that expires exactly now as free: expiry is inclusive', async () => {
    await repository.claimIdempotencyKey({ ...record(idOf(1)), expiresAt: NOW_SECONDS });
    expect(await repository.claimIdempotencyKey(record(idOf(2)))).toBeUndefined();
  });

  it('writes an order conditionally, never over an existing one', async () => {
    expect(await repository.create(order({ orderId: idOf(1) }))).toBe(true);
    expect(await repository.create(order({ orderId: idOf(1), userId: 'user-bob' }))).toBe(false);
    expect((await repository.get(idOf(1)))?.userId).toBe('user-alice');
  });

  it("pages through a user's orders newest first via the index, and refuses another user's cursor", async () => {
    // Prepare
    const at = (n: number) => `2026-03-01T00:00:${String(n).padStart(2, '0')}.000Z`;
    for (let n = 1; n <= 7; n += 1) await repository.create(order({ orderId: idOf(n), createdAt: at(n) }));
    for (let n = 8; n <= 9; n += 1) await repository.create(order({ orderId: idOf(n), userId: 'user-bob', createdAt: at(n) }));

    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await repository.listByUser('user-alice', 3, cursor);
      seen.push(...page.items.map((o) => o.orderId));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);

    // Assess
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1].map(idOf));
    expect(pages).toBeGreaterThanOrEqual(3);
    const alicePage = await repository.listByUser('user-alice', 1);
    await expect(repository.listByUser('user-bob', 1, alicePage.nextCursor)).rejects.toMatchObject({ status: 422, code: 'INVALID_CURSOR' });
    expect((await repository.listByUser('user-bob', 10)).items.map((o) => o.orderId)).toEqual([idOf(9), idOf(8)]);
  });

  it('moves status forward only, appending to the history, and never creates a missing order', async () => {
    // Prepare
    const orderId = idOf(1);
    await repository.create(order({ orderId }));
    const change = (to: Parameters<typeof statusChange>[0], reason?: Parameters<typeof statusChange>[2]) =>
      repository.transition(orderId, statusChange(to, '2026-03-02T00:00:00.000Z', reason));

    // Act
    const results = [
      await change('CONFIRMED'),
      await change('CONFIRMED'),
      await change('SHIPPED'),
      await change('CANCELLED', 'TECHNICAL'),
      await change('DELIVERED'),
      await change('CONFIRMED'),
    ];
    const missing = await repository.transition(idOf(2), statusChange('CONFIRMED', '2026-03-02T00:00:00.000Z'));

    // Assess
    expect(results.map((changed) => changed?.status)).toEqual(['CONFIRMED', undefined, 'SHIPPED', undefined, 'DELIVERED', undefined]);
    const stored = (await repository.get(orderId)) as Order;
    expect(results[4]).toEqual(stored);
    expect(stored.status).toBe('DELIVERED');
    expect(stored.cancellationReason).toBeUndefined();
    expect(stored.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);
    expect(missing).toBeUndefined();
    expect(await repository.get(idOf(2))).toBeUndefined();
  });

  it('records the reason when it cancels a pending order, and then nothing moves it', async () => {
    const orderId = idOf(1);
    await repository.create(order({ orderId }));
    expect(await repository.transition(orderId, statusChange('CANCELLED', '2026-03-02T00:00:00.000Z', 'OUT_OF_STOCK'))).toMatchObject({ status: 'CANCELLED', createdAt: order().createdAt });
    expect(await repository.transition(orderId, statusChange('DELIVERED', '2026-03-02T00:00:01.000Z'))).toBeUndefined();
    expect(await repository.get(orderId)).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'OUT_OF_STOCK',
      updatedAt: '2026-03-02T00:00:00.000Z',
      statusHistory: [{ status: 'PENDING' }, { status: 'CANCELLED', at: '2026-03-02T00:00:00.000Z', reason: 'OUT_OF_STOCK' }],
    });
  });

  describe('cancellation requests', () => {
    const indexKeysOf = async (orderId: string) => {
      const items = (await scanAll(client, tableName)) as Array<Record<string, unknown>>;
      const item = items.find((candidate) => candidate.pk === `ORDER#${orderId}`);
      return { gsi2pk: item?.gsi2pk, gsi2sk: item?.gsi2sk };
    };

    it('records the first request of a PENDING or CONFIRMED order and moves it in the index to its time; refuses any other order', async () => {
      // Prepare
      await repository.create(order({ orderId: idOf(1), createdAt: CREATED_AT }));
      await repository.create(order({ orderId: idOf(2), createdAt: CREATED_AT }));
      await repository.transition(idOf(2), statusChange('CONFIRMED', '2026-03-01T12:00:05.000Z'));
      await repository.create(order({ orderId: idOf(3), createdAt: CREATED_AT }));
      await repository.transition(idOf(3), statusChange('SHIPPED', '2026-03-01T12:00:05.000Z'));

      // Act
      const pending = await repository.recordCancelRequest(idOf(1), '2026-03-01T12:30:00.000Z');
      const repeated = await repository.recordCancelRequest(idOf(1), '2026-03-01T12:45:00.000Z');
      const confirmed = await repository.recordCancelRequest(idOf(2), '2026-03-01T12:31:00.000Z');
      const shipped = await repository.recordCancelRequest(idOf(3), '2026-03-01T12:32:00.000Z');
      const missing = await repository.recordCancelRequest(idOf(4), '2026-03-01T12:32:00.000Z');

      // Assess
      expect(pending).toMatchObject({ orderId: idOf(1), status: 'PENDING', cancelRequestedAt: '2026-03-01T12:30:00.000Z' });
      expect(pending).not.toHaveProperty('gsi2pk');
      expect(repeated?.cancelRequestedAt).toBe('2026-03-01T12:30:00.000Z');
      expect(confirmed).toMatchObject({ status: 'CONFIRMED', cancelRequestedAt: '2026-03-01T12:31:00.000Z' });
      expect([shipped, missing]).toEqual([undefined, undefined]);
      expect(await indexKeysOf(idOf(2))).toEqual({ gsi2pk: 'PENDING', gsi2sk: `2026-03-01T12:31:00.000Z#${idOf(2)}` });
      expect(await repository.listPendingSince('2026-03-01T12:31:30.000Z', 10)).toEqual([idOf(2)]);
      expect(await repository.listPendingSince('2026-03-01T13:00:00.000Z', 10)).toEqual([idOf(2), idOf(1)]);
      expect(await repository.get(idOf(3))).not.toHaveProperty('cancelRequestedAt');
    });

    it('keeps an order whose cancellation is requested in the index when it is confirmed, and takes it out when it is cancelled', async () => {
      // Prepare
      await repository.create(order({ orderId: idOf(1) }));
      await repository.recordCancelRequest(idOf(1), '2026-03-01T12:30:00.000Z');

      // Act
      const confirmed = await repository.transition(idOf(1), statusChange('CONFIRMED', '2026-03-01T12:30:01.000Z'));
      const whileConfirmed = await indexKeysOf(idOf(1));
      const cancelled = await repository.transition(idOf(1), statusChange('CANCELLED', '2026-03-01T12:30:02.000Z', 'CUSTOMER_REQUEST'));

      // Assess
      expect([confirmed?.status, cancelled?.status]).toEqual(['CONFIRMED', 'CANCELLED']);
      expect(whileConfirmed).toEqual({ gsi2pk: 'PENDING', gsi2sk: `2026-03-01T12:30:00.000Z#${idOf(1)}` });
      expect(await indexKeysOf(idOf(1))).toEqual({ gsi2pk: undefined, gsi2sk: undefined });
      expect(await repository.get(idOf(1))).toMatchObject({
        status: 'CANCELLED',
        cancellationReason: 'CUSTOMER_REQUEST',
        cancelRequestedAt: '2026-03-01T12:30:00.000Z',
        statusHistory: [{ status: 'PENDING' }, { status: 'CONFIRMED' }, { status: 'CANCELLED', reason: 'CUSTOMER_REQUEST' }],
      });
    });

    it('drops a request when the order ships, and takes it out of the index', async () => {
      await repository.create(order({ orderId: idOf(1) }));
      await repository.transition(idOf(1), statusChange('CONFIRMED', '2026-03-01T12:29:00.000Z'));
      await repository.recordCancelRequest(idOf(1), '2026-03-01T12:30:00.000Z');
      expect((await repository.transition(idOf(1), statusChange('SHIPPED', '2026-03-01T12:30:01.000Z')))?.status).toBe('SHIPPED');
      expect(await repository.get(idOf(1))).not.toHaveProperty('cancelRequestedAt');
      expect(await indexKeysOf(idOf(1))).toEqual({ gsi2pk: undefined, gsi2sk: undefined });
    });

    it('withdraws a request: a PENDING order stays in the index aged from its creation, a CONFIRMED one leaves it', async () => {
      // Prepare
      await repository.create(order({ orderId: idOf(1), createdAt: CREATED_AT }));
      await repository.create(order({ orderId: idOf(2), createdAt: CREATED_AT }));
      await repository.transition(idOf(2), statusChange('CONFIRMED', '2026-03-01T12:00:05.000Z'));
      for (const id of [idOf(1), idOf(2)]) await repository.recordCancelRequest(id, '2026-03-01T12:30:00.000Z');

      // Act
      const withdrawn = [await repository.withdrawCancelRequest({ orderId: idOf(1), createdAt: CREATED_AT }), await repository.withdrawCancelRequest({ orderId: idOf(2), createdAt: CREATED_AT })];
      const again = await repository.withdrawCancelRequest({ orderId: idOf(1), createdAt: CREATED_AT });

      // Assess
      expect([...withdrawn, again]).toEqual([true, true, false]);
      expect(await indexKeysOf(idOf(1))).toEqual({ gsi2pk: 'PENDING', gsi2sk: `${CREATED_AT}#${idOf(1)}` });
      expect(await indexKeysOf(idOf(2))).toEqual({ gsi2pk: undefined, gsi2sk: undefined });
      expect((await repository.get(idOf(1)))?.cancelRequestedAt).toBeUndefined();
      expect((await repository.get(idOf(2)))?.cancelRequestedAt).toBeUndefined();
    });
  });
});
