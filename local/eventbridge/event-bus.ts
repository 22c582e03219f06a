/**
 * Amazon EventBridge for the local cloud: event buses, rules, archives and
 * rule targets built from the synthesized template, plus the AWS-protocol
 * operations the SDK and the AWS CLI use (`PutEvents`, `TestEventPattern`,
 * `ListRules`, `DescribeRule`, `ListTargetsByRule`, `ListEventBuses`,
 * `DescribeEventBus`).
 *
 * What is emulated, and how it follows AWS:
 *
 * - `PutEvents` validates each entry as the service does (`InvalidArgument`,
 *   `MalformedDetail`, `ResourceNotFoundException` entries; at most 10 entries
 *   and 256 KiB per request) and answers with the event ids at once; targets
 *   are invoked asynchronously afterwards, as on AWS.
 * - Rules match with the Event Ruler semantics of `./event-pattern`.
 * - Targets: Lambda functions (asynchronous invocation), Step Functions state
 *   machines (`StartExecution`), SQS queues and other event buses. `Input`,
 *   `InputPath` and `InputTransformer` shape what a target receives.
 * - Each target delivery is retried on retryable errors with exponential
 *   backoff and jitter until its `RetryPolicy` runs out, then the event goes
 *   to the target's dead-letter queue with the attributes AWS adds
 *   (`RULE_ARN`, `TARGET_ARN`, `ERROR_CODE`, `ERROR_MESSAGE`,
 *   `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`). Errors AWS does not retry
 *   (a missing target, an invalid input) go to the dead-letter queue at once.
 * - A Lambda target is delivered once Lambda has *accepted* the asynchronous
 *   invocation; a function error is Lambda's to retry, not EventBridge's. See
 *   {@link LambdaAsyncInvoker}, which emulates those semantics.
 * - Archives keep the matching events of their bus in memory. Replaying them
 *   (`StartReplay`) is NOT implemented.
 *
 * What is refused at start-up with an {@link UnsupportedFeatureError}: scheduled
 * rules, target types other than the four above, target parameters for other
 * target types (ECS, Kinesis, SQS FIFO, HTTP...), input shaping on event-bus
 * targets, KMS keys, partner event sources, bus logging, and any property this
 * module does not know.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import { UnsupportedFeatureError } from '../errors';
import type { FunctionErrorPayload } from '../lambda/protocol';
import type { InvokeResult } from '../lambda/lambda-runtime';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { InvalidMessageError, QueueNotFoundError, type MessageAttributeValue, type SqsQueues } from '../sqs/queues';
import { InvalidEventPatternError } from './errors';
import { matchesEventPattern, parseEventPattern, type EventPattern } from './event-pattern';

// ---------------------------------------------------------------------------
// Constants and ARNs
// ---------------------------------------------------------------------------

/** The bus every account has, which `PutEvents` uses when no bus is named. */
export const DEFAULT_EVENT_BUS = 'default';

/** `PutEvents` accepts at most this many entries. */
const MAX_ENTRIES = 10;
/** `PutEvents` refuses requests whose entries add up to more than this (AWS's size formula). */
const MAX_REQUEST_BYTES = 256 * 1024;
/** A rule has at most this many targets. */
const MAX_TARGETS_PER_RULE = 5;
/**
 * Bus-to-bus forwarding depth after which the local cloud drops an event.
 * AWS has no such budget within one account; a template whose buses forward
 * in a circle would otherwise spin a laptop forever.
 */
const MAX_BUS_HOPS = 5;
/** EventBridge's default target retry policy: 185 retries within 24 hours. */
const DEFAULT_RETRY_ATTEMPTS = 185;
const DEFAULT_EVENT_AGE_SECONDS = 86_400;
/** Fields `TestEventPattern` requires in its event (`resources` is documented but not enforced by AWS). */
const TEST_EVENT_REQUIRED_FIELDS: readonly string[] = ['id', 'account', 'source', 'time', 'region', 'detail-type'];
/** Input-transformer variables EventBridge defines itself. */
const RESERVED_VARIABLES: readonly string[] = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
];

const LAMBDA_ARN = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::([^:]+))?$/;
const STATE_MACHINE_ARN = /^arn:aws:states:[^:]*:[^:]*:stateMachine:[^:]+$/;
const SQS_ARN = /^arn:aws:sqs:[^:]*:[^:]*:[^:]+$/;
const EVENT_BUS_ARN = /^arn:aws:events:([^:]*):([^:]*):event-bus\/(.+)$/;

/** The ARN of a local event bus. */
export const eventBusArn = (name: string): string => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;

/** The ARN of a local rule (rules of the default bus have no bus segment). */
export const eventRuleArn = (busName: string, ruleName: string): string =>
  `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${busName === DEFAULT_EVENT_BUS ? '' : `${busName}/`}${ruleName}`;

/** The ARN of a local Lambda function. */
export const lambdaFunctionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

// ---------------------------------------------------------------------------
// Template properties
// ---------------------------------------------------------------------------

/** A JSON object inside resolved template properties. */
export type PropertyObject = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is PropertyObject => typeof value === 'object' && value !== null && !Array.isArray(value);

const child = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

/**
 * Reads one resource's resolved properties with the types CloudFormation
 * declares for them. Every failure is an {@link UnsupportedFeatureError} naming
 * the resource and the property path (`Targets[0].RetryPolicy.MaximumRetryAttempts`),
 * so a developer knows exactly what to change; nothing is silently ignored.
 */
export class PropertyReader {
  public constructor(public readonly resource: LocalResource) {}

  /** The error for a property the local cloud refuses. */
  public fail(path: string, detail: string): UnsupportedFeatureError {
    return new UnsupportedFeatureError(this.resource.logicalId, this.resource.type, path, detail);
  }

  /**
   * Refuses keys of `object` outside `known`; `refused` gives the reason for
   * keys CloudFormation knows but the local cloud does not implement.
   */
  public only(object: PropertyObject, path: string, known: readonly string[], refused: Readonly<Record<string, string>> = {}): void {
    for (const key of Object.keys(object)) {
      const reason = refused[key];
      if (reason !== undefined) throw this.fail(child(path, key), reason);
      if (!known.includes(key)) throw this.fail(child(path, key), 'this property is not emulated by the local cloud');
    }
  }

  /** A required object. */
  public object(value: unknown, path: string): PropertyObject {
    if (!isObject(value)) throw this.fail(path, value === undefined ? 'is required' : 'must be an object');
    return value;
  }

  /** An object, or `undefined` when absent. */
  public optionalObject(value: unknown, path: string): PropertyObject | undefined {
    return value === undefined ? undefined : this.object(value, path);
  }

  /** A required list. */
  public array(value: unknown, path: string): readonly unknown[] {
    if (!Array.isArray(value)) throw this.fail(path, value === undefined ? 'is required' : 'must be a list');
    return value;
  }

  /** A required, non-empty string. */
  public string(value: unknown, path: string): string {
    if (typeof value !== 'string' || value === '') throw this.fail(path, value === undefined ? 'is required' : 'must be a non-empty string');
    return value;
  }

  /** A non-empty string, or `undefined` when absent. */
  public optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  /** An integer in `[min, max]`; numeric strings are accepted, as CloudFormation does. */
  public integer(value: unknown, path: string, min: number, max: number, fallback?: number): number {
    if (value === undefined && fallback !== undefined) return fallback;
    const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max) {
      throw this.fail(path, `must be an integer from ${String(min)} to ${String(max)}`);
    }
    return number;
  }

  /** One of the allowed strings (`fallback` when absent, if given). */
  public oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[], fallback?: T): T {
    if (value === undefined && fallback !== undefined) return fallback;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw this.fail(path, `must be one of ${allowed.join(', ')}`);
    return match;
  }
}

// ---------------------------------------------------------------------------
// JSON paths (the subset EventBridge supports)
// ---------------------------------------------------------------------------

