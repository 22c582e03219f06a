import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { InvalidFunctionConfigurationError, localFunctions } from '../../local/lambda/functions';
import { LambdaRuntime, type InvokeResult, type LambdaRuntimeOptions, type LocalFunctionSpec } from '../../local/lambda/lambda-runtime';
import { LambdaThrottledError, PayloadTooLargeError, SYNC_REQUEST_LIMIT_BYTES, SYNC_RESPONSE_LIMIT_BYTES } from '../../local/lambda/limits';
import { defaultNodeSearch, resolveNode } from '../../local/lambda/node-binary';
import type { LocalResource } from '../../local/resources';

const code = mkdtempSync(path.join(tmpdir(), 'runtime-test-'));
writeFileSync(
  path.join(code, 'index.mjs'),
  `
import { request, Agent } from 'node:http';
import { isMainThread, resourceLimits } from 'node:worker_threads';
let invocations = 0;
const agent = new Agent({ keepAlive: true });
const get = (url) => new Promise((resolve, reject) => request(url, { agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject).end());
export const handler = async (event, context) => {
  invocations += 1;
  switch (event.action) {
    case 'echo': return { event, env: process.env.ONLY_MINE ?? null, invocations, remaining: context.getRemainingTimeInMillis() > 0 };
    case 'throw': { const e = new Error('out of stock'); e.name = 'OutOfStockError'; throw e; }
    case 'sleep': await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms };
    case 'exit': process.exit(3);
    case 'env': return { env: { ...process.env }, logGroupName: context.logGroupName, logStreamName: context.logStreamName };
    case 'big': return 'x'.repeat(event.bytes);
    case 'whoami': return { pid: process.pid, isMainThread, version: process.version, invocations };
    case 'log': console.log('hello from ' + event.who); return null;
    case 'chatty': for (let i = 0; i < 50; i += 1) console.log(String(i).repeat(2000)); return null;
    case 'leave-timer': setTimeout(() => undefined, 60000); setTimeout(() => undefined, 60000); return 'returned';
    case 'leave-unref-timer': setTimeout(() => undefined, 60000).unref(); return 'returned';
    case 'keep-alive': return { status: await get(event.url) };
    case 'leave-socket': get(event.url).catch(() => undefined); return 'returned';
    case 'heap': return { resourceLimits, execArgv: process.execArgv };
    case 'hog': { const hoard = []; for (;;) hoard.push(new Array(1e6).fill(hoard.length)); }
    default: return null;
  }
};
`,
);

const spec = (name: string, overrides: Partial<LocalFunctionSpec> = {}): LocalFunctionSpec => ({
  name,
  arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
  codeDir: code,
  handler: 'index.handler',
  environment: {},
  timeoutSeconds: 1,
  memoryMb: 128,
  ...overrides,
});

/** What an invocation that Lambda refused rejects with. */
const refusal = async (invocation: Promise<InvokeResult>): Promise<unknown> => {
  try {
    await invocation;
  } catch (error) {
    return error;
  }
  throw new Error('expected the invocation to be refused');
};

