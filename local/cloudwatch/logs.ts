/**
 * CloudWatch Logs for the local cloud: the template's log groups
 * (`AWS::Logs::LogGroup`), the events written to them, and the read side of
 * the CloudWatch Logs API on the local AWS endpoint (AWS JSON 1.1,
 * `X-Amz-Target: Logs_20140328.<Operation>`), which the SDK's
 * `CloudWatchLogsClient` reaches through `AWS_ENDPOINT_URL_CLOUDWATCH_LOGS`.
 *
 * What writes here: the Step Functions execution logs of state machines with
 * a `LoggingConfiguration` (`../stepfunctions/state-machines`). Functions'
 * own output is printed by the local cloud, not kept here.
 *
 * Operations, as the API reference describes them
 * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html):
 * - `FilterLogEvents`: `logGroupName` or `logGroupIdentifier` (a name or an
 *   ARN), `logStreamNames` or `logStreamNamePrefix`, `startTime`/`endTime`
 *   (epoch ms, both inclusive), `limit` (1 to 10,000, the default), `nextToken`;
 *   the events of every matching stream, oldest first.
 * - `GetLogEvents`: one stream, `startFromHead` (default false: the newest
 *   `limit` events), `startTime`/`endTime`, `limit`, forward (`f/…`) and
 *   backward (`b/…`) tokens.
 * - An unknown group or stream is `ResourceNotFoundException` ("The specified
 *   log group does not exist." / "The specified log stream does not exist.").
 * - IAM is the endpoint's (`../iam/api-actions`): `logs:FilterLogEvents` on
 *   the group, `logs:GetLogEvents` on the stream.
 *
 * Kept in memory, and with `persistDir` in `<persistDir>/cloudwatch-logs`,
 * one append-only JSON-lines file per group (a line a crash cut short is
 * skipped when read back). A group's `RetentionInDays` is applied when the
 * events are read back at start-up.
 *
 * Gaps with CloudWatch Logs:
 * - `filterPattern` is not emulated: every pattern but an empty one is refused
 *   with `InvalidParameterException` saying so, rather than matched wrongly.
 * - The 1 MB response cap, `interleaved`, `unmask`, data protection, log
 *   classes, subscription filters, metric filters and Logs Insights are not
 *   emulated; nor are the write and management operations (`PutLogEvents`,
 *   `CreateLogStream`, `DescribeLogGroups`...) on the endpoint.
 * - A group keeps at most {@link CloudWatchLogsOptions.maxEventsPerGroup}
 *   events in memory (the oldest go first, with one warning), where
 *   CloudWatch Logs keeps them for the group's retention.
 * - Event ids are unique 56-digit strings, not CloudWatch's.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import { UnsupportedFeatureError } from '../errors';
import type { LocalResource } from '../resources';

/** The JSON protocol's target prefix for CloudWatch Logs. */
export const LOGS_TARGET_PREFIX = 'Logs_20140328';

const LOG_GROUP_TYPE = 'AWS::Logs::LogGroup';
const MAX_LIMIT = 10_000;
const DAY_MS = 24 * 60 * 60 * 1000;

/** One event as a writer gives it. */
export interface InputLogEvent {
  /** Epoch ms. */
  readonly timestamp: number;
  readonly message: string;
}

/** One event as CloudWatch Logs keeps it. */
export interface StoredLogEvent {
  readonly logStreamName: string;
  /** When it happened (epoch ms), as the writer said. */
  readonly timestamp: number;
  readonly message: string;
  /** When it was written here (epoch ms). */
  readonly ingestionTime: number;
  readonly eventId: string;
}

/** Which events {@link CloudWatchLogs.events} returns. */
export interface LogEventQuery {
  readonly logStreamNames?: readonly string[];
  readonly logStreamNamePrefix?: string;
  /** Epoch ms, inclusive. */
  readonly startTime?: number;
  /** Epoch ms, inclusive. */
  readonly endTime?: number;
}

