import { DynamoDbProductRepository } from '../../functions/catalog/adapters/dynamodb-product-repository';
import { ProductAlreadyExistsError, ProductNotFoundError } from '../../functions/catalog/domain/errors';
import { product } from '../fakes/product-repository';
import { createTestTable, testDocumentClient } from '../support/dynamodb';

describe('DynamoDbProductRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let repository: DynamoDbProductRepository;

  beforeEach(async () => {
    repository = new DynamoDbProductRepository(await createTestTable(), client);
  });
  afterAll(() => client.destroy());

  it('creates once and refuses a second create of the same id', async () => {
    await repository.create(product());
    await expect(repository.create(product({ name: 'Other' }))).rejects.toBeInstanceOf(ProductAlreadyExistsError);
    expect(await repository.get('p-mug')).toEqual(product());
  });

  it('updates and deletes only existing products', async () => {
    await expect(repository.update(product())).rejects.toBeInstanceOf(ProductNotFoundError);
    await expect(repository.delete('p-mug')).rejects.toBeInstanceOf(ProductNotFoundError);
    await repository.create(product());
    await repository.update(product({ name: 'Big mug' }));
    expect((await repository.get('p-mug'))?.name).toBe('Big mug');
    await repository.delete('p-mug');
    expect(await repository.get('p-mug')).toBeUndefined();
  });

  it('gets many (more than one batch) and pages through the list with cursors', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => `p-${i}`);
    for (const id of ids) await repository.create(product({ id }));
    const found = await repository.getMany([...ids, 'missing']);
    expect(found.map((p) => p.id).sort()).toEqual([...ids].sort());

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await repository.list(50, cursor);
      seen.push(...page.items.map((p) => p.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual([...ids].sort());
  });

  it('rejects a forged cursor as a validation error', async () => {
    await expect(repository.list(10, Buffer.from('{"pk":1,"x":2}').toString('base64url'))).rejects.toMatchObject({ status: 422, code: 'INVALID_CURSOR' });
  });
});
