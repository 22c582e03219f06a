import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProductRepository } from '../../functions/catalog/adapters/dynamodb-product-repository';
import { ProductAlreadyExistsError, ProductNotFoundError } from '../../functions/catalog/domain/errors';
import { CATEGORY_INDEX, LISTING_INDEX } from '../../functions/catalog/table-layout';
import { product } from '../fakes/product-repository';
import { createTestTable, testDocumentClient } from '../support/dynamodb';

/** The catalog table as lib/services/catalog.ts declares it. */
const catalogTable = () =>
  createTestTable({
    indexes: [
      { name: LISTING_INDEX, partitionKey: 'listing', sortKey: 'id' },
      { name: CATEGORY_INDEX, partitionKey: 'category', sortKey: 'id' },
    ],
  });

describe('DynamoDbProductRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let repository: DynamoDbProductRepository;

  /** Every id of a listing, following its cursors. */
  const allIds = async (category?: string, limit = 7): Promise<string[]> => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await repository.list({ limit, ...(cursor ? { cursor } : {}), ...(category ? { category } : {}) });
      ids.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    return ids;
  };

  beforeEach(async () => {
    tableName = await catalogTable();
    repository = new DynamoDbProductRepository(tableName, client);
  });
  afterAll(() => client.destroy());

  it('creates once, refuses a second create of the same id, and reads it back with no units on sale', async () => {
    // Prepare
    await repository.create(product({ imageUrl: 'https://img.example.com/mug.jpg' }));

    // Act
    const second = repository.create(product({ name: 'Other' }));

    // Assess
    await expect(second).rejects.toBeInstanceOf(ProductAlreadyExistsError);
    expect(await repository.get('p-mug')).toEqual({ ...product({ imageUrl: 'https://img.example.com/mug.jpg' }), available: 0 });
  });

  it('updates and deletes only existing products, changing only the fields given', async () => {
    await expect(repository.update('p-mug', { name: 'x' }, '2026-02-02T00:00:00.000Z')).rejects.toBeInstanceOf(ProductNotFoundError);
    await expect(repository.delete('p-mug')).rejects.toBeInstanceOf(ProductNotFoundError);
    await repository.create(product({ imageUrl: 'https://img.example.com/mug.jpg' }));

    const updated = await repository.update('p-mug', { name: 'Big mug', category: 'coffee', imageUrl: null }, '2026-02-02T00:00:00.000Z');
    await repository.delete('p-mug');

    expect(updated).toEqual({ ...product({ name: 'Big mug', category: 'coffee', updatedAt: '2026-02-02T00:00:00.000Z' }), available: 0 });
    expect(await repository.get('p-mug')).toBeUndefined();
    expect(await allIds()).toEqual([]);
    expect(await allIds('coffee')).toEqual([]);
  });

  it('records availability only for a higher version, on a product or before it exists, and keeps it through updates and a delete', async () => {
    // Prepare
    await repository.create(product());

    // Act
    const applied = [
      await repository.recordAvailability('p-mug', { available: 5, version: 2 }),
      await repository.recordAvailability('p-mug', { available: 9, version: 1 }),
      await repository.recordAvailability('p-mug', { available: 7, version: 2 }),
      await repository.recordAvailability('p-tea', { available: 3, version: 4 }),
    ];
    const afterUpdate = await repository.update('p-mug', { price: { amount: 1300, currency: 'EUR' } }, '2026-02-02T00:00:00.000Z');
    await repository.delete('p-mug');
    const recreated = await repository.create(product());
    const tea = await repository.create(product({ id: 'p-tea' }));

    // Assess
    expect(applied).toEqual([true, false, false, true]);
    expect([afterUpdate.available, recreated.available, tea.available]).toEqual([5, 5, 3]);
    expect(await repository.getMany(['p-mug', 'p-tea'])).toHaveLength(2);
  });

  it('lets the newest of many concurrent, shuffled announcements win', async () => {
    // Prepare
    await repository.create(product());
    const versions = [4, 9, 1, 7, 3, 8, 2, 6, 5];

    // Act
    const applied = await Promise.all(versions.map((version) => repository.recordAvailability('p-mug', { available: version * 10, version })));

    // Assess
    expect(applied).toContain(true);
    expect((await repository.get('p-mug'))?.available).toBe(90);
  });

  it('never returns an item that only holds availability as a product', async () => {
    // Prepare
    await repository.recordAvailability('p-ghost', { available: 2, version: 1 });

    // Act
    const [one, many, listed] = [await repository.get('p-ghost'), await repository.getMany(['p-ghost']), await allIds()];

    // Assess
    expect([one, many, listed]).toEqual([undefined, [], []]);
  });

  it('gets many (more than one batch) and lists every product in id order, by category too', async () => {
    // Prepare
    const ids = Array.from({ length: 130 }, (_, i) => `p-${String(i).padStart(3, '0')}`);
    for (const [i, id] of ids.entries()) await repository.create(product({ id, category: i % 2 === 0 ? 'even' : 'odd' }));

    // Act
    const found = await repository.getMany([...ids, 'missing']);
    const listed = await allIds(undefined, 50);
    const odd = await allIds('odd', 20);

    // Assess
    expect(found.map((p) => p.id).sort()).toEqual(ids);
    expect(listed).toEqual(ids);
    expect(odd).toEqual(ids.filter((_, i) => i % 2 === 1));
  });

  it('neither skips nor repeats a product when products are added between pages', async () => {
    // Prepare
    const initial = ['b', 'd', 'f', 'h', 'j', 'l'];
    for (const id of initial) await repository.create(product({ id, category: 'coffee' }));
    const seen: string[] = [];
    const first = await repository.list({ limit: 3, category: 'coffee' });
    seen.push(...first.items.map((p) => p.id));

    // Act
    for (const id of ['a', 'c', 'e', 'g', 'k', 'm']) await repository.create(product({ id, category: 'coffee' }));
    let cursor = first.nextCursor;
    while (cursor) {
      const page = await repository.list({ limit: 3, cursor, category: 'coffee' });
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    }

    // Assess
    expect(seen.slice(0, 3)).toEqual(['b', 'd', 'f']);
    expect(new Set(seen).size).toBe(seen.length);
    expect(initial.every((id) => seen.includes(id))).toBe(true);
    expect(seen).toEqual([...seen].sort());
    expect(seen).toEqual(expect.arrayContaining(['g', 'k', 'm']));
  });

  it('rejects a forged cursor and a cursor of another listing as validation errors', async () => {
    // Prepare
    for (const id of ['a', 'b']) await repository.create(product({ id, category: 'coffee' }));
    const coffeeCursor = (await repository.list({ limit: 1, category: 'coffee' })).nextCursor;
    const allCursor = (await repository.list({ limit: 1 })).nextCursor;

    // Act
    const attempts = [
      repository.list({ limit: 10, cursor: Buffer.from('{"pk":1,"x":2}').toString('base64url') }),
      repository.list({ limit: 10, cursor: coffeeCursor ?? 'missing', category: 'tea' }),
      repository.list({ limit: 10, cursor: coffeeCursor ?? 'missing' }),
      repository.list({ limit: 10, cursor: allCursor ?? 'missing', category: 'coffee' }),
    ];

    // Assess
    for (const attempt of attempts) await expect(attempt).rejects.toMatchObject({ status: 422, code: 'INVALID_CURSOR' });
  });

  it('reads a product stored before categories back as uncategorized, and lists it once it is changed', async () => {
    // Prepare
    const legacy = { pk: 'p-old', id: 'p-old', name: 'Old mug', description: '', price: { amount: 900, currency: 'EUR' }, createdAt: '2025-01-01T00:00:00.000Z', updatedAt: '2025-01-01T00:00:00.000Z' };
    await client.send(new PutCommand({ TableName: tableName, Item: legacy }));

    // Act
    const read = await repository.get('p-old');
    const priced = await repository.getMany(['p-old']);
    const listedBefore = await allIds();
    await repository.update('p-old', { price: { amount: 950, currency: 'EUR' } }, '2026-02-02T00:00:00.000Z');

    // Assess
    expect(read).toMatchObject({ id: 'p-old', category: 'uncategorized', available: 0 });
    expect(priced).toHaveLength(1);
    expect(listedBefore).toEqual([]);
    expect([await allIds(), await allIds('uncategorized')]).toEqual([['p-old'], ['p-old']]);
  });
});
