/**
 * Lambda event source mappings with an SQS source, as Lambda runs them:
 * batches, deletes on success, the whole batch back after the (scaled)
 * visibility timeout on failure, partial batch responses, the queue's
 * redrive policy as the retry budget, batching windows, concurrency, IAM on
 * the calls Lambda makes with the function's role, the checks Lambda makes
 * at creation, and shutdown. Most functions are fakes (the mapping only
 * needs synchronous invoke); one suite runs real ones in LambdaRuntime.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnsupportedFeatureError } from '../../local/errors';
import { unusedGrants } from '../../local/iam/coverage';
import { checkEventSourceMappings, DeployRefusedError, runDeployChecks } from '../../local/iam/deploy-checks';
import { LocalIam } from '../../local/iam/local-iam';
import { LambdaRuntime, type InvokeFunction, type InvokeResult } from '../../local/lambda/lambda-runtime';
import { LambdaThrottledError } from '../../local/lambda/limits';
import { LocalCloud } from '../../local/local-cloud';
import { HopLog } from '../../local/log';
import type { LocalResource } from '../../local/resources';
import { EventSourceMappings, type EventSourceMappingHop, type SqsRecord } from '../../local/sqs/event-source-mapping';
import { SqsQueues } from '../../local/sqs/queues';
import { eventually } from '../e2e/support/eventually';
import { failureOf, functionArn, queueArn } from '../support/local-resources';

const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/FnRole`;
/** Retry delays at 1/200: a 60 s visibility timeout is 0.3 s. */
const SCALE = 0.005;

interface Options {
  readonly mapping?: Record<string, unknown>;
  readonly queue?: Record<string, unknown>;
  readonly fn?: Record<string, unknown>;
  /** The role's actions on the queue. @default the three Lambda needs */
  readonly grants?: readonly string[];
  readonly maxReceiveCount?: number;
}

const templateOf = (options: Options = {}): LocalResource[] => [
  {
    logicalId: 'Work',
    type: 'AWS::SQS::Queue',
    properties: { VisibilityTimeout: 60, RedrivePolicy: { deadLetterTargetArn: queueArn('Dead'), maxReceiveCount: options.maxReceiveCount ?? 3 }, ...options.queue },
    ref: `http://127.0.0.1/${ACCOUNT}/Work`,
    arn: queueArn('Work'),
  },
  { logicalId: 'Dead', type: 'AWS::SQS::Queue', properties: {}, ref: `http://127.0.0.1/${ACCOUNT}/Dead`, arn: queueArn('Dead') },
  { logicalId: 'Fn', type: 'AWS::Lambda::Function', properties: { Role: ROLE_ARN, Timeout: 10, ...options.fn }, ref: 'Fn', arn: functionArn('Fn') },
  {
    logicalId: 'FnRole',
    type: 'AWS::IAM::Role',
    properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    ref: 'FnRole',
    arn: ROLE_ARN,
  },
  {
    logicalId: 'FnRolePolicy',
    type: 'AWS::IAM::Policy',
    properties: {
      PolicyName: 'FnRolePolicy',
      Roles: ['FnRole'],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: options.grants ?? ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: queueArn('Work') }] },
    },
    ref: 'FnRolePolicy',
  },
  {
    logicalId: 'Mapping',
    type: 'AWS::Lambda::EventSourceMapping',
    properties: { EventSourceArn: queueArn('Work'), FunctionName: 'Fn', ...options.mapping },
    ref: '7f0c1c2e-0000-4000-a000-000000000001',
  },
];

interface World {
  readonly queues: SqsQueues;
  readonly mappings: EventSourceMappings;
  readonly iam: LocalIam;
  readonly hops: EventSourceMappingHop[];
  /** Every batch the function was invoked with, in order. */
  readonly batches: SqsRecord[][];
  readonly moved: string[];
}

const worlds: World[] = [];

