/**
 * What the local cloud did that AWS bills, counted as AWS counts it. The
 * local cloud reports each billable thing as it happens (a Lambda
 * invocation and its log lines, a state entered or retried, an execution's
 * duration and its execution log records, the capacity
 * DynamoDB says a call consumed, an event put on a bus, a pipe request, an
 * HTTP request, an SQS request, an invocation or execution that may start a
 * trace); {@link CostMeter.usage} is the running total, and two snapshots
 * subtract, so a run can be priced per order and per saga path (see `./bill`).
 *
 * Logs: a function's log bytes are what CloudWatch Logs would ingest under
 * its `LoggingConfig` (`../lambda/log-controls`): its lines that Lambda keeps
 * (with the JSON format, none below `ApplicationLogLevel`, EMF documents and
 * plain lines counting as INFO), plus Lambda's own lines (Text: INIT_START on
 * a cold start, START, END, REPORT, its XRAY part when tracing is Active;
 * JSON: the `platform.*` records `SystemLogLevel` lets through, none at
 * WARN), each with {@link LOG_EVENT_OVERHEAD_BYTES}. Metric series come only
 * from kept lines: an EMF document Lambda drops publishes nothing.
 *
 * Traces, as X-Ray would record them:
 * - `traces`: roots Lambda records itself. A function whose tracing is Active
 *   starts a trace when invoked with no sampled trace upstream: by the HTTP
 *   API (which does not trace), a rule's asynchronous invocation, an event
 *   source mapping's batch, a pipe's enrichment. PassThrough (Lambda's
 *   default) never does. Lambda samples these with its own fixed rule
 *   (`tracesSampled` in `./bill` is the share recorded).
 * - `sampledTraces`: executions of traced state machines (Step Functions
 *   honours X-Ray sampling rules), by the template's matching
 *   `AWS::XRay::SamplingRule` (or X-Ray's Default rule): each execution adds
 *   the rule's FixedRate to the expected count, and the bill adds what the
 *   rule's reservoir records on top (its assumption: see `./bill`).
 * What a function's own SDK calls or a saga's tasks add to a trace (segments,
 * not traces) is not counted, and no trace crosses an HTTP client locally.
 */
import {
  platformLines,
  keepsApplicationLine,
  textLogging,
  type LambdaLogging,
  type PlatformOutcome,
  type TracingMode,
} from '../lambda/log-controls';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../resources';
import { samplingRuleFor, type SamplingRule } from '../xray/sampling-rules';

/** How AWS bills a function, and what decides its logs and traces. */
export interface FunctionProfile {
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
  /** Its `LoggingConfig`, Lambda's defaults applied. @default Text */
  readonly logging?: LambdaLogging;
  /** Its `TracingConfig.Mode`. @default PassThrough (Lambda's default) */
  readonly tracing?: TracingMode;
  /** Its `Runtime` (`nodejs22.x`), which Lambda's INIT_START line names. @default nodejs20.x */
  readonly runtime?: string;
  /** Its ARN, which `platform.start` records carry. @default the local ARN of its name */
  readonly arn?: string;
}

/** The traces of traced state machines' executions that one sampling rule decided. */
export interface RuleSampledTraces {
  /** Executions the rule applied to. */
  executions: number;
  /** Their expected recorded traces at the rule's fixed rate: each execution adds {@link RuleSampledTraces.fixedRate}. */
  traces: number;
  /** The rule's FixedRate (0..1). */
  readonly fixedRate: number;
  /** The rule's ReservoirSize: matching requests recorded each second before the fixed rate applies. */
  readonly reservoirSize: number;
}

export interface FunctionUsage {
  invocations: number;
  /** Billed duration: each invocation's duration rounded up to the ms, its init phase included (Lambda bills INIT since August 2025). */
  billedMs: number;
  /** Billed duration × configured memory. */
  gbSeconds: number;
  architecture: 'arm64' | 'x86_64';
  /** Bytes CloudWatch Logs would ingest: the function's lines Lambda keeps, Lambda's own lines or records, 26 bytes of metadata per event. */
  logBytes: number;
}

export interface StateMachineUsage {
  type: 'STANDARD' | 'EXPRESS';
  /** Executions started: what Express workflows bill as requests. */
  executions: number;
  /** States entered plus retries: what Standard workflows bill. */
  transitions: number;
  /** Express: each execution's duration rounded up to the next 100 ms, summed. */
  billedMs: number;
  /** Express: each execution's billed duration × its billed memory ({@link EXPRESS_BILLED_MEMORY_MB}), summed. */
  gbSeconds: number;
  /** Bytes CloudWatch Logs would ingest of its execution logs: each record, with 26 bytes of metadata. */
  logBytes: number;
}

export interface TableUsage {
  readUnits: number;
  writeUnits: number;
}

