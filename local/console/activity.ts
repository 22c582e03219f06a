/**
 * What the console's Functions and Events views show: a bounded, in-memory
 * record of what the local cloud did — each invocation, each log line a
 * function wrote, each event on a bus with the rules it matched and what
 * each of their targets got — fed from the local cloud's hooks, and only
 * while the console is on. Ring buffers keep the newest entries
 * ({@link DEFAULT_ACTIVITY_BOUNDS}); per-function counts grow as invocations
 * end; a log line is kept as the text the function wrote and parsed only
 * when a query first reads it, so the hot path is a push into an array.
 */
import type { HttpApiHop } from '../apigateway/http-api';
import type { JsonValue } from '../cloudformation/intrinsics';
import type { BusEvent, EventBridgeHop } from '../eventbridge/event-bus';
import type { LambdaAsyncHop } from '../lambda/async-invoke';
import type { InvokeResult } from '../lambda/lambda-runtime';
import { LambdaThrottledError } from '../lambda/limits';
import { correlationIdOf } from '../log';
import type { QueueMessage, QueueSettings } from '../sqs/queues';

/** How much the recorder keeps: the newest of each. */
export interface ActivityBounds {
  /** Invocations, which the duration percentiles are computed over. @default 5000 */
  readonly invocations: number;
  /** Log lines, of every function together. @default 10000 */
  readonly logLines: number;
  /** Events, of every bus together. @default 5000 */
  readonly events: number;
}

/** The bounds the console runs with, stated on its page. */
export const DEFAULT_ACTIVITY_BOUNDS: ActivityBounds = { invocations: 5000, logLines: 10_000, events: 5000 };

/** A fixed number of slots that keeps the newest items pushed. */
export class Ring<T> {
  private readonly slots: Array<T | undefined>;
  private next = 0;
  private stored = 0;
  /** Items pushed since the ring was made, kept or not. */
  public pushed = 0;

  /** @throws {RangeError} for a capacity that is not a whole number of at least 1. */
  public constructor(public readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`A ring needs a whole number of slots, at least 1 (got ${String(capacity)})`);
    this.slots = new Array<T | undefined>(capacity);
  }

  /** Items kept now. */
  public get size(): number {
    return this.stored;
  }

  /** Keeps `item`; returns the oldest item, which it replaced, once the ring is full. */
  public push(item: T): T | undefined {
    const evicted = this.stored === this.capacity ? this.slots[this.next] : undefined;
    this.slots[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    if (this.stored < this.capacity) this.stored += 1;
    this.pushed += 1;
    return evicted;
  }

  /** The kept items, newest first. */
  public *newestFirst(): Generator<T> {
    for (let back = 1; back <= this.stored; back += 1) yield this.slots[(this.next - back + this.capacity) % this.capacity] as T;
  }
}

/**
 * The value at fraction `q` (0 < q ≤ 1) of `sorted` (ascending), by the
 * nearest-rank method: p50 of [1, 2, 3, 4] is 2, p99 of 100 values is the
 * 99th. Undefined for no values.
 */
export const percentile = (sorted: readonly number[], q: number): number | undefined => (sorted.length === 0 ? undefined : sorted[Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length))) - 1]);

/** One function's activity, as the Functions view's table shows it. */
export interface FunctionActivity {
  readonly name: string;
  /** Since the local cloud started, as are the other counts. */
  readonly invocations: number;
  readonly coldStarts: number;
  /** Invocations that ended in a function error (the handler threw, timed out, crashed, or a fault was injected). */
  readonly errors: number;
  /** Invocations Lambda refused for lack of concurrency. */
  readonly throttles: number;
  /** Asynchronous invocations (rule targets, `Event` invokes) tried again after an error. */
  readonly asyncRetries: number;
  /** Asynchronous events given up: sent to the function's dead-letter queue, or dropped. */
  readonly asyncFailures: number;
  /** The recorded invocations the percentiles are over (the function's share of the newest {@link ActivityBounds.invocations}). */
  readonly recorded: number;
  readonly p50Ms?: number;
  readonly p99Ms?: number;
  readonly lastInvokedAt?: number;
  /** The newest function error: `errorType: errorMessage`. */
  readonly lastError?: string;
}

