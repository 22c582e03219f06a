import { buildSync } from 'esbuild';
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DEFAULT_ACCOUNT_CONCURRENCY,
  lambdaHeap,
  LambdaThrottledError,
  PayloadTooLargeError,
  payloadJson,
  RESPONSE_TOO_LARGE_ERROR_TYPE,
  SYNC_REQUEST_LIMIT_BYTES,
  SYNC_RESPONSE_LIMIT_BYTES,
  type ThrottleReason,
} from './limits';
import type { EnvironmentMessage, FunctionErrorPayload, InvokeMessage, WorkerData, WorkerReply } from './protocol';

/** What the runtime needs to know of a function, read from the template. */
export interface LocalFunctionSpec {
  /** The name the SDK uses (FunctionName / ARN): the logical id locally. */
  readonly name: string;
  readonly arn: string;
  /** Directory of the bundle. */
  readonly codeDir: string;
  readonly handler: string;
  /** Every variable the function sees, Lambda's own included (see `localFunctions`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /**
   * `ReservedConcurrentExecutions`: the most invocations at once, carved out
   * of the account's pool; further ones are throttled. @default none: the
   * function shares the account's unreserved pool
   */
  readonly reservedConcurrency?: number;
  /**
   * A Node.js binary to run the function's environments as child processes
   * of, when the function's runtime is another Node major than the one
   * running the local cloud (see `planLambdaNodes` in `./node-binary`).
   * @default worker threads of the running Node
   */
  readonly nodeExecutable?: string;
}

/** The outcome of an invocation, as Lambda's Invoke API reports it. */
export type InvokeResult =
  | { readonly ok: true; readonly payload: unknown; readonly durationMs: number; readonly coldStartMs?: number }
  | { readonly ok: false; readonly error: FunctionErrorPayload; readonly durationMs: number; readonly coldStartMs?: number };

/**
 * Synchronous invocation (`RequestResponse`), as {@link LambdaRuntime.invoke}
 * does it: what the emulators that call functions (Pipes enrichment, the
 * asynchronous invoker's attempts) depend on, so tests can pass a fake.
 * Rejects, as Lambda refuses the request, with `LambdaThrottledError` or
 * `PayloadTooLargeError` (`./limits`) or `FunctionNotFoundError`.
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
  /** The injected error is an outage of the function (a window in which every invocation fails), not a random draw. @default false */
  readonly outage?: boolean;
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
  | { readonly kind: 'error'; readonly outage?: boolean }
  | { readonly kind: 'latency'; readonly delayMs: number }
  | { readonly kind: 'timeout'; readonly timeoutSeconds: number }
  | { readonly kind: 'crash'; readonly afterMs: number };

/** The `errorType` of an invocation failed by fault injection. */
export const INJECTED_FAULT_ERROR_TYPE = 'InjectedFault';

/** Something to hear what the runtime does; the local cloud prints it. */
export interface LambdaRuntimeListener {
  /** A line a function wrote to stdout/stderr. */
  onLog?(functionName: string, line: string): void;
  /** An invocation ended; `eventJson` is the event the function got, as JSON text (read it only when needed: it can be large). */
  onInvoked?(functionName: string, requestId: string, result: InvokeResult, eventJson: string): void;
  /** A fault is being injected into an invocation (before its outcome is known). */
  onFault?(functionName: string, requestId: string, fault: InjectedFault): void;
  /** Lambda refused an invocation before it ran: throttled, or a request over the payload limit. */
  onRefused?(functionName: string, error: LambdaThrottledError | PayloadTooLargeError): void;
  /**
   * A handler returned (or threw) with work still scheduled: timers, sockets,
   * file operations... by the names of Node's `process.getActiveResourcesInfo()`
   * (see {@link describePendingWork}). On AWS the environment is frozen as
   * soon as the handler returns, so that work stalls until the next
   * invocation thaws it, or never runs if the environment is reclaimed.
   */
  onPendingWork?(functionName: string, requestId: string, resources: Readonly<Record<string, number>>): void;
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
  /**
   * The account's concurrent executions: what functions without reserved
   * concurrency share (less what the others reserve). Beyond it invocations
   * are throttled, as on AWS. @default 1000
   */
  readonly accountConcurrency?: number;
  /**
   * Most execution environments (worker threads or processes) one function
   * has at once on this machine. An invocation Lambda admits beyond it waits
   * for one of them to be free, and its timeout starts when it gets one: a
   * difference in timing, never in outcome (throttling follows AWS's
   * limits, not this one). @default 10
   */
  readonly environmentsPerFunction?: number;
}

