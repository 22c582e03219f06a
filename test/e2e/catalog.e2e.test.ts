import { randomBytes } from 'node:crypto';
import { eventually } from './support/eventually';
import { bodyAs, problemSchema, productPageSchema, productViewSchema, ShopClient, type Address, type ApiReply, type ProductView } from './support/shop-client';
import { isRemoteTarget, startShopTarget, type ShopTarget } from './support/target';

/*
 * The catalog as its readers and admins see it, over HTTP only: categories
 * and images, filtering and paging, and the units on sale following stock
 * changes that happen elsewhere (PUT /inventory, an order's reservation and
 * its release), read without a token. Runs on the local cloud by default, on
 * a deployed stack when SHOP_API_URL is set; every product and category is
 * this run's own.
 */

const remote = isRemoteTarget();
jest.setTimeout(remote ? 180_000 : 90_000);

const run = randomBytes(4).toString('hex');
/** A category of this run only, so filters see nothing of other runs on a shared stack. */
const category = (name: string) => `e2e-${run}-${name}`;

let target: ShopTarget;
let shop: ShopClient;
const createdProducts: string[] = [];

const PRICE = { amount: 990, currency: 'EUR' } as const;
const IMAGE = 'https://images.example.com/e2e/mug.jpg';

const address = (): Address => ({ name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' });

const createProduct = async (name: string, fields: Record<string, unknown>): Promise<ApiReply> => {
  const id = `e2e-${run}-${name}`;
  const reply = await shop.call('POST', '/products', { as: target.admin, json: { id, name: `e2e ${name}`, price: PRICE, ...fields } });
  if (reply.status === 201) createdProducts.push(id);
  return reply;
};

/** Every product of a listing, following its cursors without a token. */
const listAll = async (query: string, limit = 2): Promise<ProductView[]> => {
  const items: ProductView[] = [];
  let cursor: string | undefined;
  do {
    const reply = await shop.call('GET', `/products?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const page = bodyAs(productPageSchema, reply);
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
};

const expectProblem = (reply: ApiReply, status: number, code: string) => {
  expect(reply).toMatchObject({ status, contentType: 'application/problem+json', body: { status, code } });
  return bodyAs(problemSchema, reply);
};

beforeAll(async () => {
  target = await startShopTarget();
  shop = new ShopClient(target);
}, 240_000);

afterAll(async () => {
  if (!target) return;
  try {
    for (const id of createdProducts) await shop.call('DELETE', `/products/${id}`, { as: target.admin });
  } finally {
    await target.stop();
  }
});

describe('catalog', () => {
  it('creates a product with a category and an https image, which anyone reads without a token: nothing on sale yet', async () => {
    // Act
    const created = await createProduct('mug', { category: category('kitchen'), imageUrl: IMAGE });
    const read = await shop.call('GET', `/products/e2e-${run}-mug`);

    // Assess
    expect(created).toMatchObject({ status: 201, location: `/products/e2e-${run}-mug` });
    expect(bodyAs(productViewSchema, read)).toMatchObject({ id: `e2e-${run}-mug`, category: category('kitchen'), imageUrl: IMAGE, available: 0, inStock: false });
  });

  it('refuses a product without a category, or with an http image URL, with 422 naming the field, and creates nothing', async () => {
    // Act
    const noCategory = await createProduct('no-category', {});
    const httpImage = await createProduct('http-image', { category: category('kitchen'), imageUrl: 'http://images.example.com/e2e/mug.jpg' });
    const upperCase = await createProduct('upper-case', { category: 'Kitchen' });

    // Assess
    expect(expectProblem(noCategory, 422, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ path: 'category' })]);
    expect(expectProblem(httpImage, 422, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ path: 'imageUrl' })]);
    expect(expectProblem(upperCase, 422, 'VALIDATION_FAILED').errors).toEqual([expect.objectContaining({ path: 'category' })]);
    for (const name of ['no-category', 'http-image', 'upper-case']) expect((await shop.call('GET', `/products/e2e-${run}-${name}`)).status).toBe(404);
  });

  it('filters by category, in id order, and keeps unknown query parameters a 422', async () => {
    // Prepare
    for (const name of ['tea-b', 'tea-a']) await createProduct(name, { category: category('tea') });
    await createProduct('cup', { category: category('cups') });

    // Act
    const tea = await listAll(`category=${category('tea')}`);
    const cups = await listAll(`category=${category('cups')}`);
    const none = await listAll(`category=${category('nothing')}`);
    const unknown = await shop.call('GET', `/products?category=${category('tea')}&sort=name`);

    // Assess
    expect(tea.map((p) => p.id)).toEqual([`e2e-${run}-tea-a`, `e2e-${run}-tea-b`]);
    expect(cups.map((p) => p.id)).toEqual([`e2e-${run}-cup`]);
    expect(none).toEqual([]);
    expectProblem(unknown, 422, 'VALIDATION_FAILED');
  });

  it('pages without skipping or repeating a product while products are added between pages', async () => {
    // Prepare
    const paged = category('paged');
    for (const name of ['p-b', 'p-d', 'p-f', 'p-h']) await createProduct(name, { category: paged });
    const first = bodyAs(productPageSchema, await shop.call('GET', `/products?category=${paged}&limit=2`));

    // Act
    for (const name of ['p-a', 'p-c', 'p-g', 'p-i']) await createProduct(name, { category: paged });
    const rest = first.nextCursor ? await (async () => {
      const items: ProductView[] = [];
      let cursor: string | undefined = first.nextCursor;
      while (cursor) {
        const page = bodyAs(productPageSchema, await shop.call('GET', `/products?category=${paged}&limit=2&cursor=${encodeURIComponent(cursor)}`));
        items.push(...page.items);
        cursor = page.nextCursor;
      }
      return items;
    })() : [];
    const seen = [...first.items, ...rest].map((p) => p.id.slice(`e2e-${run}-`.length));

    // Assess
    expect(seen).toEqual(['p-b', 'p-d', 'p-f', 'p-g', 'p-h', 'p-i']);
  });

  it('shows the units on sale while they are few, following PUT /inventory, an order reserving them and a cancelled order giving them back', async () => {
    // Prepare
    await createProduct('stocked', { category: category('kitchen') });
    const id = `e2e-${run}-stocked`;

    // Act / Assess: a stock take of many shows the product in stock, without a count
    await shop.setStock(target.admin, id, 50);
    const plenty = await shop.availableReaches(id, 50);
    expect(plenty).toMatchObject({ inStock: true });
    expect(plenty).not.toHaveProperty('available');

    // Act / Assess: an order taking all but 7 leaves few, and the count shows
    const confirmed = await shop.placeAcceptedOrder(target.userA, { items: [{ productId: id, quantity: 43 }], paymentToken: 'tok_visa', shippingAddress: address() });
    expect((await shop.outcomeOf(target.userA, confirmed)).status).toBe('CONFIRMED');
    expect(await shop.availableReaches(id, 7)).toMatchObject({ available: 7, inStock: true });

    // Act / Assess: a declined order reserves 2 and releases them (the release's change is the newest, so the units come
    // back to 7 once both changes have landed, whichever order they arrive in)
    const declined = await shop.placeAcceptedOrder(target.userA, { items: [{ productId: id, quantity: 2 }], paymentToken: 'tok_decline', shippingAddress: address() });
    expect((await shop.outcomeOf(target.userA, declined)).status).toBe('CANCELLED');
    expect((await shop.availableReaches(id, 7)).available).toBe(7);

    // Act / Assess: sold out, and the listing says so too (an index, which may lag the product a moment on AWS)
    await shop.setStock(target.admin, id, 0);
    await shop.availableReaches(id, 0);
    const listed = await eventually(
      `product ${id} listed as out of stock`,
      async () => (await listAll(`category=${category('kitchen')}`, 100)).find((p) => p.id === id),
      (p) => p?.available === 0,
      { timeoutMs: target.waitMs },
    );
    expect(listed).toMatchObject({ available: 0, inStock: false });
  });
});
