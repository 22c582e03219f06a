import { createCatalogApi } from '../../../functions/catalog/handlers/api';
import { createGetPricesHandler } from '../../../functions/catalog/handlers/get-prices';
import { LOW_STOCK_UNITS } from '../../../functions/shared/contracts/events';
import { InMemoryProductRepository, product } from '../../fakes/product-repository';
import { admin, alice, bodyOf, httpEvent, invoke } from '../../support/lambda';

const setup = (seed = [product()]) => {
  const products = new InMemoryProductRepository(seed);
  return { products, api: createCatalogApi({ products, now: () => new Date('2026-02-02T00:00:00Z') }) };
};

describe('catalog HTTP routes', () => {
  it('lists and reads products without a token', async () => {
    // Prepare
    const { api } = setup([product({ id: 'a' }), product({ id: 'b' }), product({ id: 'c' })]);

    // Act
    const page = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { limit: '2' } }));
    const one = await invoke(api, httpEvent({ routeKey: 'GET /products/{id}', pathParameters: { id: 'b' } }));

    // Assess
    expect(page.statusCode).toBe(200);
    expect(bodyOf(page)).toEqual({ items: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })], nextCursor: expect.any(String) });
    expect(bodyOf(one)).toMatchObject({ id: 'b', category: 'kitchen', price: { amount: 1250, currency: 'EUR' } });
  });

  it('answers 404 problem+json for an unknown product', async () => {
    const { api } = setup();
    const result = await invoke(api, httpEvent({ routeKey: 'GET /products/{id}', pathParameters: { id: 'nope' } }));
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(result)).toMatchObject({ status: 404, code: 'PRODUCT_NOT_FOUND', instance: '/products/nope' });
  });

  it('lets an admin create a product and answers 201 with its Location', async () => {
    const { api, products } = setup([]);
    const result = await invoke(
      api,
      httpEvent({
        routeKey: 'POST /products',
        caller: admin,
        body: { id: 'p-tea', name: 'Tea', category: 'tea', imageUrl: 'https://img.example.com/tea.jpg', price: { amount: 499, currency: 'EUR' } },
      }),
    );
    expect(result.statusCode).toBe(201);
    expect(result.headers?.location).toBe('/products/p-tea');
    expect(bodyOf(result)).toMatchObject({ id: 'p-tea', category: 'tea', imageUrl: 'https://img.example.com/tea.jpg', available: 0, inStock: false });
    expect(products.products.get('p-tea')).toMatchObject({ name: 'Tea', description: '', category: 'tea', createdAt: '2026-02-02T00:00:00.000Z' });
  });

  it('refuses writes from a signed-in non-admin (403) and from nobody (401), writing nothing', async () => {
    const { api, products } = setup([]);
    const body = { name: 'Tea', category: 'tea', price: { amount: 499, currency: 'EUR' } };
    const asUser = await invoke(api, httpEvent({ routeKey: 'POST /products', caller: alice, body }));
    const anonymous = await invoke(api, httpEvent({ routeKey: 'POST /products', body }));
    expect([asUser.statusCode, anonymous.statusCode]).toEqual([403, 401]);
    expect(bodyOf(asUser)).toMatchObject({ code: 'FORBIDDEN' });
    expect(products.products.size).toBe(0);
  });

  it('answers malformed JSON with 400 and schema violations with 422 naming the fields', async () => {
    const { api, products } = setup([]);
    const malformed = await invoke(api, httpEvent({ routeKey: 'POST /products', caller: admin, body: '{"name":' }));
    const invalid = await invoke(
      api,
      httpEvent({ routeKey: 'POST /products', caller: admin, body: { name: '', price: { amount: 1.5, currency: 'euro' }, extra: true } }),
    );
    expect(malformed.statusCode).toBe(400);
    expect(bodyOf(malformed)).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(invalid.statusCode).toBe(422);
    const paths = (bodyOf(invalid) as { errors: Array<{ path: string }> }).errors.map((e) => e.path).sort();
    expect(paths).toEqual(['category', 'extra', 'name', 'price.amount', 'price.currency']);
    expect(products.products.size).toBe(0);
  });

  it('answers 409 when the product id is taken', async () => {
    const { api } = setup();
    const result = await invoke(
      api,
      httpEvent({ routeKey: 'POST /products', caller: admin, body: { id: 'p-mug', name: 'Other', category: 'kitchen', price: { amount: 1, currency: 'EUR' } } }),
    );
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toMatchObject({ code: 'PRODUCT_EXISTS' });
  });

  it('updates part of a product and deletes it', async () => {
    const { api, products } = setup();
    const updated = await invoke(
      api,
      httpEvent({ routeKey: 'PUT /products/{id}', caller: admin, pathParameters: { id: 'p-mug' }, body: { price: { amount: 1300, currency: 'EUR' } } }),
    );
    expect(bodyOf(updated)).toMatchObject({ name: 'Mug', price: { amount: 1300 }, updatedAt: '2026-02-02T00:00:00.000Z' });
    const deleted = await invoke(api, httpEvent({ routeKey: 'DELETE /products/{id}', caller: admin, pathParameters: { id: 'p-mug' } }));
    expect(deleted.statusCode).toBe(204);
    expect(products.products.has('p-mug')).toBe(false);
    const again = await invoke(api, httpEvent({ routeKey: 'DELETE /products/{id}', caller: admin, pathParameters: { id: 'p-mug' } }));
    expect(again.statusCode).toBe(404);
  });

  it('renames a product and keeps every field the update did not send', async () => {
    const { api, products } = setup();
    const updated = await invoke(api, httpEvent({ routeKey: 'PUT /products/{id}', caller: admin, pathParameters: { id: 'p-mug' }, body: { name: 'Big mug' } }));
    expect(updated.statusCode).toBe(200);
    expect(products.products.get('p-mug')).toMatchObject({
      name: 'Big mug',
      description: 'A mug',
      category: 'kitchen',
      price: { amount: 1250, currency: 'EUR' },
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-02-02T00:00:00.000Z',
    });
  });

  it('refuses an update that changes nothing (PUT {}) with 422, writing nothing', async () => {
    const { api, products } = setup();
    const before = products.products.get('p-mug');
    const result = await invoke(api, httpEvent({ routeKey: 'PUT /products/{id}', caller: admin, pathParameters: { id: 'p-mug' }, body: {} }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ code: 'VALIDATION_FAILED', title: 'Unprocessable Content' });
    expect(products.products.get('p-mug')).toBe(before);
  });

  it('rejects a bad page size and a forged cursor with 422', async () => {
    const { api } = setup();
    const result = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { limit: '0' } }));
    expect(result.statusCode).toBe(422);
    expect(bodyOf(result)).toMatchObject({ errors: [{ path: 'limit' }] });
  });

  it('answers 500 with a generic message when the repository breaks, without leaking the cause', async () => {
    const { api, products } = setup();
    products.get = async () => {
      throw new Error('secret connection string');
    };
    const result = await invoke(api, httpEvent({ routeKey: 'GET /products/{id}', pathParameters: { id: 'p-mug' } }));
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secret');
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    const { api, products } = setup();
    products.get = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    };
    const result = await invoke(api, httpEvent({ routeKey: 'GET /products/{id}', pathParameters: { id: 'p-mug' } }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
  });
});

