/**
 * Fault injection for the local cloud: reads and checks a {@link FaultConfig}
 * (the contract in `./faults`) and draws, from one seed, what to break. The
 * emulators realise the decisions: the Lambda runtime (errors, latency,
 * timeouts, crashes), the EventBridge emulator and the pipes (duplicate
 * deliveries), Step Functions (duplicate Express starts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { DeliveryFaults, DynamoDbFaults, FaultConfig, FunctionFaults, StepFunctionsFaults } from './faults';
import type { InvocationFaults } from './lambda/lambda-runtime';
import { MAX_SEED, seededRandom, type Random } from './support/random';

/** How far behind an index read lags when the configuration does not say. */
export const DEFAULT_INDEX_LAG_MS = 1000;

/** What an injected latency lasts when the configuration does not say. */
export const DEFAULT_LATENCY_MS = 200;

/** A fault configuration that cannot be used: the message names the field. */
export class FaultConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'FaultConfigError';
  }
}

const rate = z.number().min(0).max(1);

const functionFaultsSchema = z.strictObject({
  errorRate: rate.optional(),
  latencyRate: rate.optional(),
  latencyMs: z.number().int().min(0).max(900_000).optional(),
  timeoutRate: rate.optional(),
  crashRate: rate.optional(),
  outage: z
    .strictObject({ everyMs: z.number().int().min(1), forMs: z.number().int().min(1), offsetMs: z.number().int().min(0).optional() })
    .refine((outage) => outage.forMs < outage.everyMs, { message: 'forMs must be shorter than everyMs (the function must come back)' })
    .optional(),
}) satisfies z.ZodType<FunctionFaults>;

const deliveryFaultsSchema = z.strictObject({ duplicateRate: rate.optional() }) satisfies z.ZodType<DeliveryFaults>;

const dynamoDbFaultsSchema = z.strictObject({
  transactionConflictRate: rate.optional(),
  throttleRate: rate.optional(),
  indexLagRate: rate.optional(),
  indexLagMs: z.number().int().min(0).max(60_000).optional(),
}) satisfies z.ZodType<DynamoDbFaults>;

const stepFunctionsFaultsSchema = z.strictObject({ duplicateExpressStartRate: rate.optional() }) satisfies z.ZodType<StepFunctionsFaults>;

/** The schema of a fault configuration (a `--faults` file): unknown fields are errors, not ignored. */
export const faultConfigSchema = z.strictObject({
  functions: z.record(z.string().min(1), functionFaultsSchema).optional(),
  eventBridge: deliveryFaultsSchema.optional(),
  pipes: deliveryFaultsSchema.optional(),
  dynamodb: dynamoDbFaultsSchema.optional(),
  stepFunctions: stepFunctionsFaultsSchema.optional(),
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
}) satisfies z.ZodType<FaultConfig>;

/** `functions["Payments*"].errorRate`: a field path as a person would write it. */
const fieldPath = (path: readonly PropertyKey[]): string =>
  path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${String(key)}]`;
    const name = String(key);
    if (/^[A-Za-z_$][\w$]*$/.test(name)) return text ? `${text}.${name}` : name;
    return `${text}[${JSON.stringify(name)}]`;
  }, '');

/**
 * Checks a fault configuration.
 *
 * @param source - names the configuration in messages (a file name).
 * @throws {FaultConfigError} naming every bad field.
 */
export const parseFaultConfig = (value: unknown, source = 'fault configuration'): FaultConfig => {
  const parsed = faultConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const at = fieldPath(issue.path) || '(top level)';
    return keys.length > 0 ? `${at}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((key) => `'${key}'`).join(', ')}` : `${at}: ${issue.message}`;
  });
  throw new FaultConfigError(`Invalid ${source}: ${problems.join('; ')}`);
};

/**
 * Reads a `--faults` file (JSON).
 *
 * @throws {FaultConfigError} when it cannot be read, is not JSON, or a field is wrong.
 */
export const readFaultsFile = (file: string): FaultConfig => {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FaultConfigError(`Cannot read the faults file ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FaultConfigError(`The faults file ${file} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseFaultConfig(value, `faults file ${file}`);
};

/** True when `name` matches `pattern`, where `*` stands for any run of characters and everything else is literal. */
export const matchesFunctionPattern = (pattern: string, name: string): boolean => {
  const expression = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${expression}$`).test(name);
};

