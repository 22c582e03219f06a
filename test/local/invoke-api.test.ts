import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
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
     return { doubled: event.n * 2 };
   };`,
);

const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Fn';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:Dlq';

/** The function and its dead-letter queue as the template declares them (intrinsics resolved). */
const resources: readonly LocalResource[] = [
  { logicalId: 'Fn', type: 'AWS::Lambda::Function', properties: { Handler: 'index.handler', DeadLetterConfig: { TargetArn: DLQ_ARN } }, ref: 'Fn', arn: FUNCTION_ARN },
  { logicalId: 'Dlq', type: 'AWS::SQS::Queue', properties: {}, ref: 'http://localhost/000000000000/Dlq', arn: DLQ_ARN },
];

describe('Lambda Invoke on the local AWS endpoint', () => {
  const runtime = new LambdaRuntime();
  runtime.register({ name: 'Fn', arn: FUNCTION_ARN, codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 3, memoryMb: 128, concurrency: 2 });
  const queues = SqsQueues.create(resources);
  const hops: LambdaAsyncHop[] = [];
  const asyncInvoker = LambdaAsyncInvoker.create(resources, {
    invoke: (arn, payload) => runtime.invoke(arn, payload),
    queues,
    retryDelayMs: 1,
    onHop: (hop) => hops.push(hop),
  });
  const endpoint = new AwsEndpoint();
  registerInvokeApi(endpoint, runtime, asyncInvoker);
  let client: LambdaClient;

  beforeAll(async () => {
    client = new LambdaClient({ endpoint: await endpoint.listen(), region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterAll(async () => {
    asyncInvoker.close();
    client.destroy();
    await endpoint.close();
    await runtime.stop();
  });

  const decode = (payload?: Uint8Array) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

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
});