/** A mapping on queue Work for function Fn, polling, with `handler` as the function. */
const open = (handler: (records: readonly SqsRecord[]) => Promise<InvokeResult> | InvokeResult, options: Options = {}, invokeOverride?: InvokeFunction): World => {
  const resources = templateOf(options);
  const iam = LocalIam.create(resources);
  const moved: string[] = [];
  const queues = SqsQueues.create(resources, { onMove: (from, to, message, count) => moved.push(`${from.name}→${to.name} ${message.body} after ${String(count)}`) });
  const hops: EventSourceMappingHop[] = [];
  const batches: SqsRecord[][] = [];
  const invoke: InvokeFunction =
    invokeOverride ??
    (async (_arn, payload) => {
      const records = (payload as { Records: SqsRecord[] }).Records;
      batches.push(records);
      return handler(records);
    });
  const principal = iam.roleSession(ROLE_ARN, 'Fn', 'function', { logicalId: 'Fn', type: 'AWS::Lambda::Function', property: 'Role' });
  const mappings = EventSourceMappings.create(resources, { queues, invoke, retryDelayScale: SCALE, iam, principalOf: (arn) => (arn === functionArn('Fn') ? principal : undefined), onHop: (hop) => hops.push(hop) });
  mappings.start();
  const world = { queues, mappings, iam, hops, batches, moved };
  worlds.push(world);
  return world;
};

afterEach(async () => {
  for (const world of worlds.splice(0)) {
    world.mappings.close();
    await Promise.all(world.mappings.list().map((mapping) => mapping.whenStopped()));
  }
});

const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload, durationMs: 1 });
const failed = (errorType = 'TransientError'): InvokeResult => ({ ok: false, error: { errorType, errorMessage: 'downstream is down', trace: [] }, durationMs: 1 });

/**
 * Waits until `condition` holds, checking every 10 ms; fails after
 * `timeoutMs` ({@link eventually}: monotonic time, and how far the wall clock
 * the queues count visibility in moved). A guard against a hang, not a
 * measure: the tests that time retries assert the gaps themselves, and a suite
 * sharing two loaded cores with jest's other workers once took over 5 s for
 * three 300 ms retries. `state` says what the world looked like on failure.
 */