/** Options of {@link CloudWatchLogs.create}. */
export interface CloudWatchLogsOptions {
  /** Keep the events in `<persistDir>/cloudwatch-logs` across restarts. @default in memory */
  readonly persistDir?: string;
  /** The most events a group keeps in memory; the oldest go first. @default 500,000 */
  readonly maxEventsPerGroup?: number;
  /** The clock (epoch ms). @default Date.now */
  readonly now?: () => number;
}

interface Entry extends StoredLogEvent {
  /** Order of writing, to break timestamp ties and to resume a page. */
  readonly sequence: number;
}

interface LogGroup {
  readonly name: string;
  readonly retentionDays?: number;
  events: Entry[];
  readonly streams: Set<string>;
  warned: boolean;
}

/** One line of a group's file. */
interface PersistedLine {
  readonly s: string;
  readonly t: number;
  readonly m: string;
  readonly i: number;
}

const invalid = (message: string): AwsServiceError => new AwsServiceError('InvalidParameterException', message);

const groupNotFound = (): AwsServiceError => new AwsServiceError('ResourceNotFoundException', 'The specified log group does not exist.');

const optionalString = (input: Readonly<Record<string, unknown>>, field: string): string | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `${field} must be a string`);
  return value;
};

const optionalNumber = (input: Readonly<Record<string, unknown>>, field: string): number | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsServiceError('SerializationException', `${field} must be an integer`);
  return value;
};

const limitOf = (input: Readonly<Record<string, unknown>>): number => {
  const limit = optionalNumber(input, 'limit');
  if (limit === undefined) return MAX_LIMIT;
  if (limit < 1 || limit > MAX_LIMIT) {
    throw invalid(`1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value ${limit < 1 ? 'greater than or equal to 1' : `less than or equal to ${String(MAX_LIMIT)}`}`);
  }
  return limit;
};

/** The group a request names, by `logGroupName` or `logGroupIdentifier` (a name or an ARN). */
const groupNameOf = (input: Readonly<Record<string, unknown>>): string => {
  const name = optionalString(input, 'logGroupName');
  const identifier = optionalString(input, 'logGroupIdentifier');
  if (name !== undefined && identifier !== undefined) throw invalid('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  if (name !== undefined) return name;
  if (identifier === undefined) throw invalid('Should provide either logGroupName or logGroupIdentifier.');
  return logGroupNameOfArn(identifier) ?? identifier;
};

/** `arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`; undefined for anything else. */
export const logGroupNameOfArn = (arn: string): string | undefined => {
  const match = /^arn:aws[a-z-]*:logs:[a-z0-9-]*:\d{12}:log-group:(.+?)(?::\*)?$/.exec(arn);
  return match?.[1];
};

/** A page position: after this event (timestamp, then writing order). */
const encodeCursor = (entry: Entry): string => Buffer.from(JSON.stringify({ t: entry.timestamp, q: entry.sequence }), 'utf8').toString('base64url');

const decodeCursor = (token: string): { readonly t: number; readonly q: number } => {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && typeof (value as { t?: unknown }).t === 'number' && typeof (value as { q?: unknown }).q === 'number') {
      return value as { t: number; q: number };
    }
  } catch {
    // falls through
  }
  throw invalid(`The specified nextToken is invalid: '${token}'`);
};

const byTime = (a: Entry, b: Entry): number => a.timestamp - b.timestamp || a.sequence - b.sequence;

const publicEvent = (entry: Entry): StoredLogEvent => ({
  logStreamName: entry.logStreamName,
  timestamp: entry.timestamp,
  message: entry.message,
  ingestionTime: entry.ingestionTime,
  eventId: entry.eventId,
});

/**
 * The local CloudWatch Logs: the template's log groups and their events.
 * Build it with {@link CloudWatchLogs.create}, write with
 * {@link CloudWatchLogs.putLogEvents}, read in-process with
 * {@link CloudWatchLogs.events}, expose it with {@link CloudWatchLogs.registerOn}.
 */
