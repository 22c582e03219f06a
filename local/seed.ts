/**
 * Demo data for `npm start`, written through the shop's own API as an admin
 * would: a few products in two categories, with stock. Safe to run again
 * (with --persist): existing products and stock are left alone.
 */
export interface DemoProduct {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  /** Where a shop page would load the picture from (example.com: a placeholder, nothing is served there). */
  readonly imageUrl?: string;
  readonly price: { readonly amount: number; readonly currency: string };
  readonly stock: number;
}

const image = (id: string): string => `https://images.example.com/serverless-shop/${id}.jpg`;

export const DEMO_PRODUCTS: readonly DemoProduct[] = [
  { id: 'p-mug', name: 'Enamel mug', description: 'Holds 350 ml of coffee', category: 'kitchen', imageUrl: image('p-mug'), price: { amount: 1250, currency: 'EUR' }, stock: 100 },
  { id: 'p-beans', name: 'Coffee beans, 1 kg', description: 'Medium roast', category: 'coffee', imageUrl: image('p-beans'), price: { amount: 2490, currency: 'EUR' }, stock: 50 },
  { id: 'p-grinder', name: 'Hand grinder', description: 'Ceramic burrs', category: 'coffee', imageUrl: image('p-grinder'), price: { amount: 5900, currency: 'EUR' }, stock: 10 },
  { id: 'p-last-one', name: 'Signed print', description: 'Only one left', category: 'art', price: { amount: 9900, currency: 'EUR' }, stock: 1 },
];

/** The seed could not be written. */
export class SeedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

const call = async (url: string, token: string, method: string, body?: unknown): Promise<Response> =>
  fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

/**
 * A demo product kept (--persist) from before products had categories reads
 * back as `uncategorized` and is in no listing: give it its category (and
 * image), the one change the seed makes to an existing product.
 */
const categorizeLegacy = async (apiUrl: string, adminToken: string, product: DemoProduct): Promise<void> => {
  const current = await call(`${apiUrl}/products/${product.id}`, adminToken, 'GET');
  if (current.status !== 200) throw new SeedError(`GET /products/${product.id} answered ${current.status}: ${await current.text()}`);
  const { category } = (await current.json()) as { category?: unknown };
  if (category !== 'uncategorized') return;
  const changes = { category: product.category, ...(product.imageUrl ? { imageUrl: product.imageUrl } : {}) };
  const updated = await call(`${apiUrl}/products/${product.id}`, adminToken, 'PUT', changes);
  if (updated.status !== 200) throw new SeedError(`PUT /products/${product.id} answered ${updated.status}: ${await updated.text()}`);
};

/** Creates the demo products and their stock; returns how many were new. */
export const seedDemoData = async (apiUrl: string, adminToken: string, products: readonly DemoProduct[] = DEMO_PRODUCTS): Promise<number> => {
  let created = 0;
  for (const product of products) {
    const { stock, ...fields } = product;
    const response = await call(`${apiUrl}/products`, adminToken, 'POST', fields);
    if (response.status === 201) created += 1;
    else if (response.status === 409) await categorizeLegacy(apiUrl, adminToken, product);
    else throw new SeedError(`POST /products ${product.id} answered ${response.status}: ${await response.text()}`);
    const current = await call(`${apiUrl}/inventory/${product.id}`, adminToken, 'GET');
    if (current.status === 404) {
      const set = await call(`${apiUrl}/inventory/${product.id}`, adminToken, 'PUT', { stock });
      if (set.status !== 200) throw new SeedError(`PUT /inventory/${product.id} answered ${set.status}: ${await set.text()}`);
    } else if (current.status !== 200) {
      throw new SeedError(`GET /inventory/${product.id} answered ${current.status}: ${await current.text()}`);
    }
  }
  return created;
};