type PathStep = { readonly kind: 'field'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wildcard' };

/**
 * A compiled EventBridge JSON path: `$`, dot notation (names with letters,
 * digits, dashes, underscores, slashes...), array indices `[0]` and `*`
 * wildcards. A path with a wildcard selects a list.
 */
export interface JsonPath {
  readonly text: string;
  readonly steps: readonly PathStep[];
  readonly multiple: boolean;
}

/** EventBridge's path grammar; bracketed names (`['a']`) are not part of it. */
export function compileJsonPath(text: string): JsonPath {
  if (!text.startsWith('$')) throw new Error(`"${text}" is not a JSON path: it must start with $`);
  const steps: PathStep[] = [];
  let rest = text.slice(1);
  while (rest !== '') {
    const wildcard = /^(?:\.\*|\[\*\])/.exec(rest);
    const field = /^\.([^.[\]*\s]+)/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    if (wildcard) {
      steps.push({ kind: 'wildcard' });
      rest = rest.slice(wildcard[0].length);
    } else if (field?.[1] !== undefined) {
      steps.push({ kind: 'field', name: field[1] });
      rest = rest.slice(field[0].length);
    } else if (index?.[1] !== undefined) {
      steps.push({ kind: 'index', index: Number(index[1]) });
      rest = rest.slice(index[0].length);
    } else {
      throw new Error(`"${text}" is not a JSON path EventBridge supports (dot notation, array indices and * only)`);
    }
  }
  return { text, steps, multiple: steps.some((step) => step.kind === 'wildcard') };
}

/** The value a path selects, `undefined` when it selects nothing (a list for wildcard paths). */
export function evaluateJsonPath(path: JsonPath, value: unknown): unknown {
  let current: unknown[] = [value];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step.kind === 'field') {
        if (isObject(node) && Object.hasOwn(node, step.name)) next.push(node[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (Array.isArray(node)) {
        next.push(...node);
      } else if (isObject(node)) {
        next.push(...Object.values(node));
      }
    }
    current = next;
  }
  return path.multiple ? current : current[0];
}

// ---------------------------------------------------------------------------
// Input transformation
// ---------------------------------------------------------------------------

type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'variable'; readonly name: string; readonly quoted: boolean };

/** A parsed `InputTemplate`. */
interface InputTemplate {
  /** A JSON template (object, list or quoted string) rather than free text. */
  readonly json: boolean;
  readonly parts: readonly TemplatePart[];
}

/**
 * Splits a template into text and `<variable>` placeholders, remembering for
 * JSON templates whether each placeholder sits inside a JSON string. Only
 * defined variable names are placeholders; other `<...>` text is literal.
 */
function parseTemplate(template: string, variables: ReadonlySet<string>): InputTemplate {
  const first = template.trimStart().charAt(0);
  const json = first === '{' || first === '[' || first === '"';
  const parts: TemplatePart[] = [];
  let text = '';
  let inString = false;
  for (let i = 0; i < template.length; ) {
    const unit = template.charAt(i);
    if (unit === '<') {
      const match = /^<([A-Za-z0-9_.\-]+)>/.exec(template.slice(i, i + 300));
      if (match?.[1] !== undefined && variables.has(match[1])) {
        if (text !== '') parts.push({ kind: 'text', text });
        text = '';
        parts.push({ kind: 'variable', name: match[1], quoted: json && inString });
        i += match[0].length;
        continue;
      }
    }
    if (json && inString && unit === '\\') {
      text += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (json && unit === '"') inString = !inString;
    text += unit;
    i += 1;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { json, parts };
}

/**
 * EventBridge's substitution rules: outside quotes a variable becomes its JSON
 * value (a string gets its quotes, a missing path is `null`); inside a JSON
 * string the value's text is inserted without quotes (escaped so the result
 * stays JSON; a missing path is empty). In a free-text template values are
 * inserted as text.
 */
function renderTemplate(template: InputTemplate, values: ReadonlyMap<string, unknown>): string {
  let output = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      output += part.text;
      continue;
    }
    const value = values.get(part.name);
    if (!template.json) output += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    else if (!part.quoted) output += value === undefined ? 'null' : JSON.stringify(value);
    else if (value !== undefined) output += JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1);
  }
  return output;
}

/** How a target's input is derived from the event. */
type InputSpec =
  | { readonly kind: 'event' }
  | { readonly kind: 'constant'; readonly value: unknown; readonly text: string }
  | { readonly kind: 'path'; readonly path: JsonPath }
  | { readonly kind: 'transformer'; readonly paths: ReadonlyMap<string, JsonPath>; readonly template: InputTemplate };

/** What a target receives: the JSON value (Lambda, Step Functions) and its text (an SQS body). */
interface TargetInput {
  readonly value: unknown;
  readonly body: string;
}

// ---------------------------------------------------------------------------
// Delivery failures and backoff
// ---------------------------------------------------------------------------

/** The `ERROR_CODE` values of EventBridge dead letters that the local cloud produces. */
export type DeliveryErrorCode =
  | 'CONNECTION_FAILURE'
  | 'ERROR_FROM_TARGET'
  | 'INVALID_JSON'
  | 'INVALID_PARAMETER'
  | 'NO_PERMISSIONS'
  | 'NO_RESOURCE'
  | 'SDK_CLIENT_ERROR'
  | 'THROTTLING'
  | 'TIMEOUT';

/**
 * How an injected invoker (or the fault-injection feature) tells EventBridge
 * why a delivery failed and whether AWS would retry it. Any other error is
 * taken as a retryable `ERROR_FROM_TARGET`.
 */
export class TargetDeliveryError extends Error {
  public readonly code: DeliveryErrorCode;
  public readonly retryable: boolean;

  public constructor(code: DeliveryErrorCode, message: string, options: { readonly retryable: boolean; readonly cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.name = 'TargetDeliveryError';
  }
}

interface Failure {
  readonly code: DeliveryErrorCode;
  readonly message: string;
  readonly retryable: boolean;
}

/** Maps what an invoker threw to EventBridge's view of it. */
function classifyFailure(error: unknown): Failure {
  if (error instanceof TargetDeliveryError) return { code: error.code, message: error.message, retryable: error.retryable };
  if (error instanceof QueueNotFoundError) return { code: 'NO_RESOURCE', message: error.message, retryable: false };
  if (error instanceof InvalidMessageError) return { code: 'INVALID_PARAMETER', message: error.message, retryable: false };
  if (error instanceof AwsServiceError) {
    // The AWS error code is a wire-protocol value, as the SDK exposes it.
    if (error.statusCode === 429 || /Throttl|TooManyRequests|LimitExceeded/.test(error.type)) return { code: 'THROTTLING', message: error.message, retryable: true };
    if (error.statusCode >= 500) return { code: 'SDK_CLIENT_ERROR', message: error.message, retryable: true };
    if (/NotFound|DoesNotExist/.test(error.type)) return { code: 'NO_RESOURCE', message: error.message, retryable: false };
    if (/AccessDenied|NotAuthorized/.test(error.type)) return { code: 'NO_PERMISSIONS', message: error.message, retryable: false };
    return { code: 'INVALID_PARAMETER', message: error.message, retryable: false };
  }
  return { code: 'ERROR_FROM_TARGET', message: error instanceof Error ? error.message : String(error), retryable: true };
}

/** Exponential backoff settings; tests shrink the base to milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 1000 */
  readonly baseDelayMs?: number;
  /** No delay exceeds this. @default 60000 */
  readonly maxDelayMs?: number;
  /** Randomize each delay within its upper half ("equal jitter"), as AWS jitters. @default true */
  readonly jitter?: boolean;
}

/** The delay before retry number `retry` (1 for the first retry): base doubling, capped, jittered. */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 1000;
  const delay = Math.min(options.maxDelayMs ?? 60_000, base * 2 ** Math.max(0, retry - 1));
  return options.jitter === false ? delay : delay / 2 + random() * (delay / 2);
}

/**
 * Counts asynchronous work (deliveries, retries waiting on a timer) so that
 * `drain()` can tell when nothing is pending, and `close()` can cancel every
 * timer at shutdown.
 */
export class PendingWork {
  private pending = 0;
  private closed = false;
  private readonly waiters: Array<() => void> = [];
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  /** True after `close()`: new work is refused. */
  public get isClosed(): boolean {
    return this.closed;
  }

  /** True when nothing is pending. */
  public get idle(): boolean {
    return this.pending <= 0;
  }

  /** One more piece of work is under way. */
  public begin(): void {
    if (!this.closed) this.pending += 1;
  }

  /** One piece of work has finished (delivered, dead-lettered or dropped). */
  public end(): void {
    if (this.closed) return;
    this.pending -= 1;
    if (this.pending <= 0) this.flush();
  }

  /** Runs `run` after `ms` unless closed first. */
  public later(ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.set(timer, () => undefined);
  }