/** One log line, parsed. */
export interface LogLine {
  /** When the local cloud received it (epoch ms). */
  readonly at: number;
  readonly functionName: string;
  /** Powertools' `function_request_id`, Lambda's `requestId`, or the request column of a Text-format line. */
  readonly requestId?: string;
  /** `INFO`, `WARN`, `ERROR`…; `METRICS` for an EMF metrics document. */
  readonly level?: string;
  readonly message: string;
  /**
   * The line's own correlation id (`correlation_id` or `correlationId`), or
   * that of the other lines of its invocation when they name exactly one.
   */
  readonly correlationId?: string;
  /** The whole line, when it is a JSON document. */
  readonly fields?: JsonValue;
  /** True for a line the local cloud wrote itself: a failed invocation, a throttle, an API request (as API Gateway's access log has it). */
  readonly platform: boolean;
}

/** Which log lines a query wants, newest first. */
export interface LogQuery {
  readonly correlationId?: string;
  readonly functionName?: string;
  readonly limit: number;
}

/** What a log query found. */
export interface LogAnswer {
  /** The newest matching lines, at most the query's limit. */
  readonly lines: readonly LogLine[];
  /** Matching lines among those kept. */
  readonly matched: number;
  /** Lines kept now (at most {@link ActivityBounds.logLines}). */
  readonly kept: number;
  /** Lines received since the local cloud started. */
  readonly received: number;
}

/** What happened to one delivery of an event to a rule's target. */
export type DeliveryOutcome = 'pending' | 'delivered' | 'retrying' | 'dead-lettered' | 'dropped';

/** One target of a rule an event matched, and what it got. */
export interface TargetActivity {
  readonly rule: string;
  readonly targetId: string;
  readonly targetArn: string;
  /** True for the extra copy the duplicate-delivery fault made. */
  readonly duplicate: boolean;
  readonly outcome: DeliveryOutcome;
  /** Delivery attempts made so far. */
  readonly attempts: number;
  /** The errors of the failed attempts, oldest first (the newest few). */
  readonly errors: readonly string[];
  /** The dead-letter queue EventBridge sent the event to. */
  readonly deadLetterArn?: string;
  /** Why EventBridge gave up on the event without a dead-letter queue. */
  readonly reason?: string;
  /**
   * For a queue target: the delivered message failed at its consumer until
   * the queue's redrive policy moved it to this dead-letter queue.
   */
  readonly consumerDeadLetter?: { readonly queueArn: string; readonly receives: number };
}

/** An event's overall state, for the timeline's status column. */
export type EventStatus = 'unmatched' | 'in flight' | 'retrying' | 'delivered' | 'dead-lettered' | 'dropped';

/** One event on a bus. */
export interface EventActivity {
  readonly at: number;
  readonly bus: string;
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  readonly correlationId?: string;
  /** The scheduled rule that made the event, when a schedule did. */
  readonly scheduledBy?: string;
  /** The rules it matched, in the bus's order. */
  readonly rules: readonly string[];
  readonly targets: readonly TargetActivity[];
  readonly status: EventStatus;
}

/** Which events a query wants, newest first. */
export interface EventQuery {
  readonly bus?: string;
  readonly correlationId?: string;
  readonly limit: number;
}

/** What an event query found. */
export interface EventAnswer {
  readonly events: readonly EventActivity[];
  /** Matching events among those kept. */
  readonly matched: number;
  /** Events kept now (at most {@link ActivityBounds.events}). */
  readonly kept: number;
  /** Events seen since the local cloud started. */
  readonly received: number;
}

/** A rule of the template with its targets, to list a delivery before its first attempt ends. */
export interface RuleTargets {
  readonly bus: string;
  readonly name: string;
  readonly targets: readonly { readonly id: string; readonly arn: string }[];
}

/** Options of {@link ActivityRecorder}. */
export interface ActivityRecorderOptions {
  /** The template's functions, listed even before they are invoked. @default none until invoked */
  readonly functions?: readonly string[];
  /** @default {@link DEFAULT_ACTIVITY_BOUNDS} */
  readonly bounds?: ActivityBounds;
  /** Clock (epoch ms). @default Date.now */
  readonly now?: () => number;
}

interface Counters {
  invocations: number;
  coldStarts: number;
  errors: number;
  throttles: number;
  asyncRetries: number;
  asyncFailures: number;
  lastInvokedAt?: number;
  lastError?: string;
}

