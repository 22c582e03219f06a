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

/**
 * The faults to inject into one invocation, decided before it runs (see
 * `FaultInjector` in `../fault-injection`, which draws them from the fault
 * configuration). Several may apply: the latency first, then the first of
 * error, timeout and crash.
 */
export interface InvocationFaults {
  /** Wait this long before the handler is dispatched, within the timeout window. @default 0 */
  readonly latencyMs?: number;
  /** Fail with `InjectedFault` without running the handler. @default false */
  readonly error?: boolean;
  /** Run the handler, withhold its answer until the timeout fires: `Sandbox.Timedout`. @default false */
  readonly timeout?: boolean;
  /**
   * Crash the environment mid-invocation, this fraction (0..1) of the
   * function's typical duration after the handler starts: `Runtime.ExitError`.
   * @default no crash
   */
  readonly crashAt?: number;
}

/** A fault as it is injected, for the log. */
export type InjectedFault =
  | { readonly kind: 'error' }
  | { readonly kind: 'latency'; readonly delayMs: number }
  | { readonly kind: 'timeout'; readonly timeoutSeconds: number }
  | { readonly kind: 'crash'; readonly afterMs: number };

/** The `errorType` of an invocation failed by fault injection. */
export const INJECTED_FAULT_ERROR_TYPE = 'InjectedFault';

/** Something to hear what the runtime does; the local cloud prints it. */
export interface LambdaRuntimeListener {
  /** A line a function wrote to stdout/stderr. */
  onLog?(functionName: string, line: string): void;
  onInvoked?(functionName: string, requestId: string, result: InvokeResult): void;
  /** A fault is being injected into an invocation (before its outcome is known). */
  onFault?(functionName: string, requestId: string, fault: InjectedFault): void;
}

/** Options of {@link LambdaRuntime}. */
export interface LambdaRuntimeOptions extends LambdaRuntimeListener {
  /**
   * Decides the faults of each invocation of a function (by its name). The
   * runtime only realises them; what to inject, and how often, is the
   * caller's. @default no faults
   */
  readonly faults?: (functionName: string) => InvocationFaults | undefined;
  /**
   * A function's typical handler duration before any invocation of it has
   * answered: what an injected crash point is scaled by. @default 100
   */
  readonly defaultTypicalDurationMs?: number;
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

/** Weight of the newest duration in a function's moving average. */
const DURATION_SMOOTHING = 0.2;

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
 *
 * Faults chosen by {@link LambdaRuntimeOptions.faults} are realised here, as
 * the real failure would show: an injected error never reaches the handler;
 * latency is spent before dispatch, inside the timeout window; an injected
 * timeout lets the handler run (and do its side effects) but withholds the
 * answer until the timeout kills the environment; an injected crash makes
 * the worker exit after the handler started, before it answers.
 */
export class LambdaRuntime {
  private readonly specs = new Map<string, LocalFunctionSpec>();
  private readonly pools = new Map<string, Environment[]>();
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Moving average of each function's handler duration (dispatch to answer), in ms. */
  private readonly typicalDurations = new Map<string, number>();
  private readonly listener: LambdaRuntimeListener;
  private stopping = false;

  public constructor(private readonly options: LambdaRuntimeOptions = {}) {
    this.listener = options;
  }

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
    const faults = this.options.faults?.(spec.name);
    const requestId = randomUUID();
    const result = faults?.error ? await this.injectError(spec, requestId, faults) : await this.run(spec, requestId, event, faults);
    this.listener.onInvoked?.(spec.name, requestId, result);
    return result;
  }

  /** A function's typical handler duration, in ms: what an injected crash point is scaled by. */
  public typicalDurationMs(functionName: string): number {
    return this.typicalDurations.get(functionName) ?? this.options.defaultTypicalDurationMs ?? 100;
  }