const percent = (value: number | undefined): string => `${String(Math.round((value ?? 0) * 1000) / 10)}%`;

/** `error 10%, latency 30% (+500 ms)`: a function's faults in a few words. */
const describeFunctionFaults = (faults: FunctionFaults): string => {
  const parts: string[] = [];
  if (faults.errorRate) parts.push(`error ${percent(faults.errorRate)}`);
  if (faults.latencyRate) parts.push(`latency ${percent(faults.latencyRate)} (+${String(faults.latencyMs ?? DEFAULT_LATENCY_MS)} ms)`);
  if (faults.timeoutRate) parts.push(`timeout ${percent(faults.timeoutRate)}`);
  if (faults.crashRate) parts.push(`crash ${percent(faults.crashRate)}`);
  if (faults.outage) parts.push(`down ${String(faults.outage.forMs)} ms every ${String(faults.outage.everyMs)} ms`);
  return parts.length > 0 ? parts.join(', ') : 'none';
};

/**
 * Draws what to break, from one seed. Each function has its own stream of
 * draws (as do the bus and the pipes), so the n-th invocation of a function
 * meets the same faults under the same seed, whatever ran in between; each
 * invocation of a function with faults takes exactly five draws (latency,
 * error, timeout, crash, crash point), whatever it meets.
 */
export class FaultInjector {
  private readonly streams = new Map<string, Random>();
  private readonly matched = new Map<string, FunctionFaults | undefined>();
  private pausedDepth = 0;

  private override?: FaultConfig;
  private readonly startedAt: number;

  /**
   * @param config - checked with {@link parseFaultConfig} first.
   * @param seed - the run's seed (the configuration's own `seed` is not read here).
   * @param now - the clock outages are counted on. @default Date.now
   */
  public constructor(
    public readonly config: FaultConfig,
    public readonly seed: number,
    private readonly now: () => number = Date.now,
  ) {
    this.startedAt = now();
  }

  /**
   * Runs `work` with these function faults instead of the configured ones
   * (a test breaking one function for one scenario). The draws continue from
   * the run's seed.
   */
  public async overridden<T>(config: FaultConfig, work: () => Promise<T>): Promise<T> {
    const previous = this.override;
    this.override = config;
    this.matched.clear();
    try {
      return await work();
    } finally {
      this.override = previous;
      this.matched.clear();
    }
  }

  /** True when the configuration breaks anything at all. */
  public get active(): boolean {
    const functions = Object.values(this.config.functions ?? {});
    const any = (value: number | undefined) => (value ?? 0) > 0;
    return (
      functions.some((faults) => any(faults.errorRate) || any(faults.latencyRate) || any(faults.timeoutRate) || any(faults.crashRate) || faults.outage !== undefined) ||
      any(this.config.eventBridge?.duplicateRate) ||
      any(this.config.pipes?.duplicateRate) ||
      any(this.config.dynamodb?.transactionConflictRate) ||
      any(this.config.dynamodb?.throttleRate) ||
      any(this.config.dynamodb?.indexLagRate) ||
      any(this.config.stepFunctions?.duplicateExpressStartRate)
    );
  }

  /** The faults of a function: those of the first pattern that matches its logical id. */
  public functionFaults(functionName: string): FunctionFaults | undefined {
    if (!this.matched.has(functionName)) {
      const entry = Object.entries((this.override ?? this.config).functions ?? {}).find(([pattern]) => matchesFunctionPattern(pattern, functionName));
      this.matched.set(functionName, entry?.[1]);
    }
    return this.matched.get(functionName);
  }

  /** The faults of the next invocation of a function (none while paused). */
  public planInvocation(functionName: string): InvocationFaults | undefined {
    const faults = this.functionFaults(functionName);
    if (!faults || this.pausedDepth > 0) return undefined;
    const random = this.random(`function:${functionName}`);
    const hits = (rate: number | undefined) => random() < (rate ?? 0);
    const latency = hits(faults.latencyRate);
    const error = hits(faults.errorRate);
    const timeout = hits(faults.timeoutRate);
    const crash = hits(faults.crashRate);
    const crashAt = random();
    // An outage comes after the draws, so the n-th invocation meets the same draws whatever the outages did.
    if (this.inOutage(faults)) return { error: true, outage: true };
    if (!latency && !error && !timeout && !crash) return undefined;
    return {
      ...(latency ? { latencyMs: faults.latencyMs ?? DEFAULT_LATENCY_MS } : {}),
      ...(error ? { error: true } : timeout ? { timeout: true } : crash ? { crashAt } : {}),
    };
  }

