import { InvalidParameterValueException, InvokeCommand, LambdaClient, ListFunctionsCommand, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { LambdaAsyncInvoker, type LambdaAsyncHop } from '../../local/lambda/async-invoke';
import { registerInvokeApi } from '../../local/lambda/invoke-api';
import { LambdaRuntime } from '../../local/lambda/lambda-runtime';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';

const code = mkdtempSync(path.join(tmpdir(), 'invoke-api-'));
writeFileSync(
  path.join(code, 'index.mjs'),
  `export const handler = async (event) => {
     if (event.fail) { const e = new Error('nope'); e.name = 'TransientError'; throw e; }
     if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
     if (event.answerBytes) return 'x'.repeat(event.answerBytes);
     return { doubled: event.n * 2 };
   };`,
);

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Fn';
const ONE_AT_A_TIME_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:OneAtATime';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:Dlq';

/** The function and its dead-letter queue as the template declares them (intrinsics resolved). */
const resources: readonly LocalResource[] = [
  { logicalId: 'Fn', type: 'AWS::Lambda::Function', properties: { Handler: 'index.handler', DeadLetterConfig: { TargetArn: DLQ_ARN } }, ref: 'Fn', arn: FUNCTION_ARN },
  { logicalId: 'Dlq', type: 'AWS::SQS::Queue', properties: {}, ref: 'http://localhost/000000000000/Dlq', arn: DLQ_ARN },
  {
    logicalId: 'OneAtATime',
    type: 'AWS::Lambda::Function',
    properties: { Handler: 'index.handler', ReservedConcurrentExecutions: 1, DeadLetterConfig: { TargetArn: DLQ_ARN } },
    ref: 'OneAtATime',
    arn: ONE_AT_A_TIME_ARN,
  },
];

describe('Lambda Invoke on the local AWS endpoint', () => {
  const runtime = new LambdaRuntime();
  runtime.register({ name: 'Fn', arn: FUNCTION_ARN, codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 3, memoryMb: 128 });
  runtime.register({ name: 'OneAtATime', arn: ONE_AT_A_TIME_ARN, codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 5, memoryMb: 256, reservedConcurrency: 1 });
  const queues = SqsQueues.create(resources);
  const hops: LambdaAsyncHop[] = [];
  const asyncInvoker = LambdaAsyncInvoker.create(resources, {
    invoke: (arn, payload) => runtime.invoke(arn, payload),
    queues,
    retryDelayMs: 1,
    throttleRetryBaseMs: 20,
    throttleRetryMaxMs: 200,
    onHop: (hop) => hops.push(hop),
  });
  const endpoint = new AwsEndpoint();
  registerInvokeApi(endpoint, runtime, asyncInvoker);
  let client: LambdaClient;

  beforeAll(async () => {
    // One attempt: the SDK retries a throttled call by itself, as it does against AWS; these tests look at each answer.
    client = new LambdaClient({ endpoint: await endpoint.listen(), region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
  });
  afterAll(async () => {
    asyncInvoker.close();
    client.destroy();
    await endpoint.close();
    await runtime.stop();
  });

  const decode = (payload?: Uint8Array) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

  it('lists the functions with their configuration, a page at a time', async () => {
    const first = await client.send(new ListFunctionsCommand({ MaxItems: 1 }));
    const second = await client.send(new ListFunctionsCommand({ MaxItems: 1, Marker: first.NextMarker }));

    expect(first.Functions).toEqual([{ FunctionName: 'Fn', FunctionArn: FUNCTION_ARN, Handler: 'index.handler', Timeout: 3, MemorySize: 128, DeadLetterConfig: { TargetArn: DLQ_ARN } }]);
    expect(second.Functions?.map((fn) => fn.FunctionName)).toEqual(['OneAtATime']);
    expect(second.NextMarker).toBeUndefined();
    expect((await client.send(new ListFunctionsCommand({}))).Functions).toHaveLength(2);
    await expect(client.send(new ListFunctionsCommand({ Marker: 'NoSuchFunction' }))).rejects.toThrow(InvalidParameterValueException);
  });

  it('answers a synchronous invoke with the payload', async () => {
    const result = await client.send(new InvokeCommand({ FunctionName: 'Fn', Payload: Buffer.from('{"n":21}') }));
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBeUndefined();
    expect(decode(result.Payload)).toEqual({ doubled: 42 });
  });

  it('reports a function error as Lambda does (FunctionError Unhandled, errorType in the payload)', async () => {
    const result = await client.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:Fn', Payload: Buffer.from('{"fail":true}') }));
    expect(result.FunctionError).toBe('Unhandled');
    expect(decode(result.Payload)).toMatchObject({ errorType: 'TransientError', errorMessage: 'nope' });
  });

  it('refuses an unknown function with ResourceNotFoundException', async () => {
    await expect(client.send(new InvokeCommand({ FunctionName: 'Nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('accepts an async invoke at once, retries a failing one twice, then dead-letters it', async () => {
    // Act
    const accepted = await client.send(new InvokeCommand({ FunctionName: 'Fn', InvocationType: 'Event', Payload: Buffer.from('{"fail":true}') }));

    // Assess
    expect(accepted.StatusCode).toBe(202);
    await asyncInvoker.drain();
    const failedAttempts = hops.flatMap((hop) => (hop.kind === 'invoked' && !hop.ok ? [hop.attempt] : []));
    expect(failedAttempts).toEqual([1, 2, 3]);
    const deadLetters = queues.receiveAll(DLQ_ARN);
    expect(deadLetters).toHaveLength(1);
    expect(JSON.parse(deadLetters[0]?.body ?? 'null')).toEqual({ fail: true });
    expect(deadLetters[0]?.attributes.ErrorMessage).toEqual({ dataType: 'String', stringValue: 'nope' });
    expect(hops.at(-1)).toMatchObject({ kind: 'dlq', functionArn: FUNCTION_ARN, deadLetterArn: DLQ_ARN, errorType: 'TransientError', errorMessage: 'nope' });
  });

  it('runs a successful async invoke once, with nothing dead-lettered', async () => {
    // Prepare
    hops.length = 0;
    queues.purge(DLQ_ARN);

    // Act
    const accepted = await client.send(new InvokeCommand({ FunctionName: FUNCTION_ARN, InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }));
    await asyncInvoker.drain();

    // Assess
    expect(accepted.StatusCode).toBe(202);
    expect(hops).toEqual([expect.objectContaining({ kind: 'invoked', ok: true, attempt: 1 })]);
    expect(queues.depth(DLQ_ARN)).toBe(0);
  });

  describe('throttling (reserved concurrency 1)', () => {
    it('answers a synchronous invoke beyond the reserved concurrency with 429 TooManyRequestsException and its Reason', async () => {
      // Prepare
      const busy = client.send(new InvokeCommand({ FunctionName: 'OneAtATime', Payload: Buffer.from('{"sleepMs":700}') }));
      await new Promise((resolve) => setTimeout(resolve, 150));

      // Act
      const throttled = await client.send(new InvokeCommand({ FunctionName: 'OneAtATime', Payload: Buffer.from('{"n":1}') })).catch((error: unknown) => error);

      // Assess
      expect(throttled).toBeInstanceOf(TooManyRequestsException);
      expect(throttled).toMatchObject({ Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', message: 'Rate Exceeded.', $metadata: { httpStatusCode: 429 } });
      expect((await busy).StatusCode).toBe(200);
    });

    it('keeps a throttled asynchronous event in the queue and retries it with backoff, without using up its two retries', async () => {
      // Prepare
      hops.length = 0;
      queues.purge(DLQ_ARN);
      const busy = runtime.invoke('OneAtATime', { sleepMs: 600 });
      await new Promise((resolve) => setTimeout(resolve, 100));

      // Act
      const accepted = await client.send(new InvokeCommand({ FunctionName: 'OneAtATime', InvocationType: 'Event', Payload: Buffer.from('{"n":2}') }));
      await busy;
      await asyncInvoker.drain();

      // Assess
      expect(accepted.StatusCode).toBe(202);
      const throttles = hops.filter((hop) => hop.kind === 'throttled');
      expect(throttles.map((hop) => (hop.kind === 'throttled' ? hop.delayMs : 0)).slice(0, 3)).toEqual([20, 40, 80]);
      expect(throttles[0]).toMatchObject({ reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      expect(hops.filter((hop) => hop.kind === 'invoked')).toEqual([expect.objectContaining({ attempt: 1, ok: true })]);
      expect(queues.depth(DLQ_ARN)).toBe(0);
    });

    it('gives a throttled asynchronous event up once it is older than its maximum age (EventAgeExceeded)', async () => {
      // Prepare: a clock that jumps six hours per reading.
      let clock = 0;
      const aging = LambdaAsyncInvoker.create(resources, { invoke: (arn, payload) => runtime.invoke(arn, payload), queues, throttleRetryBaseMs: 1, now: () => (clock += 21_600_000), onHop: (hop) => hops.push(hop) });
      hops.length = 0;
      queues.purge(DLQ_ARN);
      const busy = runtime.invoke('OneAtATime', { sleepMs: 400 });
      await new Promise((resolve) => setTimeout(resolve, 100));

      // Act
      await aging.invokeAsync(ONE_AT_A_TIME_ARN, { n: 3 });
      await aging.drain();
      await busy;

      // Assess
      const deadLetters = queues.receiveAll(DLQ_ARN);
      expect(deadLetters).toHaveLength(1);
      expect(deadLetters[0]?.attributes.ErrorCode).toEqual({ dataType: 'Number', stringValue: '429' });
      expect(hops.filter((hop) => hop.kind === 'invoked')).toEqual([]);
    });
  });

  describe('payload limits', () => {
    it('refuses an asynchronous invoke over 1 MB with 413 RequestEntityTooLargeException', async () => {
      const payload = Buffer.from(JSON.stringify('x'.repeat(1_048_576)));
      await expect(client.send(new InvokeCommand({ FunctionName: 'Fn', InvocationType: 'Event', Payload: payload }))).rejects.toMatchObject({
        name: 'RequestEntityTooLargeException',
        message: `${payload.length} byte payload is too large for the Event invocation type (limit 1048576 bytes)`,
        $metadata: { httpStatusCode: 413 },
      });
    });

    it('accepts a synchronous invoke of 1 to 6 MB, and answers a response over 6 MB as the function error Lambda reports', async () => {
      const result = await client.send(new InvokeCommand({ FunctionName: 'Fn', Payload: Buffer.from(JSON.stringify({ answerBytes: 6_291_556, pad: 'y'.repeat(2_000_000) })) }));
      expect(result.StatusCode).toBe(200);
      expect(result.FunctionError).toBe('Unhandled');
      expect(decode(result.Payload)).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' });
    });

    it('refuses a synchronous invoke over 6 MB with 413 RequestEntityTooLargeException', async () => {
      const payload = Buffer.from(JSON.stringify('x'.repeat(6_291_456)));
      await expect(client.send(new InvokeCommand({ FunctionName: 'Fn', Payload: payload }))).rejects.toMatchObject({
        name: 'RequestEntityTooLargeException',
        message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
        $metadata: { httpStatusCode: 413 },
      });
    });
  });
});