/** No function of that name exists locally. */
export class FunctionNotFoundError extends Error {
  public constructor(name: string) {
    super(`Function not found: ${name}`);
    this.name = 'ResourceNotFoundException';
  }
}

/** An execution environment's process or thread, whichever it is. */
interface EnvironmentHost {
  send(message: InvokeMessage): void;
  /** Kills it, resolving once it is gone. */
  terminate(): Promise<void>;
}

interface Environment {
  readonly host: EnvironmentHost;
  /** The bundle it loaded: an environment of a replaced bundle retires (see {@link LambdaRuntime.replaceCode}). */
  readonly codeDir: string;
  readonly ready: Promise<{ coldStartMs: number; error?: FunctionErrorPayload }>;
  busy: boolean;
  cold: boolean;
  dead: boolean;
  pending?: { readonly requestId: string; readonly resolve: (reply: WorkerReply) => void };
}

let workerFile: string | undefined;

/** Weight of the newest duration in a function's moving average. */
const DURATION_SMOOTHING = 0.2;

/** The environment entry, compiled once per process (neither workers nor other Nodes load TypeScript). */
const compiledWorker = (): string => {
  if (!workerFile) {
    const outfile = path.join(mkdtempSync(path.join(tmpdir(), 'shop-lambda-')), 'worker.mjs');
    // node18: the oldest Node a template's function could still ask for runs it as a child process.
    buildSync({ entryPoints: [path.join(__dirname, 'worker.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node18', outfile, logLevel: 'silent' });
    workerFile = outfile;
  }
  return workerFile;
};

/** The directory of the local runtime's own code: what `LAMBDA_RUNTIME_DIR` names locally. */
export const localRuntimeDir = (): string => path.dirname(compiledWorker());

/** A fresh X-Ray trace header, as Lambda sets `_X_AMZN_TRACE_ID` for each invocation (nothing is sampled: no daemon runs locally). */
const traceHeader = (): string => {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
};

/** A log stream name as Lambda gives each execution environment: `2026/01/31/[$LATEST]<32 hex>`. */
const logStreamName = (): string => `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomBytes(16).toString('hex')}`;

const RESOURCE_WORDS: Readonly<Record<string, readonly [string, string]>> = {
  Timeout: ['timer', 'timers'],
  Immediate: ['immediate', 'immediates'],
  TCPSocketWrap: ['socket', 'sockets'],
  TCPWRAP: ['socket', 'sockets'],
  TCPServerWrap: ['server', 'servers'],
  TLSWrap: ['TLS connection', 'TLS connections'],
  UDPWrap: ['UDP socket', 'UDP sockets'],
  GetAddrInfoReqWrap: ['DNS lookup', 'DNS lookups'],
  QueryReqWrap: ['DNS query', 'DNS queries'],
  FSReqCallback: ['file operation', 'file operations'],
  FSReqPromise: ['file operation', 'file operations'],
  FileHandle: ['open file', 'open files'],
  PipeWrap: ['pipe', 'pipes'],
  ProcessWrap: ['child process', 'child processes'],
  MessagePort: ['message port', 'message ports'],
  FSEventWrap: ['file watcher', 'file watchers'],
  StatWatcher: ['file watcher', 'file watchers'],
};

/** `2 timers, 1 socket`: pending resources (by Node's names) in words. */
export const describePendingWork = (resources: Readonly<Record<string, number>>): string => {
  const byWord = new Map<string, { count: number; words: readonly [string, string] }>();
  for (const [kind, count] of Object.entries(resources)) {
    const words = RESOURCE_WORDS[kind] ?? ([kind, kind] as const);
    const entry = byWord.get(words[0]) ?? { count: 0, words };
    entry.count += count;
    byWord.set(words[0], entry);
  }
  return [...byWord.values()].map(({ count, words }) => `${count} ${count === 1 ? words[0] : words[1]}`).join(', ');
};

/**
 * Lambda, locally: each function runs in execution environments — worker
 * threads, or child processes of a Node of the function's major when the
 * running Node is another — with its own environment variables, a heap bound
 * from its memory size, its timeout (the environment is killed and the
 * invocation reported as `Sandbox.Timedout`, as Lambda does). Environments
 * are reused while warm, like Lambda's.
 *
 * Concurrency is Lambda's: an account pool (`accountConcurrency`), of which
 * `ReservedConcurrentExecutions` carves a function's share; an invocation
 * over its function's limit is throttled at once (`LambdaThrottledError`),
 * not queued. Requests over 6 MB are refused and responses over the limit
 * fail the invocation, as Lambda's payload quotas do (`./limits`).
 *
 * What a function writes reaches {@link LambdaRuntimeListener.onLog} line by
 * line, `console` as Lambda's Node.js runtime shapes it for the function's log
 * format and level (`./worker`); Lambda's filter before CloudWatch Logs and its
 * own START/REPORT lines or `platform.*` records are the local cloud's and the
 * cost meter's (`./log-controls`).
 *
 * Faults chosen by {@link LambdaRuntimeOptions.faults} are realised here, as
 * the real failure would show: an injected error never reaches the handler;
 * latency is spent before dispatch, inside the timeout window; an injected
 * timeout lets the handler run (and do its side effects) but withholds the
 * answer until the timeout kills the environment; an injected crash makes
 * the environment exit after the handler started, before it answers.
 */
export class LambdaRuntime {
  private readonly specs = new Map<string, LocalFunctionSpec>();
  private readonly pools = new Map<string, Environment[]>();
  private readonly waiting = new Map<string, Array<() => void>>();
  /** Invocations Lambda has admitted and not yet finished, by function. */
  private readonly running = new Map<string, number>();
  /** Of those, the ones using the account's unreserved pool. */
  private unreservedRunning = 0;
  private reservedTotal = 0;
  /** Moving average of each function's handler duration (dispatch to answer), in ms. */
  private readonly typicalDurations = new Map<string, number>();
  private readonly listener: LambdaRuntimeListener;
  private readonly accountConcurrency: number;
  private readonly environmentsPerFunction: number;
  private stopping = false;

  public constructor(private readonly options: LambdaRuntimeOptions = {}) {
    this.listener = options;
    this.accountConcurrency = options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
    this.environmentsPerFunction = Math.max(1, options.environmentsPerFunction ?? 10);
  }

  public register(spec: LocalFunctionSpec): void {
    const previous = this.specs.get(spec.name);
    this.reservedTotal += (spec.reservedConcurrency ?? 0) - (previous?.reservedConcurrency ?? 0);
    this.specs.set(spec.name, spec);
    this.specs.set(spec.arn, spec);
    this.pools.set(spec.name, []);
  }

  /**
   * Serves the function from another bundle (`npm start -- --watch` after a
   * saved change): its idle environments retire now, busy ones finish their
   * invocation then retire (nothing in flight is lost), and the next
   * invocation starts cold on the new code.
   * @returns how many environments retired now, and how many will when their invocation ends
   * @throws {FunctionNotFoundError} when no such function exists.
   */
  public replaceCode(name: string, codeDir: string): { readonly retired: number; readonly finishing: number } {
    const spec = this.specs.get(name);
    if (!spec) throw new FunctionNotFoundError(name);
    const environment = { ...spec.environment };
    // Lambda's variables that name the bundle's directory (see `localFunctions`).
    for (const key of ['LAMBDA_TASK_ROOT', 'LD_LIBRARY_PATH'] as const) {
      if (environment[key] !== undefined) environment[key] = environment[key].split(spec.codeDir).join(codeDir);
    }
    const replaced: LocalFunctionSpec = { ...spec, codeDir, environment };
    this.specs.set(spec.name, replaced);
    this.specs.set(spec.arn, replaced);
    const pool = this.pools.get(spec.name) ?? [];
    const idle = pool.filter((env) => !env.busy && !env.dead && env.codeDir !== codeDir);
    for (const env of idle) this.discard(replaced, env);
    return { retired: idle.length, finishing: pool.filter((env) => env.busy && !env.dead && env.codeDir !== codeDir).length };
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

  /** What the functions without reserved concurrency share: the account's pool less every reservation. */
  public get unreservedConcurrency(): number {
    return Math.max(0, this.accountConcurrency - this.reservedTotal);
  }

  /**
   * Invokes synchronously (RequestResponse).
   *
   * @throws {FunctionNotFoundError} when no such function exists.
   * @throws {PayloadTooLargeError} for an event over 6 MB (as JSON).
   * @throws {LambdaThrottledError} when the function is at its reserved
   *   concurrency, or the account's unreserved pool is used up.
   */
  public async invoke(nameOrArn: string, event: unknown): Promise<InvokeResult> {
    const spec = this.resolve(nameOrArn);
    if (!spec) throw new FunctionNotFoundError(nameOrArn);
    if (this.stopping) throw new Error('The local cloud is stopping');
    const eventJson = payloadJson(event);
    const bytes = Buffer.byteLength(eventJson);
    if (bytes > SYNC_REQUEST_LIMIT_BYTES) throw this.refuse(spec, PayloadTooLargeError.sync(bytes));
    this.admit(spec);
    try {
      const faults = this.options.faults?.(spec.name);
      const requestId = randomUUID();
      const result = faults?.error ? await this.injectError(spec, requestId, faults) : await this.run(spec, requestId, eventJson, faults);
      this.listener.onInvoked?.(spec.name, requestId, result, eventJson);
      return result;
    } finally {
      this.leave(spec);
    }
  }

  /** A function's typical handler duration, in ms: what an injected crash point is scaled by. */
  public typicalDurationMs(functionName: string): number {
    return this.typicalDurations.get(functionName) ?? this.options.defaultTypicalDurationMs ?? 100;
  }

  private refuse<E extends LambdaThrottledError | PayloadTooLargeError>(spec: LocalFunctionSpec, error: E): E {
    this.listener.onRefused?.(spec.name, error);
    return error;
  }

  /**
   * Lambda's admission: a function with reserved concurrency runs at most
   * that many at once; the others share what the account has left.
   * https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html
   */
  private admit(spec: LocalFunctionSpec): void {
    const running = this.running.get(spec.name) ?? 0;
    const reserved = spec.reservedConcurrency;
    let reason: ThrottleReason | undefined;
    if (reserved !== undefined) {
      if (running >= reserved) reason = 'ReservedFunctionConcurrentInvocationLimitExceeded';
    } else if (this.unreservedRunning >= this.unreservedConcurrency) {
      reason = 'ConcurrentInvocationLimitExceeded';
    }
    if (reason) throw this.refuse(spec, new LambdaThrottledError(spec.name, reason));
    this.running.set(spec.name, running + 1);
    if (reserved === undefined) this.unreservedRunning += 1;
  }

  private leave(spec: LocalFunctionSpec): void {
    this.running.set(spec.name, Math.max(0, (this.running.get(spec.name) ?? 1) - 1));
    if (spec.reservedConcurrency === undefined) this.unreservedRunning = Math.max(0, this.unreservedRunning - 1);
  }

  private async run(spec: LocalFunctionSpec, requestId: string, eventJson: string, faults: InvocationFaults | undefined): Promise<InvokeResult> {
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
    const message: InvokeMessage = {
      requestId,
      eventJson,
      deadline: started + spec.timeoutSeconds * 1000,
      traceId: traceHeader(),
      ...(crashAfterMs === undefined ? {} : { crashAfterMs }),
    };
    return this.runOn(spec, environment, message, started, coldStartMs, { latencyMs, withhold });
  }

  /** The injected error: the handler never runs (after the injected latency, if any). */
  private async injectError(spec: LocalFunctionSpec, requestId: string, faults: InvocationFaults): Promise<InvokeResult> {
    const started = Date.now();
    const latencyMs = faults.latencyMs ?? 0;
    if (latencyMs > 0) {
      this.listener.onFault?.(spec.name, requestId, { kind: 'latency', delayMs: latencyMs });
      await new Promise((resolve) => setTimeout(resolve, latencyMs));
    }
    this.listener.onFault?.(spec.name, requestId, { kind: 'error', ...(faults.outage ? { outage: true } : {}) });
    return {
      ok: false,
      durationMs: Date.now() - started,
      error: { errorType: INJECTED_FAULT_ERROR_TYPE, errorMessage: `Injected by the local cloud (${faults.outage ? 'outage' : 'errorRate'})`, trace: [] },
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
          if (!reply.ok) {
            finish({ ok: false, durationMs, coldStartMs, error: reply.error ?? { errorType: 'Error', errorMessage: 'unknown', trace: [] } }, !environment.dead);
            return;
          }
          const json = reply.payloadJson ?? 'null';
          if (Buffer.byteLength(json) > SYNC_RESPONSE_LIMIT_BYTES) {
            // Lambda refuses the response and the runtime exits with it (the next invocation starts cold).
            const error = { errorType: RESPONSE_TOO_LARGE_ERROR_TYPE, errorMessage: `Response payload size exceeded maximum allowed payload size (${SYNC_RESPONSE_LIMIT_BYTES} bytes).`, trace: [] };
            finish({ ok: false, durationMs, coldStartMs, error }, false);
            return;
          }
          finish({ ok: true, payload: JSON.parse(json) as unknown, durationMs, coldStartMs }, true);
        },
      };
      const dispatch = () => {
        if (settled) return;
        dispatchedAt = Date.now();
        environment.host.send(message);
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

  private async acquire(requested: LocalFunctionSpec): Promise<Environment> {
    for (;;) {
      if (this.stopping) throw new Error('The local cloud is stopping');
      // Its code may have been replaced while this invocation waited.
      const spec = this.specs.get(requested.name) ?? requested;
      const pool = this.pools.get(spec.name) ?? [];
      const idle = pool.find((env) => !env.busy && !env.dead && env.codeDir === spec.codeDir);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (pool.length < this.environmentsPerFunction) {
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
    if (environment.codeDir !== (this.specs.get(spec.name) ?? spec).codeDir) {
      // Its bundle was replaced during the invocation: it retires now that the invocation is over.
      this.discard(spec, environment);
      return;
    }
    environment.busy = false;
    this.waiting.get(spec.name)?.shift()?.();
  }

  private discard(spec: LocalFunctionSpec, environment: Environment): void {
    environment.dead = true;
    void environment.host.terminate();
    const pool = this.pools.get(spec.name) ?? [];
    this.pools.set(spec.name, pool.filter((env) => env !== environment));
    this.waiting.get(spec.name)?.shift()?.();
  }

  private spawn(spec: LocalFunctionSpec): Environment {
    const started = Date.now();
    const data: WorkerData = { functionName: spec.name, functionArn: spec.arn, codeDir: spec.codeDir, handler: spec.handler, memoryMb: spec.memoryMb };
    // Each execution environment writes to a log stream of its own.
    const env = { ...spec.environment, AWS_LAMBDA_LOG_STREAM_NAME: logStreamName() };
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.listener.onLog?.(spec.name, line);
    };

    let markReady: (value: { coldStartMs: number; error?: FunctionErrorPayload }) => void = () => undefined;
    const ready = new Promise<{ coldStartMs: number; error?: FunctionErrorPayload }>((resolve) => (markReady = resolve));
    const onMessage = (message: EnvironmentMessage) => {
      if ('ready' in message) markReady({ coldStartMs: Date.now() - started, error: message.error });
      else if ('pendingWork' in message) this.listener.onPendingWork?.(spec.name, message.pendingWork.requestId, message.pendingWork.resources);
      else if (environment.pending?.requestId === message.requestId) environment.pending.resolve(message);
    };
    const crash = (errorType: string, errorMessage: string) => {
      markReady({ coldStartMs: Date.now() - started });
      if (environment.dead) return;
      environment.dead = true;
      environment.pending?.resolve({ requestId: environment.pending.requestId, ok: false, error: { errorType, errorMessage, trace: [] } });
      const pool = this.pools.get(spec.name) ?? [];
      this.pools.set(spec.name, pool.filter((env) => env !== environment));
    };
    const exited = (status: string) => `RequestId: ${environment.pending?.requestId ?? '-'} Error: Runtime exited with error: ${status}`;
    const host = spec.nodeExecutable
      ? this.spawnProcess(spec, spec.nodeExecutable, data, env, { forward, onMessage, crash, exited })
      : this.spawnThread(spec, data, env, { forward, onMessage, crash, exited });
    const environment: Environment = { host, codeDir: spec.codeDir, ready, busy: false, cold: true, dead: false };
    return environment;
  }

  private spawnThread(spec: LocalFunctionSpec, data: WorkerData, env: Record<string, string>, on: EnvironmentEvents): EnvironmentHost {
    const heap = lambdaHeap(spec.memoryMb);
    const worker = new Worker(compiledWorker(), {
      // Lambda applies NODE_OPTIONS at process start; a worker takes such flags as execArgv.
      execArgv: /--enable-source-maps\b/.test(spec.environment.NODE_OPTIONS ?? '') ? ['--enable-source-maps'] : [],
      workerData: data,
      env,
      stdout: true,
      stderr: true,
      // V8's young generation is three semi-spaces' worth (two semi-spaces and the new large-object space).
      resourceLimits: { maxOldGenerationSizeMb: heap.oldSpaceMb, maxYoungGenerationSizeMb: 3 * heap.semiSpaceMb },
    });
    worker.stdout.on('data', on.forward);
    worker.stderr.on('data', on.forward);
    worker.on('message', on.onMessage);
    worker.on('error', (error: Error & { code?: string }) =>
      on.crash(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', error.message),
    );
    worker.on('exit', (code) => on.crash('Runtime.ExitError', on.exited(`exit status ${code}`)));
    return { send: (message) => worker.postMessage(message), terminate: async () => void (await worker.terminate()) };
  }

  /**
   * The environment as a child process of another Node (the function's
   * major): the same entry, messages over IPC (JSON), the heap bounded by
   * Lambda's `--max-semi-space-size` and `--max-old-space-size`, the template's NODE_OPTIONS applied by Node
   * itself, stdout/stderr forwarded line by line.
   */
  private spawnProcess(spec: LocalFunctionSpec, executable: string, data: WorkerData, env: Record<string, string>, on: EnvironmentEvents): EnvironmentHost {
    const heap = lambdaHeap(spec.memoryMb);
    const child = fork(compiledWorker(), [JSON.stringify(data)], {
      execPath: executable,
      execArgv: [`--max-semi-space-size=${heap.semiSpaceMb}`, `--max-old-space-size=${heap.oldSpaceMb}`],
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let outOfMemory = false;
    child.stdout?.on('data', on.forward);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (chunk.includes('JavaScript heap out of memory')) outOfMemory = true;
      on.forward(chunk);
    });
    child.on('message', (message) => on.onMessage(message as EnvironmentMessage));
    child.on('error', (error) => on.crash('Runtime.ExitError', `${executable}: ${error.message}`));
    child.on('exit', (code, signal) => on.crash(outOfMemory ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', on.exited(signal ? `signal: ${signal}` : `exit status ${code ?? 0}`)));
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return {
      send: (message) => void child.send(message),
      terminate: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await gone;
      },
    };
  }

  /** Stops every environment: waits (bounded) for running invocations, then kills. */
  public async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    for (const queue of this.waiting.values()) queue.splice(0).forEach((wake) => wake());
    const deadline = Date.now() + graceMs;
    const all = () => [...this.pools.values()].flat();
    while (all().some((env) => env.busy && !env.dead) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await Promise.all(all().map((env) => env.host.terminate()));
    this.pools.clear();
  }
}

/** How an environment reports back to the runtime, whatever hosts it. */
interface EnvironmentEvents {
  readonly forward: (chunk: Buffer) => void;
  readonly onMessage: (message: EnvironmentMessage) => void;
  readonly crash: (errorType: string, errorMessage: string) => void;
  readonly exited: (status: string) => string;
}