  /** Waits `ms`; resolves `false` when closed meanwhile (the work should stop). */
  public sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.closed);
      }, ms);
      this.timers.set(timer, () => resolve(false));
    });
  }

  /** Resolves when nothing is pending (at once if nothing is). */
  public drain(): Promise<void> {
    if (this.pending <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every timer and forgets pending work; later work is refused. */
  public close(): void {
    this.closed = true;
    for (const [timer, cancel] of this.timers) {
      clearTimeout(timer);
      cancel();
    }
    this.timers.clear();
    this.pending = 0;
    this.flush();
  }

  private flush(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** A part of the local cloud with asynchronous work that can be waited for. */
export interface Drainable {
  drain(): Promise<void>;
  /** True when nothing is pending right now. */
  readonly idle: boolean;
}

/**
 * Waits until every part is idle at the same time. The parts feed each other
 * (a Lambda target publishes events whose rules invoke Lambdas, a pipe puts
 * events on a bus), so draining them one after the other once is not enough.
 */
export async function drainAll(parts: readonly Drainable[]): Promise<void> {
  do {
    for (const part of parts) await part.drain();
  } while (!parts.every((part) => part.idle));
}

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

/** An event as EventBridge delivers it: the full envelope. */
export interface BusEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second, e.g. `2025-01-31T12:00:00Z`. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: PropertyObject;
}

/**
 * One `PutEvents` entry, as the API takes it (`Time` as the SDK's Date or the
 * wire's epoch seconds). `Source`, `DetailType` and `Detail` are required by
 * the service; they are optional here because `PutEvents` reports a missing
 * one as a failed entry, not as a failed request.
 */
export interface PutEventsEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  /** The detail as JSON text; it must be a JSON object. */
  readonly Detail?: string;
  /** Name or ARN of the bus. @default 'default' */
  readonly EventBusName?: string;
  /** @default the time the event is received */
  readonly Time?: Date | number | string;
  /** ARNs the event concerns. @default [] */
  readonly Resources?: readonly string[];
  /** Accepted; the local cloud does not trace. @default none */
  readonly TraceHeader?: string;
}

/** One `PutEvents` result entry: the event id, or why the entry failed. */
export type PutEventsResultEntry = { readonly EventId: string } | { readonly ErrorCode: string; readonly ErrorMessage: string };

/** The `PutEvents` answer. */
export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: readonly PutEventsResultEntry[];
}

/** What every hop of an event names, for log lines that can be followed. */
export interface HopContext {
  readonly bus: string;
  readonly eventId: string;
  readonly detailType: string;
  readonly source: string;
  /** `detail.metadata.correlationId`, when the event carries one. */
  readonly correlationId?: string;
}

/** A target a hop concerns. */
export interface TargetHopContext extends HopContext {
  readonly rule: string;
  readonly targetId: string;
  readonly targetArn: string;
  /** 1 for the first delivery attempt. */
  readonly attempt: number;
  /** True for the extra copy the duplicate-delivery hook made. */
  readonly duplicate: boolean;
}

/**
 * One step of an event's way through the local EventBridge:
 * `event` (accepted on a bus), `rule` (a rule matched), `target` (delivered),
 * `retry` (an attempt failed; another follows after `delayMs`), `dlq` (sent to
 * the target's dead-letter queue), `dropped` (given up with no dead-letter
 * queue, or the dead-letter queue refused it).
 */
export type EventBridgeHop =
  | (HopContext & { readonly kind: 'event' })
  | (HopContext & { readonly kind: 'rule'; readonly rule: string })
  | (TargetHopContext & { readonly kind: 'target' })
  | (TargetHopContext & { readonly kind: 'retry'; readonly delayMs: number; readonly errorCode: DeliveryErrorCode; readonly errorMessage: string })
  | (TargetHopContext & {
      readonly kind: 'dlq';
      readonly deadLetterArn: string;
      readonly errorCode: DeliveryErrorCode;
      readonly errorMessage: string;
      readonly exhaustedCondition?: ExhaustedCondition;
    })
  | (HopContext & { readonly kind: 'dropped'; readonly reason: string; readonly rule?: string; readonly targetArn?: string });

/** Which retry limit ended a delivery. */
export type ExhaustedCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

/**
 * Starts an asynchronous Lambda invocation (`InvocationType: Event`).
 *
 * Contract: resolve as soon as Lambda has *accepted* the event, before the
 * function runs — that is a successful delivery for EventBridge. Reject only
 * when Lambda refuses the request itself: a missing function with a
 * {@link TargetDeliveryError} `NO_RESOURCE` (not retried), throttling with
 * `THROTTLING` (retried). A function error must not reject: Lambda retries it
 * and dead-letters it by its own rules ({@link LambdaAsyncInvoker.invokeAsync}
 * implements this contract).
 */
export type InvokeAsync = (functionArn: string, payload: unknown) => Promise<void>;

/**
 * Starts a Step Functions execution, as `StartExecution` with `input` (JSON
 * text). Reject with a {@link TargetDeliveryError} (or an `AwsServiceError`
 * carrying the AWS error code) to say whether EventBridge retries.
 */
export type StartExecution = (stateMachineArn: string, input: string, roleArn?: string) => Promise<unknown>;

/** What {@link EventBridgeEmulator.create} needs from the rest of the local cloud. */
export interface EventBridgeDeps {
  /** SQS targets and every dead-letter queue. */
  readonly queues: SqsQueues;
  readonly invokeAsync: InvokeAsync;
  readonly startExecution: StartExecution;
  /** Hears every hop; must not throw. @default no listener */
  readonly onHop?: (hop: EventBridgeHop) => void;
  /** Retry backoff. @default 1 s doubling, capped at 60 s, with jitter */
  readonly backoff?: BackoffOptions;
  /** Probability (0..1) that a delivery is made twice, for fault injection. @default 0 */
  readonly duplicateRate?: number;
  /** Source of randomness for jitter and duplicates. @default Math.random */
  readonly random?: () => number;
  /** Clock (epoch ms) for event times and event age. @default Date.now */
  readonly now?: () => number;
}

/** An archived event. */
export interface ArchivedEvent {
  readonly event: BusEvent;
  /** Epoch ms. */
  readonly archivedAt: number;
}

/** A rule as the CLI prints it. */
export interface RuleSummary {
  readonly name: string;
  readonly arn: string;
  readonly bus: string;
  readonly state: RuleState;
  readonly eventPattern: string;
  readonly targets: readonly { readonly id: string; readonly arn: string }[];
}

type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

// ---------------------------------------------------------------------------
// Internal model
// ---------------------------------------------------------------------------

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly description?: string;
  readonly rules: Rule[];
  readonly archives: Archive[];
}

interface Rule {
  readonly name: string;
  readonly arn: string;
  readonly bus: Bus;
  readonly description?: string;
  readonly state: RuleState;
  readonly pattern: EventPattern;
  readonly patternText: string;
  readonly targets: readonly Target[];
}

type TargetKind = 'lambda' | 'stateMachine' | 'queue' | 'bus';

interface Target {
  readonly id: string;
  readonly arn: string;
  readonly kind: TargetKind;
  readonly roleArn?: string;
  readonly input: InputSpec;
  readonly maxRetries: number;
  readonly maxAgeSeconds: number;
  readonly deadLetterArn?: string;
  /** The target as the template declares it, for `ListTargetsByRule`. */
  readonly declared: PropertyObject;
}

interface Archive {
  readonly name: string;
  readonly pattern?: EventPattern;
  readonly retentionDays: number;
  readonly events: ArchivedEvent[];
}

interface Delivery {
  readonly event: BusEvent;
  readonly rule: Rule;
  readonly target: Target;
  readonly receivedAt: number;
  readonly duplicate: boolean;
  readonly busHops: number;
  attempts: number;
}

const EVENT_BUS_TYPE = 'AWS::Events::EventBus';
const RULE_TYPE = 'AWS::Events::Rule';
const ARCHIVE_TYPE = 'AWS::Events::Archive';
const BUS_POLICY_TYPE = 'AWS::Events::EventBusPolicy';

// ---------------------------------------------------------------------------
// The emulator
// ---------------------------------------------------------------------------

/**
 * The local EventBridge. Build it with {@link EventBridgeEmulator.create} from
 * the template's `AWS::Events::*` resources, expose it with
 * {@link EventBridgeEmulator.registerOn}, and publish in-process (Pipes, Step
 * Functions' `events:putEvents`) with {@link EventBridgeEmulator.putEvents}.
 */
export class EventBridgeEmulator implements Drainable {
  /** Resources or properties accepted but not enforced, one line each, for the CLI. */
  public readonly notEnforced: readonly string[];
  private readonly buses = new Map<string, Bus>();
  private readonly work = new PendingWork();
  private readonly deps: EventBridgeDeps;
  private readonly now: () => number;
  private readonly random: () => number;
  private duplicates = 0;

  private constructor(deps: EventBridgeDeps, notEnforced: string[]) {
    this.deps = deps;
    this.notEnforced = notEnforced;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.duplicateRate = deps.duplicateRate ?? 0;
  }

