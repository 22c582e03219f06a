import fc from 'fast-check';
import { healthRoutes } from '../../functions/health/routes';
import { ShopClient } from '../e2e/support/shop-client';
import { mintCallers, seedingAdmin } from './support/callers';
import { startFuzzTarget, type FuzzTarget } from './support/fuzz-target';
import { describeCase, describeReply, judge, type FuzzCase } from './support/model';
import { RawClient, type RawReply } from './support/raw-client';
import { API_ROUTES, healthRequests, requestsTo, routeModels, type FuzzWorld } from './support/requests';
import { describeSnapshot, diffSnapshots, TableScanner, type TableSnapshot } from './support/table-snapshot';

/*
 * Property-based bad input against every route of the API, on the local
 * cloud: malformed JSON, wrong types, missing and unknown fields, bad
 * quantities and ids, oversized bodies, odd Unicode, bad content types,
 * header abuse, refused credentials, broken query strings and cursors.
 * Every request is refused by construction, and must be refused with the
 * answer its earliest defect earns: a 4xx problem+json from our functions
 * (status and code), or API Gateway's own 4xx, never a 5xx, and without
 * writing anything (every table is scanned before and after each write
 * attempt, and over the whole run).
 *
 * FUZZ_SEED=<n> replays or varies the run (a fixed seed by default, so a
 * failure is reproducible); FUZZ_RUNS=<n> sets the number of cases against
 * the routes (600 by default; the probes, GET /health and GET /ready, get a tenth more).
 */