interface Invocation {
  readonly functionName: string;
  readonly durationMs: number;
}

interface LogEntry {
  readonly at: number;
  readonly functionName: string;
  readonly text: string;
  /** Set for the local cloud's own lines, already parsed. */
  parsed?: ParsedLine;
}

type ParsedLine = Omit<LogLine, 'at' | 'functionName' | 'platform'> & {
  readonly platform?: true;
  /** The correlation ids of a batch's events, for the local cloud's line about a failed invocation of several. */
  readonly correlationIds?: readonly string[];
};

interface TargetRecord {
  readonly rule: string;
  readonly targetId: string;
  readonly targetArn: string;
  readonly duplicate: boolean;
  outcome: DeliveryOutcome;
  attempts: number;
  errors: string[];
  deadLetterArn?: string;
  reason?: string;
  consumerDeadLetter?: { readonly queueArn: string; readonly receives: number };
}

interface EventRecord {
  readonly at: number;
  readonly bus: string;
  readonly eventId: string;
  readonly source: string;
  readonly detailType: string;
  readonly correlationId?: string;
  scheduledBy?: string;
  event?: BusEvent;
  readonly rules: string[];
  readonly targets: TargetRecord[];
  /** Why the bus dropped the event where no target names it. */
  readonly dropped: string[];
}

/** The errors of failed attempts a target keeps. */
const KEPT_ERRORS = 5;

/** The console's record of the local cloud's activity. Every hook is cheap and never throws. */
export class ActivityRecorder {
  public readonly bounds: ActivityBounds;
  private readonly now: () => number;
  private readonly counters = new Map<string, Counters>();
  private readonly invocations: Ring<Invocation>;
  private readonly logLines: Ring<LogEntry>;
  private readonly events: Ring<EventRecord>;
  /** The kept events by bus and id, for the hops that follow an event's first. */
  private readonly eventIndex = new Map<string, EventRecord>();
  private readonly ruleTargets = new Map<string, RuleTargets['targets']>();
  private readonly busNames = new Set<string>();

  public constructor(options: ActivityRecorderOptions = {}) {
    this.bounds = options.bounds ?? DEFAULT_ACTIVITY_BOUNDS;
    this.now = options.now ?? Date.now;
    this.invocations = new Ring(this.bounds.invocations);
    this.logLines = new Ring(this.bounds.logLines);
    this.events = new Ring(this.bounds.events);
    for (const name of options.functions ?? []) this.countersOf(name);
  }

  /** The buses and the rules with their targets, so that each target of a matched rule is listed from the start. */
  public describeBuses(buses: readonly string[], rules: readonly RuleTargets[]): void {
    for (const bus of buses) this.busNames.add(bus);
    for (const rule of rules) this.ruleTargets.set(eventKey(rule.bus, rule.name), rule.targets);
  }

  // -- hooks -------------------------------------------------------------------------------------

  /**
   * An invocation ended (Lambda ran it; a refusal is {@link ActivityRecorder.refused}).
   * A failed one becomes a log line, which carries the correlation ids its
   * event names (read from `eventJson` only then), so that an order's
   * failures show with its lines even when no code ran to log them.
   */
  public invoked(functionName: string, requestId: string, result: InvokeResult, eventJson = ''): void {
    const at = this.now();
    const counters = this.countersOf(functionName);
    counters.invocations += 1;
    counters.lastInvokedAt = at;
    if (result.coldStartMs !== undefined) counters.coldStarts += 1;
    this.invocations.push({ functionName, durationMs: result.durationMs });
    if (result.ok) return;
    const error = `${result.error.errorType}: ${result.error.errorMessage}`;
    counters.errors += 1;
    counters.lastError = error;
    this.platformLine(at, functionName, requestId, 'ERROR', `Invocation failed after ${String(result.durationMs)} ms: ${error}`, correlationIdsIn(eventJson));
  }

  /** Lambda refused an invocation: throttled (no concurrency left) or otherwise (a payload too large…). */
  public refused(functionName: string, error: Error): void {
    const at = this.now();
    if (error instanceof LambdaThrottledError) {
      this.countersOf(functionName).throttles += 1;
      this.platformLine(at, functionName, undefined, 'WARN', `Throttled: ${error.name} (${error.reason})`);
    } else this.platformLine(at, functionName, undefined, 'ERROR', `Refused: ${error.name}: ${error.message}`);
  }

