import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { AsyncInvoker, registerInvokeApi } from '../../local/lambda/invoke-api';
import { LambdaRuntime } from '../../local/lambda/lambda-runtime';

const code = mkdtempSync(path.join(tmpdir(), 'invoke-api-'));
writeFileSync(
  path.join(code, 'index.mjs'),
  `export const handler = async (event) => {
     if (event.fail) { const e = new Error('nope'); e.name = 'TransientError'; throw e; }
     return { doubled: event.n * 2 };
   };`,
);

describe('Lambda Invoke on the local AWS endpoint', () => {
  const runtime = new LambdaRuntime();
  runtime.register({ name: 'Fn', arn: 'arn:aws:lambda:us-east-1:000000000000:function:Fn', codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 3, memoryMb: 128, concurrency: 2 });
  const deadLetters: Array<{ queue: string; event: unknown; errorType: string }> = [];
  const failures: number[] = [];
  const asyncInvoker = new AsyncInvoker(runtime, {
    failureConfig: () => ({ maximumRetryAttempts: 2, deadLetterArn: 'arn:aws:sqs:us-east-1:000000000000:Dlq' }),
    deadLetter: (queue, event, error) => deadLetters.push({ queue, event, errorType: error.errorType }),
    retryDelayMs: () => 1,
    onFailed: (_name, attempt) => failures.push(attempt),
  });
  const endpoint = new AwsEndpoint();
  registerInvokeApi(endpoint, runtime, asyncInvoker);
  let client: LambdaClient;

  beforeAll(async () => {
    client = new LambdaClient({ endpoint: await endpoint.listen(), region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });
  afterAll(async () => {
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
    const accepted = await client.send(new InvokeCommand({ FunctionName: 'Fn', InvocationType: 'Event', Payload: Buffer.from('{"fail":true}') }));
    expect(accepted.StatusCode).toBe(202);
    await asyncInvoker.drain();
    expect(failures).toEqual([1, 2, 3]);
    expect(deadLetters).toEqual([{ queue: 'arn:aws:sqs:us-east-1:000000000000:Dlq', event: { fail: true }, errorType: 'TransientError' }]);
  });
});
