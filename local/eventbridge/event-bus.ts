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
 *   invocation; a function error is Lambda's to retry, not EventBridge's
 *   (`LambdaAsyncInvoker` in `../lambda/async-invoke` emulates those semantics).
 * - Archives keep the matching events of their bus in memory. Replaying them
 *   (`StartReplay`) is NOT implemented.
 * - Scheduled rules (`ScheduleExpression`, `rate(...)` or `cron(...)` as
 *   `./schedule-expression` reads them) fire once {@link EventBridgeEmulator.startSchedules}
 *   is called: each firing delivers the event AWS delivers (`source: aws.events`,
 *   `detail-type: Scheduled Event`, `resources: [rule ARN]`, `detail: {}`) to
 *   the rule's targets only, through the same delivery as a matched event
 *   (input shaping, retries, dead-letter queue, IAM). As on AWS, a schedule
 *   lives on the default bus only, and a rule with both a schedule and an
 *   event pattern fires on both. Rate periods are scaled by `scheduleScale`;
 *   cron schedules run on the wall clock, in UTC.
 *
 * What is refused at start-up with an {@link UnsupportedFeatureError}: target
 * types other than the four above, target parameters for other target types
 * (ECS, Kinesis, SQS FIFO, HTTP...), input shaping on event-bus targets, KMS
 * keys, partner event sources, bus logging, schedule syntax the local cloud
 * does not implement, and any property this module does not know.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import { UnsupportedFeatureError } from '../errors';
import type { IamGate } from '../iam/local-iam';
import type { IamPrincipal } from '../iam/principals';
import type { InvokeAsync } from '../lambda/async-invoke';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { InvalidMessageError, QueueNotFoundError, type MessageAttributeValue, type SqsQueues } from '../sqs/queues';
import { backoffDelay, type BackoffOptions } from '../support/backoff';
import { BackgroundService } from '../support/pending-work';
import { PropertyReader, isPropertyObject, type PropertyObject } from '../support/property-reader';
import { InvalidEventPatternError, TargetDeliveryError, type DeliveryErrorCode } from './errors';
import { matchesEventPattern, parseEventPattern, type EventPattern } from './event-pattern';
import { readInput, shapeInput, type InputSpec, type TargetInput } from './input-transformer';
import {
  InvalidScheduleExpressionError,
  nextCronFire,
  nextRateFire,
  parseScheduleExpression,
  UnsupportedScheduleExpressionError,
  type ScheduleExpression,
} from './schedule-expression';

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
/** The detail-type and source of the event a scheduled rule delivers. */
const SCHEDULED_DETAIL_TYPE = 'Scheduled Event';
const SCHEDULED_SOURCE = 'aws.events';
/** The longest delay `setTimeout` takes (about 24.8 days); a later firing is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
/** Fields `TestEventPattern` requires in its event (`resources` is documented but not enforced by AWS). */
const TEST_EVENT_REQUIRED_FIELDS: readonly string[] = ['id', 'account', 'source', 'time', 'region', 'detail-type'];

const LAMBDA_ARN = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::([^:]+))?$/;
const STATE_MACHINE_ARN = /^arn:aws:states:[^:]*:[^:]*:stateMachine:[^:]+$/;
const SQS_ARN = /^arn:aws:sqs:[^:]*:[^:]*:[^:]+$/;
const EVENT_BUS_ARN = /^arn:aws:events:([^:]*):([^:]*):event-bus\/(.+)$/;

