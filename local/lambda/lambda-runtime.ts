import { buildSync } from 'esbuild';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { FunctionErrorPayload, InvokeMessage, WorkerData, WorkerReady, WorkerReply } from './protocol';

/** What the runtime needs to know of a function, read from the template. */
export interface LocalFunctionSpec {
  /** The name the SDK uses (FunctionName / ARN): the logical id locally. */
  readonly name: string;
  readonly arn: string;
  /** Directory of the bundle. */
  readonly codeDir: string;
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Most invocations at once; further ones wait their turn. */
  readonly concurrency: number;
}

/** The outcome of an invocation, as Lambda's Invoke API reports it. */
export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number; readonly coldStartMs?: number }
  | { readonly ok: false; readonly error: FunctionErrorPayload; readonly durationMs: number; readonly coldStartMs?: number };

/**
 * Synchronous invocation (`RequestResponse`), as {@link LambdaRuntime.invoke}
 * does it: what the emulators that call functions (Pipes enrichment, the
 * asynchronous invoker's attempts) depend on, so tests can pass a fake.
 */
export type InvokeFunction = (functionArn: string, payload: unknown) => Promise<InvokeResult>;

/** Something to hear what the runtime does; the local cloud prints it. */
export interface LambdaRuntimeListener {
  /** A line a function wrote to stdout/stderr. */
  onLog?(functionName: string, line: string): void;
  onInvoked?(functionName: string, requestId: string, result: InvokeResult): void;
}

/** No function of that name exists locally. */
export class FunctionNotFoundError extends Error {
  public constructor(name: string) {
    super(`Function not found: ${name}`);
    this.name = 'ResourceNotFoundException';
  }
}

interface Environment {
  readonly worker: Worker;
  readonly ready: Promise<{ coldStartMs: number; error?: FunctionErrorPayload }>;
  busy: boolean;
  cold: boolean;
  dead: boolean;
  pending?: { readonly requestId: string; readonly resolve: (reply: WorkerReply) => void };
}

let workerFile: string | undefined;

