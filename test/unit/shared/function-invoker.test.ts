import type { LambdaClient } from '@aws-sdk/client-lambda';
import { z } from 'zod';
import { DEFAULT_CALL_DEADLINE_MS } from '../../../functions/shared/deadlines';
import { DependencyUnavailableError } from '../../../functions/shared/errors';
import { invokeFunction } from '../../../functions/shared/function-invoker';
import { httpApi } from '../../../functions/shared/middleware';
import { SharedCircuitBreaker } from '../../../functions/shared/shared-circuit-breaker';
import { InMemoryBreakerStore, RecordingBreakerObserver } from '../../fakes/breaker-store';
import { bodyOf, httpEvent, invoke } from '../../support/lambda';

type Send = Pick<LambdaClient, 'send'>['send'];

/** A Lambda client whose Invoke never answers and ignores any abort: the worst a dependency can do. */
const deafClient = (): { client: Pick<LambdaClient, 'send'>; calls: () => number } => {
  let calls = 0;
  const send = (() => {
    calls += 1;
    return new Promise<never>(() => undefined);
  }) as Send;
  return { client: { send }, calls: () => calls };
};

/** A Lambda client whose Invoke never answers but stops when aborted, as the SDK does; records the abort. */
const abortableClient = () => {
  const aborted: unknown[] = [];
  const send = ((_command: unknown, options?: { abortSignal?: AbortSignal }) =>
    new Promise<never>((_resolve, reject) => {
      options?.abortSignal?.addEventListener('abort', () => {
        aborted.push(options.abortSignal?.reason);
        reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
      });
    })) as Send;
  return { client: { send }, aborted };
};

/** A Lambda client that answers `payload` at once. */
const answering = (payload: unknown, functionError?: string): Pick<LambdaClient, 'send'> => ({
  send: (async () => ({ $metadata: {}, StatusCode: 200, FunctionError: functionError, Payload: new TextEncoder().encode(JSON.stringify(payload)) })) as unknown as Send,
});

const prices = z.object({ prices: z.record(z.string(), z.number()) });

const failureOf = async (call: Promise<unknown>): Promise<DependencyUnavailableError> => {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof DependencyUnavailableError)) throw new Error(`expected a DependencyUnavailableError, got ${String(outcome)}`);
  return outcome;
};