  /**
   * An HTTP API request that reached a function ended: a line under that
   * function, as API Gateway's access log has it, with the correlation id
   * the function answered (often the only line of a request that went well).
   */
  public httpRequest(hop: HttpApiHop): void {
    if (hop.functionName === undefined) return;
    const level = hop.status >= 500 ? 'ERROR' : hop.status >= 400 ? 'WARN' : 'INFO';
    const message = `API Gateway: ${hop.method} ${hop.path} → ${String(hop.status)} in ${String(hop.latencyMs)} ms${hop.note ? ` (${hop.note})` : ''}`;
    this.platformLine(this.now(), hop.functionName, undefined, level, message, hop.correlationId !== undefined ? [hop.correlationId] : []);
  }

  /** A line a function wrote, as Lambda delivers it to the function's log group. */
  public logLine(functionName: string, text: string): void {
    this.logLines.push({ at: this.now(), functionName, text });
  }

  /** A step of an asynchronous invocation (retries, dead letters). */
  public asyncHop(hop: LambdaAsyncHop): void {
    const functionName = functionNameOf(hop.functionArn);
    if (hop.kind === 'retry') this.countersOf(functionName).asyncRetries += 1;
    else if (hop.kind === 'dlq' || hop.kind === 'dropped') {
      this.countersOf(functionName).asyncFailures += 1;
      const what = hop.kind === 'dlq' ? `sent to dead-letter queue ${shortArn(hop.deadLetterArn)} (${hop.errorType})` : `dropped: ${hop.reason}`;
      this.platformLine(this.now(), functionName, hop.requestId, 'ERROR', `Asynchronous event ${what}`);
    }
  }

  /** A step of an event's way through a bus. */
  public eventHop(hop: EventBridgeHop): void {
    switch (hop.kind) {
      case 'event': {
        const record = this.eventRecord(hop);
        record.event = hop.event;
        return;
      }
      case 'schedule': {
        const record = this.eventRecord(hop);
        record.event = hop.event;
        record.scheduledBy = hop.rule;
        this.matched(record, hop.rule);
        return;
      }
      case 'rule':
        this.matched(this.eventRecord(hop), hop.rule);
        return;
      case 'target': {
        const target = this.target(hop);
        target.attempts = hop.attempt;
        target.outcome = 'delivered';
        return;
      }
      case 'retry': {
        const target = this.target(hop);
        target.attempts = hop.attempt;
        target.outcome = 'retrying';
        target.errors.push(`${hop.errorCode}: ${hop.errorMessage}`);
        if (target.errors.length > KEPT_ERRORS) target.errors.shift();
        return;
      }
      case 'dlq': {
        const target = this.target(hop);
        target.attempts = hop.attempt;
        target.outcome = 'dead-lettered';
        target.deadLetterArn = hop.deadLetterArn;
        target.errors.push(`${hop.errorCode}: ${hop.errorMessage}`);
        if (target.errors.length > KEPT_ERRORS) target.errors.shift();
        return;
      }
      case 'dropped': {
        const record = this.eventRecord(hop);
        const target = hop.rule !== undefined && hop.targetArn !== undefined ? record.targets.find((candidate) => candidate.rule === hop.rule && candidate.targetArn === hop.targetArn && candidate.outcome !== 'delivered') : undefined;
        if (target) Object.assign(target, { outcome: 'dropped', reason: hop.reason });
        else record.dropped.push(hop.reason);
        return;
      }
    }
  }

  /**
   * A queue's redrive policy moved a message to its dead-letter queue: when
   * the message is an event a rule delivered to that queue, its target says
   * so. (Only this rare hop reads a message body.)
   */
  public queueMove(from: QueueSettings, to: QueueSettings, message: QueueMessage, receiveCount: number): void {
    const eventId = eventIdOf(message.body);
    if (eventId === undefined) return;
    for (const record of this.events.newestFirst()) {
      if (record.eventId !== eventId) continue;
      for (const target of record.targets) if (target.targetArn === from.arn) target.consumerDeadLetter = { queueArn: to.arn, receives: receiveCount };
    }
  }