const until = async (condition: () => boolean, timeoutMs = 20_000, state?: () => unknown): Promise<void> => {
  await eventually('the condition', async () => condition(), (met) => met, { timeoutMs, intervalMs: 10, ...(state ? { diagnostics: () => JSON.stringify(state()) } : {}) });
};
/** What a test of retries shows when it gives up: the hops, the receives and the queue's state. */
const stateOf = (world: World) => (): unknown => ({
  hops: world.hops,
  receives: world.batches.map((batch) => batch.map((record) => record.attributes.ApproximateReceiveCount)),
  moved: world.moved,
  work: world.queues.counts('Work'),
  nextVisibleInMs: (world.queues.nextVisibleAt('Work') ?? Number.NaN) - Date.now(),
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('an SQS event source mapping', () => {
  it('invokes the function with the SQS event and deletes the batch when it succeeds', async () => {
    // Prepare
    const world = open(() => ok());
    const sentAt = Date.now();

    // Act
    world.queues.send('Work', '{"n":1}', { KIND: 'order' }, { traceHeader: 'Root=1-abc' });
    await until(() => world.batches.length === 1);
    await world.mappings.drain();

    // Assess
    const [record] = world.batches[0] ?? [];
    expect(record).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: '{"n":1}',
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: expect.any(String), SenderId: ACCOUNT, ApproximateFirstReceiveTimestamp: expect.any(String), AWSTraceHeader: 'Root=1-abc' },
      messageAttributes: { KIND: { stringValue: 'order', stringListValues: [], binaryListValues: [], dataType: 'String' } },
      md5OfBody: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn('Work'),
      awsRegion: 'us-east-1',
    });
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThanOrEqual(sentAt);
    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(world.hops.map((hop) => hop.kind)).toEqual(['batch']);
  });

  it('leaves a failed batch to reappear after the scaled visibility timeout, each receive counting, until the redrive policy moves it', async () => {
    // Prepare
    const world = open(() => failed(), { maxReceiveCount: 3 });

    // Act
    world.queues.send('Work', '{"detail":{"metadata":{"correlationId":"c-42"}}}', { ERROR_CODE: 'X' });
    await until(() => world.moved.length === 1, undefined, stateOf(world));

    // Assess
    expect(world.batches.map((batch) => batch[0]?.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
    expect(world.moved).toEqual(['Work→Dead {"detail":{"metadata":{"correlationId":"c-42"}}} after 3']);
    expect(world.queues.receiveAll('Dead')).toEqual([expect.objectContaining({ body: '{"detail":{"metadata":{"correlationId":"c-42"}}}', attributes: { ERROR_CODE: { dataType: 'String', stringValue: 'X' } } })]);
    const failures = world.hops.filter((hop) => hop.kind === 'failed');
    expect(failures).toHaveLength(3);
    expect(failures[0]).toMatchObject({ errorType: 'TransientError', correlationIds: ['c-42'], retryInMs: expect.any(Number) });
    // 60 s × 0.005 = 300 ms between receives.
    const first = Number(world.batches[0]?.[0]?.attributes.ApproximateFirstReceiveTimestamp);
    expect(failures.every((hop) => hop.kind === 'failed' && hop.retryInMs <= 300)).toBe(true);
    expect(Date.now() - first).toBeGreaterThanOrEqual(600);
  });

  it('spaces the retries of a failed message by VisibilityTimeout × retryDelayScale', async () => {
    // Prepare
    const seen: number[] = [];
    const world = open(() => {
      seen.push(Date.now());
      return failed();
    }, { maxReceiveCount: 3 });

    // Act
    world.queues.send('Work', 'again');
    await until(() => world.moved.length === 1, undefined, stateOf(world));

    // Assess
    const gaps = seen.slice(1).map((at, i) => at - (seen[i] ?? at));
    expect(gaps).toHaveLength(2);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(280);
      expect(gap).toBeLessThan(1_000);
    }
  });

  it('deletes all but the messages a partial batch response names, which come back alone', async () => {
    // Prepare
    let calls = 0;
    const world = open(
      (records) => {
        calls += 1;
        const bad = records.filter((record) => record.body === 'bad');
        return ok(calls === 1 ? { batchItemFailures: bad.map((record) => ({ itemIdentifier: record.messageId })) } : { batchItemFailures: [] });
      },
      { mapping: { FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumBatchingWindowInSeconds: 1 } },
    );

    // Act
    for (const body of ['good-1', 'bad', 'good-2']) world.queues.send('Work', body);
    await until(() => world.batches.length === 2);
    await world.mappings.drain();

    // Assess
    expect(world.batches.map((batch) => batch.map((record) => `${record.body}#${record.attributes.ApproximateReceiveCount ?? ''}`))).toEqual([['good-1#1', 'bad#1', 'good-2#1'], ['bad#2']]);
    expect(world.hops.filter((hop) => hop.kind === 'partial')).toEqual([expect.objectContaining({ count: 3, failed: 1 })]);
    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it.each([
    ['an empty itemIdentifier', { batchItemFailures: [{ itemIdentifier: '' }] }],
    ['a null itemIdentifier', { batchItemFailures: [{ itemIdentifier: null }] }],
    ['a misspelt key', { batchItemFailures: [{ itemIdentifer: 'x' }] }],
    ['an identifier not in the batch', { batchItemFailures: [{ itemIdentifier: 'not-a-message-of-the-batch' }] }],
    ['batchItemFailures that is not a list', { batchItemFailures: 'all of them' }],
    ['a response that is not an object', 'done'],
  ])('fails the whole batch for a partial batch response with %s', async (_case, response) => {
    // Prepare
    const world = open(() => ok(response), { mapping: { FunctionResponseTypes: ['ReportBatchItemFailures'] } });

    // Act
    world.queues.send('Work', 'one');
    await until(() => world.hops.some((hop) => hop.kind === 'failed'));

    // Assess
    expect(world.hops.find((hop) => hop.kind === 'failed')).toMatchObject({ errorType: 'InvalidBatchItemFailures' });
    expect(world.queues.counts('Work')).toMatchObject({ inFlight: 1 });
  });

  it.each([
    ['null', null],
    ['an empty object', {}],
    ['an empty list', { batchItemFailures: [] }],
    ['a null list', { batchItemFailures: null }],
  ])('treats a partial batch response of %s as a complete success', async (_case, response) => {
    const world = open(() => ok(response), { mapping: { FunctionResponseTypes: ['ReportBatchItemFailures'] } });

    world.queues.send('Work', 'one');
    await until(() => world.batches.length === 1);
    await world.mappings.drain();

    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('ignores batchItemFailures without ReportBatchItemFailures, as Lambda does, and deletes the whole batch', async () => {
    const world = open((records) => ok({ batchItemFailures: records.map((record) => ({ itemIdentifier: record.messageId })) }));

    world.queues.send('Work', 'one');
    await until(() => world.batches.length === 1);
    await world.mappings.drain();

    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('gathers up to BatchSize messages, beyond 10 only within a batching window that opens with the first one', async () => {
    // Prepare
    const world = open(() => ok(), { mapping: { BatchSize: 25, MaximumBatchingWindowInSeconds: 1 } });
    for (let i = 0; i < 25; i += 1) world.queues.send('Work', `m${String(i)}`);

    // Act
    await until(() => world.batches.length === 1);
    const startedAt = Date.now();
    for (const body of ['late-1', 'late-2']) world.queues.send('Work', body);
    await until(() => world.batches.length === 2, 3_000);
    const waited = Date.now() - startedAt;

    // Assess
    expect(world.batches.map((batch) => batch.length)).toEqual([25, 2]);
    expect(waited).toBeGreaterThanOrEqual(900);
  });

  it('invokes at once without a batching window, at most BatchSize messages per batch', async () => {
    const world = open(() => ok(), { mapping: { BatchSize: 2 } });

    for (let i = 0; i < 5; i += 1) world.queues.send('Work', `m${String(i)}`);
    await until(() => world.batches.flat().length === 5);

    expect(world.batches.every((batch) => batch.length <= 2)).toBe(true);
  });

  it('runs at most MaximumConcurrency batches at once', async () => {
    // Prepare
    let running = 0;
    let most = 0;
    const world = open(
      async () => {
        running += 1;
        most = Math.max(most, running);
        await sleep(40);
        running -= 1;
        return ok();
      },
      { mapping: { BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } } },
    );

    // Act
    for (let i = 0; i < 8; i += 1) world.queues.send('Work', `m${String(i)}`);
    await until(() => world.batches.length === 8);
    await world.mappings.drain();

    // Assess
    expect(most).toBe(2);
    expect(world.mappings.get('Mapping')?.concurrency).toBe(2);
  });

  it('returns a throttled batch to the queue, to reappear like a failed one', async () => {
    // Prepare
    let calls = 0;
    const world = open(() => ok(), {}, async () => {
      calls += 1;
      if (calls === 1) throw new LambdaThrottledError('Fn', 'ReservedFunctionConcurrentInvocationLimitExceeded');
      return ok();
    });

    // Act
    world.queues.send('Work', 'busy');
    await until(() => calls === 2);
    await world.mappings.drain();

    // Assess
    expect(world.hops.find((hop) => hop.kind === 'failed')).toMatchObject({ errorType: 'TooManyRequestsException' });
    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('deletes the messages no filter matches without invoking the function', async () => {
    const world = open(() => ok(), { mapping: { FilterCriteria: { Filters: [{ Pattern: '{"body":{"kind":["order"]}}' }] } } });

    world.queues.send('Work', '{"kind":"refund"}');
    world.queues.send('Work', 'not json');
    world.queues.send('Work', '{"kind":"order"}');
    await until(() => world.batches.flat().length === 1);
    await world.mappings.drain();

    expect(world.batches.flat().map((record) => record.body)).toEqual(['{"kind":"order"}']);
    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('never polls when Enabled is false', async () => {
    const world = open(() => ok(), { mapping: { Enabled: false } });

    world.queues.send('Work', 'waiting');
    await sleep(150);

    expect(world.batches).toEqual([]);
    expect(world.queues.depth('Work')).toBe(1);
    expect(world.mappings.get('Mapping')?.state).toBe('Disabled');
  });

  describe('with the function role', () => {
    it("records the calls Lambda makes on the queue as the function's role, each allowed by the role's statement", async () => {
      const world = open(() => ok());

      world.queues.send('Work', 'one');
      await until(() => world.batches.length === 1);
      await world.mappings.drain();

      const grants = world.iam.authorizer.grants().filter((grant) => grant.resource === queueArn('Work'));
      expect(grants.map((grant) => grant.action).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
      expect(grants.every((grant) => grant.principal === `arn:aws:sts::${ACCOUNT}:assumed-role/FnRole/Fn` && grant.statements.length === 1)).toBe(true);
    });

    it('cannot poll when the role may not receive: one PROBLEM, one denial, the message untouched', async () => {
      // Prepare
      const world = open(() => ok(), { grants: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes'] });
      world.queues.send('Work', 'stuck');

      // Act
      await until(() => world.hops.some((hop) => hop.kind === 'problem'));
      await sleep(100);

      // Assess
      expect(world.hops).toEqual([expect.objectContaining({ kind: 'problem', reason: expect.stringContaining('Lambda cannot call ReceiveMessage on Work') })]);
      expect(world.iam.authorizer.denials).toHaveLength(1);
      expect(world.iam.authorizer.denials[0]).toMatchObject({ action: 'sqs:ReceiveMessage', resource: queueArn('Work') });
      expect(world.mappings.get('Mapping')?.lastProcessingResult).toMatch(/^PROBLEM: /);
      expect(world.queues.depth('Work')).toBe(1);
    });

    it('is refused at start-up, as Lambda refuses to create it, when the role may not make one of the three calls', async () => {
      const resources = templateOf({ grants: ['sqs:ReceiveMessage', 'sqs:GetQueueAttributes'] });

      const refused = runDeployChecks(resources, LocalIam.create(resources));

      await expect(refused).rejects.toBeInstanceOf(DeployRefusedError);
      await expect(refused).rejects.toThrow('The function execution role does not have permissions to call DeleteMessage on SQS');
    });
  });

  describe('creation checks', () => {
    it("refuses a queue whose visibility timeout is shorter than the function's timeout, in Lambda's words", () => {
      const error = failureOf(() => checkEventSourceMappings(templateOf({ queue: { VisibilityTimeout: 30 }, fn: { Timeout: 60 } })));

      expect(error).toBeInstanceOf(DeployRefusedError);
      expect(error).toMatchObject({ logicalId: 'Mapping', message: expect.stringContaining('Invalid request provided: Queue visibility timeout: 30 seconds is less than Function timeout: 60 seconds') });
      expect(error).toMatchObject({ denial: undefined });
    });

    it('refuses a batch of more than 10 without a batching window', () => {
      const error = failureOf(() => checkEventSourceMappings(templateOf({ mapping: { BatchSize: 11 } })));

      expect(error).toMatchObject({ message: expect.stringContaining('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10') });
    });

    it('accepts the settings a consumer of the pattern uses: visibility six times the timeout, batch of 10, partial batch responses, concurrency 5', async () => {
      const resources = templateOf({ mapping: { BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 5 } } });

      expect(() => checkEventSourceMappings(resources)).not.toThrow();
      await expect(runDeployChecks(resources, LocalIam.create(resources))).resolves.toBeUndefined();
    });

    it.each([
      ['a FIFO queue', { EventSourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT}:Orders.fifo` }, 'EventSourceArn', /FIFO queues are not emulated/],
      ['a DynamoDB stream', { EventSourceArn: `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/T/stream/x` }, 'EventSourceArn', /only Amazon SQS queue sources are emulated/],
      ['DestinationConfig', { DestinationConfig: { OnFailure: { Destination: queueArn('Dead') } } }, 'DestinationConfig', /does not support on-failure destinations for Amazon SQS/],
      ['MaximumRetryAttempts', { MaximumRetryAttempts: 2 }, 'MaximumRetryAttempts', /RedrivePolicy maxReceiveCount/],
      ['an alias', { FunctionName: 'Fn:live' }, 'FunctionName', /versions and aliases are not emulated/],
      ['MaximumConcurrency 1', { ScalingConfig: { MaximumConcurrency: 1 } }, 'ScalingConfig.MaximumConcurrency', /from 2 to 1000/],
      ['another response type', { FunctionResponseTypes: ['Everything'] }, 'FunctionResponseTypes[0]', /ReportBatchItemFailures/],
    ])('refuses %s, naming the property', (_case, mapping, property, reason) => {
      const resources = templateOf({ mapping });
      const queues = SqsQueues.create(resources);

      const error = failureOf(() => EventSourceMappings.create(resources, { queues, invoke: async () => ok() }));

      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect(error).toMatchObject({ logicalId: 'Mapping', property, message: expect.stringMatching(reason) });
    });
  });

  describe('shutdown', () => {
    it('ends an idle long poll at once', async () => {
      // Prepare
      const world = open(() => ok());
      await sleep(50);
      const startedAt = Date.now();

      // Act
      world.mappings.close();
      await world.mappings.list()[0]?.whenStopped();

      // Assess
      expect(Date.now() - startedAt).toBeLessThan(100);
    });

    it('lets the batch under way finish and takes no new one', async () => {
      // Prepare
      let finished = 0;
      const world = open(async () => {
        await sleep(150);
        finished += 1;
        return ok();
      }, { mapping: { BatchSize: 1, ScalingConfig: { MaximumConcurrency: 2 } } });
      world.queues.send('Work', 'first');
      await until(() => world.batches.length === 1);

      // Act
      world.mappings.stopPolling();
      world.queues.send('Work', 'second');
      await world.mappings.drain();

      // Assess
      expect(finished).toBe(1);
      expect(world.batches).toHaveLength(1);
      expect(world.queues.depth('Work')).toBe(1);
    });
  });
});

describe('an SQS event source mapping invoking real functions', () => {
  const code = mkdtempSync(path.join(tmpdir(), 'sqs-event-source-'));
  writeFileSync(
    path.join(code, 'index.mjs'),
    `export const handler = async (event) => {
       const failures = [];
       for (const record of event.Records) {
         if (record.body === 'slow') await new Promise((resolve) => setTimeout(resolve, 3000));
         if (record.body === 'bad') failures.push({ itemIdentifier: record.messageId });
       }
       return { batchItemFailures: failures };
     };`,
  );
  const runtimes: LambdaRuntime[] = [];
  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop(0);
  });

  const runtimeWith = (crash: boolean): LambdaRuntime => {
    const runtime = new LambdaRuntime({ faults: () => (crash ? { crashAt: 0 } : undefined) });
    runtime.register({ name: 'Fn', arn: functionArn('Fn'), codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 1, memoryMb: 128 });
    runtimes.push(runtime);
    return runtime;
  };

  it('keeps what the function reports failed and deletes the rest', async () => {
    const runtime = runtimeWith(false);
    const world = open(() => ok(), { mapping: { FunctionResponseTypes: ['ReportBatchItemFailures'], MaximumBatchingWindowInSeconds: 1 }, maxReceiveCount: 1 }, (arn, payload) => runtime.invoke(arn, payload));

    world.queues.send('Work', 'fine');
    world.queues.send('Work', 'bad');
    await until(() => world.moved.length === 1, 8_000);

    expect(world.moved).toEqual(['Work→Dead bad after 1']);
    expect(world.queues.counts('Work')).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it.each([
    ['times out', false, 'slow', 'Sandbox.Timedout'],
    ['crashes', true, 'fine', 'Runtime.ExitError'],
  ])('treats an invocation that %s as a failed batch', async (_case, crash, body, errorType) => {
    const runtime = runtimeWith(crash);
    const world = open(() => ok(), { maxReceiveCount: 1 }, (arn, payload) => runtime.invoke(arn, payload));

    world.queues.send('Work', body);
    await until(() => world.moved.length === 1, 8_000);

    expect(world.hops.find((hop) => hop.kind === 'failed')).toMatchObject({ errorType });
  });
});

describe('the local cloud running rule → queue → mapping', () => {
  jest.setTimeout(90_000);
  const assembly = mkdtempSync(path.join(tmpdir(), 'sqs-event-source-cloud-'));
  mkdirSync(path.join(assembly, 'asset.consumer'));
  writeFileSync(
    path.join(assembly, 'asset.consumer', 'index.mjs'),
    `export const handler = async (event) => {
       for (const record of event.Records) if (JSON.parse(record.body).detail.fail) throw Object.assign(new Error('downstream is down'), { name: 'DownstreamError' });
       return { batchItemFailures: [] };
     };`,
  );
  const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const allowEvents = (queue: string) => ({
    Type: 'AWS::SQS::QueuePolicy',
    Properties: {
      Queues: [{ Ref: queue }],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:*', Resource: arn(queue), Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
          { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: arn(queue), Condition: { ArnEquals: { 'aws:SourceArn': arn('Rule') } } },
        ],
      },
    },
  });
  /** The shape the shop synthesizes for a consumer: SSE queue, enforceSSL, visibility 6 × timeout, maxReceiveCount 30, exact grants, mapping after its policy. */
  const template = {
    Resources: {
      // The local cloud serves one HTTP API and stands in for one user pool; this stack's are empty.
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'Api', ProtocolType: 'HTTP' } },
      Users: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      UsersClient: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'Users' } } },
      Work: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, VisibilityTimeout: 6, RedrivePolicy: { deadLetterTargetArn: arn('WorkDlq'), maxReceiveCount: 30 } } },
      WorkPolicy: allowEvents('Work'),
      WorkDlq: { Type: 'AWS::SQS::Queue', Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 } },
      DeliveryDlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      DeliveryDlqPolicy: allowEvents('DeliveryDlq'),
      Rule: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['test.orders'] }, State: 'ENABLED', Targets: [{ Arn: arn('Work'), Id: 'Work', DeadLetterConfig: { Arn: arn('DeliveryDlq') } }] } },
      ConsumerRole: {
        Type: 'AWS::IAM::Role',
        Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
      },
      ConsumerPolicy: {
        Type: 'AWS::IAM::Policy',
        Properties: {
          PolicyName: 'ConsumerPolicy',
          Roles: [{ Ref: 'ConsumerRole' }],
          PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: arn('Work') }] },
        },
      },
      Consumer: {
        Type: 'AWS::Lambda::Function',
        Properties: { Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 1, Role: arn('ConsumerRole') },
        Metadata: { 'aws:asset:path': 'asset.consumer' },
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        DependsOn: ['ConsumerPolicy'],
        Properties: { EventSourceArn: arn('Work'), FunctionName: { Ref: 'Consumer' }, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'], ScalingConfig: { MaximumConcurrency: 5 } },
      },
    },
  };
  writeFileSync(path.join(assembly, 'Stack.template.json'), JSON.stringify(template));
  writeFileSync(path.join(assembly, 'manifest.json'), JSON.stringify({ artifacts: { Stack: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Stack.template.json' } } } }));

  it('retries a failing event maxReceiveCount times, VisibilityTimeout × retryDelayScale apart, into the queue\'s dead-letter queue, and records the grants it used', async () => {
    // Prepare
    const lines: string[] = [];
    const log = new HopLog({ verbose: false, color: false, write: (text) => void lines.push(...text.split('\n').filter((line) => line !== '')) });
    const cloud = await LocalCloud.start({ assemblyDir: assembly, apiPort: 0, log, retryDelayScale: 0.01, iam: 'strict' });
    const events = new EventBridgeClient({ endpoint: cloud.awsEndpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'developer', secretAccessKey: 'secret' } });
    try {
      // Act
      const startedAt = Date.now();
      await events.send(
        new PutEventsCommand({
          Entries: [
            { Source: 'test.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify({ metadata: { correlationId: 'corr-ok' } }) },
            { Source: 'test.orders', DetailType: 'OrderPlaced', Detail: JSON.stringify({ fail: true, metadata: { correlationId: 'corr-bad' } }) },
          ],
        }),
      );
      await until(() => cloud.queueMessages('WorkDlq').length === 1, 30_000);
      const took = Date.now() - startedAt;
      const stopping = Date.now();
      await cloud.stop();
      const stopTook = Date.now() - stopping;

      // Assess
      expect(JSON.parse(cloud.queueMessages('WorkDlq')[0]?.body ?? '{}')).toMatchObject({ detail: { fail: true } });
      expect(lines.filter((line) => line.includes('[corr-bad]') && / ESM /.test(line) && line.includes('Work → Consumer'))).toHaveLength(30);
      expect(lines.filter((line) => line.includes('[corr-bad]') && line.includes('batch failed: DownstreamError; back in 0.'))).toHaveLength(30);
      expect(lines.filter((line) => line.includes('[corr-bad]') && line.includes('SQS Work → WorkDlq after 30 receives'))).toHaveLength(1);
      expect(lines.filter((line) => line.includes('[corr-ok]') && / ESM /.test(line))).toHaveLength(1);
      // 30 receives, 6 s × 0.01 = 60 ms apart at least.
      expect(took).toBeGreaterThanOrEqual(29 * 60);
      expect(stopTook).toBeLessThan(5_000);
      const grants = cloud.iam.authorizer.grants().filter((grant) => grant.resource === queueArn('Work') && grant.principal.includes(':assumed-role/ConsumerRole/'));
      expect(new Set(grants.map((grant) => grant.action))).toEqual(new Set(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']));
      expect(unusedGrants(cloud.iam.model, cloud.iam.authorizer.grants(), new Set(['identity'])).filter((grant) => grant.source.logicalId === 'ConsumerPolicy')).toEqual([]);
      expect(cloud.iam.authorizer.denials.filter((denial) => denial.action.startsWith('sqs:'))).toEqual([]);
    } finally {
      events.destroy();
      await cloud.stop();
    }
  });
});