/** Everything billable the local cloud did since it started (or between two snapshots). */
export interface Usage {
  readonly functions: Record<string, FunctionUsage>;
  readonly stateMachines: Record<string, StateMachineUsage>;
  readonly tables: Record<string, TableUsage>;
  /** Events put on a bus (each 64 KB chunk counts one). */
  events: number;
  /** Bytes of the events the bus archives took. */
  archivedBytes: number;
  /** Pipe requests: events past the source filter (64 KB chunks). */
  pipeRequests: number;
  /** HTTP API requests. */
  apiRequests: number;
  /** Bytes of the HTTP API's access log lines. */
  accessLogBytes: number;
  /** SQS requests: sends, and each non-empty receive and delete of an event source mapping. */
  sqsRequests: number;
  /**
   * Trace roots Lambda records at its own fixed sampling: invocations of
   * functions with Active tracing and no sampled trace upstream (HTTP
   * requests, asynchronous invocations by rules, queue batches, pipe
   * enrichments). The bill multiplies them by its `tracesSampled`.
   */
  traces: number;
  /** Traces of traced state machines' executions, by the name of the sampling rule that matched (`Default`: X-Ray's). */
  readonly sampledTraces: Record<string, RuleSampledTraces>;
  /** Distinct CloudWatch metrics (namespace, name, dimension values) the functions emitted in EMF. */
  readonly metricSeries: string[];
}

/** Bytes CloudWatch Logs counts per event on top of its text. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;

/**
 * The memory an Express execution is billed for. AWS estimates it per
 * execution ("Workflow memory utilized = 50 MB + state machine definition
 * size + execution data size x Number of Parallel or Map Steps", billed in
 * 64 MB chunks: https://aws.amazon.com/step-functions/pricing/); the shop's
 * saga (a definition of a few KB, payloads of a few KB, no Parallel or Map)
 * stays in the first chunk, so the meter bills 64 MB rather than measure it.
 */
export const EXPRESS_BILLED_MEMORY_MB = 64;

/** An Express execution's billed duration: rounded up to the next 100 ms, at least 100 ms. */
export const expressBilledMs = (durationMs: number): number => Math.max(100, Math.ceil(durationMs / 100) * 100);

const CHUNK_64_KB = 64 * 1024;
const chunks = (bytes: number, size = CHUNK_64_KB): number => Math.max(1, Math.ceil(bytes / size));

const emptyUsage = (): Usage => ({
  functions: {},
  stateMachines: {},
  tables: {},
  events: 0,
  archivedBytes: 0,
  pipeRequests: 0,
  apiRequests: 0,
  accessLogBytes: 0,
  sqsRequests: 0,
  traces: 0,
  sampledTraces: {},
  metricSeries: [],
});

/** The metric series an EMF document declares: `namespace|metric|dim=value,...` for each dimension set. */
export const emfSeries = (document: Record<string, unknown>): string[] => {
  const aws = document._aws;
  if (typeof aws !== 'object' || aws === null) return [];
  const directives = (aws as { CloudWatchMetrics?: unknown }).CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];
  const series: string[] = [];
  for (const directive of directives as Array<{ Namespace?: unknown; Dimensions?: unknown; Metrics?: unknown }>) {
    const namespace = String(directive.Namespace ?? '');
    const dimensionSets = Array.isArray(directive.Dimensions) && directive.Dimensions.length > 0 ? (directive.Dimensions as unknown[][]) : [[]];
    const metrics = Array.isArray(directive.Metrics) ? (directive.Metrics as Array<{ Name?: unknown }>) : [];
    for (const metric of metrics) {
      for (const set of dimensionSets) {
        const dimensions = set.map((name) => `${String(name)}=${String(document[String(name)] ?? '')}`).join(',');
        series.push(`${namespace}|${String(metric.Name ?? '')}|${dimensions}`);
      }
    }
  }
  return series;
};

/** Options of {@link CostMeter}. */
export interface CostMeterOptions {
  /** Memory and architecture of each function, by the name the runtime invokes it under. */
  readonly functions: ReadonlyMap<string, FunctionProfile>;
  /** Each state machine's type, by name. */
  readonly stateMachines: ReadonlyMap<string, 'STANDARD' | 'EXPRESS'>;
  /** State machines whose executions start their own traces (X-Ray tracing enabled). */
  readonly tracedStateMachines: ReadonlySet<string>;
  /** The template's X-Ray sampling rules, in evaluation order (`samplingRulesOf`). @default none: X-Ray's Default rule */
  readonly samplingRules?: readonly SamplingRule[];
  /** Each state machine's ARN, by name, which a rule's ResourceARN matches. @default the local ARN of its name */
  readonly stateMachineArns?: ReadonlyMap<string, string>;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/** Counts what AWS would bill for what the local cloud does. */
export class CostMeter {
  private readonly total: Usage = emptyUsage();
  private readonly series = new Set<string>();
  private lastActivity: number;
  private readonly now: () => number;

