/**
 * Demo data for `npm start` and `npm run seed` (a deployed stage), written
 * through the shop's own API as an admin would: a few products in three
 * categories, with stock. Safe to run again (with --persist, or on a stage):
 * existing products and stock are left alone.
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
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'SeedError';
  }
}

/** What the seed did to one product. */
export interface SeededProduct {
  readonly id: string;
  /** `created`: new in the catalog; `kept`: it was there and is left as it is (`categorized`: it only got its category). */
  readonly product: 'created' | 'kept' | 'categorized';
  /** `set`: the product had no stock row and got the demo count; `kept`: its stock (an operator's, or orders') is left alone. */
  readonly stock: 'set' | 'kept';
  /** The units in stock after the seed, when the seed set them or could read them. */
  readonly units?: number;
}

/** What {@link seedCatalog} did, product by product. */
export interface SeedReport {
  readonly products: readonly SeededProduct[];
  /** True when the run wrote nothing: every product and stock row was there already. */
  readonly unchanged: boolean;
}

/** Options of {@link seedCatalog}. */
export interface SeedOptions {
  /** @default DEMO_PRODUCTS */
  readonly products?: readonly DemoProduct[];
  /** Called once per product, once it is done, for progress lines. */
  readonly onProduct?: (done: SeededProduct, index: number, total: number) => void;
}

const describeStatus = (method: string, path: string, status: number, body: string): string => {
  if (status === 401) {
    return `${method} ${path} answered 401: the API refused the token (expired, signed by another user pool or app client, or an access token where an ID token is needed). Sign in again for a fresh ID token.`;
  }
  if (status === 403) {
    return `${method} ${path} answered 403: the token is not an admin's. Add the user to the user pool's 'admin' group, then sign in again (a token carries the groups it was issued with).`;
  }
  return `${method} ${path} answered ${status}: ${body.slice(0, 500)}`;
};

/** How often a 429 or 503 with `Retry-After` (a throttle, an open circuit breaker) is tried again, and the longest wait honoured. */
const BUSY_RETRIES = 3;
const MAX_RETRY_AFTER_MS = 5_000;

const retryAfterMs = (response: Response): number | undefined => {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const seconds = Number(response.headers.get('retry-after') ?? '1');
  return Math.min(Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 1000, MAX_RETRY_AFTER_MS);
};

const call = async (apiUrl: string, path: string, token: string, method: string, body?: unknown): Promise<Response> => {
  try {
    for (let attempt = 0; ; attempt += 1) {
      const response = await fetch(`${apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const waitMs = retryAfterMs(response);
      if (waitMs === undefined || attempt >= BUSY_RETRIES) return response;
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    const reason = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : String(cause);
    throw new SeedError(`Cannot reach the API at ${apiUrl} (${reason}): is the URL the stack's ApiUrl output, and is the stack deployed?`, { cause: error });
  }
};

const unexpected = async (method: string, path: string, response: Response): Promise<SeedError> =>
  new SeedError(describeStatus(method, path, response.status, await response.text()));

/**
 * A demo product kept (--persist) from before products had categories reads
 * back as `uncategorized` and is in no listing: give it its category (and
 * image), the one change the seed makes to an existing product.
 */
const categorizeLegacy = async (apiUrl: string, adminToken: string, product: DemoProduct): Promise<boolean> => {
  const path = `/products/${product.id}`;
  const current = await call(apiUrl, path, adminToken, 'GET');
  if (current.status !== 200) throw await unexpected('GET', path, current);
  const { category } = (await current.json()) as { category?: unknown };
  if (category !== 'uncategorized') return false;
  const changes = { category: product.category, ...(product.imageUrl ? { imageUrl: product.imageUrl } : {}) };
  const updated = await call(apiUrl, path, adminToken, 'PUT', changes);
  if (updated.status !== 200) throw await unexpected('PUT', path, updated);
  return true;
};

const unitsOf = async (response: Response): Promise<number | undefined> => {
  const { stock } = (await response.json()) as { stock?: unknown };
  return typeof stock === 'number' ? stock : undefined;
};

/**
 * Loads the demo catalog (products and their stock) through the shop's HTTP
 * API, as an admin would, on the local cloud or a deployed stage. Idempotent:
 * a product that exists is left as it is, and stock is set only where a
 * product has none, so a rerun writes nothing and never undoes an
 * operator's stock change or an order's reservation.
 */
export const seedCatalog = async (apiUrl: string, adminToken: string, options: SeedOptions = {}): Promise<SeedReport> => {
  const base = apiUrl.replace(/\/+$/, '');
  const products = options.products ?? DEMO_PRODUCTS;
  const done: SeededProduct[] = [];
  for (const product of products) {
    const { stock, ...fields } = product;
    const response = await call(base, '/products', adminToken, 'POST', fields);
    let state: SeededProduct['product'];
    if (response.status === 201) state = 'created';
    else if (response.status === 409) state = (await categorizeLegacy(base, adminToken, product)) ? 'categorized' : 'kept';
    else throw await unexpected('POST', `/products (${product.id})`, response);
    const path = `/inventory/${product.id}`;
    const current = await call(base, path, adminToken, 'GET');
    let seeded: SeededProduct;
    if (current.status === 404) {
      const set = await call(base, path, adminToken, 'PUT', { stock });
      if (set.status !== 200) throw await unexpected('PUT', path, set);
      seeded = { id: product.id, product: state, stock: 'set', units: stock };
    } else if (current.status === 200) {
      const units = await unitsOf(current);
      seeded = { id: product.id, product: state, stock: 'kept', ...(units === undefined ? {} : { units }) };
    } else {
      throw await unexpected('GET', path, current);
    }
    done.push(seeded);
    options.onProduct?.(seeded, done.length, products.length);
  }
  return { products: done, unchanged: done.every((p) => p.product === 'kept' && p.stock === 'kept') };
};

/** Creates the demo products and their stock; returns how many were new. */
export const seedDemoData = async (apiUrl: string, adminToken: string, products: readonly DemoProduct[] = DEMO_PRODUCTS): Promise<number> =>
  (await seedCatalog(apiUrl, adminToken, { products })).products.filter((p) => p.product === 'created').length;