describe('invokeFunction', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('gives up on a callee that never answers at its deadline, with a 503 that names it, even if the client ignores the abort', async () => {
    // Prepare
    const { client, calls } = deafClient();
    const started = Date.now();

    // Act
    const error = await failureOf(invokeFunction('CatalogGetPrices', { productIds: ['p-1'] }, prices, { client, deadlineMs: 200 }));

    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(195);
    expect(elapsed).toBeLessThan(1000);
    expect(error).toMatchObject({ status: 503, retryAfterSeconds: 1, message: 'CatalogGetPrices did not answer within 200 ms.' });
    expect(calls()).toBe(1);
  });

  it('aborts the request it gives up on, so the SDK closes the connection and stops retrying', async () => {
    // Prepare
    const { client, aborted } = abortableClient();

    // Act
    const error = await failureOf(invokeFunction('PaymentsGetPayment', { orderId: 'o-1' }, z.unknown(), { client, deadlineMs: 100 }));

    // Assess
    expect(error.message).toBe('PaymentsGetPayment did not answer within 100 ms.');
    expect(aborted).toEqual([expect.objectContaining({ name: 'DeadlineExceededError', deadlineMs: 100 })]);
  });

  it(`waits ${DEFAULT_CALL_DEADLINE_MS} ms by default (SHOP_CALL_DEADLINE_MS unset), not a moment less`, async () => {
    // Prepare
    jest.useFakeTimers();
    const { client } = deafClient();
    let settled: unknown = 'pending';
    const call = invokeFunction('ShippingGetShipment', { orderId: 'o-1' }, z.unknown(), { client }).catch((error: unknown) => error);
    void call.then((outcome) => {
      settled = outcome;
    });

    // Act
    await jest.advanceTimersByTimeAsync(DEFAULT_CALL_DEADLINE_MS - 1);
    const before = settled;
    await jest.advanceTimersByTimeAsync(1);

    // Assess
    expect(before).toBe('pending');
    expect(settled).toBeInstanceOf(DependencyUnavailableError);
    expect(settled).toMatchObject({ message: `ShippingGetShipment did not answer within ${DEFAULT_CALL_DEADLINE_MS} ms.` });
  });

  it("ends the call when the caller's own signal aborts first", async () => {
    // Prepare
    const { client } = deafClient();
    const caller = new AbortController();
    setTimeout(() => caller.abort(new Error('the caller gave up')), 50);
    const started = Date.now();

    // Act
    const error = await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client, deadlineMs: 5000, signal: caller.signal }));

    // Assess
    expect(Date.now() - started).toBeLessThan(1000);
    expect(error.cause).toEqual(new Error('the caller gave up'));
  });

  it('returns the answer when the callee answers within the deadline, checked against its contract', async () => {
    // Act
    const answer = await invokeFunction('CatalogGetPrices', {}, prices, { client: answering({ prices: { 'p-1': 1250 } }), deadlineMs: 200 });
    const outside = await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client: answering({ prices: 'free' }), deadlineMs: 200 }));
    const failed = await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client: answering({ errorType: 'Error' }, 'Unhandled'), deadlineMs: 200 }));

    // Assess
    expect(answer).toEqual({ prices: { 'p-1': 1250 } });
    expect(outside.message).toBe('CatalogGetPrices answered outside its contract.');
    expect(failed.message).toBe('CatalogGetPrices failed.');
  });

  it('makes an HTTP route answer 503 problem+json with Retry-After within the deadline when its dependency hangs', async () => {
    // Prepare
    const { client } = deafClient();
    const api = httpApi({ 'GET /quote': 'public' } as const, {
      'GET /quote': async () => {
        await invokeFunction('CatalogGetPrices', {}, prices, { client, deadlineMs: 300 });
        return { statusCode: 200 };
      },
    });
    const started = Date.now();

    // Act
    const response = await invoke(api, httpEvent({ routeKey: 'GET /quote' }));

    // Assess
    expect(Date.now() - started).toBeLessThan(1300);
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({ 'content-type': 'application/problem+json', 'retry-after': '1' });
    expect(bodyOf(response)).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE', detail: 'CatalogGetPrices did not answer within 300 ms.' });
  });

  describe('through a circuit breaker', () => {
    /** A Lambda client that fails while `down` is true and answers prices otherwise; counts its calls. */
    const flakyClient = () => {
      const state = { down: true, calls: 0 };
      const send = (async () => {
        state.calls += 1;
        if (state.down) throw Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' });
        return { $metadata: {}, StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify({ prices: { 'p-1': 1250 } })) };
      }) as unknown as Send;
      return { client: { send }, state };
    };

    const setup = () => {
      const clock = { now: 1_000_000 };
      const store = new InMemoryBreakerStore();
      const observer = new RecordingBreakerObserver();
      const breaker = new SharedCircuitBreaker({ dependency: 'catalog-get-prices', store, observer, now: () => clock.now });
      return { clock, store, observer, breaker, ...flakyClient() };
    };

    it('stops calling a callee after 5 failures in a row, answering 503 at once with Retry-After until the probe', async () => {
      // Prepare
      const { clock, breaker, client, state, observer } = setup();
      for (let i = 0; i < 5; i += 1) await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client, breaker }));
      clock.now += 10_000;

      // Act
      const refused = await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client, breaker }));

      // Assess
      expect(state.calls).toBe(5);
      expect(refused.retryAfterSeconds).toBe(20);
      expect(refused.message).toBe('CatalogGetPrices was not called: its circuit is open after repeated failures.');
      expect(observer.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['CLOSED→OPEN']);
    });

    it('lets one probe through after the open window and closes when the callee answers again', async () => {
      // Prepare
      const { clock, breaker, client, state, observer } = setup();
      for (let i = 0; i < 5; i += 1) await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client, breaker }));
      clock.now += 30_000;
      state.down = false;

      // Act
      const probe = await invokeFunction('CatalogGetPrices', {}, prices, { client, breaker });
      const next = await invokeFunction('CatalogGetPrices', {}, prices, { client, breaker });

      // Assess
      expect([probe, next]).toEqual([{ prices: { 'p-1': 1250 } }, { prices: { 'p-1': 1250 } }]);
      expect(state.calls).toBe(7);
      expect(observer.transitions.map((t) => `${t.from}→${t.to}`)).toEqual(['CLOSED→OPEN', 'OPEN→HALF_OPEN', 'HALF_OPEN→CLOSED']);
    });

    it('counts an answer outside the contract as a failure, and an answer within it as a success', async () => {
      // Prepare
      const { breaker, store } = setup();

      // Act
      for (let i = 0; i < 4; i += 1) await failureOf(invokeFunction('CatalogGetPrices', {}, prices, { client: answering({ prices: 'free' }), breaker }));
      const counted = store.items.get('catalog-get-prices');
      await invokeFunction('CatalogGetPrices', {}, prices, { client: answering({ prices: {} }), breaker });

      // Assess
      expect(counted).toEqual({ state: 'CLOSED', failures: 4 });
      expect(store.items.get('catalog-get-prices')).toEqual({ state: 'CLOSED', failures: 0 });
    });
  });
});
