/**
 * What the local cloud did that AWS bills, counted as AWS counts it. The
 * local cloud reports each billable thing as it happens (a Lambda
 * invocation and its log lines, a state entered or retried, an execution's
 * duration and its execution log records, the capacity
 * DynamoDB says a call consumed, an event put on a bus, a pipe request, an
 * HTTP request, an SQS request, a trace started); {@link CostMeter.usage}
 * is the running total, and two snapshots subtract, so a run can be priced
 * per order and per saga path (see `./bill`).
 */

/** How AWS bills a function: its configured memory and architecture. */
export interface FunctionProfile {
  readonly memoryMb: number;
  readonly architecture: 'arm64' | 'x86_64';
}

export interface FunctionUsage {
  invocations: number;
  /** Billed duration: each invocation's duration rounded up to the ms, its init phase included (Lambda bills INIT since August 2025). */
  billedMs: number;
  /** Billed duration × configured memory. */
  gbSeconds: number;
  architecture: 'arm64' | 'x86_64';
  /** Bytes CloudWatch Logs would ingest: the function's lines, Lambda's START/END/REPORT lines, 26 bytes of metadata per event. */
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
  /** Trace roots: requests that start a trace (HTTP requests, asynchronous invocations, queue batches, pipe enrichments, executions of traced state machines). */
  traces: number;
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
  metricSeries: [],
});

/** Lambda's platform lines for one invocation, as its text log format writes them (sizes only matter). */
const platformLogBytes = (durationMs: number, billedMs: number, memoryMb: number, initMs: number | undefined): number => {
  const requestId = '00000000-0000-0000-0000-000000000000';
  const lines = [
    `START RequestId: ${requestId} Version: $LATEST`,
    `END RequestId: ${requestId}`,
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billedMs} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${Math.round(memoryMb * 0.4)} MB\t` +
      (initMs !== undefined ? `Init Duration: ${initMs.toFixed(2)} ms\t` : '') +
      '\nXRAY TraceId: 1-00000000-000000000000000000000000\tSegmentId: 0000000000000000\tSampled: true\t',
  ];
  return lines.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES, 0);
};

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

  /** A function ran (whatever its outcome): one request, its billed duration, its platform log lines. */
  public lambdaInvoked(functionName: string, durationMs: number, initMs?: number): void {
    const profile = this.options.functions.get(functionName) ?? { memoryMb: 128, architecture: 'x86_64' as const };
    const usage = this.functionUsage(functionName, profile);
    const billedMs = Math.max(1, Math.ceil(durationMs)) + (initMs !== undefined ? Math.ceil(initMs) : 0);
    usage.invocations += 1;
    usage.billedMs += billedMs;
    usage.gbSeconds += (billedMs / 1000) * (profile.memoryMb / 1024);
    usage.logBytes += platformLogBytes(durationMs, billedMs, profile.memoryMb, initMs);
    this.touch();
  }

  /** A line a function wrote: log bytes, and the metric series of an EMF document. */
  public lambdaLogLine(functionName: string, line: string): void {
    const profile = this.options.functions.get(functionName) ?? { memoryMb: 128, architecture: 'x86_64' as const };
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
      if (this.options.tracedStateMachines.has(stateMachine)) this.total.traces += 1;
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

  /** A pipe passed `events` records through its filter to the enrichment and target. */
  public pipeEvents(events: number): void {
    this.total.pipeRequests += events;
    this.total.traces += events > 0 ? 1 : 0;
    this.touch();
  }

  /** The HTTP API answered a request; the function it invoked (if any) starts a trace. */
  public apiRequest(invokedFunction: boolean): void {
    this.total.apiRequests += 1;
    if (invokedFunction) this.total.traces += 1;
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

  /** An invocation that starts its own trace: a rule's asynchronous invocation, an event source mapping's batch. */
  public traceStarted(): void {
    this.total.traces += 1;
    this.touch();
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
  metricSeries: later.metricSeries.filter((series) => !earlier.metricSeries.includes(series)),
});