describe('LambdaRuntime', () => {
  const runtime = new LambdaRuntime();
  runtime.register(spec('A', { environment: { ONLY_MINE: 'a' } }));
  runtime.register(spec('B'));
  afterAll(() => runtime.stop());

  it('runs a handler with its own environment and reuses the warm environment', async () => {
    const first = await runtime.invoke('A', { action: 'echo' });
    const second = await runtime.invoke('arn:aws:lambda:us-east-1:000000000000:function:A', { action: 'echo' });
    const other = await runtime.invoke('B', { action: 'echo' });
    expect(first).toMatchObject({ ok: true, payload: { env: 'a', invocations: 1, remaining: true }, coldStartMs: expect.any(Number) });
    expect(second).toMatchObject({ ok: true, payload: { invocations: 2 } });
    expect(second.coldStartMs).toBeUndefined();
    expect(other).toMatchObject({ ok: true, payload: { env: null } });
  });

  it("reports a thrown error with the error's name as errorType (what Step Functions' Catch matches)", async () => {
    const result = await runtime.invoke('A', { action: 'throw' });
    expect(result).toMatchObject({ ok: false, error: { errorType: 'OutOfStockError', errorMessage: 'out of stock' } });
  });

  it('kills an invocation that outlives the timeout and reports Sandbox.Timedout, then starts a fresh environment', async () => {
    const result = await runtime.invoke('B', { action: 'sleep', ms: 5000 });
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 1.00 seconds/) } });
    expect(result.durationMs).toBeLessThan(3000);
    const next = await runtime.invoke('B', { action: 'echo' });
    expect(next).toMatchObject({ ok: true, payload: { invocations: 1 } });
  });

  it('reports a crashed environment as Runtime.ExitError', async () => {
    const result = await runtime.invoke('B', { action: 'exit' });
    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
  });

  it('hands the handler the event as JSON carries it, and answers with what JSON makes of the result', async () => {
    const result = await runtime.invoke('A', { action: 'echo', when: new Date(0), gone: undefined });
    expect(result).toMatchObject({ ok: true, payload: { event: { action: 'echo', when: '1970-01-01T00:00:00.000Z' } } });
    expect(result.ok && (result.payload as { event: object }).event).not.toHaveProperty('gone');
  });

  it('refuses an unknown function', async () => {
    await expect(runtime.invoke('nope', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('LambdaRuntime concurrency', () => {
  const refused: Array<{ readonly functionName: string; readonly error: Error }> = [];
  const make = (options: LambdaRuntimeOptions, ...specs: LocalFunctionSpec[]) => {
    const runtime = new LambdaRuntime({ ...options, onRefused: (functionName, error) => refused.push({ functionName, error }) });
    for (const s of specs) runtime.register(s);
    return runtime;
  };
  const runtimes: LambdaRuntime[] = [];
  afterAll(() => Promise.all(runtimes.map((r) => r.stop())));

  it('throttles a synchronous invocation beyond reserved concurrency at once, with the reason AWS gives', async () => {
    // Prepare
    const runtime = make({}, spec('Reserved', { reservedConcurrency: 1, timeoutSeconds: 5 }));
    runtimes.push(runtime);
    await runtime.invoke('Reserved', { action: 'echo' });

    // Act
    const busy = runtime.invoke('Reserved', { action: 'sleep', ms: 600 });
    const started = Date.now();
    const error = await refusal(runtime.invoke('Reserved', { action: 'echo' }));
    const refusedAfterMs = Date.now() - started;

    // Assess
    expect(error).toBeInstanceOf(LambdaThrottledError);
    expect(error).toMatchObject({ name: 'TooManyRequestsException', statusCode: 429, reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', message: 'Rate Exceeded.' });
    expect(refusedAfterMs).toBeLessThan(300);
    expect(await busy).toMatchObject({ ok: true });
    expect(await runtime.invoke('Reserved', { action: 'echo' })).toMatchObject({ ok: true });
    expect(refused).toContainEqual({ functionName: 'Reserved', error });
  });

  it('throttles every invocation of a function whose reserved concurrency is 0', async () => {
    const runtime = make({}, spec('Disabled', { reservedConcurrency: 0 }));
    runtimes.push(runtime);
    await expect(runtime.invoke('Disabled', { action: 'echo' })).rejects.toMatchObject({ reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  });

  it("throttles unreserved functions once the account's pool, less every reservation, is in use", async () => {
    // Prepare: an account of 3, of which 2 are reserved: one left for everyone else.
    const runtime = make({ accountConcurrency: 3 }, spec('Free1', { timeoutSeconds: 5 }), spec('Free2', { timeoutSeconds: 5 }), spec('Carved', { reservedConcurrency: 2, timeoutSeconds: 5 }));
    runtimes.push(runtime);

    // Act
    const busy = runtime.invoke('Free1', { action: 'sleep', ms: 500 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const other = await refusal(runtime.invoke('Free2', { action: 'echo' }));
    const reservedStillRuns = await Promise.all([runtime.invoke('Carved', { action: 'sleep', ms: 100 }), runtime.invoke('Carved', { action: 'sleep', ms: 100 })]);

    // Assess
    expect(runtime.unreservedConcurrency).toBe(1);
    expect(other).toMatchObject({ name: 'TooManyRequestsException', reason: 'ConcurrentInvocationLimitExceeded' });
    expect(reservedStillRuns.every((result) => result.ok)).toBe(true);
    expect(await busy).toMatchObject({ ok: true });
  });

  it('lets invocations Lambda admits beyond the local cap of environments wait for one (timing, not outcome)', async () => {
    // Prepare
    const runtime = make({ environmentsPerFunction: 2 }, spec('Capped', { timeoutSeconds: 2 }));
    runtimes.push(runtime);
    const started = Date.now();

    // Act
    const results = await Promise.all([1, 2, 3, 4].map(() => runtime.invoke('Capped', { action: 'sleep', ms: 300 })));

    // Assess
    expect(results.every((r) => r.ok)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });
});

describe('LambdaRuntime payload limits', () => {
  const runtime = new LambdaRuntime();
  runtime.register(spec('Payloads', { timeoutSeconds: 10, memoryMb: 512 }));
  afterAll(() => runtime.stop());

  it('refuses a request over 6 MB before the function runs (413 RequestEntityTooLargeException)', async () => {
    // Prepare: a JSON string of exactly the limit, and one byte more.
    const atLimit = 'x'.repeat(SYNC_REQUEST_LIMIT_BYTES - 2);
    const overLimit = `${atLimit}x`;

    // Act
    const accepted = await runtime.invoke('Payloads', atLimit);
    const error = await refusal(runtime.invoke('Payloads', overLimit));

    // Assess
    expect(accepted).toMatchObject({ ok: true });
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect(error).toMatchObject({ name: 'RequestEntityTooLargeException', statusCode: 413, message: 'Request must be smaller than 6291456 bytes for the InvokeFunction operation' });
  });

  it("fails an invocation whose response is over the limit with Function.ResponseSizeTooLarge, and the environment with it", async () => {
    // Prepare: a JSON string answer of exactly the limit, and one byte more.
    await runtime.invoke('Payloads', { action: 'echo' });

    // Act
    const atLimit = await runtime.invoke('Payloads', { action: 'big', bytes: SYNC_RESPONSE_LIMIT_BYTES - 2 });
    const overLimit = await runtime.invoke('Payloads', { action: 'big', bytes: SYNC_RESPONSE_LIMIT_BYTES - 1 });
    const next = await runtime.invoke('Payloads', { action: 'whoami' });

    // Assess
    expect(atLimit.ok).toBe(true);
    expect(overLimit).toMatchObject({ ok: false, error: { errorType: 'Function.ResponseSizeTooLarge', errorMessage: 'Response payload size exceeded maximum allowed payload size (6291556 bytes).' } });
    expect(next).toMatchObject({ ok: true, payload: { invocations: 1 } });
    expect(next.coldStartMs).toEqual(expect.any(Number));
  });
});

describe("Lambda's runtime environment variables", () => {
  const REGION = 'us-east-1';
  const fn = (variables: Record<string, string>, extra: Record<string, unknown> = {}, logicalId = 'EnvFn'): LocalResource => ({
    logicalId,
    type: 'AWS::Lambda::Function',
    ref: logicalId,
    arn: `arn:aws:lambda:${REGION}:000000000000:function:${logicalId}`,
    properties: { Handler: 'index.handler', Runtime: 'nodejs24.x', MemorySize: 256, Environment: { Variables: variables }, ...extra },
  });
  const read = (resources: readonly LocalResource[], accountConcurrency?: number) =>
    localFunctions(resources, () => code, { region: REGION, dynamoDbEndpoint: 'http://127.0.0.1:1', awsEndpoint: 'http://127.0.0.1:2' }, accountConcurrency);
  const runtime = new LambdaRuntime();
  afterAll(() => runtime.stop());

  it('gives a function the variables Lambda defines for a Node.js function, and a fresh trace header per invocation', async () => {
    // Prepare
    const [envFn] = read([fn({ MINE: 'yes' }, { LoggingConfig: { LogGroup: '/custom/group' } })]);
    runtime.register(envFn.spec);

    // Act
    const first = await runtime.invoke('EnvFn', { action: 'env' });
    const second = await runtime.invoke('EnvFn', { action: 'env' });

    // Assess
    type Seen = { env: Record<string, string>; logGroupName: string; logStreamName: string };
    if (!first.ok || !second.ok) throw new Error('the function failed');
    const [one, two] = [first.payload as Seen, second.payload as Seen];
    expect(one.env).toMatchObject({
      MINE: 'yes',
      _HANDLER: 'index.handler',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      AWS_LAMBDA_FUNCTION_NAME: 'EnvFn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/custom/group',
      AWS_LAMBDA_LOG_STREAM_NAME: expect.stringMatching(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      LAMBDA_TASK_ROOT: code,
      LAMBDA_RUNTIME_DIR: expect.any(String),
      AWS_LAMBDA_RUNTIME_API: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      TZ: ':UTC',
      LANG: 'en_US.UTF-8',
      NODE_PATH: expect.stringContaining('/opt/nodejs/node24/node_modules'),
      PATH: expect.stringContaining('/usr/bin'),
      LD_LIBRARY_PATH: expect.stringContaining(code),
      AWS_ACCESS_KEY: expect.any(String),
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      AWS_XRAY_DAEMON_ADDRESS: expect.stringMatching(/^[\d.]+:\d+$/),
      _X_AMZN_TRACE_ID: expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=[01]$/),
    });
    expect(two.env._X_AMZN_TRACE_ID).not.toBe(one.env._X_AMZN_TRACE_ID);
    expect(two.env.AWS_LAMBDA_LOG_STREAM_NAME).toBe(one.env.AWS_LAMBDA_LOG_STREAM_NAME);
    expect(one.logGroupName).toBe('/custom/group');
    expect(one.logStreamName).toBe(one.env.AWS_LAMBDA_LOG_STREAM_NAME);
  });

  it('stops start-up when a function sets reserved keys, naming the function and the keys as AWS does', () => {
    // Act
    const error = (() => {
      try {
        read([fn({ OK: '1' }, {}, 'Fine'), fn({ TZ: 'Europe/Paris', AWS_REGION: 'eu-west-1', MINE: 'yes' }, {}, 'Offender')]);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();

    // Assess
    expect(error).toBeInstanceOf(InvalidFunctionConfigurationError);
    expect((error as Error).message).toMatch(/^Offender \(AWS::Lambda::Function\): Environment\.Variables — /);
    expect((error as Error).message).toContain('contains reserved keys that are currently not supported for modification. Reserved keys used in this request: TZ, AWS_REGION');
  });

  it('stops start-up on what Lambda refuses at deploy time: environment variables over 4 KB, a timeout or memory out of range', () => {
    const big = { BLOB: 'x'.repeat(4093) };
    expect(read([fn({ OK: 'x'.repeat(4092 - 2) })]).length).toBe(1);
    expect(() => read([fn(big, {}, 'Big')])).toThrow(/^Big \(AWS::Lambda::Function\): Environment\.Variables — .*exceeded the 4KB limit/);
    expect(() => read([fn({}, { Timeout: 901 }, 'Slow')])).toThrow(/^Slow \(AWS::Lambda::Function\): Timeout — /);
    expect(() => read([fn({}, { MemorySize: 64 }, 'Small')])).toThrow(/^Small \(AWS::Lambda::Function\): MemorySize — /);
  });

  it('stops start-up when reservations leave the account fewer than 100 unreserved executions, as AWS refuses them', () => {
    const reserving = (logicalId: string, count: number) => fn({}, { ReservedConcurrentExecutions: count }, logicalId);
    expect(read([reserving('R1', 400), reserving('R2', 500)]).map((f) => f.spec.reservedConcurrency)).toEqual([400, 500]);
    expect(() => read([reserving('R1', 400), reserving('R2', 501)])).toThrow(/UnreservedConcurrentExecution below its minimum value of \[100\]/);
    expect(() => read([reserving('R1', 5)], 100)).toThrow(InvalidFunctionConfigurationError);
  });
});

describe('work left running after a handler returns', () => {
  const pending: Array<{ readonly functionName: string; readonly resources: Readonly<Record<string, number>> }> = [];
  const server = createServer((_request, response) => response.end('ok'));
  let url = '';
  const runtime = new LambdaRuntime({ onPendingWork: (functionName, _requestId, resources) => pending.push({ functionName, resources }) });
  runtime.register(spec('Leaky', { timeoutSeconds: 5 }));
  runtime.register(spec('Leaky-Process', { timeoutSeconds: 5, nodeExecutable: process.execPath }));
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  });
  afterAll(async () => {
    await runtime.stop();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    pending.length = 0;
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

  it.each(['Leaky', 'Leaky-Process'])('reports timers a handler of %s left behind', async (name) => {
    await runtime.invoke(name, { action: 'leave-timer' });
    await settle();
    expect(pending).toEqual([{ functionName: name, resources: { Timeout: 2 } }]);
  });

  it('reports a request a handler did not wait for', async () => {
    await runtime.invoke('Leaky', { action: 'leave-socket', url });
    await settle();
    expect(pending).toHaveLength(1);
    expect(Object.keys(pending[0]?.resources ?? {}).join()).toMatch(/TCP/);
  });

  it('reports nothing for idle keep-alive sockets and unreferenced timers (they would not keep a process alive either)', async () => {
    for (let i = 0; i < 3; i += 1) await runtime.invoke('Leaky', { action: 'keep-alive', url });
    await runtime.invoke('Leaky', { action: 'leave-unref-timer' });
    await settle();
    expect(pending).toEqual([]);
  });

  it.each(['Leaky', 'Leaky-Process'])('reports nothing for logs %s wrote that are still on their way out', async (name) => {
    for (let i = 0; i < 3; i += 1) await runtime.invoke(name, { action: 'chatty' });
    await settle();
    expect(pending).toEqual([]);
  });
});

describe('environments as child processes', () => {
  const logs: string[] = [];
  const runtime = new LambdaRuntime({ onLog: (fn, line) => logs.push(`${fn}: ${line}`) });
  const child = (name: string, overrides: Partial<LocalFunctionSpec> = {}) => spec(name, { nodeExecutable: process.execPath, ...overrides });
  runtime.register(child('Child', { timeoutSeconds: 2 }));
  runtime.register(child('ChildHog', { memoryMb: 64, timeoutSeconds: 20 }));
  afterAll(() => runtime.stop());

  it('runs the function in a process of its own, warm between invocations, with its logs forwarded', async () => {
    const first = await runtime.invoke('Child', { action: 'whoami' });
    const second = await runtime.invoke('Child', { action: 'whoami' });
    await runtime.invoke('Child', { action: 'log', who: 'a child' });
    // The logs come over the process's stdout, the answer over IPC: either may arrive first.
    // console.log writes what Lambda's Node.js runtime writes with the Text log format: <time>\t<requestId>\tINFO\t<message>.
    const forwarded = () => logs.some((line) => /^Child: \S+\t[0-9a-f-]{36}\tINFO\thello from a child$/.test(line));
    for (let waited = 0; !forwarded() && waited < 2000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(first).toMatchObject({ ok: true, payload: { isMainThread: true, invocations: 1 }, coldStartMs: expect.any(Number) });
    expect(second).toMatchObject({ ok: true, payload: { invocations: 2 } });
    expect((first.ok && (first.payload as { pid: number }).pid) || 0).not.toBe(process.pid);
    expect(forwarded()).toBe(true);
  });

  it('times out, crashes and throws as a worker thread does', async () => {
    expect(await runtime.invoke('Child', { action: 'sleep', ms: 5000 })).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(await runtime.invoke('Child', { action: 'whoami' })).toMatchObject({ ok: true, payload: { invocations: 1 } });
    expect(await runtime.invoke('Child', { action: 'exit' })).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError', errorMessage: expect.stringContaining('exit status 3') } });
    expect(await runtime.invoke('Child', { action: 'throw' })).toMatchObject({ ok: false, error: { errorType: 'OutOfStockError' } });
  });

  it('bounds the heap by the memory size', async () => {
    expect(await runtime.invoke('ChildHog', { action: 'hog' })).toMatchObject({ ok: false, error: { errorType: 'Runtime.OutOfMemory' } });
  });

  it("sizes the heap as Lambda's Node.js runtime does, in a process as in a worker thread", async () => {
    // Prepare: 1,024 MB: a tenth is new space (102 MB), half of that one semi-space (51 MB), the old space the rest.
    const threads = new LambdaRuntime();
    // A long timeout: a process's start on a busy machine is not what this test is about.
    threads.register(spec('Sized', { memoryMb: 1024, timeoutSeconds: 20 }));
    runtime.register(child('SizedChild', { memoryMb: 1024, timeoutSeconds: 20 }));

    // Act
    const inThread = await threads.invoke('Sized', { action: 'heap' });
    const inProcess = await runtime.invoke('SizedChild', { action: 'heap' });
    await threads.stop();

    // Assess
    expect(inThread).toMatchObject({ ok: true, payload: { resourceLimits: { maxOldGenerationSizeMb: 922, maxYoungGenerationSizeMb: 153 } } });
    expect(inProcess).toMatchObject({ ok: true, payload: { execArgv: expect.arrayContaining(['--max-semi-space-size=51', '--max-old-space-size=922']) } });
  });

  it('runs a function on the Node that another major resolves to, found on PATH (a stand-in binary answering v99)', async () => {
    // Prepare: a `node` on PATH that says it is v99 and runs the real Node otherwise, as a Node of another major would be found.
    const bin = mkdtempSync(path.join(tmpdir(), 'other-node-'));
    const standIn = path.join(bin, 'node');
    writeFileSync(standIn, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo v99.1.0; exit 0; fi\nexec "${process.execPath}" "$@"\n`, { mode: 0o755 });
    const choice = resolveNode(99, { ...defaultNodeSearch(), override: undefined, pathVariable: bin });
    const runtimeOnOther = new LambdaRuntime();
    runtimeOnOther.register(spec('Other', { nodeExecutable: choice.kind === 'child-process' ? choice.executable : undefined }));

    // Act
    const result = await runtimeOnOther.invoke('Other', { action: 'whoami' });
    await runtimeOnOther.stop();

    // Assess
    expect(choice).toMatchObject({ kind: 'child-process', executable: standIn, version: 'v99.1.0' });
    expect(result).toMatchObject({ ok: true, payload: { isMainThread: true, invocations: 1 } });
    expect((result.ok && (result.payload as { pid: number }).pid) || 0).not.toBe(process.pid);
  });
});