const positiveInteger = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, not '${raw}'.`);
  return value;
};

const SEED = positiveInteger('FUZZ_SEED', 20_240_611);
const ROUTE_RUNS = positiveInteger('FUZZ_RUNS', 600);
const HEALTH_RUNS = Math.max(20, Math.ceil(ROUTE_RUNS / 10));
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** How long the asynchronous work of a wrongly accepted request (an order's saga) is given to finish. */
const SETTLE_MS = 3000;

jest.setTimeout(240_000);

let target: FuzzTarget;
let client: RawClient;
let scanner: TableScanner;
let world: FuzzWorld;
let baseline: TableSnapshot;
/** The tables as the last write attempt left them: each case is checked against its own "before". */
let lastSnapshot: TableSnapshot;

const stats = { cases: 0, byRoute: new Map<string, number>(), byAnswer: new Map<string, number>(), started: 0 };

const count = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);

const send = (fuzzCase: FuzzCase): Promise<RawReply> => {
  const body = fuzzCase.body === undefined ? undefined : fuzzCase.body.kind === 'bytes' ? fuzzCase.body.bytes : Buffer.alloc(fuzzCase.body.length, 0x61);
  return client.send({ method: fuzzCase.method, target: fuzzCase.target, headers: fuzzCase.headers, ...(body === undefined ? {} : { body }) }, fuzzCase.routed);
};

/** Sends one case and throws, with everything needed to replay it, if the answer breaks the contract or a table changed. */
const check = async (fuzzCase: FuzzCase): Promise<RawReply> => {
  const reply = await send(fuzzCase);
  const { violations, classified } = judge(fuzzCase, reply);
  if (WRITE_METHODS.has(fuzzCase.method) || reply.status < 300) {
    const now = await scanner.snapshot();
    const changes = diffSnapshots(lastSnapshot, now);
    lastSnapshot = now;
    if (changes.length > 0) violations.push(`the tables changed:\n      ${changes.slice(0, 10).join('\n      ')}`);
  }
  if (violations.length > 0 && reply.status < 300) {
    // Whatever the wrongly accepted request set off (an order's saga) finishes before the next case, so it is not blamed for it.
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    lastSnapshot = await scanner.snapshot();
  }
  stats.cases += 1;
  count(stats.byRoute, fuzzCase.route);
  count(stats.byAnswer, classified.source === 'handler' ? `${reply.status} ${classified.code}` : classified.source === 'gateway' ? `${reply.status} (API Gateway)` : String(reply.status));
  if (violations.length > 0) {
    const header = reply.headers['x-correlation-id'];
    const correlationId = classified.source === 'handler' ? classified.correlationId : typeof header === 'string' ? header : undefined;
    throw new Error(
      [
        describeCase(fuzzCase),
        describeReply(reply),
        'Violations:',
        ...violations.map((v) => `  - ${v}`),
        target.diagnostics(correlationId),
      ].join('\n'),
    );
  }
  return reply;
};

beforeAll(async () => {
  stats.started = Date.now();
  target = await startFuzzTarget();
  const seeder = new ShopClient({ apiUrl: target.apiUrl, waitMs: 60_000, diagnostics: target.diagnostics });
  const admin = seedingAdmin(target.cloud.issuer);
  await seeder.stockProduct(admin, { id: 'fuzz-mug', name: 'Fuzz mug', price: { amount: 1250, currency: 'EUR' } }, 100);
  await seeder.stockProduct(admin, { id: 'fuzz-beans', name: 'Fuzz beans', price: { amount: 899, currency: 'EUR' } }, 50);
  await seeder.stockProduct(admin, { id: 'fuzz-dollar', name: 'Fuzz dollar', price: { amount: 500, currency: 'USD' } }, 10);
  await seeder.stockProduct(admin, { id: 'fuzz-pricey', name: 'Fuzz pricey', price: { amount: Number.MAX_SAFE_INTEGER, currency: 'EUR' } }, 5);
  // Stock reaches the catalog as events (inventory's outbox → catalog's queue): let them land before the baseline, so the
  // tables hold still while the fuzzer watches them.
  await Promise.all(
    Object.entries({ 'fuzz-mug': 100, 'fuzz-beans': 50, 'fuzz-dollar': 10, 'fuzz-pricey': 5 }).map(([id, units]) => seeder.availableReaches(id, units)),
  );
  world = {
    callers: mintCallers(target.cloud.issuer),
    products: { euro: ['fuzz-mug', 'fuzz-beans'], dollar: 'fuzz-dollar', pricey: 'fuzz-pricey' },
  };
  client = new RawClient(target.apiUrl, target.throttleOf);
  scanner = new TableScanner(target.cloud.dynamoDbEndpoint, [...target.cloud.tables.values()]);
  baseline = await scanner.snapshot();
  lastSnapshot = baseline;
}, 240_000);

afterAll(async () => {
  const seconds = ((Date.now() - stats.started) / 1000).toFixed(1);
  const routes = [...stats.byRoute].sort(([a], [b]) => a.localeCompare(b)).map(([route, n]) => `    ${route}: ${n}`);
  const answers = [...stats.byAnswer].sort(([, a], [, b]) => b - a).map(([answer, n]) => `    ${answer}: ${n}`);
  process.stdout.write(
    [
      `API fuzzing: ${stats.cases} cases in ${seconds} s (seed ${SEED}; FUZZ_SEED=${SEED} replays it), start-up included`,
      '  cases by route:',
      ...routes,
      '  answers:',
      ...answers,
      '',
    ].join('\n'),
  );
  client?.close();
  scanner?.close();
  await target?.stop();
}, 60_000);

describe('the HTTP API under property-based bad input (local cloud)', () => {
  it('has a request model for every route of every route table', () => {
    const modelled = [...routeModels(world).map((route) => route.key), ...Object.keys(healthRoutes)].sort();
    expect(modelled).toEqual(Object.keys(API_ROUTES).sort());
  });

  it('refuses every malformed request to every route with the 4xx its first defect earns, never a 5xx, writing nothing', async () => {
    const models = routeModels(world);
    const requests = fc.oneof(...models.map((route) => ({ weight: route.weight, arbitrary: requestsTo(route, world) })));
    const before = stats.cases;

    await fc.assert(
      fc.asyncProperty(requests, async (fuzzCase) => {
        await check(fuzzCase);
      }),
      { seed: SEED, numRuns: ROUTE_RUNS },
    );

    expect(stats.cases - before).toBeGreaterThanOrEqual(ROUTE_RUNS);
    for (const route of models) expect({ route: route.key, exercised: (stats.byRoute.get(route.key) ?? 0) > 0 }).toEqual({ route: route.key, exercised: true });
  });

  it('answers GET /health and GET /ready 200 whatever junk comes with them, and 404 to their look-alikes', async () => {
    await fc.assert(
      fc.asyncProperty(healthRequests(world), async (fuzzCase) => {
        const reply = await check(fuzzCase);
        if (fuzzCase.defects.length === 0) {
          const body: unknown = JSON.parse(reply.body.toString('utf8'));
          expect(body).toMatchObject({ status: fuzzCase.route === 'GET /ready' ? 'ready' : 'ok' });
        }
      }),
      { seed: SEED + 1, numRuns: HEALTH_RUNS },
    );
  });

  it('leaves every table exactly as it was before the run', async () => {
    const after = await scanner.snapshot();

    expect(diffSnapshots(baseline, after)).toEqual([]);
    expect(describeSnapshot(after)).toBe(describeSnapshot(baseline));
  });
});
