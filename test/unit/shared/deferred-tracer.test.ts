import { Tracer } from '@aws-lambda-powertools/tracer';
import middy from '@middy/core';
import { DeferredTracer, tracingEnabledIn, traceInvocation } from '../../../functions/shared/deferred-tracer';
import { invoke } from '../../support/lambda';

/**
 * The Tracer (and the X-Ray SDK) loads on the first sampled invocation, not
 * at cold start, and from then on traces as it always did. The loaded
 * Tracer is a real Powertools Tracer with tracing off (no daemon in tests):
 * what reaches it is asserted on its methods.
 */

const loader = () => {
  const tracer = new Tracer({ enabled: false });
  const loads: boolean[] = [];
  return { tracer, loads, load: async (coldStart: boolean) => (loads.push(coldStart), tracer) };
};

afterEach(() => jest.restoreAllMocks());

describe('DeferredTracer', () => {
  it('loads nothing while invocations are not sampled, then loads once, instruments the clients built before, and takes annotations', async () => {
    // Prepare
    const { tracer, loads, load } = loader();
    const capture = jest.spyOn(tracer, 'captureAWSv3Client');
    const annotate = jest.spyOn(tracer, 'putAnnotation');
    let sampled = false;
    const deferred = new DeferredTracer({ load, enabled: true, sampled: () => sampled });
    const client = { middlewareStack: {} };

    // Act: an unsampled invocation builds a client and annotates; the next one is sampled
    await deferred.startInvocation();
    expect(deferred.captureAWSv3Client(client)).toBe(client);
    deferred.putAnnotation('orderId', 'o-1');
    const before = { loads: [...loads], captured: capture.mock.calls.length, annotated: annotate.mock.calls.length };
    sampled = true;
    await deferred.startInvocation();
    await deferred.startInvocation();
    deferred.putAnnotation('orderId', 'o-2');

    // Assess
    expect(before).toEqual({ loads: [], captured: 0, annotated: 0 });
    expect(loads).toEqual([false]); // loaded once, on the environment's second invocation: no ColdStart
    expect(deferred.loaded).toBe(tracer);
    expect(capture).toHaveBeenCalledWith(client);
    expect(annotate.mock.calls).toEqual([['orderId', 'o-2']]);
  });

  it("says cold start when the environment's first invocation loads it", async () => {
    // Prepare
    const { loads, load } = loader();
    const deferred = new DeferredTracer({ load, enabled: true, sampled: () => true });

    // Act
    await deferred.startInvocation();

    // Assess
    expect(loads).toEqual([true]);
  });

  it('never loads where tracing is off, sampled or not, and leaves clients alone', async () => {
    // Prepare
    const { loads, load } = loader();
    const deferred = new DeferredTracer({ load, enabled: false, sampled: () => true });

    // Act
    await deferred.startInvocation();
    const client = { middlewareStack: {} };

    // Assess
    expect(deferred.captureAWSv3Client(client)).toBe(client);
    expect(loads).toEqual([]);
    expect(deferred.loaded).toBeUndefined();
  });

  it.each([
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }, true],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', POWERTOOLS_TRACE_ENABLED: 'FALSE' }, false],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', AWS_SAM_LOCAL: 'true' }, false],
    [{ AWS_EXECUTION_ENV: 'AWS_Lambda_amplify-mock' }, false],
    [{}, false],
  ])('reads whether tracing is on as Powertools does: %j → %s', (env, expected) => {
    expect(tracingEnabledIn(env)).toBe(expected);
  });
});

describe('traceInvocation', () => {
  it("runs Powertools' captureLambdaHandler on the invocations after the Tracer loaded, and nothing before", async () => {
    // Prepare
    const { tracer, load } = loader();
    const traced = jest.spyOn(tracer, 'isTracingEnabled');
    let sampled = false;
    const deferred = new DeferredTracer({ load, enabled: true, sampled: () => sampled });
    const handler = middy(async () => 'done').use(traceInvocation(deferred, { captureResponse: false }));

    // Act
    const first = await invoke(handler, {});
    const checksBefore = traced.mock.calls.length;
    sampled = true;
    const second = await invoke(handler, {});

    // Assess: its before and after both ran (each asks whether tracing is on)
    expect([first, second]).toEqual(['done', 'done']);
    expect(checksBefore).toBe(0);
    expect(traced.mock.calls.length).toBe(2);
  });
});