  /**
   * Builds buses, rules and archives from the template. Resources outside
   * `AWS::Events::` are ignored, so the orchestrator may pass the whole
   * template; the `default` bus always exists.
   *
   * @throws {UnsupportedFeatureError} naming the resource and property the
   *   local cloud does not implement.
   */
  public static create(resources: readonly LocalResource[], deps: EventBridgeDeps): EventBridgeEmulator {
    const notEnforced: string[] = [];
    const emulator = new EventBridgeEmulator(deps, notEnforced);
    emulator.addBus({ name: DEFAULT_EVENT_BUS, arn: eventBusArn(DEFAULT_EVENT_BUS), rules: [], archives: [] });
    const events = resources.filter((resource) => resource.type.startsWith('AWS::Events::'));
    for (const resource of events) {
      if (![EVENT_BUS_TYPE, RULE_TYPE, ARCHIVE_TYPE, BUS_POLICY_TYPE].includes(resource.type)) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'this EventBridge resource type is not emulated');
      }
    }
    for (const resource of events) if (resource.type === EVENT_BUS_TYPE) emulator.addBus(readBus(resource, notEnforced));
    for (const resource of events) {
      if (resource.type === BUS_POLICY_TYPE) {
        notEnforced.push(`${resource.logicalId} (${resource.type}): accepted, not enforced — the local cloud has no IAM`);
      } else if (resource.type === RULE_TYPE) {
        const rule = emulator.readRule(resource);
        rule.bus.rules.push(rule);
      } else if (resource.type === ARCHIVE_TYPE) {
        emulator.readArchive(resource);
      }
    }
    return emulator;
  }

  /**
   * Probability (0..1) that a target delivery is made twice, to rehearse
   * EventBridge's at-least-once delivery. Settable at run time.
   */
  public get duplicateRate(): number {
    return this.duplicates;
  }

  public set duplicateRate(rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`duplicateRate must be between 0 and 1; got ${String(rate)}`);
    this.duplicates = rate;
  }

  /** Registers the AWS-protocol operations under the `AWSEvents` target prefix. */
  public registerOn(endpoint: AwsEndpoint): void {
    endpoint.registerJson('AWSEvents', this.operations());
  }

  /** The JSON-protocol operations, by name. */
  public operations(): Readonly<Record<string, JsonOperation>> {
    return {
      PutEvents: async (input) => this.putEvents(readWireEntries(input)),
      TestEventPattern: async (input) => ({ Result: testPatternOperation(input) }),
      ListRules: async (input) => this.listRules(input),
      DescribeRule: async (input) => this.describeRule(input),
      ListTargetsByRule: async (input) => this.listTargetsByRule(input),
      ListEventBuses: async (input) => this.listEventBuses(input),
      DescribeEventBus: async (input) => this.describeEventBus(input),
    };
  }

  /**
   * Publishes events, as `PutEvents`: validates each entry, puts the valid
   * ones on their bus (archives and rule matching happen now) and returns.
   * Targets are invoked asynchronously afterwards; `drain()` waits for them.
   *
   * @throws {AwsServiceError} `ValidationException` for a request AWS refuses
   *   as a whole (no entries, more than 10, over 256 KiB).
   */
  public putEvents(entries: readonly PutEventsEntry[]): PutEventsResult {
    if (this.work.isClosed) throw new AwsServiceError('InternalFailure', 'The local cloud is stopping', 500);
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new AwsServiceError(
        'ValidationException',
        `1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length ${entries.length < 1 ? 'greater than or equal to 1' : 'less than or equal to 10'}`,
      );
    }
    if (entries.reduce((total, entry) => total + entrySize(entry), 0) > MAX_REQUEST_BYTES) {
      throw new AwsServiceError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results = entries.map((entry) => this.ingest(entry));
    return { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results };
  }

  /** True when a bus of this name or ARN exists locally. */
  public hasBus(nameOrArn: string): boolean {
    return this.findBus(nameOrArn) !== undefined;
  }

  /** Every bus, `default` first. */
  public listBuses(): readonly { readonly name: string; readonly arn: string }[] {
    return [...new Set(this.buses.values())].map((bus) => ({ name: bus.name, arn: bus.arn }));
  }

  /** Every rule with its targets, for the CLI's start-up summary. */
  public listRuleSummaries(): readonly RuleSummary[] {
    return this.allRules().map((rule) => ({
      name: rule.name,
      arn: rule.arn,
      bus: rule.bus.name,
      state: rule.state,
      eventPattern: rule.patternText,
      targets: rule.targets.map((target) => ({ id: target.id, arn: target.arn })),
    }));
  }

  /**
   * The events an archive holds, oldest first (past its retention they are
   * gone). Replay is not implemented: this is for looking, not for replaying.
   */
  public archived(archiveName: string): readonly ArchivedEvent[] {
    for (const bus of new Set(this.buses.values())) {
      const archive = bus.archives.find((candidate) => candidate.name === archiveName);
      if (!archive) continue;
      if (archive.retentionDays > 0) {
        const oldest = this.now() - archive.retentionDays * 86_400_000;
        const kept = archive.events.filter((entry) => entry.archivedAt >= oldest);
        archive.events.splice(0, archive.events.length, ...kept);
      }
      return [...archive.events];
    }
    throw new Error(`No archive named ${archiveName}`);
  }

  /** Resolves when no delivery or retry is pending: for tests and graceful shutdown. */
  public drain(): Promise<void> {
    return this.work.drain();
  }

  /** True when no delivery or retry is pending. */
  public get idle(): boolean {
    return this.work.idle;
  }

  /** Cancels pending retries; later `PutEvents` calls fail. */
  public close(): void {
    this.work.close();
  }

  // -- construction ---------------------------------------------------------

  private addBus(bus: Bus): void {
    this.buses.set(bus.name, bus);
    this.buses.set(bus.arn, bus);
  }

  private findBus(nameOrArn: string): Bus | undefined {
    return this.buses.get(nameOrArn);
  }

  private allRules(): Rule[] {
    return [...new Set(this.buses.values())].flatMap((bus) => bus.rules);
  }

  private readRule(resource: LocalResource): Rule {
    const read = new PropertyReader(resource);
    const properties = resource.properties;
    read.only(properties, '', ['Name', 'Description', 'EventBusName', 'EventPattern', 'State', 'Targets', 'RoleArn'], {
      ScheduleExpression: 'scheduled rules are not emulated by the local cloud',
    });
    const name = read.optionalString(properties.Name, 'Name') ?? resource.logicalId;
    const busName = read.optionalString(properties.EventBusName, 'EventBusName') ?? DEFAULT_EVENT_BUS;
    const bus = this.findBus(busName);
    if (!bus) throw read.fail('EventBusName', `no event bus ${busName} in the template`);
    if (properties.EventPattern === undefined) throw read.fail('EventPattern', 'is required (scheduled rules are not emulated)');
    const pattern = compilePattern(read, properties.EventPattern, 'EventPattern');
    const rule: Rule = {
      name,
      arn: resource.arn ?? eventRuleArn(bus.name, name),
      bus,
      description: read.optionalString(properties.Description, 'Description'),
      state: read.oneOf<RuleState>(properties.State, 'State', ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'], 'ENABLED'),
      pattern,
      patternText: typeof properties.EventPattern === 'string' ? properties.EventPattern : JSON.stringify(properties.EventPattern),
      targets: [],
    };
    const declared = properties.Targets === undefined ? [] : read.array(properties.Targets, 'Targets');
    if (declared.length > MAX_TARGETS_PER_RULE) throw read.fail('Targets', `a rule has at most ${String(MAX_TARGETS_PER_RULE)} targets`);
    const targets = declared.map((target, index) => this.readTarget(read, target, `Targets[${String(index)}]`, bus));
    const ids = new Set<string>();
    targets.forEach((target, index) => {
      if (ids.has(target.id)) throw read.fail(`Targets[${String(index)}].Id`, `duplicate target id ${target.id}`);
      ids.add(target.id);
    });
    return { ...rule, targets };
  }

  private readTarget(read: PropertyReader, value: unknown, path: string, bus: Bus): Target {
    const declared = read.object(value, path);
    read.only(declared, path, ['Id', 'Arn', 'RoleArn', 'Input', 'InputPath', 'InputTransformer', 'RetryPolicy', 'DeadLetterConfig'], {
      AppSyncParameters: 'AppSync targets are not emulated',
      BatchParameters: 'Batch targets are not emulated',
      EcsParameters: 'ECS targets are not emulated',
      HttpParameters: 'API destination and API Gateway targets are not emulated',
      KinesisParameters: 'Kinesis targets are not emulated',
      RedshiftDataParameters: 'Redshift targets are not emulated',
      RunCommandParameters: 'Systems Manager Run Command targets are not emulated',
      SageMakerPipelineParameters: 'SageMaker targets are not emulated',
      SqsParameters: 'FIFO queues (MessageGroupId) are not emulated',
    });
    const id = read.string(declared.Id, `${path}.Id`);
    const arn = read.string(declared.Arn, `${path}.Arn`);
    const kind = this.targetKind(read, arn, `${path}.Arn`, bus);
    const shaping = ['Input', 'InputPath', 'InputTransformer'].filter((key) => declared[key] !== undefined);
    if (shaping.length > 1) throw read.fail(`${path}.${shaping[1] ?? ''}`, `only one of Input, InputPath and InputTransformer may be set`);
    if (kind === 'bus' && shaping[0] !== undefined) {
      throw read.fail(`${path}.${shaping[0]}`, 'input shaping on event-bus targets is not emulated (the event is forwarded as it is)');
    }
    const retryPolicy = read.optionalObject(declared.RetryPolicy, `${path}.RetryPolicy`) ?? {};
    read.only(retryPolicy, `${path}.RetryPolicy`, ['MaximumRetryAttempts', 'MaximumEventAgeInSeconds']);
    const deadLetter = read.optionalObject(declared.DeadLetterConfig, `${path}.DeadLetterConfig`);
    let deadLetterArn: string | undefined;
    if (deadLetter) {
      read.only(deadLetter, `${path}.DeadLetterConfig`, ['Arn']);
      deadLetterArn = read.string(deadLetter.Arn, `${path}.DeadLetterConfig.Arn`);
      if (!this.deps.queues.has(deadLetterArn)) throw read.fail(`${path}.DeadLetterConfig.Arn`, `no SQS queue ${deadLetterArn} in the template`);
    }
    return {
      id,
      arn,
      kind,
      roleArn: read.optionalString(declared.RoleArn, `${path}.RoleArn`),
      input: readInput(read, declared, path),
      maxRetries: read.integer(retryPolicy.MaximumRetryAttempts, `${path}.RetryPolicy.MaximumRetryAttempts`, 0, 185, DEFAULT_RETRY_ATTEMPTS),
      maxAgeSeconds: read.integer(retryPolicy.MaximumEventAgeInSeconds, `${path}.RetryPolicy.MaximumEventAgeInSeconds`, 60, 86_400, DEFAULT_EVENT_AGE_SECONDS),
      deadLetterArn,
      declared,
    };
  }

  private targetKind(read: PropertyReader, arn: string, path: string, bus: Bus): TargetKind {
    const lambda = LAMBDA_ARN.exec(arn);
    if (lambda) {
      if (lambda[2] !== undefined && lambda[2] !== '$LATEST') throw read.fail(path, 'Lambda versions and aliases are not emulated');
      return 'lambda';
    }
    if (STATE_MACHINE_ARN.test(arn)) return 'stateMachine';
    if (SQS_ARN.test(arn)) {
      if (!this.deps.queues.has(arn)) throw read.fail(path, `no SQS queue ${arn} in the template`);
      return 'queue';
    }
    if (EVENT_BUS_ARN.test(arn)) {
      const target = this.findBus(arn);
      if (!target) throw read.fail(path, `no event bus ${arn} in the template`);
      if (target === bus) throw read.fail(path, 'a rule cannot target its own bus');
      return 'bus';
    }
    throw read.fail(path, 'this target type is not emulated (Lambda functions, Step Functions state machines, SQS queues and event buses are)');
  }

  private readArchive(resource: LocalResource): void {
    const read = new PropertyReader(resource);
    const properties = resource.properties;
    read.only(properties, '', ['ArchiveName', 'SourceArn', 'EventPattern', 'Description', 'RetentionDays', 'KmsKeyIdentifier']);
    rejectKmsKey(read, properties.KmsKeyIdentifier);
    const sourceArn = read.string(properties.SourceArn, 'SourceArn');
    const bus = this.findBus(sourceArn);
    if (!bus) throw read.fail('SourceArn', `no event bus ${sourceArn} in the template`);
    bus.archives.push({
      name: read.optionalString(properties.ArchiveName, 'ArchiveName') ?? resource.logicalId,
      pattern: properties.EventPattern === undefined ? undefined : compilePattern(read, properties.EventPattern, 'EventPattern'),
      retentionDays: read.integer(properties.RetentionDays, 'RetentionDays', 0, 2_147_483_647, 0),
      events: [],
    });
  }

  // -- routing and delivery --------------------------------------------------

  private ingest(entry: PutEventsEntry): PutEventsResultEntry {
    if (!entry.Source) return invalidArgument('Source');
    if (!entry.DetailType) return invalidArgument('DetailType');
    if (!entry.Detail) return invalidArgument('Detail');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (!isObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (entry.Source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    const busName = entry.EventBusName ?? DEFAULT_EVENT_BUS;
    const bus = this.findBus(busName);
    if (!bus) return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busName} does not exist.` };
    const time = entry.Time === undefined ? new Date(this.now()) : toDate(entry.Time);
    if (Number.isNaN(time.getTime())) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: LOCAL_ACCOUNT,
      time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [...(entry.Resources ?? [])],
      detail,
    };
    this.route(bus, event, 0);
    return { EventId: event.id };
  }

  private route(bus: Bus, event: BusEvent, busHops: number): void {
    const context = hopContext(bus, event);
    const receivedAt = this.now();
    this.hop({ ...context, kind: 'event' });
    for (const archive of bus.archives) {
      if (!archive.pattern || matchesEventPattern(archive.pattern, event)) archive.events.push({ event, archivedAt: receivedAt });
    }
    for (const rule of bus.rules) {
      if (rule.state === 'DISABLED' || !matchesEventPattern(rule.pattern, event)) continue;
      this.hop({ ...context, kind: 'rule', rule: rule.name });
      for (const target of rule.targets) {
        this.enqueue({ event, rule, target, receivedAt, duplicate: false, busHops, attempts: 0 });
        if (this.duplicates > 0 && this.random() < this.duplicates) {
          this.enqueue({ event, rule, target, receivedAt, duplicate: true, busHops, attempts: 0 });
        }
      }
    }
  }

  private enqueue(delivery: Delivery): void {
    this.work.begin();
    this.work.later(0, () => void this.attempt(delivery));
  }

  private async attempt(delivery: Delivery): Promise<void> {
    delivery.attempts += 1;
    let failure: Failure | undefined;
    let delivered = false;
    try {
      delivered = await this.send(delivery);
    } catch (error) {
      failure = classifyFailure(error);
    }
    if (this.work.isClosed) return;
    if (failure === undefined) {
      if (delivered) this.hop({ ...this.targetContext(delivery), kind: 'target' });
      this.work.end();
      return;
    }
    const retries = delivery.attempts - 1;
    let exhausted: ExhaustedCondition | undefined;
    if (failure.retryable) {
      const delayMs = backoffDelay(retries + 1, this.deps.backoff, this.random);
      if (retries >= delivery.target.maxRetries) exhausted = 'MaximumRetryAttempts';
      else if (this.now() + delayMs - delivery.receivedAt > delivery.target.maxAgeSeconds * 1000) exhausted = 'MaximumEventAgeInSeconds';
      else {
        this.hop({ ...this.targetContext(delivery), kind: 'retry', delayMs, errorCode: failure.code, errorMessage: failure.message });
        this.work.later(delayMs, () => void this.attempt(delivery));
        return;
      }
    }
    this.deadLetter(delivery, failure, exhausted);
  }

  /** Delivers once; false when the event was dropped instead (and that hop already reported). */
  private async send(delivery: Delivery): Promise<boolean> {
    const { target, event } = delivery;
    switch (target.kind) {
      case 'lambda':
        await this.deps.invokeAsync(target.arn, this.inputFor(delivery).value);
        return true;
      case 'stateMachine':
        await this.deps.startExecution(target.arn, JSON.stringify(this.inputFor(delivery).value), target.roleArn);
        return true;
      case 'queue':
        this.deps.queues.send(target.arn, this.inputFor(delivery).body);
        return true;
      case 'bus': {
        const bus = this.findBus(target.arn);
        if (!bus) throw new TargetDeliveryError('NO_RESOURCE', `Event bus ${target.arn} does not exist.`, { retryable: false });
        if (delivery.busHops + 1 > MAX_BUS_HOPS) {
          const reason = `forwarded across more than ${String(MAX_BUS_HOPS)} buses (a loop?)`;
          this.hop({ ...hopContext(bus, event), kind: 'dropped', rule: delivery.rule.name, targetArn: target.arn, reason });
          return false;
        }
        this.route(bus, event, delivery.busHops + 1);
        return true;
      }
    }
  }

  private inputFor(delivery: Delivery): TargetInput {
    const { event, rule, target } = delivery;
    const input = target.input;
    switch (input.kind) {
      case 'event':
        return { value: event, body: JSON.stringify(event) };
      case 'constant':
        return { value: input.value, body: input.text };
      case 'path': {
        const value = evaluateJsonPath(input.path, event) ?? null;
        return { value, body: JSON.stringify(value) };
      }
      case 'transformer': {
        const values = new Map<string, unknown>();
        for (const [name, path] of input.paths) values.set(name, evaluateJsonPath(path, event));
        const { detail: _detail, ...withoutDetail } = event;
        values.set('aws.events.rule-arn', rule.arn);
        values.set('aws.events.rule-name', rule.name);
        values.set('aws.events.event.ingestion-time', new Date(delivery.receivedAt).toISOString());
        values.set('aws.events.event', withoutDetail);
        values.set('aws.events.event.json', event);
        const text = renderTemplate(input.template, values);
        if (!input.template.json) return { value: text, body: text };
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (error) {
          throw new TargetDeliveryError('INVALID_JSON', `The input transformer produced invalid JSON: ${text.slice(0, 200)}`, { retryable: false, cause: error });
        }
        return { value, body: typeof value === 'string' ? value : text };
      }
    }
  }

  private deadLetter(delivery: Delivery, failure: Failure, exhaustedCondition: ExhaustedCondition | undefined): void {
    const context = this.targetContext(delivery);
    const deadLetterArn = delivery.target.deadLetterArn;
    if (deadLetterArn === undefined) {
      this.hop({ ...context, kind: 'dropped', reason: `${failure.code}: ${failure.message} (no dead-letter queue)` });
      this.work.end();
      return;
    }
    const attributes: Record<string, MessageAttributeValue> = {
      RULE_ARN: { dataType: 'String', stringValue: delivery.rule.arn },
      TARGET_ARN: { dataType: 'String', stringValue: delivery.target.arn },
      ERROR_CODE: { dataType: 'String', stringValue: failure.code },
      ERROR_MESSAGE: { dataType: 'String', stringValue: failure.message.slice(0, 1024) || failure.code },
      RETRY_ATTEMPTS: { dataType: 'String', stringValue: String(delivery.attempts - 1) },
    };
    if (exhaustedCondition !== undefined) attributes.EXHAUSTED_RETRY_CONDITION = { dataType: 'String', stringValue: exhaustedCondition };
    try {
      this.deps.queues.send(deadLetterArn, JSON.stringify(delivery.event), attributes);
      this.hop({ ...context, kind: 'dlq', deadLetterArn, errorCode: failure.code, errorMessage: failure.message, exhaustedCondition });
    } catch (error) {
      this.hop({ ...context, kind: 'dropped', reason: `the dead-letter queue refused the event: ${error instanceof Error ? error.message : String(error)}` });
    }
    this.work.end();
  }

  private targetContext(delivery: Delivery): TargetHopContext {
    return {
      ...hopContext(delivery.rule.bus, delivery.event),
      rule: delivery.rule.name,
      targetId: delivery.target.id,
      targetArn: delivery.target.arn,
      attempt: delivery.attempts,
      duplicate: delivery.duplicate,
    };
  }

  private hop(hop: EventBridgeHop): void {
    this.deps.onHop?.(hop);
  }

  // -- read-only AWS operations ---------------------------------------------

  private busFromInput(input: Record<string, unknown>): Bus {
    const name = optionalWireString(input, 'EventBusName') ?? DEFAULT_EVENT_BUS;
    const bus = this.findBus(name);
    if (!bus) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return bus;
  }

  private ruleFromInput(input: Record<string, unknown>, key: 'Name' | 'Rule'): Rule {
    const bus = this.busFromInput(input);
    const name = optionalWireString(input, key);
    if (name === undefined) throw new AwsServiceError('ValidationException', `1 validation error detected: Value null at '${key.toLowerCase()}' failed to satisfy constraint: Member must not be null`);
    const rule = bus.rules.find((candidate) => candidate.name === name);
    if (!rule) throw new AwsServiceError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  private listRules(input: Record<string, unknown>): unknown {
    const bus = this.busFromInput(input);
    const prefix = optionalWireString(input, 'NamePrefix') ?? '';
    const rules = bus.rules.filter((rule) => rule.name.startsWith(prefix));
    const page = paginate(rules, input);
    return { Rules: page.items.map(describe), ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) };
  }

  private describeRule(input: Record<string, unknown>): unknown {
    return { ...describe(this.ruleFromInput(input, 'Name')), CreatedBy: LOCAL_ACCOUNT };
  }

  private listTargetsByRule(input: Record<string, unknown>): unknown {
    const rule = this.ruleFromInput(input, 'Rule');
    const page = paginate(rule.targets, input);
    return { Targets: page.items.map((target) => target.declared), ...(page.nextToken === undefined ? {} : { NextToken: page.nextToken }) };
  }

  private listEventBuses(input: Record<string, unknown>): unknown {
    const prefix = optionalWireString(input, 'NamePrefix') ?? '';
    const buses = [...new Set(this.buses.values())].filter((bus) => bus.name.startsWith(prefix));
    return { EventBuses: buses.map(describeBus) };
  }

  private describeEventBus(input: Record<string, unknown>): unknown {
    const name = optionalWireString(input, 'Name') ?? DEFAULT_EVENT_BUS;
    const bus = this.findBus(name);
    if (!bus) throw new AwsServiceError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
    return describeBus(bus);
  }
}

// ---------------------------------------------------------------------------
// Helpers of the emulator
// ---------------------------------------------------------------------------

function readBus(resource: LocalResource, notEnforced: string[]): Bus {
  const read = new PropertyReader(resource);
  const properties = resource.properties;
  read.only(properties, '', ['Name', 'Description', 'Tags', 'Policy', 'DeadLetterConfig', 'KmsKeyIdentifier'], {
    EventSourceName: 'partner event buses are not emulated',
    LogConfig: 'event bus logging is not emulated (the local cloud logs every hop itself)',
  });
  rejectKmsKey(read, properties.KmsKeyIdentifier);
  const name = read.optionalString(properties.Name, 'Name') ?? resource.logicalId;
  if (name === DEFAULT_EVENT_BUS) throw read.fail('Name', 'the default bus cannot be declared; it always exists');
  if (properties.Policy !== undefined) notEnforced.push(`${resource.logicalId} (${resource.type}): Policy accepted, not enforced — the local cloud has no IAM`);
  if (properties.DeadLetterConfig !== undefined) {
    const deadLetter = read.object(properties.DeadLetterConfig, 'DeadLetterConfig');
    read.only(deadLetter, 'DeadLetterConfig', ['Arn']);
    notEnforced.push(
      `${resource.logicalId} (${resource.type}): DeadLetterConfig accepted — it only receives events a customer-managed KMS key fails on, and the local cloud uses no KMS`,
    );
  }
  return { name, arn: resource.arn ?? eventBusArn(name), description: read.optionalString(properties.Description, 'Description'), rules: [], archives: [] };
}

function rejectKmsKey(read: PropertyReader, value: unknown): void {
  if (value !== undefined && value !== '') throw read.fail('KmsKeyIdentifier', 'customer-managed KMS keys are not emulated');
}

function compilePattern(read: PropertyReader, value: unknown, path: string): EventPattern {
  try {
    return parseEventPattern(value);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw read.fail(path, error.message);
    throw error;
  }
}

function readInput(read: PropertyReader, declared: PropertyObject, path: string): InputSpec {
  if (declared.Input !== undefined) {
    const text = read.string(declared.Input, `${path}.Input`);
    try {
      return { kind: 'constant', value: JSON.parse(text), text };
    } catch {
      throw read.fail(`${path}.Input`, 'must be valid JSON');
    }
  }
  if (declared.InputPath !== undefined) {
    return { kind: 'path', path: readPath(read, declared.InputPath, `${path}.InputPath`) };
  }
  if (declared.InputTransformer === undefined) return { kind: 'event' };
  const transformerPath = `${path}.InputTransformer`;
  const transformer = read.object(declared.InputTransformer, transformerPath);
  read.only(transformer, transformerPath, ['InputPathsMap', 'InputTemplate']);
  const map = read.optionalObject(transformer.InputPathsMap, `${transformerPath}.InputPathsMap`) ?? {};
  if (Object.keys(map).length > 100) throw read.fail(`${transformerPath}.InputPathsMap`, 'at most 100 variables');
  const paths = new Map<string, JsonPath>();
  for (const [name, value] of Object.entries(map)) {
    const variablePath = `${transformerPath}.InputPathsMap.${name}`;
    if (name.toLowerCase().startsWith('aws.')) throw read.fail(variablePath, 'variable names cannot start with "aws." (reserved)');
    paths.set(name, readPath(read, value, variablePath));
  }
  const templateText = read.string(transformer.InputTemplate, `${transformerPath}.InputTemplate`);
  const template = parseTemplate(templateText, new Set([...paths.keys(), ...RESERVED_VARIABLES]));
  if (template.json) {
    try {
      JSON.parse(renderTemplate(template, new Map()));
    } catch {
      throw read.fail(`${transformerPath}.InputTemplate`, 'is not valid JSON once its placeholders are filled (a placeholder cannot be an object key)');
    }
  }
  return { kind: 'transformer', paths, template };
}

function readPath(read: PropertyReader, value: unknown, path: string): JsonPath {
  const text = read.string(value, path);
  try {
    return compileJsonPath(text);
  } catch (error) {
    throw read.fail(path, error instanceof Error ? error.message : String(error));
  }
}

function hopContext(bus: Bus, event: BusEvent): HopContext {
  const metadata = event.detail.metadata;
  const correlationId = isObject(metadata) && typeof metadata.correlationId === 'string' ? metadata.correlationId : undefined;
  return {
    bus: bus.name,
    eventId: event.id,
    detailType: event['detail-type'],
    source: event.source,
    ...(correlationId === undefined ? {} : { correlationId }),
  };
}

function invalidArgument(field: string): PutEventsResultEntry {
  return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.` };
}

/** AWS's `PutEvents` entry size: 14 bytes for a Time, plus the UTF-8 bytes of the texts. */
function entrySize(entry: PutEventsEntry): number {
  const bytes = (text: string | undefined): number => (text === undefined ? 0 : Buffer.byteLength(text, 'utf8'));
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    (entry.Resources ?? []).reduce((total, resource) => total + bytes(resource), 0)
  );
}

