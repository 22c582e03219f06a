import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LambdaRuntime, type LocalFunctionSpec } from '../../local/lambda/lambda-runtime';

const code = mkdtempSync(path.join(tmpdir(), 'runtime-test-'));
writeFileSync(
  path.join(code, 'index.mjs'),
  `
let invocations = 0;
export const handler = async (event, context) => {
  invocations += 1;
  switch (event.action) {
    case 'echo': return { event, env: process.env.ONLY_MINE ?? null, invocations, remaining: context.getRemainingTimeInMillis() > 0 };
    case 'throw': { const e = new Error('out of stock'); e.name = 'OutOfStockError'; throw e; }
    case 'sleep': await new Promise((r) => setTimeout(r, event.ms)); return { slept: event.ms };
    case 'exit': process.exit(3);
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
  concurrency: 2,
  ...overrides,
});

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

  it('never runs more invocations of a function at once than its concurrency', async () => {
    const started = Date.now();
    const results = await Promise.all([1, 2, 3, 4].map(() => runtime.invoke('A', { action: 'sleep', ms: 300 })));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('refuses an unknown function', async () => {
    await expect(runtime.invoke('nope', {})).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