export class CloudWatchLogs {
  private readonly groups = new Map<string, LogGroup>();
  private sequence = 0;
  private readonly now: () => number;
  private readonly maxEvents: number;
  private readonly directory?: string;

  private constructor(options: CloudWatchLogsOptions) {
    this.now = options.now ?? Date.now;
    this.maxEvents = options.maxEventsPerGroup ?? 500_000;
    if (!(Number.isInteger(this.maxEvents) && this.maxEvents > 0)) throw new RangeError(`maxEventsPerGroup must be a positive integer; got ${String(this.maxEvents)}`);
    if (options.persistDir !== undefined) this.directory = path.join(options.persistDir, 'cloudwatch-logs');
  }

  /**
   * The log groups of the template (other resource types are ignored), with
   * the events kept under `persistDir`, if any.
   *
   * @throws {UnsupportedFeatureError} for a `RetentionInDays` that is not a number.
   */
  public static create(resources: readonly LocalResource[], options: CloudWatchLogsOptions = {}): CloudWatchLogs {
    const logs = new CloudWatchLogs(options);
    for (const resource of resources.filter((candidate) => candidate.type === LOG_GROUP_TYPE)) {
      const retention = resource.properties.RetentionInDays;
      if (retention !== undefined && (typeof retention !== 'number' || !(retention > 0))) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'RetentionInDays', 'must be a positive number of days once intrinsics are resolved');
      }
      const name = logGroupNameOfArn(resource.arn ?? '') ?? resource.ref;
      logs.groups.set(name, { name, ...(typeof retention === 'number' ? { retentionDays: retention } : {}), events: [], streams: new Set(), warned: false });
    }
    logs.restore();
    return logs;
  }

  /** True for a log group of the template. */
  public hasLogGroup(logGroupName: string): boolean {
    return this.groups.has(logGroupName);
  }

  /** The names of the log groups, sorted. */
  public logGroupNames(): readonly string[] {
    return [...this.groups.keys()].sort();
  }

  /**
   * Writes events to a stream of a group (the stream is created on first
   * use, as vended log delivery does).
   *
   * @throws {Error} for a group that is not the template's.
   */
  public putLogEvents(logGroupName: string, logStreamName: string, events: readonly InputLogEvent[]): void {
    const group = this.groups.get(logGroupName);
    if (!group) throw new Error(`No log group ${logGroupName} in the template`);
    if (events.length === 0) return;
    const ingestionTime = this.now();
    const entries = events.map((event) => this.entry(logStreamName, event.timestamp, event.message, ingestionTime));
    this.add(group, entries);
    if (this.directory !== undefined) {
      const lines = entries.map((entry) => `${JSON.stringify({ s: entry.logStreamName, t: entry.timestamp, m: entry.message, i: entry.ingestionTime } satisfies PersistedLine)}\n`).join('');
      try {
        mkdirSync(this.directory, { recursive: true });
        appendFileSync(this.fileOf(logGroupName), lines);
      } catch (error) {
        process.emitWarning(`CloudWatch Logs: could not write ${logGroupName} to ${this.directory}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  /**
   * A group's events, oldest first (by timestamp, then by writing order), for
   * in-process readers.
   *
   * @throws {Error} for a group that is not the template's.
   */
  public events(logGroupName: string, query: LogEventQuery = {}): StoredLogEvent[] {
    const group = this.groups.get(logGroupName);
    if (!group) throw new Error(`No log group ${logGroupName} in the template`);
    return this.matching(group, query).map(publicEvent);
  }

  /** Registers `FilterLogEvents` and `GetLogEvents` under the `Logs_20140328` target prefix. */
  public registerOn(endpoint: AwsEndpoint): void {
    endpoint.registerJson(LOGS_TARGET_PREFIX, this.operations(), { version: '1.1' });
  }

  /** The JSON-protocol operations, by name. */
  public operations(): Readonly<Record<string, JsonOperation>> {
    return {
      FilterLogEvents: async (input) => this.filterLogEvents(input),
      GetLogEvents: async (input) => this.getLogEvents(input),
    };
  }

  private filterLogEvents(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const group = this.groups.get(groupNameOf(input));
    if (!group) throw groupNotFound();
    const pattern = optionalString(input, 'filterPattern');
    if (pattern !== undefined && pattern.trim() !== '') {
      throw invalid(`The local cloud does not emulate CloudWatch Logs filter patterns (got ${JSON.stringify(pattern)}); leave filterPattern out and filter the events yourself`);
    }
    const streams = input.logStreamNames;
    if (streams !== undefined && streams !== null && !(Array.isArray(streams) && streams.every((name): name is string => typeof name === 'string'))) {
      throw new AwsServiceError('SerializationException', 'logStreamNames must be a list of strings');
    }
    const prefix = optionalString(input, 'logStreamNamePrefix');
    if (Array.isArray(streams) && prefix !== undefined) throw invalid('Cannot specify both logStreamNames and logStreamNamePrefix.');
    if (Array.isArray(streams) && (streams.length < 1 || streams.length > 100)) {
      throw invalid("1 validation error detected: Value at 'logStreamNames' failed to satisfy constraint: Member must have length between 1 and 100");
    }
    const limit = limitOf(input);
    const startTime = optionalNumber(input, 'startTime');
    const endTime = optionalNumber(input, 'endTime');
    const token = optionalString(input, 'nextToken');
    const after = token === undefined ? undefined : decodeCursor(token);
    const matching = this.matching(group, {
      ...(Array.isArray(streams) ? { logStreamNames: streams as string[] } : {}),
      ...(prefix !== undefined ? { logStreamNamePrefix: prefix } : {}),
      ...(startTime !== undefined ? { startTime } : {}),
      ...(endTime !== undefined ? { endTime } : {}),
    }).filter((entry) => after === undefined || entry.timestamp > after.t || (entry.timestamp === after.t && entry.sequence > after.q));
    const page = matching.slice(0, limit);
    const last = page.at(-1);
    return {
      events: page.map(publicEvent),
      searchedLogStreams: [...group.streams]
        .filter((name) => (Array.isArray(streams) ? streams.includes(name) : prefix === undefined || name.startsWith(prefix)))
        .sort()
        .map((logStreamName) => ({ logStreamName, searchedCompletely: true })),
      ...(matching.length > limit && last ? { nextToken: encodeCursor(last) } : {}),
    };
  }

  private getLogEvents(input: Readonly<Record<string, unknown>>): Record<string, unknown> {
    const group = this.groups.get(groupNameOf(input));
    if (!group) throw groupNotFound();
    const stream = optionalString(input, 'logStreamName');
    if (stream === undefined) throw invalid("1 validation error detected: Value null at 'logStreamName' failed to satisfy constraint: Member must not be null");
    if (!group.streams.has(stream)) throw new AwsServiceError('ResourceNotFoundException', 'The specified log stream does not exist.');
    const limit = limitOf(input);
    const startTime = optionalNumber(input, 'startTime');
    const endTime = optionalNumber(input, 'endTime');
    const events = this.matching(group, { logStreamNames: [stream], ...(startTime !== undefined ? { startTime } : {}), ...(endTime !== undefined ? { endTime } : {}) });
    const token = optionalString(input, 'nextToken');
    let from: number;
    let to: number;
    if (token !== undefined) {
      const match = /^([fb])\/(\d+)$/.exec(token);
      if (!match) throw invalid(`The specified nextToken is invalid: '${token}'`);
      const position = Math.min(Number(match[2]), events.length);
      [from, to] = match[1] === 'f' ? [position, Math.min(events.length, position + limit)] : [Math.max(0, position - limit), position];
    } else if (input.startFromHead === true) {
      [from, to] = [0, Math.min(events.length, limit)];
    } else {
      [from, to] = [Math.max(0, events.length - limit), events.length];
    }
    return {
      events: events.slice(from, to).map((entry) => ({ timestamp: entry.timestamp, message: entry.message, ingestionTime: entry.ingestionTime })),
      nextForwardToken: `f/${String(to)}`,
      nextBackwardToken: `b/${String(from)}`,
    };
  }

  private matching(group: LogGroup, query: LogEventQuery): Entry[] {
    const streams = query.logStreamNames === undefined ? undefined : new Set(query.logStreamNames);
    return group.events
      .filter(
        (entry) =>
          (streams === undefined || streams.has(entry.logStreamName)) &&
          (query.logStreamNamePrefix === undefined || entry.logStreamName.startsWith(query.logStreamNamePrefix)) &&
          (query.startTime === undefined || entry.timestamp >= query.startTime) &&
          (query.endTime === undefined || entry.timestamp <= query.endTime),
      )
      .sort(byTime);
  }

  private entry(logStreamName: string, timestamp: number, message: string, ingestionTime: number): Entry {
    this.sequence += 1;
    return { logStreamName, timestamp, message, ingestionTime, eventId: String(this.sequence).padStart(56, '0'), sequence: this.sequence };
  }

  private add(group: LogGroup, entries: readonly Entry[]): void {
    for (const entry of entries) group.streams.add(entry.logStreamName);
    group.events.push(...entries);
    const excess = group.events.length - this.maxEvents;
    if (excess > 0) {
      group.events.splice(0, excess);
      if (!group.warned) {
        group.warned = true;
        process.emitWarning(`CloudWatch Logs: log group ${group.name} holds more than ${String(this.maxEvents)} events; the oldest are dropped from now on`);
      }
    }
  }

  private fileOf(logGroupName: string): string {
    return path.join(this.directory ?? '', `${createHash('sha256').update(logGroupName).digest('hex').slice(0, 40)}.jsonl`);
  }

  /** Reads each group's file back, drops what its retention has expired, and rewrites a file that lost events. */
  private restore(): void {
    if (this.directory === undefined || !existsSync(this.directory)) return;
    const known = new Map([...this.groups.keys()].map((name) => [path.basename(this.fileOf(name)), name]));
    for (const file of readdirSync(this.directory)) {
      const name = known.get(file);
      const group = name === undefined ? undefined : this.groups.get(name);
      if (!group) continue;
      const full = path.join(this.directory, file);
      const lines = readFileSync(full, 'utf8').split('\n');
      const oldest = group.retentionDays === undefined ? Number.NEGATIVE_INFINITY : this.now() - group.retentionDays * DAY_MS;
      const kept: Entry[] = [];
      let dropped = false;
      for (const line of lines) {
        if (line.trim() === '') continue;
        let value: unknown;
        try {
          value = JSON.parse(line);
        } catch {
          dropped = true; // a line a crash cut short
          continue;
        }
        const persisted = value as Partial<PersistedLine>;
        if (typeof persisted.s !== 'string' || typeof persisted.t !== 'number' || typeof persisted.m !== 'string' || typeof persisted.i !== 'number') {
          dropped = true;
          continue;
        }
        if (persisted.t < oldest) {
          dropped = true;
          continue;
        }
        kept.push(this.entry(persisted.s, persisted.t, persisted.m, persisted.i));
      }
      this.add(group, kept);
      if (dropped) {
        const temporary = `${full}.${String(process.pid)}.tmp`;
        writeFileSync(temporary, kept.map((entry) => `${JSON.stringify({ s: entry.logStreamName, t: entry.timestamp, m: entry.message, i: entry.ingestionTime } satisfies PersistedLine)}\n`).join(''));
        renameSync(temporary, full);
      }
    }
  }
}
