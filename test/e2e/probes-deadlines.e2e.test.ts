import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { eventually } from './support/eventually';
import { bodyAs, notReadySchema, problemSchema, readySchema, ShopClient, type ApiReply, type OrderRequest } from './support/shop-client';
import { CollectedLog, type Caller } from './support/target';

/*
 * The probes and the deadlines as a client sees them, with dependencies
 * broken on purpose by the local cloud's fault injection (so on the local
 * cloud only): readiness turns 503 naming what failed and comes back when
 * it recovers, and a catalog that hangs makes POST /orders answer our 503 +
 * Retry-After within its deadline instead of waiting for it, and one that
 * keeps failing opens its circuit, shared by every environment of the
 * orders function. IAM strict.
 */

jest.setTimeout(120_000);

let fresh: FreshLocalCloud;
let shop: ShopClient;
let alice: Caller;
const collected = new CollectedLog();

const TABLES = ['catalog-table', 'inventory-table', 'orders-table', 'payments-table', 'shipping-table'];

const order = (): OrderRequest => ({
  items: [{ productId: 'deadline-mug', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

/** `GET /ready`, timed. Polled every half second at most: the route is throttled to 10 requests/s. */
const ready = async (): Promise<ApiReply & { ms: number }> => {
  const started = Date.now();
  const reply = await shop.call('GET', '/ready');
  return { ...reply, ms: Date.now() - started };
};

const waitForReady = (what: string, done: (reply: ApiReply) => boolean) =>
  eventually(what, ready, done, { timeoutMs: 20_000, intervalMs: 500, diagnostics: () => collected.describe() });

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.01, iam: 'strict' });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 20_000, diagnostics: (id) => collected.describe(id) });
  const admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
  await shop.stockProduct(admin, { id: 'deadline-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 20);
}, 240_000);

afterAll(async () => {
  await fresh?.stop();
});

describe('readiness against the local cloud', () => {
  it('is 503 naming every table while DynamoDB throttles every read, liveness stays 200, and readiness is 200 again once reads pass', async () => {
    // Prepare
    const before = await waitForReady('ready before the faults', (reply) => reply.status === 200);
    expect(Object.values(bodyAs(readySchema, before).checks).every((check) => check.ok)).toBe(true);

    // Act
    const { notReady, live } = await fresh.cloud.withFaults({ dynamodb: { throttleRate: 1 } }, async () => ({
      notReady: await waitForReady('not ready while DynamoDB throttles', (reply) => reply.status === 503),
      live: await shop.call('GET', '/health'),
    }));
    const after = await waitForReady('ready again', (reply) => reply.status === 200);

    // Assess
    expect(notReady).toMatchObject({ contentType: 'application/problem+json', retryAfter: expect.stringMatching(/^[1-3]$/) });
    expect(notReady.ms).toBeLessThan(2500);
    const problem = bodyAs(notReadySchema, notReady);
    for (const table of TABLES) {
      expect(problem.detail).toContain(table);
      expect({ table, ok: problem.checks[table]?.ok }).toEqual({ table, ok: false });
    }
    for (const other of ['events-bus', 'order-saga', 'order-cancellation', 'catalog-get-prices', 'payments-get-payment', 'shipping-get-shipment']) {
      expect({ other, ok: problem.checks[other]?.ok }).toEqual({ other, ok: true });
    }
    expect(live.status).toBe(200);
    expect(after.status).toBe(200);
  });
});

describe('deadlines against the local cloud', () => {
  it("make POST /orders answer 503 + Retry-After in under 3 s while the catalog's GetPrices takes 5 s, placing nothing", async () => {
    // Prepare
    const ordersBefore = (await shop.allOrders(alice)).length;

    // Act
    const { reply, ms } = await fresh.cloud.withFaults({ functions: { 'CatalogGetPrices*': { latencyRate: 1, latencyMs: 5000 } } }, async () => {
      const started = Date.now();
      const answer = await shop.placeOrder(alice, order());
      return { reply: answer, ms: Date.now() - started };
    });

    // Assess
    expect(ms).toBeLessThan(3000);
    expect(reply).toMatchObject({ status: 503, contentType: 'application/problem+json', retryAfter: '1' });
    expect(bodyAs(problemSchema, reply)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', detail: expect.stringMatching(/^CatalogGetPrices\S* did not answer within 2000 ms\.$/) });
    expect((await shop.allOrders(alice)).length).toBe(ordersBefore);
  });

  it('let POST /orders through again once the catalog answers in time', async () => {
    // Act
    const placed = await shop.placeAcceptedOrder(alice, order());

    // Assess
    expect((await shop.outcomeOf(alice, placed)).status).toBe('CONFIRMED');
  });
});

// Last: the circuit it opens stays open for 30 s, past the end of this suite.
describe('the circuit breaker in front of the catalog', () => {
  it('opens after 5 failed calls in a row: the next POST /orders is 503 at once with Retry-After, without calling the catalog even once it is healthy', async () => {
    // Prepare
    const ordersBefore = (await shop.allOrders(alice)).length;
    const failed = await fresh.cloud.withFaults({ functions: { 'CatalogGetPrices*': { errorRate: 1 } } }, async () => {
      const replies: ApiReply[] = [];
      for (let i = 0; i < 5; i += 1) replies.push(await shop.placeOrder(alice, order()));
      return replies;
    });
    const catalogRuns = / CatalogGetPrices\S* (\d+ ms|failed:)/;
    const calledBefore = collected.count(catalogRuns);

    // Act
    const started = Date.now();
    const refused = await shop.placeOrder(alice, order());
    const ms = Date.now() - started;

    // Assess
    expect(failed.map((reply) => `${reply.status} ${bodyAs(problemSchema, reply).detail}`)).toEqual(Array(5).fill(expect.stringMatching(/^503 CatalogGetPrices\S* failed\.$/)));
    expect(refused).toMatchObject({ status: 503, contentType: 'application/problem+json' });
    expect(bodyAs(problemSchema, refused)).toMatchObject({ code: 'DEPENDENCY_UNAVAILABLE', detail: expect.stringMatching(/^CatalogGetPrices\S* was not called: its circuit is open after repeated failures\.$/) });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(25);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(30);
    expect(ms).toBeLessThan(1000);
    expect(calledBefore).toBeGreaterThanOrEqual(5);
    expect(collected.count(catalogRuns)).toBe(calledBefore);
    expect((await shop.allOrders(alice)).length).toBe(ordersBefore);
  });
});
