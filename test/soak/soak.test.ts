import { MAX_SEED } from '../../local/support/random';
import { runSoak, type SoakReport } from '../../bench/soak/run-soak';

/*
 * The reduced chaos soak: 150 orders at concurrency 10 on the local cloud,
 * with the default faults on (errors, latency, timeouts, crashes, duplicate
 * deliveries and Express starts, DynamoDB conflicts), run twice: on the
 * Standard saga with a fixed seed (the one whose full-size run left orders
 * behind before the reconciler existed), and on the Express saga with a
 * fresh random seed, printed in the test's name, so every run also tries a
 * mix nobody tuned for. Every invariant must come out 0 and every order must
 * end terminal. `npm run soak` is the full-size run; a failure names the
 * seed, so the same mix and faults can be run again
 * (`npm run soak -- --orders 150 --concurrency 10 --users 6 --saga <type> --seed <seed>`).
 * SHOP_SOAK_SEED replaces the random seed.
 */

jest.setTimeout(480_000);

/** The seed of issue 13's report: its 1,000-order soak left an order confirmed by its saga PENDING, and one with no saga at all. */
const FIXED_SEED = 3051019498;

const seedFromEnv = (): number => {
  const raw = process.env.SHOP_SOAK_SEED;
  if (raw === undefined || raw === '') return Math.floor(Math.random() * MAX_SEED);
  const seed = Number(raw);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new Error(`SHOP_SOAK_SEED must be an integer from 0 to ${MAX_SEED}, not '${raw}'`);
  return seed;
};

const ORDERS = 150;

describe.each([
  { kind: 'fixed', seed: FIXED_SEED, saga: 'standard' as const },
  { kind: 'random', seed: seedFromEnv(), saga: 'express' as const },
])('reduced chaos soak ($saga saga, $kind seed $seed: 150 orders, concurrency 10, faults on)', ({ kind, seed, saga }) => {
  let report: SoakReport;

  beforeAll(async () => {
    // Printed whether the run passes or not: a seed nobody tuned for is worth keeping when it finds something later.
    console.info(`reduced chaos soak, ${saga} saga, ${kind} seed ${seed} (again: npm run soak -- --orders ${ORDERS} --concurrency 10 --users 6 --saga ${saga} --seed ${seed})`);
    report = await runSoak({ orders: ORDERS, concurrency: 10, users: 6, seed, saga });
  }, 240_000);

  it(`runs the ${saga} saga`, () => {
    expect(report.saga).toBe(saga);
  });

  it('runs with faults injected, DynamoDB transaction conflicts and throttling included', () => {
    expect(report.faults.length).toBeGreaterThan(0);
    expect(report.injected).toEqual(expect.objectContaining({ functionError: expect.any(Number), transactionConflict: expect.any(Number), dynamoDbThrottling: expect.any(Number) }));
  });

  it('keeps every invariant at 0', () => {
    const violated = report.invariants
      .filter((invariant) => !invariant.ok)
      .map(({ id, value, breakdown, examples }) => ({ id, value, ...(breakdown ? { breakdown } : {}), examples }));

    expect({ seed, violated, diagnostics: violated.length > 0 ? report.diagnostics.slice(0, 80) : [] }).toEqual({ seed, violated: [], diagnostics: [] });
  });

  it('sees every order accepted and terminal', () => {
    const byId = Object.fromEntries(report.invariants.map((invariant) => [invariant.id, invariant.value]));

    expect({ placementFailures: byId.placementFailures, ordersNotTerminal: byId.ordersNotTerminal, seenTerminal: report.latency.samples }).toEqual({
      placementFailures: 0,
      ordersNotTerminal: 0,
      seenTerminal: ORDERS,
    });
    expect(report.outcomes.PENDING).toBeUndefined();
  });

  it('exercises what it claims to: declines, out of stock, unserved country, shipping, cancellations, and duplicate deliveries', () => {
    expect(Object.keys(report.outcomes)).toEqual(
      expect.arrayContaining(['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED(OUT_OF_STOCK)', 'CANCELLED(PAYMENT_DECLINED)', 'CANCELLED(SHIPPING_UNAVAILABLE)', 'CANCELLED(CUSTOMER_REQUEST)']),
    );
    expect(report.faults.some((line) => /duplicate/i.test(line))).toBe(true);
  });

  it('cancels orders before, during and after their saga, and every cancellation is answered', () => {
    const moments = new Set(Object.keys(report.cancellations).map((key) => key.split(' ')[0]));
    const answers = new Set(Object.keys(report.cancellations).map((key) => key.split(' ')[1]));

    expect([...moments].sort()).toEqual(['after', 'before', 'during']);
    expect([...answers].filter((answer) => answer !== '202' && answer !== '409')).toEqual([]);
  });

  it('runs exactly one saga per order although OrderPlaced is delivered (and an Express saga started) more than once', () => {
    // A Standard saga's starter names the execution after the order: a second start finds the name taken. An Express
    // saga's duplicates start, find the order claimed and end at AlreadyHandled, having done nothing.
    const { AlreadyHandled: duplicates = 0, ...sagas } = report.executions;
    expect(Object.values(sagas).reduce((sum, count) => sum + count, 0)).toBe(report.orders + report.warmup);
    if (saga === 'express') expect(duplicates).toBeGreaterThan(0);
    else expect(duplicates).toBe(0);
  });
});