  // -- queries -----------------------------------------------------------------------------------

  /** Every function seen or listed, by name, with its counts and the percentiles of its recorded durations. */
  public functions(): FunctionActivity[] {
    const durations = new Map<string, number[]>();
    for (const invocation of this.invocations.newestFirst()) {
      let list = durations.get(invocation.functionName);
      if (!list) durations.set(invocation.functionName, (list = []));
      list.push(invocation.durationMs);
    }
    return [...this.counters.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, counters]) => {
        const sorted = (durations.get(name) ?? []).sort((a, b) => a - b);
        const p50Ms = percentile(sorted, 0.5);
        const p99Ms = percentile(sorted, 0.99);
        return {
          name,
          invocations: counters.invocations,
          coldStarts: counters.coldStarts,
          errors: counters.errors,
          throttles: counters.throttles,
          asyncRetries: counters.asyncRetries,
          asyncFailures: counters.asyncFailures,
          recorded: sorted.length,
          ...(p50Ms !== undefined ? { p50Ms } : {}),
          ...(p99Ms !== undefined ? { p99Ms } : {}),
          ...(counters.lastInvokedAt !== undefined ? { lastInvokedAt: counters.lastInvokedAt } : {}),
          ...(counters.lastError !== undefined ? { lastError: counters.lastError } : {}),
        };
      });
  }

  /** True for a function the recorder lists. */
  public hasFunction(name: string): boolean {
    return this.counters.has(name);
  }

  /**
   * The kept log lines that match, newest first. A line matches a
   * correlation id by its own, or, when it has none (a plain `console.log`,
   * the local cloud's line about a failed invocation), by that of the
   * other lines of its invocation, when they carry exactly one.
   */
  public logs(query: LogQuery): LogAnswer {
    const entries = [...this.logLines.newestFirst()];
    const parsed = entries.map((entry) => (entry.parsed ??= parseLine(entry.text)));
    const requestCorrelation = new Map<string, string | null>();
    parsed.forEach((line, i) => {
      if (line.requestId === undefined || line.correlationId === undefined) return;
      const key = `${entries[i]?.functionName ?? ''} ${line.requestId}`;
      const known = requestCorrelation.get(key);
      if (known === undefined) requestCorrelation.set(key, line.correlationId);
      else if (known !== line.correlationId) requestCorrelation.set(key, null);
    });
    const lines: LogLine[] = [];
    let matched = 0;
    entries.forEach((entry, i) => {
      const line = parsed[i] as ParsedLine;
      if (query.functionName !== undefined && entry.functionName !== query.functionName) return;
      const inBatch = query.correlationId !== undefined && line.correlationIds?.includes(query.correlationId) === true ? query.correlationId : undefined;
      const correlationId = line.correlationId ?? inBatch ?? (line.requestId === undefined ? undefined : (requestCorrelation.get(`${entry.functionName} ${line.requestId}`) ?? undefined));
      if (query.correlationId !== undefined && correlationId !== query.correlationId) return;
      matched += 1;
      if (lines.length < query.limit) {
        const { platform, correlationIds: _batch, ...rest } = line;
        lines.push({ at: entry.at, functionName: entry.functionName, ...rest, ...(correlationId !== undefined ? { correlationId } : {}), platform: platform === true });
      }
    });
    return { lines, matched, kept: this.logLines.size, received: this.logLines.pushed };
  }

  /** The buses, each with how many of the kept events are on it. */
  public buses(): Array<{ readonly name: string; readonly events: number }> {
    const counts = new Map<string, number>([...this.busNames].map((bus) => [bus, 0]));
    for (const record of this.events.newestFirst()) counts.set(record.bus, (counts.get(record.bus) ?? 0) + 1);
    return [...counts.entries()].map(([name, events]) => ({ name, events }));
  }

  /** True for a bus the recorder knows (from the template, or because an event was on it). */
  public hasBus(name: string): boolean {
    return this.busNames.has(name) || this.buses().some((bus) => bus.name === name);
  }

  /** The kept events that match, newest first. */
  public eventTimeline(query: EventQuery): EventAnswer {
    const events: EventActivity[] = [];
    let matched = 0;
    for (const record of this.events.newestFirst()) {
      if (query.bus !== undefined && record.bus !== query.bus) continue;
      if (query.correlationId !== undefined && record.correlationId !== query.correlationId) continue;
      matched += 1;
      if (events.length < query.limit) events.push(activityOf(record));
    }
    return { events, matched, kept: this.events.size, received: this.events.pushed };
  }

  /** One kept event, with the event itself as the bus received it. */
  public event(bus: string, eventId: string): { readonly activity: EventActivity; readonly event?: BusEvent } | undefined {
    const record = this.eventIndex.get(eventKey(bus, eventId));
    if (!record) return undefined;
    return { activity: activityOf(record), ...(record.event ? { event: record.event } : {}) };
  }

  // -- internals ---------------------------------------------------------------------------------

  private countersOf(functionName: string): Counters {
    let counters = this.counters.get(functionName);
    if (!counters) {
      counters = { invocations: 0, coldStarts: 0, errors: 0, throttles: 0, asyncRetries: 0, asyncFailures: 0 };
      this.counters.set(functionName, counters);
    }
    return counters;
  }

  private platformLine(at: number, functionName: string, requestId: string | undefined, level: string, message: string, correlationIds: readonly string[] = []): void {
    const parsed: ParsedLine = {
      message,
      level,
      platform: true,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(correlationIds.length === 1 ? { correlationId: correlationIds[0] } : correlationIds.length > 1 ? { correlationIds } : {}),
    };
    this.logLines.push({ at, functionName, text: message, parsed });
  }

  /** The event a hop is about: the kept one, or a new one (its first hop). */
  private eventRecord(hop: { readonly bus: string; readonly eventId: string; readonly source: string; readonly detailType: string; readonly correlationId?: string }): EventRecord {
    const key = eventKey(hop.bus, hop.eventId);
    const known = this.eventIndex.get(key);
    if (known) return known;
    const record: EventRecord = {
      at: this.now(),
      bus: hop.bus,
      eventId: hop.eventId,
      source: hop.source,
      detailType: hop.detailType,
      ...(hop.correlationId !== undefined ? { correlationId: hop.correlationId } : {}),
      rules: [],
      targets: [],
      dropped: [],
    };
    this.busNames.add(hop.bus);
    this.eventIndex.set(key, record);
    const evicted = this.events.push(record);
    if (evicted) this.eventIndex.delete(eventKey(evicted.bus, evicted.eventId));
    return record;
  }

  private matched(record: EventRecord, rule: string): void {
    if (record.rules.includes(rule)) return;
    record.rules.push(rule);
    for (const target of this.ruleTargets.get(eventKey(record.bus, rule)) ?? []) {
      record.targets.push({ rule, targetId: target.id, targetArn: target.arn, duplicate: false, outcome: 'pending', attempts: 0, errors: [] });
    }
  }

  private target(hop: Extract<EventBridgeHop, { readonly kind: 'target' | 'retry' | 'dlq' }>): TargetRecord {
    const record = this.eventRecord(hop);
    let target = record.targets.find((candidate) => candidate.rule === hop.rule && candidate.targetId === hop.targetId && candidate.duplicate === hop.duplicate);
    if (!target) {
      if (!record.rules.includes(hop.rule)) record.rules.push(hop.rule);
      target = { rule: hop.rule, targetId: hop.targetId, targetArn: hop.targetArn, duplicate: hop.duplicate, outcome: 'pending', attempts: 0, errors: [] };
      record.targets.push(target);
    }
    return target;
  }
}

