import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BreakerStoreUnavailableError } from '../../functions/shared/breaker-store';
import { DynamoDbBreakerStore } from '../../functions/shared/dynamodb-breaker-store';
import { CircuitOpenError, SharedCircuitBreaker } from '../../functions/shared/shared-circuit-breaker';
import { RecordingBreakerObserver } from '../fakes/breaker-store';
import { createTestTable, scanAll, testDocumentClient } from '../support/dynamodb';

const DEPENDENCY = 'payment-provider';
const T0 = Date.parse('2026-03-01T12:00:00.000Z');

describe('DynamoDbBreakerStore (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let store: DynamoDbBreakerStore;

  beforeEach(async () => {
    tableName = await createTestTable();
    store = new DynamoDbBreakerStore(tableName, client);
  });
  afterAll(() => client.destroy());

  it('reads a dependency nothing was written for as CLOSED without failures, and writes nothing', async () => {
    expect(await store.read(DEPENDENCY)).toEqual({ state: 'CLOSED', failures: 0 });
    expect(await scanAll(client, tableName)).toEqual([]);
  });

  it('counts twenty concurrent failures as twenty, under BREAKER#<dependency>', async () => {
    // Act
    const counted = await Promise.all(Array.from({ length: 20 }, (_, i) => store.addFailure(DEPENDENCY, T0 + i)));

    // Assess
    expect(counted.map((snapshot) => (snapshot.state === 'CLOSED' ? snapshot.failures : Number.NaN)).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await scanAll(client, tableName)).toEqual([expect.objectContaining({ pk: `BREAKER#${DEPENDENCY}`, breakerState: 'CLOSED', failures: 20 })]);
  });

  it('opens once, only from CLOSED with enough failures, and then counts no failure', async () => {
    // Prepare
    for (let i = 0; i < 4; i += 1) await store.addFailure(DEPENDENCY, T0);

    // Act
    const tooFew = await store.open(DEPENDENCY, { minFailures: 5, openUntil: T0 + 30_000, at: T0 });
    await store.addFailure(DEPENDENCY, T0);
    const racing = await Promise.all([1, 2, 3].map(() => store.open(DEPENDENCY, { minFailures: 5, openUntil: T0 + 30_000, at: T0 })));
    const whileOpen = await store.addFailure(DEPENDENCY, T0 + 1);

    // Assess
    expect(tooFew).toBe(false);
    expect(racing.filter(Boolean)).toHaveLength(1);
    expect(whileOpen).toEqual({ state: 'OPEN', openUntil: T0 + 30_000 });
  });

  it('lets one of several claimants probe, and only once the open window is over; only the probe settles it', async () => {
    // Prepare
    for (let i = 0; i < 5; i += 1) await store.addFailure(DEPENDENCY, T0);
    await store.open(DEPENDENCY, { minFailures: 5, openUntil: T0 + 30_000, at: T0 });

    // Act
    const early = await store.claimProbe(DEPENDENCY, { probeId: 'early', probeUntil: T0 + 60_000, at: T0 + 29_999 });
    const claims = await Promise.all(['a', 'b', 'c', 'd'].map((probeId) => store.claimProbe(DEPENDENCY, { probeId, probeUntil: T0 + 60_000, at: T0 + 30_000 }).then((won) => (won ? probeId : undefined))));
    const winner = claims.find((id) => id !== undefined) ?? '';
    const loserSettles = await store.settleProbe(DEPENDENCY, { probeId: winner === 'a' ? 'b' : 'a', to: 'CLOSED', at: T0 + 30_001 });
    const halfOpen = await store.read(DEPENDENCY);
    const winnerSettles = await store.settleProbe(DEPENDENCY, { probeId: winner, to: 'CLOSED', at: T0 + 30_001 });

    // Assess
    expect(early).toBe(false);
    expect(claims.filter((id) => id !== undefined)).toHaveLength(1);
    expect(loserSettles).toBe(false);
    expect(halfOpen).toEqual({ state: 'HALF_OPEN', probeUntil: T0 + 60_000 });
    expect(winnerSettles).toBe(true);
    expect(await store.read(DEPENDENCY)).toEqual({ state: 'CLOSED', failures: 0 });
  });

  it('resets the failures of a CLOSED breaker only', async () => {
    await store.addFailure(DEPENDENCY, T0);
    await store.resetFailures(DEPENDENCY, T0 + 1);
    expect(await store.read(DEPENDENCY)).toEqual({ state: 'CLOSED', failures: 0 });
    await store.resetFailures('never-failed', T0);
    expect(await scanAll(client, tableName)).toHaveLength(1);
  });

  it('lets exactly one of twenty environments sharing the table probe, and opens and closes once', async () => {
    // Prepare
    let clock = T0;
    const observer = new RecordingBreakerObserver();
    const environments = Array.from(
      { length: 20 },
      () => new SharedCircuitBreaker({ dependency: DEPENDENCY, store: new DynamoDbBreakerStore(tableName, client), observer, now: () => clock }),
    );
    await Promise.all(environments.slice(0, 5).map((breaker) => breaker.guard(() => Promise.reject(new Error('down'))).catch(() => undefined)));
    clock += 30_000;
    let probes = 0;
    let refusals = 0;
    let allRefused: () => void = () => undefined;
    const othersRefused = new Promise<void>((resolve) => (allRefused = resolve));

    // Act: the probe answers only once the nineteen others have been turned away
    const results = await Promise.all(
      environments.map((breaker) =>
        breaker
          .guard(async () => {
            probes += 1;
            // A 10 s bound, cleared once the others are refused: a timer left running keeps jest's worker from exiting.
            let bound: NodeJS.Timeout | undefined;
            await Promise.race([othersRefused, new Promise((resolve) => (bound = setTimeout(resolve, 10_000)))]);
            clearTimeout(bound);
            return 'probe';
          })
          .catch((error: unknown) => {
            refusals += 1;
            if (refusals === 19) allRefused();
            return error;
          }),
      ),
    );

    // Assess
    expect(probes).toBe(1);
    expect(results.filter((result) => result instanceof CircuitOpenError && result.state === 'HALF_OPEN')).toHaveLength(19);
    expect(observer.path()).toEqual(['CLOSED→OPEN', 'OPEN→HALF_OPEN', 'HALF_OPEN→CLOSED']);
    expect(await store.read(DEPENDENCY)).toEqual({ state: 'CLOSED', failures: 0 });
  });

  it.each([
    ['an unknown state', { breakerState: 'AJAR' }],
    ['an OPEN breaker without the end of its window', { breakerState: 'OPEN', failures: 0 }],
    ['a HALF_OPEN breaker without the end of its claim', { breakerState: 'HALF_OPEN', probeUntil: 'soon' }],
  ])('refuses to guess about an item it cannot read: %s', async (_what, attributes) => {
    // Prepare: an item no store wrote (edited by hand, say)
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: `BREAKER#${DEPENDENCY}`, ...attributes } }));

    // Act
    const read = await store.read(DEPENDENCY).catch((error: unknown) => error);

    // Assess: not a transient failure to ride out, but a bug to see, naming the table
    expect(read).toBeInstanceOf(Error);
    expect(read).not.toBeInstanceOf(BreakerStoreUnavailableError);
    expect((read as Error).message).toContain(tableName);
  });

  it('says the store is unavailable when DynamoDB throttles it, and lets other errors through', async () => {
    // Prepare
    const throttled = {
      send: async () => {
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
      },
    } as unknown as DynamoDBDocumentClient;

    // Act
    const down = await new DynamoDbBreakerStore(tableName, throttled).read(DEPENDENCY).catch((error: unknown) => error);
    const missingTable = await new DynamoDbBreakerStore(`${tableName}-missing`, client).addFailure(DEPENDENCY, T0).catch((error: unknown) => error);

    // Assess
    expect(down).toBeInstanceOf(BreakerStoreUnavailableError);
    expect((down as Error).message).toContain(tableName);
    expect(missingTable).toMatchObject({ name: 'ResourceNotFoundException' });
  });
});
