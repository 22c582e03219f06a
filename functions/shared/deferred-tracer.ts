import { isRequestXRaySampled } from '@aws-lambda-powertools/commons/utils/env';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type middy from '@middy/core';

/**
 * Loads Powertools' Tracer (and with it the X-Ray SDK). `coldStart`: whether
 * this is the execution environment's first invocation, which the Tracer's
 * `ColdStart` annotation must say rather than whether it is the Tracer's first.
 */
export type TracerLoader = (coldStart: boolean) => Promise<Tracer>;

const loadPowertoolsTracer: TracerLoader = async (coldStart) => {
  const { Tracer: PowertoolsTracer } = await import('@aws-lambda-powertools/tracer');
  return new (class extends PowertoolsTracer {
    public constructor() {
      super();
      this.coldStart = coldStart;
    }
  })();
};

/**
 * Whether Powertools' Tracer would trace in this environment: inside Lambda
 * (`AWS_EXECUTION_ENV`), not under SAM or Amplify's mock, and not switched
 * off by `POWERTOOLS_TRACE_ENABLED=false` (as the local cloud and the tests do).
 */
export const tracingEnabledIn = (env: NodeJS.ProcessEnv): boolean =>
  (env.POWERTOOLS_TRACE_ENABLED ?? '').trim().toLowerCase() !== 'false' &&
  (env.AWS_SAM_LOCAL ?? '') === '' &&
  (env.AWS_EXECUTION_ENV ?? '') !== '' &&
  env.AWS_EXECUTION_ENV !== 'AWS_Lambda_amplify-mock';

/** Options of {@link DeferredTracer}, for tests. */
export interface DeferredTracerOptions {
  /** @default Powertools' Tracer, imported on first use */
  readonly load?: TracerLoader;
  /** @default whether the environment enables tracing ({@link tracingEnabledIn}) */
  readonly enabled?: boolean;
  /** Whether the current invocation's trace is sampled. @default Powertools' reading of `_X_AMZN_TRACE_ID` */
  readonly sampled?: () => boolean;
}

/**
 * Powertools' Tracer, loaded on the first invocation whose trace is sampled
 * instead of at cold start. The X-Ray SDK it brings (with cls-hooked, semver
 * and its patching of http) is a third of a bundle and ~10 ms of module
 * init, and most invocations are never traced: an HTTP request is not, and a
 * saga task only when its execution was sampled (PassThrough). An invocation
 * that is not sampled would have sent nothing anyway, so the traces are the
 * ones the Tracer always gave: the same `## handler` subsegment and
 * annotations (`ColdStart` true only on the environment's first invocation),
 * the same SDK subsegments — a client built before the Tracer loads is
 * instrumented when it does — and the same HTTP capture from then on.
 */
export class DeferredTracer {
  private readonly load: TracerLoader;
  private readonly enabled: boolean;
  private readonly sampled: () => boolean;
  private tracer?: Tracer;
  private loading?: Promise<Tracer>;
  private readonly waitingClients: object[] = [];
  private invocations = 0;

  public constructor(options: DeferredTracerOptions = {}) {
    this.load = options.load ?? loadPowertoolsTracer;
    this.enabled = options.enabled ?? tracingEnabledIn(process.env);
    this.sampled = options.sampled ?? isRequestXRaySampled;
  }

  /** The Tracer, once an invocation has loaded it. */
  public get loaded(): Tracer | undefined {
    return this.tracer;
  }

  /**
   * Called at the start of every invocation: loads the Tracer if tracing is
   * on and this invocation is sampled, and it is not loaded yet.
   */
  public async startInvocation(): Promise<Tracer | undefined> {
    this.invocations += 1;
    if (this.tracer || !this.enabled || !this.sampled()) return this.tracer;
    this.loading ??= this.load(this.invocations === 1);
    const tracer = await this.loading;
    if (this.tracer) return this.tracer;
    for (const client of this.waitingClients.splice(0)) tracer.captureAWSv3Client(client);
    this.tracer = tracer;
    return tracer;
  }

  /** Adds an annotation to the current (sub)segment; nothing where the invocation is not traced. */
  public putAnnotation(key: string, value: string | number | boolean): void {
    this.tracer?.putAnnotation(key, value);
  }

  /**
   * Instruments an AWS SDK v3 client: now if the Tracer is loaded, else when
   * it loads. Where tracing is off, the client is left alone.
   */
  public captureAWSv3Client<T extends object>(client: T): T {
    if (this.tracer) return this.tracer.captureAWSv3Client(client);
    if (this.enabled) this.waitingClients.push(client);
    return client;
  }
}

/**
 * The middy middleware that traces an invocation: Powertools'
 * `captureLambdaHandler` once the {@link DeferredTracer} has loaded, nothing
 * before.
 */
export const traceInvocation = (tracer: DeferredTracer, options: { readonly captureResponse?: boolean } = {}): middy.MiddlewareObj => {
  let capture: middy.MiddlewareObj | undefined;
  const captureOf = (loaded: Tracer): middy.MiddlewareObj => (capture ??= captureLambdaHandler(loaded, options));
  return {
    before: async (request) => {
      const loaded = await tracer.startInvocation();
      if (loaded) await captureOf(loaded).before?.(request);
    },
    after: async (request) => {
      if (tracer.loaded) await captureOf(tracer.loaded).after?.(request);
    },
    onError: async (request) => {
      if (tracer.loaded) await captureOf(tracer.loaded).onError?.(request);
    },
  };
};
