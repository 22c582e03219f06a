import { createProbesHandler } from '../../../functions/health/handlers/probes';
import type { DependencyCheck } from '../../../functions/health/ports/dependency-check';
import { ReadinessProbe } from '../../../functions/health/use-cases/readiness';
import { logger } from '../../../functions/shared/powertools';
import { bodyOf, httpEvent, invoke } from '../../support/lambda';

/** A check that answers after `ms`, counting its calls and noting when it started and answered. */
const answering = (ms = 0) => {
  const calls = { count: 0, startedAt: [] as number[], answeredAt: [] as number[] };
  const check: DependencyCheck = async () => {
    calls.count += 1;
    calls.startedAt.push(performance.now());
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
    calls.answeredAt.push(performance.now());
  };
  return { check, calls };
};

/** A check that never answers and ignores the abort: the worst a dependency can do. */
const hanging: DependencyCheck = () => new Promise<never>(() => undefined);

/** A check that fails at once with an error that must not reach the public answer. */
const failing: DependencyCheck = async () => {
  throw new Error('User: arn:aws:sts::123456789012:assumed-role/secret-role is not authorized');
};

const setup = (checks: Record<string, DependencyCheck>, options: { deadlineMs?: number; cacheMs?: number; now?: () => number } = {}) => {
  const deadlineMs = options.deadlineMs ?? 1000;
  const readiness = new ReadinessProbe({ checks, deadlineMs, cacheMs: options.cacheMs ?? 0, now: options.now });
  const handler = createProbesHandler({ version: '0.1.0', build: 'v1-3-gabc', readiness, checkDeadlineMs: deadlineMs });
  return {
    health: () => invoke(handler, httpEvent({ routeKey: 'GET /health' })),
    ready: () => invoke(handler, httpEvent({ routeKey: 'GET /ready' })),
  };
};

describe('GET /health (liveness)', () => {
  it('answers 200 with the version without calling any dependency, even when they are all down', async () => {
    // Prepare
    const counted = answering();
    const { health } = setup({ 'orders-table': hanging, 'events-bus': failing, 'catalog-get-prices': counted.check });

    // Act
    const started = Date.now();
    const response = await health();

    // Assess
    expect(Date.now() - started).toBeLessThan(200);
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json', 'cache-control': 'no-store' });
    expect(bodyOf(response)).toEqual({ status: 'ok', version: '0.1.0', build: 'v1-3-gabc' });
    expect(counted.calls.count).toBe(0);
  });
});

describe('GET /ready (readiness)', () => {
  it('answers 200 with every check ok and how long it took, having run them in parallel', async () => {
    // Prepare
    const table = answering(150);
    const bus = answering(150);
    const { ready } = setup({ 'orders-table': table.check, 'events-bus': bus.check });

    // Act
    const response = await ready();

    // Assess
    expect(Math.max(...table.calls.startedAt, ...bus.calls.startedAt)).toBeLessThan(Math.min(...table.calls.answeredAt, ...bus.calls.answeredAt));
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response)).toEqual({
      status: 'ready',
      checks: { 'orders-table': { ok: true, ms: expect.any(Number) }, 'events-bus': { ok: true, ms: expect.any(Number) } },
    });
    expect((bodyOf(response) as { checks: Record<string, { ms: number }> }).checks['orders-table']?.ms).toBeGreaterThanOrEqual(145);
  });

  it('answers 503 problem+json within about its 1 s deadline when a dependency never answers, naming it as timed out', async () => {
    // Prepare
    const { ready } = setup({ 'orders-table': hanging, 'events-bus': answering().check });
    const started = Date.now();

    // Act
    const response = await ready();

    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(995);
    expect(elapsed).toBeLessThan(1800);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '1', 'cache-control': 'no-store' });
    expect(bodyOf(response)).toEqual({
      type: 'urn:serverless-shop:problem:not-ready',
      title: 'Service Unavailable',
      status: 503,
      code: 'NOT_READY',
      detail: 'Not ready: orders-table (timed out after 1000 ms).',
      instance: '/ready',
      correlationId: expect.any(String),
      checks: { 'orders-table': { ok: false, ms: expect.any(Number), reason: 'timed out' }, 'events-bus': { ok: true, ms: expect.any(Number) } },
    });
  });

  it('answers 503 naming a dependency that fails, without showing the public its error', async () => {
    // Prepare
    const { ready } = setup({ 'events-bus': failing, 'order-saga': answering().check, 'catalog-get-prices': hanging }, { deadlineMs: 100 });

    // Act
    const response = await ready();

    // Assess
    expect(response.statusCode).toBe(503);
    expect(bodyOf(response)).toMatchObject({
      detail: 'Not ready: events-bus (failed), catalog-get-prices (timed out after 100 ms).',
      checks: { 'events-bus': { ok: false, reason: 'failed' }, 'order-saga': { ok: true }, 'catalog-get-prices': { ok: false, reason: 'timed out' } },
    });
    expect(response.body).not.toMatch(/secret-role|not authorized/);
  });

  it('serves one round of checks again until it is cacheMs old, shares it between concurrent requests, and says when to retry', async () => {
    // Prepare
    let clock = 1_000_000;
    const bus = answering();
    let down = true;
    const table: DependencyCheck = async () => {
      if (down) throw new Error('throttled');
    };
    const { ready } = setup({ 'events-bus': bus.check, 'orders-table': table }, { cacheMs: 3000, now: () => clock });

    // Act
    const [first, concurrent] = await Promise.all([ready(), ready()]);
    down = false;
    clock += 1200;
    const cached = await ready();
    clock += 1800;
    const fresh = await ready();

    // Assess
    expect([first.statusCode, concurrent.statusCode, cached.statusCode, fresh.statusCode]).toEqual([503, 503, 503, 200]);
    expect(first.headers?.['retry-after']).toBe('3');
    expect(cached.headers?.['retry-after']).toBe('2');
    expect(bus.calls.count).toBe(2);
  });

  it('logs why it is not ready once per round of checks, not again for each answer served from it', async () => {
    // Prepare
    let clock = 1_000_000;
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const { ready } = setup({ 'orders-table': failing }, { cacheMs: 3000, now: () => clock });

    // Act
    await ready();
    const afterFirst = warn.mock.calls.length;
    clock += 1000;
    await ready();
    const afterCached = warn.mock.calls.length;
    clock += 2000;
    await ready();

    // Assess
    expect([afterFirst, afterCached, warn.mock.calls.length]).toEqual([1, 1, 2]);
    expect(warn.mock.calls[0]?.[0]).toBe('Not ready');
    warn.mockRestore();
  });

  it('says how long each check took by the probe clock, whether it answered or failed', async () => {
    // Prepare
    let clock = 1_000_000;
    const slow: DependencyCheck = async () => {
      clock += 40;
    };
    const slowFailure: DependencyCheck = async () => {
      clock += 25;
      throw new Error('throttled');
    };
    const probeOf = (checks: Record<string, DependencyCheck>) => new ReadinessProbe({ checks, deadlineMs: 1000, cacheMs: 0, now: () => clock });

    // Act
    const answered = await probeOf({ 'orders-table': slow }).check();
    const failed = await probeOf({ 'events-bus': slowFailure }).check();

    // Assess
    expect([answered.ready, answered.checks]).toEqual([true, { 'orders-table': { ok: true, ms: 40 } }]);
    expect([failed.ready, failed.checks]).toEqual([false, { 'events-bus': { ok: false, ms: 25, reason: 'failed' } }]);
  });
});