const eventKey = (bus: string, id: string): string => `${bus}\u0000${id}`;

/** The function an ARN names (`arn:aws:lambda:…:function:OrdersApi:$LATEST` → `OrdersApi`). */
const functionNameOf = (arn: string): string => /:function:([^:]+)/.exec(arn)?.[1] ?? arn;

const shortArn = (arn: string): string => arn.split(/[:/]/).pop() ?? arn;

const activityOf = (record: EventRecord): EventActivity => {
  const targets = record.targets.map(
    (target): TargetActivity => ({
      rule: target.rule,
      targetId: target.targetId,
      targetArn: target.targetArn,
      duplicate: target.duplicate,
      outcome: target.outcome,
      attempts: target.attempts,
      errors: [...target.errors],
      ...(target.deadLetterArn !== undefined ? { deadLetterArn: target.deadLetterArn } : {}),
      ...(target.reason !== undefined ? { reason: target.reason } : {}),
      ...(target.consumerDeadLetter !== undefined ? { consumerDeadLetter: target.consumerDeadLetter } : {}),
    }),
  );
  return {
    at: record.at,
    bus: record.bus,
    eventId: record.eventId,
    source: record.source,
    detailType: record.detailType,
    ...(record.correlationId !== undefined ? { correlationId: record.correlationId } : {}),
    ...(record.scheduledBy !== undefined ? { scheduledBy: record.scheduledBy } : {}),
    rules: [...record.rules],
    targets,
    status: statusOf(record),
  };
};