/** The ARN of a local event bus. */
export const eventBusArn = (name: string): string => `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;

/** The ARN of a local rule (rules of the default bus have no bus segment). */
export const eventRuleArn = (busName: string, ruleName: string): string =>
  `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${busName === DEFAULT_EVENT_BUS ? '' : `${busName}/`}${ruleName}`;

// ---------------------------------------------------------------------------
// Delivery failures
// ---------------------------------------------------------------------------

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
 * `event` (accepted on a bus; it and `schedule` carry the event itself, for
 * the console to show), `rule` (a rule matched), `target` (delivered),
 * `retry` (an attempt failed; another follows after `delayMs`), `dlq` (sent to
 * the target's dead-letter queue), `dropped` (given up with no dead-letter
 * queue, or the dead-letter queue refused it).
 */
export type EventBridgeHop =
  | (HopContext & { readonly kind: 'event'; readonly bytes: number; readonly archived: number; readonly event: BusEvent })
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
  | (HopContext & { readonly kind: 'dropped'; readonly reason: string; readonly rule?: string; readonly targetArn?: string })
  /** A scheduled rule fired: on its schedule, or now through `fireSchedule` (`manual`). */
  | (HopContext & { readonly kind: 'schedule'; readonly rule: string; readonly expression: string; readonly manual: boolean; readonly event: BusEvent });

/** Which retry limit ended a delivery. */
export type ExhaustedCondition = 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';

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
  /** Lambda targets: Lambda's asynchronous invocation, whose contract decides what EventBridge retries. */
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
  /** Clock (epoch ms) for event times, event age and schedules. @default Date.now */
  readonly now?: () => number;
  /**
   * Scales the period of `rate(...)` schedules (0.05: `rate(5 minutes)`
   * fires every 15 s). Cron schedules stay on the wall clock. 0 turns
   * automatic firing off, rate and cron alike: only `fireSchedule` fires.
   * @default 1
   */
  readonly scheduleScale?: number;
  /**
   * Authorizes each delivery as AWS does: EventBridge invokes a Lambda
   * target, sends to an SQS target or a dead-letter queue as
   * `events.amazonaws.com` (the target's resource policy must allow the
   * rule), and starts a state machine with the target's role. @default no checks
   */
  readonly iam?: IamGate;
}

/** An archived event. */
export interface ArchivedEvent {
  readonly event: BusEvent;
  /** Epoch ms. */
  readonly archivedAt: number;
}

/** A scheduled rule and when it fires next locally. */
export interface ScheduledRuleSummary {
  readonly name: string;
  readonly logicalId: string;
  readonly arn: string;
  readonly expression: string;
  readonly state: RuleState;
  /**
   * How often a rate schedule fires locally (its period times
   * `scheduleScale`); absent for cron schedules, which run on the wall clock.
   */
  readonly localPeriodMs?: number;
  /** Epoch ms of the next firing, once schedules are started; absent when none will come. */
  readonly nextFireAt?: number;
}

/** A rule as the CLI prints it. */
export interface RuleSummary {
  readonly name: string;
  readonly arn: string;
  readonly bus: string;
  readonly state: RuleState;
  /** The pattern as declared; empty for a rule with a schedule only. */
  readonly eventPattern: string;
  /** `rate(...)` or `cron(...)`, for a scheduled rule. */
  readonly scheduleExpression?: string;
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
  readonly logicalId: string;
  readonly arn: string;
  readonly bus: Bus;
  readonly description?: string;
  readonly state: RuleState;
  /** Absent for a rule with a schedule only: it matches no event. */
  readonly pattern?: EventPattern;
  readonly patternText?: string;
  readonly schedule?: ScheduleExpression;
  readonly targets: readonly Target[];
}

/** A scheduled rule's timer state. */
interface ArmedSchedule {
  readonly rule: Rule & { readonly schedule: ScheduleExpression };
  /** When the schedule started (a rate counts its periods from here). */
  readonly startedAt: number;
  nextFireAt?: number;
  timer?: NodeJS.Timeout;
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
 * `drain()` waits for every delivery and retry; after `close()`, `PutEvents`
 * fails.
 */
export class EventBridgeEmulator extends BackgroundService {
  /** Resources or properties accepted but not enforced, one line each, for the CLI. */
  public readonly notEnforced: readonly string[];
  private readonly buses = new Map<string, Bus>();
  private readonly deps: EventBridgeDeps;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly scheduleScale: number;
  /** Armed schedules, by rule ARN. */
  private readonly schedules = new Map<string, ArmedSchedule>();
  private schedulesStarted = false;
  private duplicates = 0;

  private constructor(deps: EventBridgeDeps, notEnforced: string[]) {
    super();
    this.deps = deps;
    this.notEnforced = notEnforced;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.duplicateRate = deps.duplicateRate ?? 0;
    const scale = deps.scheduleScale ?? 1;
    if (!(Number.isFinite(scale) && scale >= 0)) throw new RangeError(`scheduleScale must be a finite number of at least 0; got ${String(scale)}`);
    this.scheduleScale = scale;
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
        // Bus policies are the local IAM's (../iam): it evaluates them for every PutEvents that needs them.
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

  /** The ARN of the bus a name or ARN designates (the ARN it would have when it does not exist). */
  public busArn(nameOrArn: string): string {
    return this.findBus(nameOrArn)?.arn ?? (nameOrArn.startsWith('arn:') ? nameOrArn : eventBusArn(nameOrArn));
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
      eventPattern: rule.patternText ?? '',
      ...(rule.schedule === undefined ? {} : { scheduleExpression: rule.schedule.text }),
      targets: rule.targets.map((target) => ({ id: target.id, arn: target.arn })),
    }));
  }

  // -- schedules -------------------------------------------------------------

  /**
   * Starts every enabled scheduled rule's clock: a rate fires one (scaled)
   * period from now, then every period; a cron at each UTC minute it names.
   * The timers never keep the process alive, and `close()` cancels them.
   * Until this is called (and with `scheduleScale` 0) nothing fires on its
   * own; {@link EventBridgeEmulator.fireSchedule} still does.
   */
  public startSchedules(): void {
    if (this.schedulesStarted || this.work.isClosed) return;
    this.schedulesStarted = true;
    if (this.scheduleScale === 0) return;
    const startedAt = this.now();
    for (const rule of this.allRules()) {
      if (rule.schedule === undefined || rule.state === 'DISABLED') continue;
      const armed: ArmedSchedule = { rule: { ...rule, schedule: rule.schedule }, startedAt };
      this.schedules.set(rule.arn, armed);
      this.arm(armed, startedAt);
    }
  }

  /** Stops every schedule's timer; events already delivering carry on (`close()` also stops those). */
  public stopSchedules(): void {
    for (const armed of this.schedules.values()) clearTimeout(armed.timer);
    this.schedules.clear();
    this.schedulesStarted = true;
  }

  /** Every scheduled rule, with when it fires next. */
  public scheduledRules(): readonly ScheduledRuleSummary[] {
    return this.allRules().flatMap((rule) => {
      if (rule.schedule === undefined) return [];
      const armed = this.schedules.get(rule.arn);
      return [
        {
          name: rule.name,
          logicalId: rule.logicalId,
          arn: rule.arn,
          expression: rule.schedule.text,
          state: rule.state,
          ...(rule.schedule.kind === 'rate' && this.scheduleScale > 0 ? { localPeriodMs: rule.schedule.periodMs * this.scheduleScale } : {}),
          ...(armed?.nextFireAt === undefined ? {} : { nextFireAt: armed.nextFireAt }),
        },
      ];
    });
  }

  /** The logical ids of the scheduled rules (empty for rules made through the API). */
  public scheduledRuleLogicalIds(): readonly string[] {
    return this.allRules().flatMap((rule) => (rule.schedule !== undefined && rule.logicalId !== undefined ? [rule.logicalId] : []));
  }

  /**
   * Fires a scheduled rule now, as its schedule would: the Scheduled Event
   * goes to the rule's targets (delivery is asynchronous; `drain()` waits for
   * it). Its own schedule is left as it was. For tests and the soak.
   *
   * @param rule the rule's name, logical id or ARN.
   * @returns the event delivered.
   * @throws {Error} when no scheduled rule has that name, the rule is
   *   DISABLED (a disabled rule never fires), or the emulator is closed.
   */
  public fireSchedule(rule: string): BusEvent {
    const scheduled = this.allRules().filter((candidate) => candidate.schedule !== undefined);
    const found = scheduled.find((candidate) => candidate.name === rule || candidate.logicalId === rule || candidate.arn === rule);
    if (found?.schedule === undefined) {
      const names = scheduled.map((candidate) => candidate.name).join(', ') || 'none';
      throw new Error(`No scheduled rule ${rule} (scheduled rules: ${names})`);
    }
    if (found.state === 'DISABLED') throw new Error(`Rule ${found.name} is DISABLED: a disabled rule never fires`);
    if (this.work.isClosed) throw new Error(`Rule ${found.name} cannot fire: EventBridge is stopped`);
    return this.fire({ ...found, schedule: found.schedule }, this.now(), true);
  }

  /** Cancels schedules and pending retries; later requests are refused. */
  public override close(): void {
    this.stopSchedules();
    super.close();
  }

  private arm(armed: ArmedSchedule, after: number): void {
    const { schedule } = armed.rule;
    const next = schedule.kind === 'rate' ? nextRateFire(schedule.periodMs * this.scheduleScale, armed.startedAt, after) : nextCronFire(schedule, after);
    armed.nextFireAt = next;
    if (next === undefined) return;
    const delay = Math.max(0, next - this.now());
    const timer = setTimeout(() => {
      if (this.schedules.get(armed.rule.arn) !== armed || this.work.isClosed) return;
      if (delay > MAX_TIMER_MS || this.now() < next) {
        // A far firing is reached in steps; a timer that woke early waits for the rest.
        this.arm(armed, after);
        return;
      }
      this.fire(armed.rule, next, false);
      this.arm(armed, next);
    }, Math.min(delay, MAX_TIMER_MS));
    timer.unref();
    armed.timer = timer;
  }

  /** Delivers the event AWS delivers for one firing of a scheduled rule. */
  private fire(rule: Rule & { readonly schedule: ScheduleExpression }, at: number, manual: boolean): BusEvent {
    const event: BusEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': SCHEDULED_DETAIL_TYPE,
      source: SCHEDULED_SOURCE,
      account: LOCAL_ACCOUNT,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: LOCAL_REGION,
      resources: [rule.arn],
      detail: {},
    };
    this.hop({ ...hopContext(rule.bus, event), kind: 'schedule', rule: rule.name, expression: rule.schedule.text, manual, event });
    this.deliverToTargets(rule, event, this.now(), 0);
    return event;
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
    read.only(properties, '', ['Name', 'Description', 'EventBusName', 'EventPattern', 'ScheduleExpression', 'State', 'Targets', 'RoleArn', 'Tags']);
    const name = read.optionalString(properties.Name, 'Name') ?? resource.logicalId;
    const busName = read.optionalString(properties.EventBusName, 'EventBusName') ?? DEFAULT_EVENT_BUS;
    const bus = this.findBus(busName);
    if (!bus) throw read.fail('EventBusName', `no event bus ${busName} in the template`);
    if (properties.EventPattern === undefined && properties.ScheduleExpression === undefined) {
      throw read.fail('EventPattern', 'Parameter(s) EventPattern or ScheduleExpression must be specified. (AWS refuses a rule with neither)');
    }
    const schedule = properties.ScheduleExpression === undefined ? undefined : readSchedule(read, properties.ScheduleExpression);
    // PutRule answers `ValidationException: ScheduleExpression is supported only on the default event bus.`
    // (as reported in https://github.com/aws-controllers-k8s/community/issues/1984; CDK refuses it at synth too).
    // A rule with both a pattern and a schedule fires on both:
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
    if (schedule !== undefined && bus.name !== DEFAULT_EVENT_BUS) {
      throw read.fail('ScheduleExpression', 'ScheduleExpression is supported only on the default event bus. (AWS refuses a schedule on a custom bus)');
    }
    const rule: Rule = {
      name,
      logicalId: resource.logicalId,
      arn: resource.arn ?? eventRuleArn(bus.name, name),
      bus,
      description: read.optionalString(properties.Description, 'Description'),
      state: read.oneOf<RuleState>(properties.State, 'State', ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'], 'ENABLED'),
      ...(properties.EventPattern === undefined
        ? {}
        : {
            pattern: readEventPattern(read, properties.EventPattern, 'EventPattern'),
            patternText: typeof properties.EventPattern === 'string' ? properties.EventPattern : JSON.stringify(properties.EventPattern),
          }),
      ...(schedule === undefined ? {} : { schedule }),
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
      deadLetterArn = read.templateQueue(deadLetter.Arn, `${path}.DeadLetterConfig.Arn`, this.deps.queues);
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
      read.templateQueue(arn, path, this.deps.queues);
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
    read.noKmsKey(properties.KmsKeyIdentifier);
    const sourceArn = read.string(properties.SourceArn, 'SourceArn');
    const bus = this.findBus(sourceArn);
    if (!bus) throw read.fail('SourceArn', `no event bus ${sourceArn} in the template`);
    bus.archives.push({
      name: read.optionalString(properties.ArchiveName, 'ArchiveName') ?? resource.logicalId,
      pattern: properties.EventPattern === undefined ? undefined : readEventPattern(read, properties.EventPattern, 'EventPattern'),
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
    if (!isPropertyObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
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
    let archived = 0;
    for (const archive of bus.archives) {
      if (archive.pattern && !matchesEventPattern(archive.pattern, event)) continue;
      archive.events.push({ event, archivedAt: receivedAt });
      archived += 1;
    }
    this.hop({ ...context, kind: 'event', bytes: Buffer.byteLength(JSON.stringify(event)), archived, event });
    for (const rule of bus.rules) {
      if (rule.state === 'DISABLED' || rule.pattern === undefined || !matchesEventPattern(rule.pattern, event)) continue;
      this.hop({ ...context, kind: 'rule', rule: rule.name });
      this.deliverToTargets(rule, event, receivedAt, busHops);
    }
  }

  /** Starts a delivery to each target of a rule (and, by the duplicate-delivery fault, a second one). */
  private deliverToTargets(rule: Rule, event: BusEvent, receivedAt: number, busHops: number): void {
    for (const target of rule.targets) {
      this.enqueue({ event, rule, target, receivedAt, duplicate: false, busHops, attempts: 0 });
      if (this.duplicates > 0 && this.random() < this.duplicates) {
        this.enqueue({ event, rule, target, receivedAt, duplicate: true, busHops, attempts: 0 });
      }
    }
  }

  private enqueue(delivery: Delivery): void {
    this.work.startSoon(() => this.attempt(delivery));
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
    await this.deadLetter(delivery, failure, exhausted);
  }

  /**
   * The permission EventBridge needs for a delivery to a target or a
   * dead-letter queue, evaluated as AWS evaluates it; a denial throws
   * `AccessDeniedException` (EventBridge's NO_PERMISSIONS: not retried).
   */
  private async authorize(delivery: Delivery, destination: 'target' | 'dead-letter queue'): Promise<void> {
    const iam = this.deps.iam;
    if (!iam) return;
    const { rule, target } = delivery;
    const fromRule = { 'aws:SourceArn': rule.arn, 'aws:SourceAccount': LOCAL_ACCOUNT };
    const events = iam.service('events.amazonaws.com');
    const hop = `rule ${rule.name} → ${destination} ${target.id}`;
    const demand = async (principal: IamPrincipal, action: string, resource: string): Promise<void> => {
      const denial = await iam.check({ principal, action, resource, context: fromRule, hop });
      if (denial) throw new AwsServiceError('AccessDeniedException', denial.message, 403);
    };
    if (destination === 'dead-letter queue') return demand(events, 'sqs:SendMessage', target.deadLetterArn ?? '');
    if (target.roleArn !== undefined) {
      const owner = { logicalId: rule.name, type: RULE_TYPE, property: `Targets (${target.id}).RoleArn` };
      const principal = iam.roleSession(target.roleArn, `events-${rule.name}`.slice(0, 64), `target ${target.id} of rule ${rule.name}`, owner);
      if (principal.kind === 'role') {
        const trust = await iam.check({ principal: events, action: 'sts:AssumeRole', resource: target.roleArn, resourcePolicy: principal.role.trustPolicy, context: fromRule, hop });
        if (trust) throw new AwsServiceError('AccessDeniedException', trust.message, 403);
      }
      if (target.kind === 'stateMachine') return demand(principal, 'states:StartExecution', target.arn);
      if (target.kind === 'bus') return demand(principal, 'events:PutEvents', target.arn);
    }
    switch (target.kind) {
      case 'lambda':
        return demand(events, 'lambda:InvokeFunction', target.arn.replace(/:\$LATEST$/, ''));
      case 'queue':
        return demand(events, 'sqs:SendMessage', target.arn);
      case 'bus':
        return demand(events, 'events:PutEvents', target.arn);
      case 'stateMachine':
        throw new AwsServiceError('AccessDeniedException', `Rule ${rule.name}: a Step Functions target needs a RoleArn for EventBridge to start executions with`, 403);
    }
  }

  /** Delivers once; false when the event was dropped instead (and that hop already reported). */
  private async send(delivery: Delivery): Promise<boolean> {
    const { target, event } = delivery;
    await this.authorize(delivery, 'target');
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
    return shapeInput(target.input, event, { ruleArn: rule.arn, ruleName: rule.name, ingestedAt: delivery.receivedAt });
  }

  private async deadLetter(delivery: Delivery, failure: Failure, exhaustedCondition: ExhaustedCondition | undefined): Promise<void> {
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
    const denied = await this.authorize(delivery, 'dead-letter queue').then(
      () => undefined,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    const offered = denied !== undefined ? { sent: false as const, reason: `AccessDenied: ${denied}` } : this.deps.queues.offer(deadLetterArn, JSON.stringify(delivery.event), attributes);
    if (offered.sent) this.hop({ ...context, kind: 'dlq', deadLetterArn, errorCode: failure.code, errorMessage: failure.message, exhaustedCondition });
    else this.hop({ ...context, kind: 'dropped', reason: `the dead-letter queue refused the event: ${offered.reason}` });
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
  read.noKmsKey(properties.KmsKeyIdentifier);
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

/** A rule's `ScheduleExpression`, refused at start-up as AWS refuses it (or as the local cloud cannot run it). */
function readSchedule(read: PropertyReader, value: unknown): ScheduleExpression {
  const text = read.string(value, 'ScheduleExpression');
  try {
    return parseScheduleExpression(text);
  } catch (error) {
    if (error instanceof InvalidScheduleExpressionError) throw read.fail('ScheduleExpression', `${error.message} (AWS refuses it)`);
    if (error instanceof UnsupportedScheduleExpressionError) throw read.fail('ScheduleExpression', error.message);
    throw error;
  }
}

/**
 * An event pattern declared in a template property (a rule's, an archive's, a
 * pipe filter's), compiled once at start-up; a pattern EventBridge would
 * refuse stops start-up naming the property.
 */
export function readEventPattern(read: PropertyReader, value: unknown, path: string): EventPattern {
  try {
    return parseEventPattern(value);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) throw read.fail(path, error.message);
    throw error;
  }
}

function hopContext(bus: Bus, event: BusEvent): HopContext {
  const metadata = event.detail.metadata;
  const correlationId = isPropertyObject(metadata) && typeof metadata.correlationId === 'string' ? metadata.correlationId : undefined;
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
    ...(rule.patternText === undefined ? {} : { EventPattern: rule.patternText }),
    ...(rule.schedule === undefined ? {} : { ScheduleExpression: rule.schedule.text }),
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
    if (!isPropertyObject(entry)) throw new AwsServiceError('SerializationException', `Entries[${String(index)}] must be an object`);
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
  if (!isPropertyObject(event) || TEST_EVENT_REQUIRED_FIELDS.some((field) => !Object.hasOwn(event, field))) {
    throw new AwsServiceError('ValidationException', 'Parameter Event is not valid.');
  }
  return matchesEventPattern(pattern, event);
}