  private async run(spec: LocalFunctionSpec, requestId: string, event: unknown, faults: InvocationFaults | undefined): Promise<InvokeResult> {
    const environment = await this.acquire(spec);
    const started = Date.now();
    const coldStartMs = environment.cold ? (await environment.ready).coldStartMs : undefined;
    environment.cold = false;
    const latencyMs = faults?.latencyMs ?? 0;
    if (latencyMs > 0) this.listener.onFault?.(spec.name, requestId, { kind: 'latency', delayMs: latencyMs });
    const withhold = faults?.timeout === true;
    if (withhold) this.listener.onFault?.(spec.name, requestId, { kind: 'timeout', timeoutSeconds: spec.timeoutSeconds });
    let crashAfterMs: number | undefined;
    if (!withhold && faults?.crashAt !== undefined) {
      crashAfterMs = Math.round(Math.min(1, Math.max(0, faults.crashAt)) * this.typicalDurationMs(spec.name));
      this.listener.onFault?.(spec.name, requestId, { kind: 'crash', afterMs: crashAfterMs });
    }
    const message: InvokeMessage = { requestId, event, deadline: started + spec.timeoutSeconds * 1000, ...(crashAfterMs === undefined ? {} : { crashAfterMs }) };
    return this.runOn(spec, environment, message, started, coldStartMs, { latencyMs, withhold });
  }

  /** The injected error: the handler never runs (after the injected latency, if any). */
  private async injectError(spec: LocalFunctionSpec, requestId: string, faults: InvocationFaults): Promise<InvokeResult> {
    if (this.stopping) throw new Error('The local cloud is stopping');
    const started = Date.now();
    const latencyMs = faults.latencyMs ?? 0;
    if (latencyMs > 0) {
      this.listener.onFault?.(spec.name, requestId, { kind: 'latency', delayMs: latencyMs });
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
    }
    this.listener.onFault?.(spec.name, requestId, { kind: 'error' });
    return {
      ok: false,
      durationMs: Date.now() - started,
      error: { errorType: INJECTED_FAULT_ERROR_TYPE, errorMessage: 'Injected by the local cloud (errorRate)', trace: [] },
    };
  }

  private runOn(
    spec: LocalFunctionSpec,
    environment: Environment,
    message: InvokeMessage,
    started: number,
    coldStartMs: number | undefined,
    faults: { readonly latencyMs: number; readonly withhold: boolean },
  ): Promise<InvokeResult> {
    return new Promise<InvokeResult>((resolve) => {
      let settled = false;
      let dispatchedAt = Number.NaN;
      let latency: NodeJS.Timeout | undefined;
      const finish = (result: InvokeResult, keep: boolean) => {
        settled = true;
        clearTimeout(timer);
        clearTimeout(latency);
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
          if (!environment.dead) this.observeDuration(spec.name, Date.now() - dispatchedAt);
          // An injected timeout withholds the handler's answer; only the timer (or a real crash) ends the invocation.
          if (faults.withhold && !environment.dead) return;
          if (reply.ok) finish({ ok: true, payload: reply.value ?? null, durationMs, coldStartMs }, true);
          else finish({ ok: false, durationMs, coldStartMs, error: reply.error ?? { errorType: 'Error', errorMessage: 'unknown', trace: [] } }, !environment.dead);
        },
      };
      const dispatch = () => {
        if (settled) return;
        dispatchedAt = Date.now();
        environment.worker.postMessage(message);
      };
      if (faults.latencyMs > 0) latency = setTimeout(dispatch, faults.latencyMs);
      else dispatch();
    });
  }

  private observeDuration(functionName: string, durationMs: number): void {
    if (!Number.isFinite(durationMs)) return;
    const previous = this.typicalDurations.get(functionName);
    this.typicalDurations.set(functionName, previous === undefined ? durationMs : previous + DURATION_SMOOTHING * (durationMs - previous));
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
      // Lambda applies NODE_OPTIONS at process start; a worker takes such flags as execArgv.
      execArgv: /--enable-source-maps\b/.test(spec.environment.NODE_OPTIONS ?? '') ? ['--enable-source-maps'] : [],
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