const statusOf = (record: EventRecord): EventStatus => {
  const outcomes = new Set(record.targets.map((target) => (target.consumerDeadLetter ? 'dead-lettered' : target.outcome)));
  if (outcomes.has('dead-lettered')) return 'dead-lettered';
  if (outcomes.has('dropped') || record.dropped.length > 0) return 'dropped';
  if (outcomes.has('retrying')) return 'retrying';
  if (outcomes.has('pending')) return 'in flight';
  return record.rules.length === 0 ? 'unmatched' : 'delivered';
};

/** A correlation id as a JSON key names it, in the event or in a JSON string inside it (an SQS message's body). */
const CORRELATION_IN_JSON = /"correlation_?[Ii]d\\?"\s*:\s*\\?"([^"\\]{1,256})/g;

/** The distinct correlation ids an event names (at most 20), read from its JSON text. */
export const correlationIdsIn = (eventJson: string): string[] => {
  const found = new Set<string>();
  for (const match of eventJson.matchAll(CORRELATION_IN_JSON)) {
    if (match[1] !== undefined) found.add(match[1]);
    if (found.size >= 20) break;
  }
  return [...found];
};

/** The `id` of a message body that is an EventBridge event. */
const eventIdOf = (body: string): string | undefined => {
  try {
    const event: unknown = JSON.parse(body);
    const id = typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Lambda's Text format: `<time>\t<requestId>\t<LEVEL>\t<message>`. */
const TEXT_LINE = /^(\S+)\t(\S+)\t([A-Z]+)\t([\s\S]*)$/;

/**
 * A log line as the log pane shows it: a JSON document (Powertools', or
 * Lambda's JSON format) read for its level, message, request and
 * correlation ids; a Text-format line split into its columns; else the text.
 */
export const parseLine = (text: string): ParsedLine => {
  const columns = TEXT_LINE.exec(text);
  const body = columns ? (columns[4] ?? '') : text;
  const fromText: { readonly requestId?: string; readonly level?: string } = columns ? { ...(columns[2] !== 'undefined' ? { requestId: columns[2] } : {}), level: columns[3] } : {};
  const document = body.trimStart().startsWith('{') ? parseJson(body) : undefined;
  if (!isRecord(document)) return { ...fromText, message: body };
  const requestId = [document.function_request_id, document.requestId, document.awsRequestId].find((value): value is string => typeof value === 'string' && value !== '');
  const correlationId = correlationIdOf(document);
  const metrics = isRecord(document._aws) ? emfNames(document._aws) : undefined;
  const message = metrics !== undefined ? `EMF metrics: ${metrics}` : typeof document.message === 'string' ? document.message : JSON.stringify(document.message ?? '');
  const level = metrics !== undefined ? 'METRICS' : typeof document.level === 'string' ? document.level.toUpperCase() : fromText.level;
  return {
    ...fromText,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(level !== undefined ? { level } : {}),
    message,
    ...(correlationId !== undefined ? { correlationId } : {}),
    fields: document as JsonValue,
  };
};

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** The metric names of an EMF document's `_aws` block, comma-separated. */
const emfNames = (aws: Readonly<Record<string, unknown>>): string => {
  const directives = Array.isArray(aws.CloudWatchMetrics) ? aws.CloudWatchMetrics : [];
  const names = directives.flatMap((directive: unknown) => (isRecord(directive) && Array.isArray(directive.Metrics) ? directive.Metrics : [])).flatMap((metric: unknown) => (isRecord(metric) && typeof metric.Name === 'string' ? [metric.Name] : []));
  return names.join(', ') || '(none)';
};