describe('catalog price lookup', () => {
  it('quotes current prices and lists unknown ids', async () => {
    const handler = createGetPricesHandler({ products: new InMemoryProductRepository([product({ id: 'a' })]) });
    const result = await invoke(handler, { productIds: ['a', 'zzz', 'a'] });
    expect(result).toEqual({ quotes: [{ productId: 'a', name: 'Mug', price: { amount: 1250, currency: 'EUR' } }], missing: ['zzz'] });
  });

  it('rejects a request outside its contract', async () => {
    const handler = createGetPricesHandler({ products: new InMemoryProductRepository() });
    await expect(invoke(handler, { productIds: [] })).rejects.toMatchObject({ name: 'ContractViolationError' });
  });
});

describe('catalog categories, images and availability', () => {
  const create = (body: Record<string, unknown>) =>
    httpEvent({ routeKey: 'POST /products', caller: admin, body: { name: 'Tea', price: { amount: 499, currency: 'EUR' }, ...body } });

  it('refuses a product without a category, with an http image URL, or a bad category, writing nothing', async () => {
    // Prepare
    const { api, products } = setup([]);

    // Act
    const results = await Promise.all([create({}), create({ category: 'tea', imageUrl: 'http://img.example.com/tea.jpg' }), create({ category: 'Tea Leaves' })].map((e) => invoke(api, e)));

    // Assess
    expect(results.map((r) => r.statusCode)).toEqual([422, 422, 422]);
    expect(results.map((r) => (bodyOf(r) as { errors: Array<{ path: string }> }).errors.map((e) => e.path))).toEqual([['category'], ['imageUrl'], ['category']]);
    expect(products.products.size).toBe(0);
  });

  it('filters the listing by category, in id order, and refuses a bad category or an unknown parameter', async () => {
    // Prepare
    const { api } = setup([product({ id: 'c-2', category: 'coffee' }), product({ id: 'k-1' }), product({ id: 'c-1', category: 'coffee' })]);

    // Act
    const coffee = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { category: 'coffee' } }));
    const badCategory = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { category: 'COFFEE' } }));
    const unknown = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { sort: 'name' } }));

    // Assess
    expect((bodyOf(coffee) as { items: Array<{ id: string }> }).items.map((p) => p.id)).toEqual(['c-1', 'c-2']);
    expect([badCategory.statusCode, unknown.statusCode]).toEqual([422, 422]);
    expect(bodyOf(badCategory)).toMatchObject({ errors: [{ path: 'category' }] });
  });

  it('shows available and inStock: 0 and false without a stock record, the recorded units otherwise', async () => {
    // Prepare
    const { api, products } = setup([product({ id: 'p-mug' }), product({ id: 'p-tea' })]);
    await products.recordAvailability('p-tea', { available: 4, version: 2 });

    // Act
    const mug = await invoke(api, httpEvent({ routeKey: 'GET /products/{id}', pathParameters: { id: 'p-mug' } }));
    const list = await invoke(api, httpEvent({ routeKey: 'GET /products' }));

    // Assess
    expect(bodyOf(mug)).toMatchObject({ id: 'p-mug', available: 0, inStock: false });
    expect((bodyOf(list) as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ id: 'p-mug', available: 0, inStock: false }),
      expect.objectContaining({ id: 'p-tea', available: 4, inStock: true }),
    ]);
  });

  it('shows the count only while units are few (at most LOW_STOCK_UNITS); above, only inStock', async () => {
    // Prepare
    const { api, products } = setup([product({ id: 'p-few' }), product({ id: 'p-many' })]);
    await products.recordAvailability('p-few', { available: LOW_STOCK_UNITS, version: 1 });
    await products.recordAvailability('p-many', { available: LOW_STOCK_UNITS + 1, version: 1 });

    // Act
    const list = bodyOf(await invoke(api, httpEvent({ routeKey: 'GET /products' }))) as { items: Array<Record<string, unknown>> };

    // Assess
    const [few, many] = list.items;
    expect(few).toMatchObject({ id: 'p-few', available: LOW_STOCK_UNITS, inStock: true });
    expect(many).toMatchObject({ id: 'p-many', inStock: true });
    expect(many).not.toHaveProperty('available');
  });

  it('keeps the units on sale through an update, and a created product shows units announced before it existed', async () => {
    // Prepare
    const { api, products } = setup([product({ id: 'p-mug' })]);
    await products.recordAvailability('p-mug', { available: 3, version: 1 });
    await products.recordAvailability('p-new', { available: 9, version: 5 });

    // Act
    const updated = await invoke(api, httpEvent({ routeKey: 'PUT /products/{id}', caller: admin, pathParameters: { id: 'p-mug' }, body: { category: 'coffee', imageUrl: null } }));
    const created = await invoke(api, create({ id: 'p-new', category: 'tea' }));

    // Assess
    expect(bodyOf(updated)).toMatchObject({ id: 'p-mug', name: 'Mug', category: 'coffee', available: 3, inStock: true });
    expect(bodyOf(created)).toMatchObject({ id: 'p-new', available: 9, inStock: true });
  });

  it('rejects a cursor of another category with 422 INVALID_CURSOR', async () => {
    // Prepare
    const { api } = setup([product({ id: 'a', category: 'coffee' }), product({ id: 'b', category: 'coffee' }), product({ id: 'c', category: 'tea' })]);
    const first = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { category: 'coffee', limit: '1' } }));
    const cursor = (bodyOf(first) as { nextCursor: string }).nextCursor;

    // Act
    const foreign = await invoke(api, httpEvent({ routeKey: 'GET /products', query: { category: 'tea', cursor } }));

    // Assess
    expect(foreign.statusCode).toBe(422);
    expect(bodyOf(foreign)).toMatchObject({ code: 'INVALID_CURSOR' });
  });
});