  public constructor(private readonly options: CostMeterOptions) {
    this.now = options.now ?? Date.now;
    this.lastActivity = this.now();
  }

  /** When the meter last counted something (a run is quiet when this stops moving). */
  public get lastActivityAt(): number {
    return this.lastActivity;
  }

  /** A copy of the running total. */
  public usage(): Usage {
    const copy = structuredClone(this.total) as Usage;
    return { ...copy, metricSeries: [...this.series].sort() };
  }

  /**
   * A function ran (whatever its outcome): one request, its billed duration,
   * and the lines Lambda writes about it under the function's log format and
   * system log level (`outcome` shapes its REPORT line or `platform.report`).
   */
  public lambdaInvoked(functionName: string, durationMs: number, initMs?: number, outcome?: PlatformOutcome): void {
    const profile = this.profileOf(functionName);
    const usage = this.functionUsage(functionName, profile);
    const billedMs = Math.max(1, Math.ceil(durationMs)) + (initMs !== undefined ? Math.ceil(initMs) : 0);
    usage.invocations += 1;
    usage.billedMs += billedMs;
    usage.gbSeconds += (billedMs / 1000) * (profile.memoryMb / 1024);
    const lines = platformLines(
      {
        functionName,
        memoryMb: profile.memoryMb,
        durationMs,
        billedMs,
        ...(initMs !== undefined ? { initMs } : {}),
        ...(profile.runtime !== undefined ? { runtime: profile.runtime } : {}),
        ...(profile.arn !== undefined ? { functionArn: profile.arn } : {}),
        ...(outcome !== undefined ? { outcome } : {}),
      },
      profile.logging ?? textLogging(functionName),
      profile.tracing ?? 'PassThrough',
    );
    usage.logBytes += lines.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES, 0);
    this.touch();
  }

  /**
   * A line a function wrote: its bytes and, for an EMF document, its metric
   * series, unless Lambda drops the line (JSON format, below the function's
   * `ApplicationLogLevel`). @returns whether Lambda ingests it
   */
  public lambdaLogLine(functionName: string, line: string): boolean {
    const profile = this.profileOf(functionName);
    if (!keepsApplicationLine(profile.logging ?? textLogging(functionName), line)) return false;
    this.functionUsage(functionName, profile).logBytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
    if (line.includes('"_aws"')) {
      try {
        const document: unknown = JSON.parse(line);
        if (typeof document === 'object' && document !== null) for (const key of emfSeries(document as Record<string, unknown>)) this.series.add(key);
      } catch {
        // Not a JSON document: a plain line.
      }
    }
    this.touch();
    return true;
  }

  /**
   * A state machine started an execution, entered a state, or retried one
   * (what Standard workflows bill), or an execution ended after `durationMs`
   * (what Express workflows bill, with the start).
   */
  public stateMachineStep(stateMachine: string, step: 'execution-started' | 'state-entered' | 'state-retried' | 'execution-ended', durationMs = 0): void {
    const usage = this.stateMachineUsage(stateMachine);
    if (step === 'execution-started') {
      usage.executions += 1;
      if (this.options.tracedStateMachines.has(stateMachine)) this.executionSampled(stateMachine);
    } else if (step === 'execution-ended') {
      if (usage.type === 'EXPRESS') {
        const billedMs = expressBilledMs(durationMs);
        usage.billedMs += billedMs;
        usage.gbSeconds += (billedMs / 1000) * (EXPRESS_BILLED_MEMORY_MB / 1024);
      }
    } else {
      usage.transitions += 1;
    }
    this.touch();
  }

  /** A state machine wrote an execution log record to CloudWatch Logs (vended logs, billed as ingested bytes). */
  public stateMachineLogLine(stateMachine: string, line: string): void {
    this.stateMachineUsage(stateMachine).logBytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
    this.touch();
  }

  /** DynamoDB's `ConsumedCapacity` for one call (one entry per table; transactions already doubled by DynamoDB). */
  public dynamoDbConsumed(kind: 'read' | 'write', consumed: ReadonlyArray<{ readonly TableName?: string; readonly CapacityUnits?: number }>): void {
    for (const entry of consumed) {
      const table = (this.total.tables[entry.TableName ?? 'unknown'] ??= { readUnits: 0, writeUnits: 0 });
      if (kind === 'read') table.readUnits += entry.CapacityUnits ?? 0;
      else table.writeUnits += entry.CapacityUnits ?? 0;
    }
    this.touch();
  }

  /** An event was put on a bus; `archives` of the bus's archives kept it. */
  public eventPut(bytes: number, archives: number): void {
    this.total.events += chunks(bytes);
    this.total.archivedBytes += bytes * archives;
    this.touch();
  }