  /**
   * What is in force now: the configuration, or the one `withFaults`
   * put in its place (`overridden`), and whether every fault is off while
   * `paused` work runs (start-up's seeding, `withoutFaults`).
   */
  public inForce(): { readonly config: FaultConfig; readonly overridden: boolean; readonly paused: boolean } {
    return { config: this.override ?? this.config, overridden: this.override !== undefined, paused: this.pausedDepth > 0 };
  }

  /** True while a function's outage (of the faults in force) has it down. */
  public downNow(functionName: string): boolean {
    const faults = this.functionFaults(functionName);
    return faults !== undefined && this.inOutage(faults);
  }

  /** True while the function is in one of its outage windows. */
  private inOutage(faults: FunctionFaults): boolean {
    const outage = faults.outage;
    if (!outage) return false;
    const elapsed = this.now() - this.startedAt - (outage.offsetMs ?? 0);
    return elapsed >= 0 && elapsed % outage.everyMs < outage.forMs;
  }

  /** The DynamoDB faults in force now (none while paused). */
  public dynamoDbFaults(): DynamoDbFaults | undefined {
    return this.pausedDepth > 0 ? undefined : (this.override ?? this.config).dynamodb;
  }

  /** The generator of one named stream of draws (`eventBridge`, `pipes`, ...), the same object on every call. */
  public random(stream: string): Random {
    let random = this.streams.get(stream);
    if (!random) {
      random = seededRandom(this.seed, stream);
      this.streams.set(stream, random);
    }
    return random;
  }

  /**
   * Runs `work` with function faults off (start-up's own seeding, say). The
   * caller turns delivery duplicates off itself: the emulators own those rates.
   */
  public async paused<T>(work: () => Promise<T>): Promise<T> {
    this.pausedDepth += 1;
    try {
      return await work();
    } finally {
      this.pausedDepth -= 1;
    }
  }

  /**
   * Function patterns that govern none of `functionNames` (they match none,
   * or only functions an earlier pattern claims): most likely a mistake.
   */
  public unusedPatterns(functionNames: readonly string[]): string[] {
    return Object.entries(this.config.functions ?? {})
      .filter(([, faults]) => !functionNames.some((name) => this.functionFaults(name) === faults))
      .map(([pattern]) => pattern);
  }

  /**
   * The active faults, one line each, for the start-up banner: each function
   * pattern with the functions it matches, then the delivery duplicates.
   */
  public describe(functionNames: readonly string[]): string[] {
    const lines = Object.entries(this.config.functions ?? {}).map(([pattern, faults]) => {
      const names = functionNames.filter((name) => this.functionFaults(name) === faults);
      const matches = names.length === 0 ? 'no function' : names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${String(names.length - 3)} more`;
      return `${pattern} (${matches}): ${describeFunctionFaults(faults)}`;
    });
    if (this.config.eventBridge?.duplicateRate) lines.push(`event-bus targets: duplicate ${percent(this.config.eventBridge.duplicateRate)}`);
    if (this.config.pipes?.duplicateRate) lines.push(`pipe deliveries: duplicate ${percent(this.config.pipes.duplicateRate)}`);
    if (this.config.stepFunctions?.duplicateExpressStartRate) lines.push(`Express executions: started twice ${percent(this.config.stepFunctions.duplicateExpressStartRate)}`);
    const dynamodb = this.config.dynamodb;
    if (dynamodb && (dynamodb.transactionConflictRate || dynamodb.throttleRate || dynamodb.indexLagRate)) {
      const parts = [
        dynamodb.transactionConflictRate ? `transaction conflict ${percent(dynamodb.transactionConflictRate)}` : '',
        dynamodb.throttleRate ? `throttling ${percent(dynamodb.throttleRate)}` : '',
        dynamodb.indexLagRate ? `index lag ${percent(dynamodb.indexLagRate)} (${String(dynamodb.indexLagMs ?? DEFAULT_INDEX_LAG_MS)} ms)` : '',
      ];
      lines.push(`DynamoDB: ${parts.filter(Boolean).join(', ')}`);
    }
    return lines;
  }
}