/** The worker entry, compiled once per process (workers cannot load TypeScript themselves). */
const compiledWorker = (): string => {
  if (!workerFile) {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'shop-lambda-')), 'worker.mjs');
    buildSync({ entryPoints: [path.join(__dirname, 'worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'silent' });
    workerFile = outfile;
  }
  return workerFile;
};

/**
 * Lambda, locally: each function runs in worker threads (its execution
 * environments) with its own environment variables, a heap bound from its
 * memory size, its timeout (the environment is killed and the invocation
 * reported as `Sandbox.Timedout`, as Lambda does), and a concurrency limit.
 * Environments are reused while warm, like Lambda's.
 */
export class LambdaRuntime {
  private readonly specs = new Map<string, LocalFunctionSpec>();
  private readonly pools = new Map<string, Environment[]>();
  private readonly waiting = new Map<string, Array<() => void>>();
  private stopping = false;

  public constructor(private readonly listener: LambdaRuntimeListener = {}) {}

  public register(spec: LocalFunctionSpec): void {
    this.specs.set(spec.name, spec);
    this.specs.set(spec.arn, spec);
    this.pools.set(spec.name, []);
  }

  /** The function a name or ARN (with or without qualifier) designates. */
  public resolve(nameOrArn: string): LocalFunctionSpec | undefined {
    const direct = this.specs.get(nameOrArn);
    if (direct) return direct;
    const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)/.exec(nameOrArn);
    return match ? this.specs.get(match[1]) : undefined;
  }

  public functions(): LocalFunctionSpec[] {
    return [...new Set(this.specs.values())];
  }

  /** Invokes synchronously (RequestResponse). */
  public async invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    const spec = this.resolve(nameOrArn);
    if (!spec) throw new FunctionNotFoundError(nameOrArn);
    const environment = await this.acquire(spec);
    const requestId = randomUUID();
    const started = Date.now();
    const coldStartMs = environment.cold ? (await environment.ready).coldStartMs : undefined;
    environment.cold = false;
    const result = await this.runOn(spec, environment, { requestId, event, deadline: started + spec.timeoutSeconds * 1000 }, started, coldStartMs);
    this.listener.onInvoked?.(spec.name, requestId, result);
    return result;
  }

  private runOn(spec: LocalFunctionSpec, environment: Environment, message: InvokeMessage, started: number, coldStartMs?: number): Promise<InvokeResult> {
    return new Promise<InvokeResult>((resolve) => {
      const finish = (result: InvokeResult, keep: boolean) => {
        clearTimeout(timer);
        environment.pending = undefined;
        if (keep) this.release(spec, environment);
        else this.discard(spec, environment);
        resolve(result);
      };
      const timer = setTimeout(() => {
        finish(
          {
            ok: false,
            durationMs: Date.now() - started,
            coldStartMs,
            error: { errorType: 'Sandbox.Timedout', errorMessage: `${message.requestId} Task timed out after ${spec.timeoutSeconds.toFixed(2)} seconds`, trace: [] },
          },
          false,
        );
      }, Math.max(0, message.deadline - Date.now()));
      environment.pending = {
        requestId: message.requestId,
        resolve: (reply) => {
          const durationMs = Date.now() - started;
          if (reply.ok) finish({ ok: true, payload: reply.value ?? null, durationMs, coldStartMs }, true);
          else finish({ ok: false, durationMs, coldStartMs, error: reply.error ?? { errorType: 'Error', errorMessage: 'unknown', trace: [] } }, !environment.dead);
        },
      };
      environment.worker.postMessage(message);
    });
  }

  private async acquire(spec: LocalFunctionSpec): Promise<Environment> {
    for (;;) {
      if (this.stopping) throw new Error('The local cloud is stopping');
      const pool = this.pools.get(spec.name) ?? [];
      const idle = pool.find((env) => !env.busy && !env.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < spec.concurrency) {
        const environment = this.spawn(spec);
        environment.busy = true;
        pool.push(environment);
        return environment;
      }
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(spec.name) ?? [];
        queue.push(resolve);
        this.waiting.set(spec.name, queue);
      });
    }
  }

  private release(spec: LocalFunctionSpec, environment: Environment): void {
    environment.busy = false;
    this.waiting.get(spec.name)?.shift()?.();
  }

  private discard(spec: LocalFunctionSpec, environment: Environment): void {
    environment.dead = true;
    void environment.worker.terminate();
    const pool = this.pools.get(spec.name) ?? [];
    this.pools.set(spec.name, pool.filter((env) => env !== environment));
    this.waiting.get(spec.name)?.shift()?.();
  }

  private spawn(spec: LocalFunctionSpec): Environment {
    const started = Date.now();
    const data: WorkerData = { functionName: spec.name, functionArn: spec.arn, codeDir: spec.codeDir, handler: spec.handler, memoryMb: spec.memoryMb };
    const worker = new Worker(compiledWorker(), {
      execArgv: [],
      workerData: data,
      env: { ...spec.environment },
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: spec.memoryMb },
    });
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.listener.onLog?.(spec.name, line);
    };
    worker.stdout.on('data', forward);
    worker.stderr.on('data', forward);

    let markReady: (value: { coldStartMs: number; error?: FunctionErrorPayload }) => void = () => undefined;
    const ready = new Promise<{ coldStartMs: number; error?: FunctionErrorPayload }>((resolve) => (markReady = resolve));
    const environment: Environment = { worker, ready, busy: false, cold: true, dead: false };
    worker.on('message', (message: WorkerReply | WorkerReady) => {
      if ('ready' in message) markReady({ coldStartMs: Date.now() - started, error: message.error });
      else if (environment.pending?.requestId === message.requestId) environment.pending.resolve(message);
    });
    const crash = (errorType: string, errorMessage: string) => {
      markReady({ coldStartMs: Date.now() - started });
      if (environment.dead) return;
      environment.dead = true;
      environment.pending?.resolve({ requestId: environment.pending.requestId, ok: false, error: { errorType, errorMessage, trace: [] } });
      const pool = this.pools.get(spec.name) ?? [];
      this.pools.set(spec.name, pool.filter((env) => env !== environment));
    };
    worker.on('error', (error: Error & { code?: string }) =>
      crash(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', error.message),
    );
    worker.on('exit', (code) => crash('Runtime.ExitError', `RequestId: ${environment.pending?.requestId ?? '-'} Error: Runtime exited with error: exit status ${code}`));
    return environment;
  }

  /** Stops every environment: waits (bounded) for running invocations, then kills. */
  public async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const queue of this.waiting.values()) queue.splice(0).forEach((wake) => wake());
    const deadline = Date.now() + graceMs;
    const all = () => [...this.pools.values()].flat();
    while (all().some((env) => env.busy && !env.dead) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(all().map((env) => env.worker.terminate()));
    this.pools.clear();
  }
}
