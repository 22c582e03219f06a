import { createInventoryApi } from '../../../functions/inventory/handlers/api';
import { InMemoryInventoryRepository, stockLevel } from '../../fakes/inventory-repository';
import { admin, alice, bodyOf, httpEvent, invoke } from '../../support/lambda';

const NOW = new Date('2026-02-02T00:00:00Z');

const setup = () => {
  const inventory = new InMemoryInventoryRepository([stockLevel('p-mug', 7)]);
  return { inventory, api: createInventoryApi({ inventory, now: () => NOW }) };
};

const put = (body: unknown, caller = admin, productId = 'p-mug') =>
  httpEvent({ routeKey: 'PUT /inventory/{productId}', pathParameters: { productId }, body, caller });

describe('inventory HTTP routes', () => {
  it('lets a signed-in user read the stock of a product', async () => {
    // Prepare
    const { api } = setup();

    // Act
    const result = await invoke(api, httpEvent({ routeKey: 'GET /inventory/{productId}', pathParameters: { productId: 'p-mug' }, caller: alice }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ productId: 'p-mug', stock: 7, updatedAt: '2026-01-01T00:00:00.000Z' });
  });

  it('answers 404 INVENTORY_NOT_FOUND for a product without stock, and 401 without a token', async () => {
    const { api } = setup();
    const unknown = await invoke(api, httpEvent({ routeKey: 'GET /inventory/{productId}', pathParameters: { productId: 'p-tea' }, caller: alice }));
    const anonymous = await invoke(api, httpEvent({ routeKey: 'GET /inventory/{productId}', pathParameters: { productId: 'p-mug' } }));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers?.['content-type']).toBe('application/problem+json');
    expect(bodyOf(unknown)).toMatchObject({ code: 'INVENTORY_NOT_FOUND', instance: '/inventory/p-tea' });
    expect(anonymous.statusCode).toBe(401);
  });

  it('lets an admin set the on-hand count, creating or replacing it', async () => {
    const { api, inventory } = setup();
    const replaced = await invoke(api, put({ stock: 0 }));
    const created = await invoke(api, put({ stock: 1_000_000 }, admin, 'p-tea'));
    expect(replaced.statusCode).toBe(200);
    expect(bodyOf(replaced)).toEqual({ productId: 'p-mug', stock: 0, updatedAt: NOW.toISOString() });
    expect(bodyOf(created)).toEqual({ productId: 'p-tea', stock: 1_000_000, updatedAt: NOW.toISOString() });
    expect(inventory.stock.get('p-mug')?.stock).toBe(0);
    expect(inventory.stock.get('p-tea')?.stock).toBe(1_000_000);
  });

  it('refuses to set stock for a non-admin (403) and for nobody (401), writing nothing', async () => {
    const { api, inventory } = setup();
    const asUser = await invoke(api, put({ stock: 3 }, alice));
    const anonymous = await invoke(api, httpEvent({ routeKey: 'PUT /inventory/{productId}', pathParameters: { productId: 'p-mug' }, body: { stock: 3 } }));
    expect([asUser.statusCode, anonymous.statusCode]).toEqual([403, 401]);
    expect(bodyOf(asUser)).toMatchObject({ code: 'FORBIDDEN' });
    expect(inventory.writes).toBe(0);
    expect(inventory.stock.get('p-mug')?.stock).toBe(7);
  });

  it('answers malformed JSON with 400, writing nothing', async () => {
    const { api, inventory } = setup();
    const result = await invoke(api, put('{"stock":'));
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toMatchObject({ code: 'MALFORMED_JSON' });
    expect(inventory.writes).toBe(0);
  });

  it.each([
    ['a negative count', { stock: -1 }, ['stock']],
    ['a fraction', { stock: 1.5 }, ['stock']],
    ['more than a million', { stock: 1_000_001 }, ['stock']],
    ['a string', { stock: '5' }, ['stock']],
    ['a missing count', {}, ['stock']],
    ['an unknown field', { stock: 5, reserved: 2 }, ['reserved']],
  ])('answers %s with 422 naming the field, writing nothing', async (_, body, paths) => {
    const { api, inventory } = setup();
    const result = await invoke(api, put(body));
    expect(result.statusCode).toBe(422);
    expect((bodyOf(result) as { errors: Array<{ path: string }> }).errors.map((e) => e.path)).toEqual(paths);
    expect(inventory.writes).toBe(0);
  });

  it('answers a malformed product id with 422 on both routes, writing nothing', async () => {
    const { api, inventory } = setup();
    const read = await invoke(api, httpEvent({ routeKey: 'GET /inventory/{productId}', pathParameters: { productId: '../etc' }, caller: alice }));
    const write = await invoke(api, put({ stock: 1 }, admin, '-bad id'));
    expect([read.statusCode, write.statusCode]).toEqual([422, 422]);
    expect(bodyOf(write)).toMatchObject({ errors: [{ path: 'productId' }] });
    expect(inventory.writes).toBe(0);
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    const { api, inventory } = setup();
    inventory.getStock = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    };
    const result = await invoke(api, httpEvent({ routeKey: 'GET /inventory/{productId}', pathParameters: { productId: 'p-mug' }, caller: alice }));
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
  });

  it('writes nothing when an admin sets the count a product already has, and answers the level as it stands', async () => {
    // Prepare
    const { api, inventory } = setup();

    // Act
    const result = await invoke(api, put({ stock: 7 }));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ productId: 'p-mug', stock: 7, updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(inventory.writes).toBe(0);
  });
});