/** The JSON protocol sends timestamps as epoch seconds; the SDK hands over a Date. */
function toDate(time: Date | number | string): Date {
  if (time instanceof Date) return time;
  if (typeof time === 'number') return new Date(time * 1000);
  return /^\d+(\.\d+)?$/.test(time) ? new Date(Number(time) * 1000) : new Date(time);
}

function describe(rule: Rule): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.patternText,
    State: rule.state,
    EventBusName: rule.bus.name,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
  };
}

function describeBus(bus: Bus): Record<string, unknown> {
  return { Name: bus.name, Arn: bus.arn, ...(bus.description === undefined ? {} : { Description: bus.description }) };
}

function paginate<T>(items: readonly T[], input: Record<string, unknown>): { readonly items: readonly T[]; readonly nextToken?: string } {
  const start = Number(optionalWireString(input, 'NextToken') ?? '0');
  const limit = typeof input.Limit === 'number' && input.Limit > 0 ? input.Limit : 100;
  if (!Number.isInteger(start) || start < 0) throw new AwsServiceError('ValidationException', 'The NextToken is not valid.');
  const end = start + limit;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

function optionalWireString(input: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `${key} must be a string`);
  return value;
}

/** Reads `PutEvents` input from the wire, refusing values of the wrong JSON type as the service does. */
function readWireEntries(input: Record<string, unknown>): PutEventsEntry[] {
  if (input.EndpointId !== undefined) throw new AwsServiceError('ValidationException', 'The local cloud does not emulate global endpoints (EndpointId).');
  const entries = input.Entries;
  if (!Array.isArray(entries)) {
    throw new AwsServiceError('ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
  }
  return entries.map((entry: unknown, index) => {
    if (!isObject(entry)) throw new AwsServiceError('SerializationException', `Entries[${String(index)}] must be an object`);
    const text = (key: string): string | undefined => optionalWireString(entry, key);
    const time = entry.Time;
    if (time !== undefined && time !== null && typeof time !== 'number' && typeof time !== 'string') {
      throw new AwsServiceError('SerializationException', `Entries[${String(index)}].Time must be a timestamp`);
    }
    const resources = entry.Resources;
    if (resources !== undefined && resources !== null && !(Array.isArray(resources) && resources.every((resource) => typeof resource === 'string'))) {
      throw new AwsServiceError('SerializationException', `Entries[${String(index)}].Resources must be a list of strings`);
    }
    return {
      Source: text('Source'),
      DetailType: text('DetailType'),
      Detail: text('Detail'),
      EventBusName: text('EventBusName'),
      TraceHeader: text('TraceHeader'),
      ...(time === undefined || time === null ? {} : { Time: time }),
      ...(Array.isArray(resources) ? { Resources: resources.filter((resource): resource is string => typeof resource === 'string') } : {}),
    };
  });
}

/**
 * `TestEventPattern` as AWS answers it: an invalid pattern is an
 * `InvalidEventPatternException` with Event Ruler's reason; an event that is
 * not a JSON object, or lacks one of `id`, `account`, `source`, `time`,
 * `region`, `detail-type`, is a `ValidationException` "Parameter Event is not
 * valid." (AWS does not enforce the documented `resources`).
 */
function testPatternOperation(input: Record<string, unknown>): boolean {
  const patternText = optionalWireString(input, 'EventPattern');
  const eventText = optionalWireString(input, 'Event');
  if (patternText === undefined || eventText === undefined) {
    const missing = patternText === undefined ? 'eventPattern' : 'event';
    throw new AwsServiceError('ValidationException', `1 validation error detected: Value null at '${missing}' failed to satisfy constraint: Member must not be null`);
  }
  let pattern: EventPattern;
  try {
    pattern = parseEventPattern(patternText);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw new AwsServiceError('InvalidEventPatternException', error.message);
    throw error;
  }
  let event: unknown;
  try {
    event = JSON.parse(eventText);
  } catch {
    throw new AwsServiceError('ValidationException', 'Parameter Event is not valid.');
  }
  if (!isObject(event) || TEST_EVENT_REQUIRED_FIELDS.some((field) => !Object.hasOwn(event, field))) {
    throw new AwsServiceError('ValidationException', 'Parameter Event is not valid.');
  }
  return matchesEventPattern(pattern, event);
}

// ---------------------------------------------------------------------------
// Lambda's asynchronous invocation semantics
// ---------------------------------------------------------------------------

/**
 * Synchronous invocation (`RequestResponse`), e.g. `LambdaRuntime.invoke`:
 * resolves with the function's result or function error.
 */
export type InvokeFunction = (functionArn: string, payload: unknown) => Promise<InvokeResult>;

/** Why Lambda gave up on an asynchronous event (the invocation record's `condition`). */
export type AsyncFailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/**
 * One step of an asynchronous invocation: `invoked` (an attempt ran; `ok`
 * says whether the function succeeded), `retry` (another attempt follows
 * after `delayMs`), `destination` (an invocation record was sent), `dlq` (the
 * event went to the function's dead-letter queue), `dropped` (Lambda gave up
 * with nowhere to send the event).
 */
export type LambdaAsyncHop =
  | { readonly kind: 'invoked'; readonly functionArn: string; readonly requestId: string; readonly attempt: number; readonly ok: boolean; readonly errorType?: string }
  | { readonly kind: 'retry'; readonly functionArn: string; readonly requestId: string; readonly attempt: number; readonly delayMs: number; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'destination'; readonly functionArn: string; readonly requestId: string; readonly condition: AsyncFailureCondition | 'Success'; readonly destinationArn: string }
  | { readonly kind: 'dlq'; readonly functionArn: string; readonly requestId: string; readonly deadLetterArn: string; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'dropped'; readonly functionArn: string; readonly requestId: string; readonly reason: string };

/** Options of {@link LambdaAsyncInvoker.create}. */
export interface LambdaAsyncOptions {
  /** Runs one attempt synchronously (the local Lambda runtime). */
  readonly invoke: InvokeFunction;
  /** Dead-letter queues and SQS destinations. */
  readonly queues: SqsQueues;
  /**
   * Wait before the first retry; each further retry waits twice as long
   * (Lambda waits 1 minute, then 2). Tests shrink it. @default 60000
   */
  readonly retryDelayMs?: number;
  /** Clock (epoch ms) for the event age. @default Date.now */
  readonly now?: () => number;
  /** Hears every step; must not throw. @default no listener */
  readonly onHop?: (hop: LambdaAsyncHop) => void;
}

interface AsyncConfig {
  readonly arn: string;
  readonly maxRetries: number;
  readonly maxAgeSeconds: number;
  readonly onSuccess?: string;
  readonly onFailure?: string;
  readonly deadLetterArn?: string;
}

interface AsyncJob {
  readonly config: AsyncConfig;
  readonly payload: unknown;
  readonly requestId: string;
  readonly enqueuedAt: number;
  attempts: number;
}

const FUNCTION_TYPE = 'AWS::Lambda::Function';
const EVENT_INVOKE_CONFIG_TYPE = 'AWS::Lambda::EventInvokeConfig';

/**
 * Lambda's asynchronous invocation (`InvocationType: Event`), which is how
 * EventBridge invokes a Lambda target: the event is queued and accepted at
 * once; a function error is retried twice (1 minute, then 2 minutes later,
 * scaled by `retryDelayMs`) unless an `AWS::Lambda::EventInvokeConfig` says
 * otherwise (`MaximumRetryAttempts` 0–2, `MaximumEventAgeInSeconds`). When
 * Lambda gives up, an invocation record goes to the `OnFailure` destination
 * and the event itself to the function's `DeadLetterConfig.TargetArn` with
 * the `RequestID`, `ErrorCode` and `ErrorMessage` attributes — both, when both
 * are set, as on AWS. A success sends a record to `OnSuccess` if set.
 *
 * Only SQS destinations and dead-letter queues are emulated; versions and
 * aliases are not (a qualifier other than `$LATEST` is refused).
 */
export class LambdaAsyncInvoker implements Drainable {
  private readonly configs = new Map<string, AsyncConfig>();
  private readonly work = new PendingWork();
  private readonly options: LambdaAsyncOptions;
  private readonly now: () => number;

  private constructor(options: LambdaAsyncOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * Reads `AWS::Lambda::Function` (only its `DeadLetterConfig`) and
   * `AWS::Lambda::EventInvokeConfig` resources; others are ignored.
   *
   * @throws {UnsupportedFeatureError} for SNS dead-letter targets,
   *   non-SQS destinations, qualifiers other than `$LATEST`, unknown properties.
   */
  public static create(resources: readonly LocalResource[], options: LambdaAsyncOptions): LambdaAsyncInvoker {
    const invoker = new LambdaAsyncInvoker(options);
    const byReference = new Map<string, string>();
    const functions = new Map<string, { arn: string; deadLetterArn?: string }>();
    for (const resource of resources) {
      if (resource.type !== FUNCTION_TYPE) continue;
      const read = new PropertyReader(resource);
      const arn = resource.arn ?? lambdaFunctionArn(resource.logicalId);
      let deadLetterArn: string | undefined;
      const deadLetter = read.optionalObject(resource.properties.DeadLetterConfig, 'DeadLetterConfig');
      if (deadLetter) {
        read.only(deadLetter, 'DeadLetterConfig', ['TargetArn']);
        deadLetterArn = read.optionalString(deadLetter.TargetArn, 'DeadLetterConfig.TargetArn');
        if (deadLetterArn !== undefined && !options.queues.has(deadLetterArn)) {
          throw read.fail('DeadLetterConfig.TargetArn', `only SQS dead-letter queues of the template are emulated; ${deadLetterArn} is not one`);
        }
      }
      functions.set(arn, { arn, deadLetterArn });
      for (const key of [arn, resource.ref, resource.logicalId, arn.split(':').at(-1) ?? arn]) byReference.set(key, arn);
    }
    const tuned = new Map<string, Omit<AsyncConfig, 'arn' | 'deadLetterArn'>>();
    for (const resource of resources) {
      if (resource.type !== EVENT_INVOKE_CONFIG_TYPE) continue;
      const read = new PropertyReader(resource);
      const properties = resource.properties;
      read.only(properties, '', ['FunctionName', 'Qualifier', 'MaximumRetryAttempts', 'MaximumEventAgeInSeconds', 'DestinationConfig']);
      const functionName = read.string(properties.FunctionName, 'FunctionName');
      const arn = byReference.get(functionName) ?? byReference.get(LAMBDA_ARN.exec(functionName)?.[1] ?? '');
      if (arn === undefined) throw read.fail('FunctionName', `no function ${functionName} in the template`);
      if (read.string(properties.Qualifier, 'Qualifier') !== '$LATEST') throw read.fail('Qualifier', 'Lambda versions and aliases are not emulated; use $LATEST');
      const destinations = read.optionalObject(properties.DestinationConfig, 'DestinationConfig') ?? {};
      read.only(destinations, 'DestinationConfig', ['OnSuccess', 'OnFailure']);
      const destination = (key: 'OnSuccess' | 'OnFailure'): string | undefined => {
        const declared = read.optionalObject(destinations[key], `DestinationConfig.${key}`);
        if (!declared) return undefined;
        read.only(declared, `DestinationConfig.${key}`, ['Destination']);
        const target = read.string(declared.Destination, `DestinationConfig.${key}.Destination`);
        if (!options.queues.has(target)) throw read.fail(`DestinationConfig.${key}.Destination`, `only SQS destinations of the template are emulated; ${target} is not one`);
        return target;
      };
      tuned.set(arn, {
        maxRetries: read.integer(properties.MaximumRetryAttempts, 'MaximumRetryAttempts', 0, 2, 2),
        maxAgeSeconds: read.integer(properties.MaximumEventAgeInSeconds, 'MaximumEventAgeInSeconds', 60, 21_600, 21_600),
        onSuccess: destination('OnSuccess'),
        onFailure: destination('OnFailure'),
      });
    }
    for (const [arn, fn] of functions) {
      const config: AsyncConfig = { arn, deadLetterArn: fn.deadLetterArn, maxRetries: 2, maxAgeSeconds: 21_600, ...tuned.get(arn) };
      for (const [reference, target] of byReference) if (target === arn) invoker.configs.set(reference, config);
    }
    return invoker;
  }

  /**
   * Queues an event for the function and resolves once it is accepted, the
   * {@link InvokeAsync} contract EventBridge relies on.
   *
   * @throws {TargetDeliveryError} `NO_RESOURCE` when no such function exists
   *   (or the ARN names a version or alias), as Lambda refuses the request.
   */
  public readonly invokeAsync: InvokeAsync = async (functionArn, payload) => {
    const match = LAMBDA_ARN.exec(functionArn);
    const qualifier = match?.[2];
    const config = qualifier === undefined || qualifier === '$LATEST' ? this.configs.get(match?.[1] ?? functionArn) ?? this.configs.get(functionArn) : undefined;
    if (!config) throw new TargetDeliveryError('NO_RESOURCE', `Function not found: ${functionArn}`, { retryable: false });
    if (this.work.isClosed) throw new TargetDeliveryError('SDK_CLIENT_ERROR', 'The local cloud is stopping', { retryable: true });
    const job: AsyncJob = { config, payload, requestId: randomUUID(), enqueuedAt: this.now(), attempts: 0 };
    this.work.begin();
    this.work.later(0, () => void this.run(job));
  };

  /** Resolves when no invocation or retry is pending. */
  public drain(): Promise<void> {
    return this.work.drain();
  }

  /** True when no invocation or retry is pending. */
  public get idle(): boolean {
    return this.work.idle;
  }

  /** Cancels pending retries; later invocations are refused. */
  public close(): void {
    this.work.close();
  }

  private async run(job: AsyncJob): Promise<void> {
    job.attempts += 1;
    const { config } = job;
    let failure: FunctionErrorPayload | undefined;
    let response: unknown;
    try {
      const result = await this.options.invoke(config.arn, job.payload);
      if (result.ok) response = result.payload;
      else failure = result.error;
    } catch (error) {
      failure = { errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error), trace: [] };
    }
    if (this.work.isClosed) return;
    const base = { functionArn: config.arn, requestId: job.requestId };
    this.options.onHop?.({ ...base, kind: 'invoked', attempt: job.attempts, ok: failure === undefined, ...(failure ? { errorType: failure.errorType } : {}) });
    if (!failure) {
      if (config.onSuccess !== undefined) this.sendRecord(job, config.onSuccess, 'Success', response, undefined);
      this.work.end();
      return;
    }
    const retries = job.attempts - 1;
    if (retries < config.maxRetries) {
      const delayMs = (this.options.retryDelayMs ?? 60_000) * 2 ** retries;
      if (this.now() + delayMs - job.enqueuedAt <= config.maxAgeSeconds * 1000) {
        this.options.onHop?.({ ...base, kind: 'retry', attempt: job.attempts, delayMs, errorType: failure.errorType, errorMessage: failure.errorMessage });
        this.work.later(delayMs, () => void this.run(job));
        return;
      }
      this.giveUp(job, failure, 'EventAgeExceeded');
    } else {
      this.giveUp(job, failure, 'RetriesExhausted');
    }
    this.work.end();
  }

  private giveUp(job: AsyncJob, failure: FunctionErrorPayload, condition: AsyncFailureCondition): void {
    const { config } = job;
    if (config.onFailure !== undefined) this.sendRecord(job, config.onFailure, condition, failure, failure);
    if (config.deadLetterArn !== undefined) {
      try {
        this.options.queues.send(config.deadLetterArn, JSON.stringify(job.payload), {
          RequestID: { dataType: 'String', stringValue: job.requestId },
          ErrorCode: { dataType: 'Number', stringValue: '200' },
          ErrorMessage: { dataType: 'String', stringValue: failure.errorMessage.slice(0, 1024) || failure.errorType },
        });
        this.options.onHop?.({ kind: 'dlq', functionArn: config.arn, requestId: job.requestId, deadLetterArn: config.deadLetterArn, errorType: failure.errorType, errorMessage: failure.errorMessage });
      } catch (error) {
        this.options.onHop?.({ kind: 'dropped', functionArn: config.arn, requestId: job.requestId, reason: `the dead-letter queue refused the event: ${error instanceof Error ? error.message : String(error)}` });
      }
    }
    if (config.onFailure === undefined && config.deadLetterArn === undefined) {
      this.options.onHop?.({ kind: 'dropped', functionArn: config.arn, requestId: job.requestId, reason: `${condition} after ${String(job.attempts)} attempts: ${failure.errorType}: ${failure.errorMessage}` });
    }
  }

  /** Sends the invocation record Lambda destinations receive. */
  private sendRecord(job: AsyncJob, destinationArn: string, condition: AsyncFailureCondition | 'Success', responsePayload: unknown, failure: FunctionErrorPayload | undefined): void {
    const record = {
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      requestContext: { requestId: job.requestId, functionArn: `${job.config.arn}:$LATEST`, condition, approximateInvokeCount: job.attempts },
      requestPayload: job.payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', ...(failure ? { functionError: 'Unhandled' } : {}) },
      responsePayload,
    };
    try {
      this.options.queues.send(destinationArn, JSON.stringify(record));
      this.options.onHop?.({ kind: 'destination', functionArn: job.config.arn, requestId: job.requestId, condition, destinationArn });
    } catch (error) {
      this.options.onHop?.({ kind: 'dropped', functionArn: job.config.arn, requestId: job.requestId, reason: `the destination refused the record: ${error instanceof Error ? error.message : String(error)}` });
    }
  }
}