  /**
   * A pipe passed `events` records through its filter to its enrichment (the
   * function `enrichment`, if it has one) and target: the enrichment's
   * invocation starts a trace if its tracing is Active.
   */
  public pipeEvents(events: number, enrichment?: string): void {
    this.total.pipeRequests += events;
    if (events > 0 && enrichment !== undefined) this.countTraceRoot(enrichment);
    this.touch();
  }

  /**
   * The HTTP API answered a request, having invoked `invokedFunction` (if
   * any). An HTTP API does not trace, so the function starts a trace if its
   * tracing is Active.
   */
  public apiRequest(invokedFunction?: string): void {
    this.total.apiRequests += 1;
    if (invokedFunction !== undefined) this.countTraceRoot(invokedFunction);
    this.touch();
  }

  /** The HTTP API wrote an access log line. */
  public accessLogLine(line: string): void {
    this.total.accessLogBytes += Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES;
  }

  /** `count` SQS requests (a send; an event source mapping's receive and its delete of a batch). */
  public sqsRequests(count: number): void {
    this.total.sqsRequests += count;
    this.touch();
  }

  /**
   * Lambda invoked `functionName` with no sampled trace upstream (a rule's
   * asynchronous invocation, an event source mapping's batch): a trace root
   * if the function's tracing is Active, nothing if PassThrough.
   */
  public traceRoot(functionName: string): void {
    this.countTraceRoot(functionName);
    this.touch();
  }

  private countTraceRoot(functionName: string): void {
    if (this.profileOf(functionName).tracing === 'Active') this.total.traces += 1;
  }

  /** A traced state machine started an execution: the matching sampling rule's fixed rate, as an expected count. */
  private executionSampled(stateMachine: string): void {
    const arn = this.options.stateMachineArns?.get(stateMachine) ?? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${stateMachine}`;
    const rule = samplingRuleFor(this.options.samplingRules ?? [], stateMachine, arn);
    const entry = (this.total.sampledTraces[rule.ruleName] ??= { executions: 0, traces: 0, fixedRate: rule.fixedRate, reservoirSize: rule.reservoirSize });
    entry.executions += 1;
    entry.traces += rule.fixedRate;
  }

  private profileOf(functionName: string): FunctionProfile {
    return this.options.functions.get(functionName) ?? { memoryMb: 128, architecture: 'x86_64' };
  }

  private stateMachineUsage(stateMachine: string): StateMachineUsage {
    return (this.total.stateMachines[stateMachine] ??= {
      type: this.options.stateMachines.get(stateMachine) ?? 'STANDARD',
      executions: 0,
      transitions: 0,
      billedMs: 0,
      gbSeconds: 0,
      logBytes: 0,
    });
  }

  private functionUsage(name: string, profile: FunctionProfile): FunctionUsage {
    return (this.total.functions[name] ??= { invocations: 0, billedMs: 0, gbSeconds: 0, architecture: profile.architecture, logBytes: 0 });
  }

  private touch(): void {
    this.lastActivity = this.now();
  }
}

const subtractRecord = <T extends object>(later: Record<string, T>, earlier: Record<string, T>): Record<string, T> => {
  const result: Record<string, T> = {};
  for (const [key, value] of Object.entries(later)) {
    const before = earlier[key] as Record<string, unknown> | undefined;
    const entry: Record<string, unknown> = {};
    for (const [field, amount] of Object.entries(value)) entry[field] = typeof amount === 'number' ? amount - Number(before?.[field] ?? 0) : amount;
    result[key] = entry as T;
  }
  return result;
};

/** What happened between two snapshots of {@link CostMeter.usage} (metric series: those first seen in between). */
export const usageBetween = (earlier: Usage, later: Usage): Usage => ({
  functions: subtractRecord(later.functions, earlier.functions),
  stateMachines: subtractRecord(later.stateMachines, earlier.stateMachines),
  tables: subtractRecord(later.tables, earlier.tables),
  events: later.events - earlier.events,
  archivedBytes: later.archivedBytes - earlier.archivedBytes,
  pipeRequests: later.pipeRequests - earlier.pipeRequests,
  apiRequests: later.apiRequests - earlier.apiRequests,
  accessLogBytes: later.accessLogBytes - earlier.accessLogBytes,
  sqsRequests: later.sqsRequests - earlier.sqsRequests,
  traces: later.traces - earlier.traces,
  sampledTraces: Object.fromEntries(
    Object.entries(later.sampledTraces).map(([rule, entry]) => {
      const before = earlier.sampledTraces[rule];
      return [rule, { ...entry, executions: entry.executions - (before?.executions ?? 0), traces: entry.traces - (before?.traces ?? 0) }];
    }),
  ),
  metricSeries: later.metricSeries.filter((series) => !earlier.metricSeries.includes(series)),
});
