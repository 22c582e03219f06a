/**
 * AWS Step Functions for the local cloud: the template's
 * `AWS::StepFunctions::StateMachine` resources, each run by the shared
 * {@link StepFunctionsEngine}, an in-memory registry of their executions,
 * their execution logs in the local CloudWatch Logs (`../cloudwatch/logs`),
 * and the AWS-protocol operations (`AWSStepFunctions.*`) the SDK and the
 * AWS CLI use.
 *
 * What is emulated, and how it follows AWS:
 * - `DefinitionString` (JSON text, or an object once intrinsics are
 *   resolved) or `Definition`, with `DefinitionSubstitutions` applied
 *   (`${Name}` placeholders replaced in the definition's text).
 * - `RoleArn` becomes `$$.Execution.RoleArn` and the history's `roleArn`;
 *   what the role may do is the local IAM's to check (`../iam`, wired by the
 *   local cloud around the integrations, and here for `states:startExecution`
 *   tasks: `states:StartExecution` on the target, with the calling state
 *   machine's role).
 * - `StateMachineType` STANDARD and EXPRESS (reported by
 *   `DescribeStateMachine` and `ListStateMachines`). Standard executions are
 *   exactly-once, named once (below), kept and described. Express ones
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html):
 *   - `StartExecution` answers `{executionArn, startDate}` at once and the
 *     execution runs on; its ARN is
 *     `arn:aws:states:<region>:<account>:express:<state machine>:<name>:<uuid>`
 *     (nine colon-separated parts, as the AWS Toolkit parses them); the name is
 *     optional (a UUID) and NOT deduplicated: "StartExecution isn't idempotent
 *     for EXPRESS workflows" (API reference), so the same name twice runs twice.
 *   - At-least-once starts: with the `stepFunctions.duplicateExpressStartRate`
 *     fault (`../faults`) a start runs two executions, drawn from the seeded
 *     generator like the bus's and the pipes' duplicate deliveries.
 *   - At most 5 minutes: an execution times out (TIMED_OUT, `States.Timeout`)
 *     at the smaller of its `TimeoutSeconds` and 300 s ({@link EXPRESS_MAX_SECONDS}).
 *   - No history: `DescribeExecution`, `GetExecutionHistory` and
 *     `StopExecution` answer `InvalidArn` "Invalid Arn: 'Resource type not
 *     valid in this context: express'" for an Express execution ARN, and
 *     `ListExecutions` of an Express state machine answers
 *     `StateMachineTypeNotSupported` "This operation is not supported by this
 *     type of state machine" (its API reference lists the error; the message
 *     is the one other emulators checked against AWS give). Executions are
 *     kept nowhere, not even with `persistDir`; their execution logs are.
 * - `LoggingConfiguration` (any type): Level ALL, ERROR, FATAL or OFF,
 *   `IncludeExecutionData`, one CloudWatch Logs destination whose ARN ends
 *   with `:*` and names a log group of the template (otherwise start-up
 *   stops, as CreateStateMachine refuses it). Each history event an
 *   execution has ({@link historyOf}) becomes one log record
 *   ({@link ExecutionLogRecord}: `id`, `type`, `details`, `previous_event_id`,
 *   `event_timestamp` in ms, `execution_arn`, every value a string but
 *   `details`), written as the execution runs (at most {@link LOG_DELAY_MS}
 *   behind) and when it ends; ERROR and FATAL write only the types the table
 *   "Log levels for Step Functions execution events" gives them
 *   ({@link LOGGED_AT}); without `IncludeExecutionData` inputs, outputs and
 *   task parameters are left out. Read them over `FilterLogEvents` /
 *   `GetLogEvents`, or in-process with
 *   {@link StepFunctionsEmulator.executionLogRecords}. The role's permission
 *   to deliver logs is checked at start-up (`../iam/deploy-checks`).
 * - `TracingConfiguration` is accepted and reported by `DescribeStateMachine`,
 *   but NOT emulated: no X-Ray traces are made (the `onHop` listener is the
 *   local execution log). `Tags` are accepted. `EncryptionConfiguration` is
 *   accepted only with `AWS_OWNED_KEY`.
 * - The local name of a state machine is its logical id (as
 *   `local/template-model.ts` builds its ARN), whatever `StateMachineName` says.
 * - `StartExecution` (name optional → a UUID; for STANDARD idempotent as on
 *   AWS: the same name and input while the execution runs returns it again,
 *   otherwise `ExecutionAlreadyExists`; input must be a JSON object of at most
 *   256 KiB), `DescribeExecution`, `GetExecutionHistory`, `ListExecutions`
 *   (newest first, `statusFilter`, pagination), `StopExecution`,
 *   `DescribeStateMachine`, `ListStateMachines`.
 * - The `arn:aws:states:::states:startExecution` integration
 *   (request-response; `./integrations`): it starts an execution of this
 *   service and answers `{ExecutionArn, SdkHttpMetadata, SdkResponseMetadata,
 *   StartDate}`; StartExecution's errors become `StepFunctions.<code>Exception`
 *   (`StepFunctions.ExecutionAlreadyExistsException`...), an IAM denial
 *   `StepFunctions.AWSStepFunctionsException`. `.sync`, `.sync:2` and
 *   `.waitForTaskToken` stop start-up.
 * - Retries wait their real intervals unless `retryIntervalScale` says
 *   otherwise (see {@link StepFunctionsOptions.retryIntervalScale}); Wait
 *   states and timeouts always take their real time.
 * - `onHop` hears one hop per state entered, succeeded, failed, retried or
 *   caught and per execution start and end, with the input's correlation id
 *   and a `compensating` mark once a Catch has been taken.
 *
 * Gaps with AWS:
 * - History events follow AWS's types and detail objects as far as the
 *   engine's log allows: `previousEventId` is always the preceding event
 *   (AWS gives the causal one, e.g. 0 for the first state and the branch's
 *   own predecessor inside a Parallel); `MapStateStarted` has no `length`;
 *   Parallel branches and Map iterations are logged inline (no
 *   `ParallelStateStarted` per branch); a state failing without a Catch
 *   outside a Task (a `States.Runtime` in a Pass, say) appears only in
 *   `ExecutionFailed`; `SdkHttpMetadata` headers are plausible, not real.
 *   Execution log records share these differences (`previous_event_id`).
 * - Execution logs: AWS delivers them best effort and may drop some; here
 *   every record is written. Records carry no `redrive_count`. How AWS
 *   splits them into log streams is not documented: here each execution has
 *   its own stream. Without `IncludeExecutionData` a TaskScheduled record
 *   has no `parameters` (as GetExecutionHistory without execution data);
 *   whether AWS's log record keeps them was not confirmed. An execution a
 *   restart aborts (below) writes no log record of its end.
 * - Express: `StartSyncExecution` (synchronous Express, at-most-once) is not
 *   emulated (the endpoint answers `UnknownOperationException`; the SDK would
 *   also prefix the host with `sync-`, which a loopback address cannot take).
 *   Whether CreateStateMachine refuses an Express definition whose
 *   `TimeoutSeconds` is over 300 could not be confirmed in AWS's
 *   documentation: the local cloud accepts it, says so at start-up
 *   (`notEnforced`) and times the executions out at 300 s, the documented
 *   maximum duration. Express memory (billed in 64 MB chunks) is not
 *   measured; the cost meter bills 64 MB.
 * - Executions live in memory for the life of the process, or, with
 *   {@link StepFunctionsOptions.persistDir}, on disk for 90 days after they
 *   close, as AWS keeps them: their names stay taken across restarts
 *   (`ExecutionAlreadyExists`) and DescribeExecution, ListExecutions and
 *   GetExecutionHistory answer for them. Their history is written as they
 *   run (at most {@link PERSIST_DELAY_MS} behind) and when they end.
 * - An execution cannot resume after a restart (AWS's would run on): one
 *   the process left RUNNING when it died (a crash, a kill) is ABORTED at
 *   the next start-up, with error `LocalCloudRestarted`, a cause that says
 *   why, an `ExecutionAborted` event, and an `execution-aborted` hop. A
 *   clean stop aborts what still runs after the grace period with
 *   `LocalCloudStopped`. Executions of state machines no longer in the
 *   template stay on disk, unlisted.
 * - Versions, aliases, redrive, activities, task tokens, map runs, tagging
 *   and state machine CRUD operations are not implemented.
 */
import type { HistoryEventType } from '@aws-sdk/client-sfn';
import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import { CloudWatchLogs, logGroupNameOfArn } from '../cloudwatch/logs';
import type { JsonValue } from '../cloudformation/intrinsics';
import { UnsupportedFeatureError } from '../errors';
import type { IamGate } from '../iam/local-iam';
import type { IamPrincipal } from '../iam/principals';
import { LOCAL_ACCOUNT, LOCAL_REGION, assertKnownProperties, type LocalResource } from '../resources';
import type { Random } from '../support/random';
import {
  StepFunctionsEngine,
  type EngineDeps,
  type EngineEvent,
  type EngineExecution,
  type ExecutionView,
  type StartExecutionCall,
  type StateType,
  type TaskCall,
} from './engine';
import { ExecutionStore, StoredExecution, abortedByRestart, persistedOf, type PersistedExecution } from './execution-store';
import { MAX_PAYLOAD_BYTES, isRecord } from './integrations';

/** One thing an execution did, for the local cloud's one-line-per-state log. */
export interface StepFunctionsHop {
  readonly kind:
    | 'execution-started'
    | 'execution-succeeded'
    | 'execution-failed'
    | 'execution-aborted'
    | 'execution-timed-out'
    | 'state-entered'
    | 'state-succeeded'
    | 'state-failed'
    | 'state-retried'
    | 'state-caught';
  /** Epoch ms. */
  readonly timestamp: number;
  /** The state machine's name. */
  readonly stateMachine: string;
  readonly stateMachineArn: string;
  readonly executionArn: string;
  readonly executionName: string;
  /**
   * True on every hop of an Express execution that is the second run of one
   * start, injected by the `duplicateExpressStartRate` fault.
   */
  readonly duplicate?: boolean;
  /** The input's `metadata.correlationId` (or top-level `correlationId`), to follow one order across services. */
  readonly correlationId?: string;
  readonly state?: string;
  readonly stateType?: StateType;
  /**
   * True once the execution has caught an error: the states that follow run
   * on a Catch path — in a saga, its compensations.
   */
  readonly compensating: boolean;
  readonly error?: string;
  readonly cause?: string;
  /** `state-retried`: how many retries so far (1 for the first). */
  readonly retryCount?: number;
  /** `state-caught`: the state the Catch goes to. */
  readonly next?: string;
  /** `state-succeeded`: since the state was entered; `execution-*` ends: since the start. */
  readonly durationMs?: number;
}

/**
 * What {@link StepFunctionsEmulator.create} needs from the rest of the local
 * cloud: the engine's dependencies (the emulator itself serves
 * `states:startExecution` tasks), and IAM.
 */
export interface StepFunctionsDeps extends Omit<EngineDeps, 'startExecution'> {
  /**
   * Checks that a state machine's role may `states:StartExecution` the state
   * machine a `states:startExecution` task starts; a denial fails the task
   * (`StepFunctions.AWSStepFunctionsException`, the AccessDeniedException).
   * @default no check
   */
  readonly iam?: IamGate;
}

/** Options of {@link StepFunctionsEmulator.create}. */
export interface StepFunctionsOptions {
  /**
   * Factor on every retrier's `IntervalSeconds`/`MaxDelaySeconds`: real
   * intervals by default, `0.01` for a fast local mode or tests (a 1 s → 60 s
   * backoff becomes 10 ms → 600 ms), `0` to retry at once.
   * @default 1
   */
  readonly retryIntervalScale?: number;
  /** Hears every hop of every execution; must not throw. @default none */
  readonly onHop?: (hop: StepFunctionsHop) => void;
  /**
   * Keep executions in `<persistDir>/step-functions/executions` across
   * restarts, so that names stay taken and the API still describes them.
   * Executions a crash left RUNNING come back ABORTED (an `execution-aborted`
   * hop each, at start-up).
   * @default in memory
   */
  readonly persistDir?: string;
  /**
   * Where the execution logs of state machines with a `LoggingConfiguration`
   * go. @default a CloudWatch Logs of the given resources' log groups, in memory
   */
  readonly logs?: CloudWatchLogs;
  /** Hears each execution log record written (the cost meter counts its bytes); must not throw. @default none */
  readonly onExecutionLog?: (stateMachine: string, message: string) => void;
  /**
   * Probability that an Express start runs two executions (at-least-once
   * starts, see `FaultConfig.stepFunctions`). Changeable at run time
   * ({@link StepFunctionsEmulator.duplicateExpressStartRate}). @default 0
   */
  readonly duplicateExpressStartRate?: number;
  /** Draws for {@link duplicateExpressStartRate}. @default Math.random */
  readonly random?: Random;
}

/** A state machine as `ListStateMachines` and the CLI show it. */
export interface StateMachineSummary {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: StateMachineType;
  /**
   * When its executions time out, in seconds: the definition's
   * `TimeoutSeconds`, capped at {@link EXPRESS_MAX_SECONDS} for EXPRESS.
   * Absent for a STANDARD machine without `TimeoutSeconds`.
   */
  readonly timeoutSeconds?: number;
  /** The log group its execution logs go to, when it has one. */
  readonly logGroupName?: string;
  /** What its execution logs record (`LoggingConfiguration.Level`): OFF without a log group. */
  readonly logLevel: LogLevel;
  /** True when its execution logs carry inputs and outputs (`IncludeExecutionData`). */
  readonly includeExecutionData: boolean;
}

export type StateMachineType = 'STANDARD' | 'EXPRESS';

/** `LoggingConfiguration.Level`. */
export type LogLevel = 'ALL' | 'ERROR' | 'FATAL' | 'OFF';

/**
 * The longest an Express execution runs: "Maximum duration ... 5 minutes"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html).
 */
export const EXPRESS_MAX_SECONDS = 300;

/**
 * When an Express execution times out, given its definition's
 * `TimeoutSeconds`: that, but never later than {@link EXPRESS_MAX_SECONDS}.
 */
export const expressTimeoutSeconds = (definitionTimeoutSeconds: number | undefined): number =>
  definitionTimeoutSeconds === undefined ? EXPRESS_MAX_SECONDS : Math.min(definitionTimeoutSeconds, EXPRESS_MAX_SECONDS);

/** The request `StartExecution` takes (in-process callers such as EventBridge targets use it too). */
export interface StartExecutionRequest {
  readonly stateMachineArn: string;
  /** JSON text of an object. @default '{}' */
  readonly input?: string;
  /** @default a random UUID */
  readonly name?: string;
  readonly traceHeader?: string;
}

const STATE_MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';
const KNOWN = [
  'DefinitionString',
  'Definition',
  'DefinitionSubstitutions',
  'RoleArn',
  'StateMachineName',
  'StateMachineType',
  'LoggingConfiguration',
  'TracingConfiguration',
  'Tags',
  'EncryptionConfiguration',
];
const REFUSED_PROPERTIES: Readonly<Record<string, string>> = {
  DefinitionS3Location: 'definitions stored in S3 are not fetched locally; synthesize the definition inline',
};
/** How far the history on disk may lag behind a running execution's. */
const PERSIST_DELAY_MS = 100;
const DEFAULT_PAGE = 100;

/**
 * How many of an Express state machine's newest executions the emulator
 * remembers for the console ({@link StepFunctionsEmulator.executions}). AWS
 * keeps none: the API still refuses their ARNs.
 */
export const EXPRESS_EXECUTIONS_KEPT = 200;
const MAX_PAGE = 1000;
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/;
/** An Express execution: `arn:aws:states:<region>:<account>:express:<state machine>:<name>:<id>`. */
const EXPRESS_EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:express:/;
const LOG_LEVELS: readonly LogLevel[] = ['ALL', 'ERROR', 'FATAL', 'OFF'];
/** How far the execution logs may lag behind a running execution. */
const LOG_DELAY_MS = 100;
const INVALID_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

interface ExecutionRecord {
  readonly execution: ExecutionView;
  /** The execution, when it was started by this process (it can be stopped). */
  readonly live?: EngineExecution;
  /** The input exactly as given: DescribeExecution returns it and idempotency compares it. */
  readonly inputText: string;
  readonly traceHeader?: string;
  /** Creation order, for stable ListExecutions pages. */
  readonly sequence: number;
}

/** Execution records newest first, the order ListExecutions answers in. */
const newestFirst = (records: Iterable<ExecutionRecord>): ExecutionRecord[] => [...records].sort((a, b) => b.sequence - a.sequence);

/** Where and what a state machine logs. */
interface ExecutionLogging {
  readonly level: Exclude<LogLevel, 'OFF'>;
  readonly includeExecutionData: boolean;
  readonly logGroupName: string;
}

interface LocalStateMachine {
  readonly logicalId: string;
  readonly resourceType: string;
  readonly arn: string;
  readonly name: string;
  readonly type: StateMachineType;
  /** When executions time out (see {@link StateMachineSummary.timeoutSeconds}). */
  readonly timeoutSeconds?: number;
  readonly logging?: ExecutionLogging;
  readonly roleArn?: string;
  readonly definitionText: string;
  readonly creationDate: Date;
  readonly engine: StepFunctionsEngine;
  readonly loggingConfiguration?: JsonValue;
  readonly tracingConfiguration?: JsonValue;
  readonly executions: Map<string, ExecutionRecord>;
}

/** Epoch seconds, as the AWS JSON protocol carries timestamps. */
const epochSeconds = (date: Date | number): number => (typeof date === 'number' ? date : date.getTime()) / 1000;

const validation = (message: string): AwsServiceError => new AwsServiceError('ValidationException', message);

const optionalString = (input: Record<string, unknown>, field: string): string | undefined => {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('SerializationException', `${field} must be a string`);
  return value;
};

const requiredString = (input: Record<string, unknown>, field: string): string => {
  const value = optionalString(input, field);
  if (value === undefined) throw validation(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
  return value;
};

const pageSize = (input: Record<string, unknown>): number => {
  const value = input.maxResults;
  if (value === undefined || value === null || value === 0) return DEFAULT_PAGE;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_PAGE) {
    throw validation(`1 validation error detected: Value '${String(value)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PAGE}`);
  }
  return value;
};

const encodeToken = (position: number): string => Buffer.from(JSON.stringify({ position }), 'utf8').toString('base64url');

const decodeToken = (token: string): number => {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isRecord(decoded) && typeof decoded.position === 'number' && Number.isInteger(decoded.position)) return decoded.position;
  } catch {
    // falls through to InvalidToken
  }
  throw new AwsServiceError('InvalidToken', `Invalid Token: '${token}'`);
};

const correlationIdOf = (input: JsonValue): string | undefined => {
  if (!isRecord(input)) return undefined;
  const metadata = input.metadata;
  if (isRecord(metadata) && typeof metadata.correlationId === 'string') return metadata.correlationId;
  return typeof input.correlationId === 'string' ? input.correlationId : undefined;
};

/** `LoggingConfiguration` as the API spells it (camelCase), for DescribeStateMachine. */
const camelCased = (value: unknown): JsonValue => {
  if (Array.isArray(value)) return value.map(camelCased);
  if (!isRecord(value)) return (value ?? null) as JsonValue;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.charAt(0).toLowerCase() + key.slice(1), camelCased(inner)]));
};

const substitute = (text: string, substitutions: Readonly<Record<string, string>>): string =>
  text.replace(/\$\{([^}]+)\}/g, (placeholder, key: string) => substitutions[key] ?? placeholder);

const substituteIn = (value: unknown, substitutions: Readonly<Record<string, string>>): unknown => {
  if (typeof value === 'string') return substitute(value, substitutions);
  if (Array.isArray(value)) return value.map((item) => substituteIn(item, substitutions));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, substituteIn(inner, substitutions)]));
  return value;
};

/**
 * The local Step Functions service. Build it with
 * {@link StepFunctionsEmulator.create} from the template's resources, expose
 * it with {@link StepFunctionsEmulator.registerOn}, and start executions
 * in-process (EventBridge targets) with {@link StepFunctionsEmulator.startExecution}.
 */
export class StepFunctionsEmulator {
  /** Properties accepted but not emulated, one line each, for the CLI. */
  public readonly notEnforced: readonly string[];
  /** Where the execution logs go. */
  public readonly logs: CloudWatchLogs;
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly active = new Set<EngineExecution>();
  /** Each Express state machine's newest executions (oldest first, at most {@link EXPRESS_EXECUTIONS_KEPT}) and how many it started. */
  private readonly expressRuns = new Map<string, { started: number; readonly kept: EngineExecution[] }>();
  /** Writes still to happen when the executions they are for end. */
  private readonly writes = new Set<Promise<void>>();
  /** Each state machine's principal (its role), for the IAM checks of its `states:startExecution` tasks. */
  private readonly principals = new Map<string, IamPrincipal>();
  private readonly random: Random;
  private duplicates = 0;
  private store?: ExecutionStore;
  private iam?: IamGate;
  private sequence = 0;
  private closed = false;

  private constructor(
    private readonly options: StepFunctionsOptions,
    notEnforced: readonly string[],
    logs: CloudWatchLogs,
  ) {
    this.notEnforced = notEnforced;
    this.logs = logs;
    this.random = options.random ?? Math.random;
    this.duplicateExpressStartRate = options.duplicateExpressStartRate ?? 0;
  }

  /** Probability that an Express start runs two executions (the `duplicateExpressStartRate` fault). */
  public get duplicateExpressStartRate(): number {
    return this.duplicates;
  }

  /** @throws {RangeError} for a rate outside 0..1. */
  public set duplicateExpressStartRate(rate: number) {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`duplicateExpressStartRate must be between 0 and 1; got ${String(rate)}`);
    this.duplicates = rate;
  }

  /**
   * Builds every `AWS::StepFunctions::StateMachine` of the template (other
   * resource types are ignored, so the whole template may be passed) and
   * validates each definition against what the engine runs.
   *
   * @throws {UnsupportedFeatureError} naming the resource and property (for a
   *   definition: the state) that the local cloud cannot run.
   * @throws {PersistedExecutionError} naming a file under `persistDir` that
   *   is not an execution the local cloud wrote.
   */
  public static create(resources: readonly LocalResource[], deps: StepFunctionsDeps, options: StepFunctionsOptions = {}): StepFunctionsEmulator {
    const notEnforced: string[] = [];
    const emulator = new StepFunctionsEmulator(options, notEnforced, options.logs ?? CloudWatchLogs.create(resources));
    const { iam, ...rest } = deps;
    const engineDeps: EngineDeps = { ...rest, startExecution: (request, call) => emulator.startFromTask(request, call) };
    for (const resource of resources.filter((candidate) => candidate.type.startsWith('AWS::StepFunctions::'))) {
      if (resource.type !== STATE_MACHINE_TYPE) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'only state machines are emulated (no activities, versions or aliases)');
      }
      const machine = readStateMachine(resource, engineDeps, options, emulator.logs, notEnforced);
      emulator.machines.set(machine.arn, machine);
      if (iam !== undefined && machine.roleArn !== undefined) {
        emulator.principals.set(machine.arn, iam.roleSession(machine.roleArn, machine.arn, 'state machine', { logicalId: machine.logicalId, type: machine.resourceType, property: 'RoleArn' }));
      }
    }
    if (iam !== undefined) emulator.iam = iam;
    if (options.persistDir !== undefined) emulator.restore(new ExecutionStore(path.join(options.persistDir, 'step-functions', 'executions')));
    return emulator;
  }

  /** Registers the AWS-protocol operations under the `AWSStepFunctions` target prefix. */
  public registerOn(endpoint: AwsEndpoint): void {
    endpoint.registerJson('AWSStepFunctions', this.operations());
  }

  /** The JSON-protocol operations, by name. */
  public operations(): Readonly<Record<string, JsonOperation>> {
    return {
      StartExecution: async (input) => {
        const started = this.startExecution({
          stateMachineArn: requiredString(input, 'stateMachineArn'),
          input: optionalString(input, 'input'),
          name: optionalString(input, 'name'),
          traceHeader: optionalString(input, 'traceHeader'),
        });
        return { executionArn: started.executionArn, startDate: epochSeconds(started.startDate) };
      },
      DescribeExecution: async (input) => this.describeExecution(requiredString(input, 'executionArn')),
      GetExecutionHistory: async (input) => this.getExecutionHistory(input),
      ListExecutions: async (input) => this.listExecutions(input),
      StopExecution: async (input) => this.stopExecution(input),
      DescribeStateMachine: async (input) => this.describeStateMachine(requiredString(input, 'stateMachineArn')),
      ListStateMachines: async () => ({
        stateMachines: [...this.machines.values()].map((machine) => ({
          stateMachineArn: machine.arn,
          name: machine.name,
          type: machine.type,
          creationDate: epochSeconds(machine.creationDate),
        })),
      }),
    };
  }

  /**
   * Starts an execution, as `StartExecution`. A STANDARD one is idempotent
   * per name (the same name and input while it runs returns it again); an
   * EXPRESS one is not ("StartExecution isn't idempotent for EXPRESS
   * workflows", API reference): each call runs a new execution, with an ARN
   * of its own (`...:express:<state machine>:<name>:<id>`), and with the
   * `duplicateExpressStartRate` fault it may run twice.
   *
   * @throws {AwsServiceError} `InvalidArn`, `StateMachineDoesNotExist`,
   *   `InvalidName`, `InvalidExecutionInput`, `ValidationException`,
   *   `ExecutionAlreadyExists`, as AWS answers them.
   */
  public startExecution(request: StartExecutionRequest): { readonly executionArn: string; readonly startDate: Date } {
    if (this.closed) throw new AwsServiceError('ServiceUnavailable', 'The local cloud is stopping', 503);
    const machine = this.machineOf(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (name.length < 1 || name.length > 80 || INVALID_NAME.test(name)) throw new AwsServiceError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = request.input ?? '{}';
    if (Buffer.byteLength(inputText, 'utf8') > MAX_PAYLOAD_BYTES) {
      throw validation(`1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PAYLOAD_BYTES}`);
    }
    let input: unknown;
    try {
      input = JSON.parse(inputText);
    } catch (error) {
      throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`);
    }
    if (!isRecord(input)) throw new AwsServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: the input must be a JSON object');
    if (machine.type === 'EXPRESS') {
      const started = this.startExpress(machine, name, input as JsonValue, false);
      if (this.duplicates > 0 && this.random() < this.duplicates) this.startExpress(machine, name, input as JsonValue, true);
      return started;
    }

    const existing = machine.executions.get(name);
    if (existing) {
      if (existing.execution.status === 'RUNNING' && existing.inputText === inputText) {
        return { executionArn: existing.execution.executionArn, startDate: existing.execution.startDate };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.execution.executionArn}'`);
    }
    const json = input as JsonValue;
    const hop = this.hopper(machine, correlationIdOf(json), false);
    let persist: (() => void) | undefined;
    let log: (() => void) | undefined;
    const execution = machine.engine.start(json, {
      name,
      onEvent: (event, running) => {
        hop(event, running);
        persist?.();
        log?.();
      },
    });
    const record: ExecutionRecord = {
      execution,
      live: execution,
      inputText,
      sequence: (this.sequence += 1),
      ...(request.traceHeader !== undefined ? { traceHeader: request.traceHeader } : {}),
    };
    machine.executions.set(name, record);
    persist = this.persistAsItRuns(record);
    log = this.logAsItRuns(machine, execution);
    this.track(execution);
    return { executionArn: execution.executionArn, startDate: execution.startDate };
  }

  /**
   * The execution log records of a state machine (its executions' records in
   * its log group, oldest first), as CloudWatch Logs holds them, for
   * in-process readers such as the soak's checks.
   *
   * @throws {Error} for a state machine that is not the template's, or has no
   *   `LoggingConfiguration` (or level OFF).
   */
  public executionLogRecords(stateMachineArn: string): ExecutionLogRecord[] {
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new Error(`No state machine ${stateMachineArn} in the template`);
    if (!machine.logging) throw new Error(`${machine.logicalId} writes no execution logs (no LoggingConfiguration, or level OFF)`);
    const ofMachine = (arn: string): boolean => executionMachineName(arn) === machine.name;
    return this.logs
      .events(machine.logging.logGroupName)
      .map((event) => JSON.parse(event.message) as ExecutionLogRecord)
      .filter((record) => ofMachine(record.execution_arn));
  }

  /** One run of an Express start: a new execution, its own ARN, nothing kept for the API. */
  private startExpress(machine: LocalStateMachine, name: string, input: JsonValue, duplicate: boolean): { readonly executionArn: string; readonly startDate: Date } {
    const hop = this.hopper(machine, correlationIdOf(input), duplicate);
    let log: (() => void) | undefined;
    const execution = machine.engine.start(input, {
      name,
      executionArn: `${machine.arn.replace(':stateMachine:', ':express:')}:${name}:${randomUUID()}`,
      onEvent: (event, running) => {
        hop(event, running);
        log?.();
      },
    });
    log = this.logAsItRuns(machine, execution);
    this.track(execution);
    this.remember(machine.arn, execution);
    return { executionArn: execution.executionArn, startDate: execution.startDate };
  }

  /** Keeps an Express execution among its state machine's newest, for the console. */
  private remember(stateMachineArn: string, execution: EngineExecution): void {
    let runs = this.expressRuns.get(stateMachineArn);
    if (!runs) {
      runs = { started: 0, kept: [] };
      this.expressRuns.set(stateMachineArn, runs);
    }
    runs.started += 1;
    runs.kept.push(execution);
    if (runs.kept.length > EXPRESS_EXECUTIONS_KEPT) runs.kept.shift();
  }

  /** Counts an execution as running until it and its task calls have ended. */
  private track(execution: EngineExecution): void {
    this.active.add(execution);
    void execution.idle().then(() => this.active.delete(execution));
  }

  /**
   * A `states:startExecution` task's StartExecution: the calling state
   * machine's role must be allowed `states:StartExecution` on the target.
   */
  private async startFromTask(request: StartExecutionCall, call: TaskCall): Promise<{ readonly executionArn: string; readonly startDate: Date }> {
    const principal = this.principals.get(call.stateMachineArn);
    if (this.iam !== undefined && principal !== undefined) {
      const target = request.stateMachineArn.split(':').at(-1) ?? request.stateMachineArn;
      const denial = await this.iam.check({ principal, action: 'states:StartExecution', resource: request.stateMachineArn, hop: `${principal.label} → Step Functions StartExecution (${target})` });
      if (denial) throw new AwsServiceError('AccessDeniedException', denial.message);
    }
    return this.startExecution({ stateMachineArn: request.stateMachineArn, input: request.input, ...(request.name !== undefined ? { name: request.name } : {}) });
  }

  /** The state machines, for the CLI's start-up summary. */
  public stateMachines(): readonly StateMachineSummary[] {
    return [...this.machines.values()].map((machine) => ({
      logicalId: machine.logicalId,
      name: machine.name,
      arn: machine.arn,
      type: machine.type,
      ...(machine.timeoutSeconds !== undefined ? { timeoutSeconds: machine.timeoutSeconds } : {}),
      ...(machine.logging !== undefined ? { logGroupName: machine.logging.logGroupName } : {}),
      logLevel: machine.logging?.level ?? 'OFF',
      includeExecutionData: machine.logging?.includeExecutionData ?? false,
    }));
  }

  /** A STANDARD execution by ARN (running here, or read back from disk), for tests and the CLI; Express executions are kept nowhere. */
  public execution(executionArn: string): ExecutionView | undefined {
    return this.recordOf(executionArn)?.execution;
  }

  /**
   * One of the Express executions the emulator remembers for the console
   * (see {@link EXPRESS_EXECUTIONS_KEPT}), by ARN. AWS keeps no Express
   * execution: {@link execution} and the API know none.
   */
  public expressExecution(executionArn: string): ExecutionView | undefined {
    const machineArn = executionArn.replace(':express:', ':stateMachine:').split(':').slice(0, 7).join(':');
    return this.expressRuns.get(machineArn)?.kept.find((execution) => execution.executionArn === executionArn);
  }

  /**
   * A state machine's definition as it runs (the synthesized ASL with its
   * substitutions made), for the console to draw.
   *
   * @returns undefined for a state machine that is not the template's.
   */
  public definition(stateMachineArn: string): string | undefined {
    return this.machines.get(stateMachineArn)?.definitionText;
  }

  /**
   * A state machine's executions, newest first (as ListExecutions orders
   * them), at most `limit` of them, and how many there are: the console's
   * list. For an EXPRESS one, which AWS keeps none of, the newest the
   * emulator remembers ({@link EXPRESS_EXECUTIONS_KEPT}), and how many it started.
   */
  public executions(stateMachineArn: string, limit = DEFAULT_PAGE): { readonly total: number; readonly executions: readonly ExecutionView[] } {
    const express = this.expressRuns.get(stateMachineArn);
    if (express) return { total: express.started, executions: [...express.kept].reverse().slice(0, Math.max(0, limit)) };
    const records = newestFirst(this.machines.get(stateMachineArn)?.executions.values() ?? []);
    return { total: records.length, executions: records.slice(0, Math.max(0, limit)).map((record) => record.execution) };
  }

  /**
   * Resolves when no execution is running and no task call of one is in
   * flight — or when `timeoutMs` has passed, whichever comes first.
   * @param timeoutMs - longest wait. @default 30000
   * @returns true when everything finished, false on timeout.
   */
  public async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.active.size > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, remaining);
      });
      await Promise.race([Promise.all([...this.active].map((execution) => execution.idle())), timedOut]);
      clearTimeout(timer);
    }
    return true;
  }

  /** True when no execution is running. */
  public get idle(): boolean {
    return this.active.size === 0;
  }

  /**
   * Stops every running execution (ABORTED) and refuses new ones: for
   * shutdown after {@link drain}. Resolves once the stopped executions are on
   * disk (with {@link StepFunctionsOptions.persistDir}).
   */
  public async close(): Promise<void> {
    this.closed = true;
    const running = [...this.active];
    for (const execution of running) execution.stop('LocalCloudStopped', 'The local cloud stopped while the execution was running');
    await Promise.all(running.map((execution) => execution.outcome));
    await Promise.all(this.writes);
  }

  private machineOf(stateMachineArn: string): LocalStateMachine {
    if (!STATE_MACHINE_ARN.test(stateMachineArn)) throw new AwsServiceError('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const machine = this.machines.get(stateMachineArn);
    if (!machine) throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  private recordOf(executionArn: string): ExecutionRecord | undefined {
    const match = EXECUTION_ARN.exec(executionArn);
    if (!match) return undefined;
    const machineArn = executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '');
    return this.machines.get(machineArn)?.executions.get(match[2] ?? '');
  }

  private existingRecord(executionArn: string): ExecutionRecord {
    // Express executions have no history on AWS: DescribeExecution, GetExecutionHistory and StopExecution refuse their ARNs.
    if (EXPRESS_EXECUTION_ARN.test(executionArn)) throw new AwsServiceError('InvalidArn', "Invalid Arn: 'Resource type not valid in this context: express'");
    if (!EXECUTION_ARN.test(executionArn)) throw new AwsServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record = this.recordOf(executionArn);
    if (!record) throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  private describeExecution(executionArn: string): Record<string, JsonValue> {
    const { execution, inputText, traceHeader } = this.existingRecord(executionArn);
    const result = execution.result;
    return {
      executionArn: execution.executionArn,
      stateMachineArn: execution.stateMachineArn,
      name: execution.name,
      status: execution.status,
      startDate: epochSeconds(execution.startDate),
      ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
      input: inputText,
      inputDetails: { included: true },
      ...(result?.status === 'SUCCEEDED' ? { output: JSON.stringify(result.output), outputDetails: { included: true } } : {}),
      ...(result && result.status !== 'SUCCEEDED' && result.error !== undefined ? { error: result.error } : {}),
      ...(result && result.status !== 'SUCCEEDED' && result.cause !== undefined ? { cause: result.cause } : {}),
      ...(traceHeader !== undefined ? { traceHeader } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'The local cloud does not emulate RedriveExecution',
    };
  }

  private getExecutionHistory(input: Record<string, unknown>): Record<string, JsonValue> {
    const { execution } = this.existingRecord(requiredString(input, 'executionArn'));
    const includeData = input.includeExecutionData !== false;
    const reverse = input.reverseOrder === true;
    const size = pageSize(input);
    const all = historyOf(execution, includeData);
    const ordered = reverse ? [...all].reverse() : all;
    const token = optionalString(input, 'nextToken');
    const startId = token === undefined ? undefined : decodeToken(token);
    const from = startId === undefined ? 0 : ordered.findIndex((event) => event.id === startId);
    if (from < 0) throw new AwsServiceError('InvalidToken', `Invalid Token: '${String(token)}'`);
    const page = ordered.slice(from, from + size);
    const next = ordered[from + size];
    return { events: page, ...(next ? { nextToken: encodeToken(next.id) } : {}) };
  }

  private listExecutions(input: Record<string, unknown>): Record<string, JsonValue> {
    if (input.mapRunArn !== undefined) throw validation('ListExecutions by mapRunArn is not emulated (no distributed Map)');
    const machine = this.machineOf(requiredString(input, 'stateMachineArn'));
    if (machine.type === 'EXPRESS') throw new AwsServiceError('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const statusFilter = optionalString(input, 'statusFilter');
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter)) {
      throw validation(`1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
    }
    const redriveFilter = optionalString(input, 'redriveFilter');
    const size = pageSize(input);
    const token = optionalString(input, 'nextToken');
    const below = token === undefined ? Number.POSITIVE_INFINITY : decodeToken(token);
    const matching = newestFirst(machine.executions.values())
      .filter(() => redriveFilter !== 'REDRIVEN')
      .filter((record) => statusFilter === undefined || record.execution.status === statusFilter)
      .filter((record) => record.sequence <= below);
    const page = matching.slice(0, size);
    const next = matching[size];
    return {
      executions: page.map(({ execution }) => ({
        executionArn: execution.executionArn,
        stateMachineArn: execution.stateMachineArn,
        name: execution.name,
        status: execution.status,
        startDate: epochSeconds(execution.startDate),
        ...(execution.stopDate ? { stopDate: epochSeconds(execution.stopDate) } : {}),
        redriveCount: 0,
      })),
      ...(next ? { nextToken: encodeToken(next.sequence) } : {}),
    };
  }

  private async stopExecution(input: Record<string, unknown>): Promise<Record<string, JsonValue>> {
    const { execution, live } = this.existingRecord(requiredString(input, 'executionArn'));
    const error = optionalString(input, 'error');
    const cause = optionalString(input, 'cause');
    if (error !== undefined && error.length > 256) throw validation("1 validation error detected: Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256");
    if (cause !== undefined && cause.length > 32768) throw validation("1 validation error detected: Value at 'cause' failed to satisfy constraint: Member must have length less than or equal to 32768");
    if (live) {
      live.stop(error, cause);
      await live.outcome;
    }
    return { stopDate: epochSeconds(execution.stopDate ?? new Date()) };
  }

  /**
   * Reads the executions on disk back: each one closed (a RUNNING one is
   * ABORTED now, written back, and reported as an `execution-aborted` hop),
   * its name taken again.
   *
   * @throws {PersistedExecutionError} for a file in the store that is not an execution.
   */
  private restore(store: ExecutionStore): void {
    this.store = store;
    for (const persisted of store.load()) {
      const machine = this.machines.get(persisted.stateMachineArn);
      if (!machine) continue;
      const kept = persisted.status === 'RUNNING' ? abortedByRestart(persisted) : persisted;
      if (kept !== persisted) store.save(kept);
      machine.executions.set(kept.name, {
        execution: new StoredExecution(kept),
        inputText: kept.inputText,
        sequence: kept.sequence,
        ...(kept.traceHeader !== undefined ? { traceHeader: kept.traceHeader } : {}),
      });
      this.sequence = Math.max(this.sequence, kept.sequence);
      if (kept !== persisted) this.reportRestartAbort(machine, kept);
    }
  }

  private reportRestartAbort(machine: LocalStateMachine, aborted: PersistedExecution): void {
    const correlationId = correlationIdOf(JSON.parse(aborted.inputText) as JsonValue);
    try {
      this.options.onHop?.({
        kind: 'execution-aborted',
        timestamp: aborted.stopDate ?? Date.now(),
        stateMachine: machine.name,
        stateMachineArn: machine.arn,
        executionArn: aborted.executionArn,
        executionName: aborted.name,
        ...(correlationId !== undefined ? { correlationId } : {}),
        compensating: false,
        ...(aborted.error !== undefined ? { error: aborted.error } : {}),
        ...(aborted.cause !== undefined ? { cause: aborted.cause } : {}),
      });
    } catch {
      // A listener's failure must not stop start-up.
    }
  }

  /**
   * With a store, writes a running execution now, again at most
   * {@link PERSIST_DELAY_MS} after each of its events, and once more when it
   * has ended; the function returned is to be called on each event.
   */
  private persistAsItRuns(record: ExecutionRecord): (() => void) | undefined {
    const { store } = this;
    const live = record.live;
    if (!store || !live) return undefined;
    let timer: NodeJS.Timeout | undefined;
    this.write(store, record);
    const final = live.outcome.then(() => {
      clearTimeout(timer);
      timer = undefined;
      this.write(store, record);
    });
    this.writes.add(final);
    void final.then(() => this.writes.delete(final));
    return () => {
      if (timer !== undefined || live.result !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        this.write(store, record);
      }, PERSIST_DELAY_MS);
      timer.unref();
    };
  }

  /** Writes an execution; a failure is reported (a Node warning), never thrown into the run. */
  private write(store: ExecutionStore, record: ExecutionRecord): void {
    try {
      store.save(persistedOf(record.execution, record));
    } catch (error) {
      process.emitWarning(`Step Functions: could not write ${record.execution.executionArn} to ${store.directory}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * With a `LoggingConfiguration`, writes an execution's log records to its
   * log group: at most {@link LOG_DELAY_MS} after each of its events, and
   * the rest when it has ended. The function returned is to be called on each event.
   */
  private logAsItRuns(machine: LocalStateMachine, execution: EngineExecution): (() => void) | undefined {
    const logging = machine.logging;
    if (!logging) return undefined;
    const stream = logStreamNameOf(machine.name, execution.startDate);
    let written = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      const history = historyOf(execution, logging.includeExecutionData);
      const fresh = history.slice(written);
      written = history.length;
      const events = fresh
        .filter((event) => loggedAt(logging.level, event.type))
        .map((event) => ({ timestamp: Math.round(event.timestamp * 1000), message: JSON.stringify(logRecordOf(event, execution.executionArn)) }));
      if (events.length === 0) return;
      try {
        this.logs.putLogEvents(logging.logGroupName, stream, events);
      } catch (error) {
        process.emitWarning(`Step Functions: could not write the execution logs of ${execution.executionArn}: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      for (const event of events) {
        try {
          this.options.onExecutionLog?.(machine.name, event.message);
        } catch {
          // A listener's failure must not change the execution.
        }
      }
    };
    // Registered before the execution is tracked, so its last records are written before drain() sees it idle.
    void execution.outcome.then(() => {
      clearTimeout(timer);
      timer = undefined;
      flush();
    });
    return () => {
      if (timer !== undefined || execution.result !== undefined) return;
      timer = setTimeout(() => {
        timer = undefined;
        flush();
      }, LOG_DELAY_MS);
      timer.unref();
    };
  }

  private describeStateMachine(stateMachineArn: string): Record<string, JsonValue> {
    const machine = this.machineOf(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      ...(machine.roleArn !== undefined ? { roleArn: machine.roleArn } : {}),
      type: machine.type,
      creationDate: epochSeconds(machine.creationDate),
      loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
      ...(machine.tracingConfiguration !== undefined ? { tracingConfiguration: machine.tracingConfiguration } : {}),
    };
  }

  /** The engine listener that turns an execution's events into hops. */
  private hopper(machine: LocalStateMachine, correlationId: string | undefined, duplicate: boolean): (event: EngineEvent, execution: EngineExecution) => void {
    const onHop = this.options.onHop;
    if (!onHop) return () => undefined;
    const enteredAt = new Map<string, number>();
    let compensating = false;
    let caughtState: string | undefined;
    return (event, execution) => {
      const base = {
        timestamp: event.timestamp,
        stateMachine: machine.name,
        stateMachineArn: machine.arn,
        executionArn: execution.executionArn,
        executionName: execution.name,
        ...(correlationId !== undefined ? { correlationId } : {}),
        ...(duplicate ? { duplicate } : {}),
      };
      const sinceStart = event.timestamp - execution.startDate.getTime();
      const hop = (fields: Omit<StepFunctionsHop, keyof typeof base | 'compensating'>) => {
        try {
          onHop({ ...base, compensating, ...fields });
        } catch {
          // A listener's failure must not change the execution.
        }
      };
      switch (event.type) {
        case 'ExecutionStarted':
          hop({ kind: 'execution-started' });
          return;
        case 'ExecutionSucceeded':
          hop({ kind: 'execution-succeeded', durationMs: sinceStart });
          return;
        case 'ExecutionFailed':
        case 'ExecutionAborted':
        case 'ExecutionTimedOut': {
          const kind = event.type === 'ExecutionFailed' ? 'execution-failed' : event.type === 'ExecutionAborted' ? 'execution-aborted' : 'execution-timed-out';
          hop({ kind, durationMs: sinceStart, ...(event.error !== undefined ? { error: event.error } : {}), ...(event.cause !== undefined ? { cause: event.cause } : {}) });
          return;
        }
        case 'StateEntered':
          enteredAt.set(event.state, event.timestamp);
          hop({ kind: 'state-entered', state: event.state, stateType: event.stateType });
          return;
        case 'StateExited':
          if (caughtState === event.state) {
            caughtState = undefined;
            return;
          }
          hop({ kind: 'state-succeeded', state: event.state, stateType: event.stateType, durationMs: event.timestamp - (enteredAt.get(event.state) ?? event.timestamp) });
          return;
        case 'StateFailed':
          hop({ kind: 'state-failed', state: event.state, stateType: event.stateType, error: event.error, cause: event.cause });
          return;
        case 'StateRetried':
          hop({ kind: 'state-retried', state: event.state, stateType: event.stateType, error: event.error, retryCount: event.retryCount });
          return;
        case 'StateCaught':
          hop({ kind: 'state-caught', state: event.state, stateType: event.stateType, error: event.error, next: event.next });
          compensating = true;
          caughtState = event.state;
          return;
        default:
          return;
      }
    };
  }
}

/** A definition's top-level `TimeoutSeconds`, when it has a number there. */
const definitionTimeoutSeconds = (definition: unknown): number | undefined => {
  let parsed: unknown = definition;
  if (typeof definition === 'string') {
    try {
      parsed = JSON.parse(definition);
    } catch {
      return undefined; // the engine refuses it, naming the problem
    }
  }
  return isRecord(parsed) && typeof parsed.TimeoutSeconds === 'number' ? parsed.TimeoutSeconds : undefined;
};

/**
 * `LoggingConfiguration`, checked as CreateStateMachine checks it
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_LoggingConfiguration.html,
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_CloudWatchLogsLogGroup.html):
 * a level other than OFF needs one destination, a log group ARN that ends
 * with `:*`, of a log group that exists (locally: one of the template's).
 */
const readLogging = (config: unknown, logs: CloudWatchLogs, fail: (property: string, detail: string) => UnsupportedFeatureError): ExecutionLogging | undefined => {
  if (config === undefined) return undefined;
  if (!isRecord(config)) throw fail('LoggingConfiguration', 'must be an object');
  const unknown = Object.keys(config).find((key) => !['Level', 'IncludeExecutionData', 'Destinations'].includes(key));
  if (unknown !== undefined) throw fail(`LoggingConfiguration.${unknown}`, 'not a LoggingConfiguration field');
  const level = config.Level ?? 'OFF';
  if (!LOG_LEVELS.includes(level as LogLevel)) throw fail('LoggingConfiguration.Level', `must be one of ${LOG_LEVELS.join(', ')}; got ${JSON.stringify(level)}`);
  const includeExecutionData = config.IncludeExecutionData ?? false;
  if (typeof includeExecutionData !== 'boolean') throw fail('LoggingConfiguration.IncludeExecutionData', 'must be a boolean');
  if (level === 'OFF') return undefined;
  const destinations = config.Destinations;
  if (!Array.isArray(destinations) || destinations.length !== 1) {
    throw fail('LoggingConfiguration.Destinations', `level ${String(level)} needs exactly one destination (Step Functions refuses it otherwise: InvalidLoggingConfiguration)`);
  }
  const [destination] = destinations as unknown[];
  const group = isRecord(destination) ? destination.CloudWatchLogsLogGroup : undefined;
  const arn = isRecord(group) ? group.LogGroupArn : undefined;
  const where = 'LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn';
  if (typeof arn !== 'string') throw fail(where, 'must be a log group ARN once intrinsics are resolved');
  if (!arn.endsWith(':*')) throw fail(where, `${arn}: "The ARN must end with :*" (Step Functions API reference, CloudWatchLogsLogGroup)`);
  const name = logGroupNameOfArn(arn);
  if (name === undefined || !logs.hasLogGroup(name)) {
    throw fail(where, `${arn} is not a log group of this template (Step Functions refuses a log destination that does not exist; locally only the template's log groups exist)`);
  }
  return { level: level as Exclude<LogLevel, 'OFF'>, includeExecutionData, logGroupName: name };
};

const readStateMachine = (resource: LocalResource, deps: EngineDeps, options: StepFunctionsOptions, logs: CloudWatchLogs, notEnforced: string[]): LocalStateMachine => {
  const fail = (property: string, detail: string) => new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
  assertKnownProperties(resource, KNOWN, (property) => fail(property, REFUSED_PROPERTIES[property] ?? 'not supported locally'));
  const p = resource.properties;
  const type = p.StateMachineType ?? 'STANDARD';
  if (type !== 'STANDARD' && type !== 'EXPRESS') throw fail('StateMachineType', `unknown type ${JSON.stringify(type)}`);
  const encryption = p.EncryptionConfiguration;
  if (encryption !== undefined && !(isRecord(encryption) && encryption.Type === 'AWS_OWNED_KEY' && Object.keys(encryption).length === 1)) {
    throw fail('EncryptionConfiguration', 'customer-managed KMS keys are not emulated (only AWS_OWNED_KEY)');
  }
  if (p.RoleArn !== undefined && typeof p.RoleArn !== 'string') throw fail('RoleArn', 'must be a string once intrinsics are resolved');

  const substitutions: Record<string, string> = {};
  if (p.DefinitionSubstitutions !== undefined) {
    if (!isRecord(p.DefinitionSubstitutions)) throw fail('DefinitionSubstitutions', 'must be an object');
    for (const [key, value] of Object.entries(p.DefinitionSubstitutions)) {
      if (!['string', 'number', 'boolean'].includes(typeof value)) throw fail(`DefinitionSubstitutions.${key}`, 'must resolve to a string, number or boolean');
      substitutions[key] = String(value);
    }
  }
  const property = p.DefinitionString !== undefined ? 'DefinitionString' : 'Definition';
  if (p.DefinitionString !== undefined && p.Definition !== undefined) throw fail('Definition', 'give DefinitionString or Definition, not both');
  const raw: unknown = p[property];
  if (raw === undefined) throw fail('DefinitionString', 'a state machine needs DefinitionString or Definition');
  if (typeof raw !== 'string' && !isRecord(raw)) throw fail(property, 'must be JSON text or an object');
  const definition = typeof raw === 'string' ? substitute(raw, substitutions) : substituteIn(raw, substitutions);
  const logging = readLogging(p.LoggingConfiguration, logs, fail);

  const arn = resource.arn ?? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${resource.logicalId}`;
  const roleArn = typeof p.RoleArn === 'string' ? p.RoleArn : undefined;
  const declaredTimeout = definitionTimeoutSeconds(definition);
  const engine = new StepFunctionsEngine(definition, deps, {
    stateMachineArn: arn,
    logicalId: resource.logicalId,
    definitionProperty: property,
    ...(roleArn !== undefined ? { roleArn } : {}),
    ...(options.retryIntervalScale !== undefined ? { retryIntervalScale: options.retryIntervalScale } : {}),
    ...(type === 'EXPRESS' ? { maxExecutionSeconds: EXPRESS_MAX_SECONDS } : {}),
  });
  const timeoutSeconds = type === 'EXPRESS' ? expressTimeoutSeconds(declaredTimeout) : declaredTimeout;
  if (type === 'EXPRESS' && declaredTimeout !== undefined && declaredTimeout > EXPRESS_MAX_SECONDS) {
    notEnforced.push(
      `${resource.logicalId} (${resource.type}): TimeoutSeconds ${String(declaredTimeout)} on an EXPRESS state machine — its executions time out at ${String(EXPRESS_MAX_SECONDS)} s, Express workflows' maximum duration`,
    );
  }
  if (p.TracingConfiguration !== undefined) notEnforced.push(`${resource.logicalId} (${resource.type}): TracingConfiguration accepted, not emulated — no X-Ray traces (the cost meter counts the ones X-Ray would record, by sampling rule)`);
  return {
    logicalId: resource.logicalId,
    resourceType: resource.type,
    arn,
    name: arn.split(':').at(-1) ?? resource.logicalId,
    type,
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    ...(logging !== undefined ? { logging } : {}),
    ...(roleArn !== undefined ? { roleArn } : {}),
    definitionText: typeof definition === 'string' ? definition : JSON.stringify(definition),
    creationDate: new Date(),
    engine,
    ...(p.LoggingConfiguration !== undefined ? { loggingConfiguration: camelCased(p.LoggingConfiguration) } : {}),
    ...(p.TracingConfiguration !== undefined ? { tracingConfiguration: camelCased(p.TracingConfiguration) } : {}),
    executions: new Map(),
  };
};

// ---------------------------------------------------------------------------
// Execution logs in CloudWatch Logs
// ---------------------------------------------------------------------------

/**
 * One execution log record, as Step Functions writes it to CloudWatch Logs
 * (one JSON document per history event; every value a string but `details`).
 * A record AWS wrote, for comparison:
 * `{"id":"5","type":"LambdaFunctionFailed","details":{"cause":"...","error":"InvalidSTACRootTypeError"},
 * "previous_event_id":"4","event_timestamp":"1668385717164","execution_arn":"arn:aws:states:...:execution:..."}`
 * (https://github.com/linz/geostore/pull/2300).
 */
export interface ExecutionLogRecord {
  /** The history event's id. */
  readonly id: string;
  readonly type: HistoryEventType;
  /** The history event's `<type>EventDetails` object (`{}` when it has none); inputs and outputs only with `includeExecutionData`. */
  readonly details: Readonly<Record<string, JsonValue>>;
  readonly previous_event_id: string;
  /** Epoch ms. */
  readonly event_timestamp: string;
  readonly execution_arn: string;
}

/**
 * The event types each log level writes, from the table "Log levels for Step
 * Functions execution events" (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html#cloudwatch-log-level):
 * ALL writes every type, OFF none.
 */
export const LOGGED_AT: Readonly<Record<'ERROR' | 'FATAL', ReadonlySet<HistoryEventType>>> = {
  ERROR: new Set<HistoryEventType>([
    'ExecutionAborted',
    'ExecutionFailed',
    'ExecutionTimedOut',
    'FailStateEntered',
    'LambdaFunctionFailed',
    'LambdaFunctionScheduleFailed',
    'LambdaFunctionStartFailed',
    'LambdaFunctionTimedOut',
    'MapIterationAborted',
    'MapIterationFailed',
    'MapRunAborted',
    'MapRunFailed',
    'MapStateAborted',
    'MapStateFailed',
    'ParallelStateAborted',
    'ParallelStateFailed',
    'TaskFailed',
    'TaskStartFailed',
    'TaskStateAborted',
    'TaskSubmitFailed',
    'TaskTimedOut',
    'WaitStateAborted',
  ]),
  FATAL: new Set<HistoryEventType>(['ExecutionAborted', 'ExecutionFailed', 'ExecutionTimedOut']),
};

const loggedAt = (level: LogLevel, type: HistoryEventType): boolean => (level === 'ALL' ? true : level === 'OFF' ? false : LOGGED_AT[level].has(type));

/** A history event as its log record. */
const logRecordOf = (event: WireHistoryEvent, executionArn: string): ExecutionLogRecord => {
  const key = Object.keys(event).find((name) => name.endsWith('EventDetails'));
  const details = key === undefined ? undefined : event[key];
  return {
    id: String(event.id),
    type: event.type,
    details: isRecord(details) ? (details as Record<string, JsonValue>) : {},
    previous_event_id: String(event.previousEventId),
    event_timestamp: String(Math.round(event.timestamp * 1000)),
    execution_arn: executionArn,
  };
};

/**
 * The log records an execution has so far, as a state machine with this
 * level and `includeExecutionData` writes them (what goes to its log group).
 */
export const executionLogRecordsOf = (execution: ExecutionView, level: LogLevel, includeExecutionData: boolean): ExecutionLogRecord[] =>
  historyOf(execution, includeExecutionData)
    .filter((event) => loggedAt(level, event.type))
    .map((event) => logRecordOf(event, execution.executionArn));

/** The state machine name in an execution ARN, Standard (`:execution:<machine>:<name>`) or Express (`:express:<machine>:<name>:<id>`). */
const executionMachineName = (executionArn: string): string | undefined => executionArn.split(':')[6];

/**
 * The log stream of an execution's records: `states/<state machine>/<UTC
 * minute it started>/<8 hex digits>`, one per execution. AWS names Step
 * Functions' streams after the state machine too, but how it groups
 * executions into streams is not documented.
 */
const logStreamNameOf = (stateMachine: string, startDate: Date): string =>
  `states/${stateMachine}/${startDate.toISOString().slice(0, 16).replace('T', '-').replace(':', '-')}/${randomBytes(4).toString('hex')}`;

// ---------------------------------------------------------------------------
// Execution history in AWS's shape
// ---------------------------------------------------------------------------

/** One `GetExecutionHistory` event as the wire carries it. */
export interface WireHistoryEvent {
  readonly timestamp: number;
  readonly type: HistoryEventType;
  readonly id: number;
  readonly previousEventId: number;
  readonly [details: string]: JsonValue;
}

type HistoryDraft = { readonly type: HistoryEventType; readonly timestamp: number } & Record<string, JsonValue>;

const ENTERED: Readonly<Record<StateType, HistoryEventType>> = {
  Task: 'TaskStateEntered',
  Pass: 'PassStateEntered',
  Choice: 'ChoiceStateEntered',
  Wait: 'WaitStateEntered',
  Succeed: 'SucceedStateEntered',
  Fail: 'FailStateEntered',
  Parallel: 'ParallelStateEntered',
  Map: 'MapStateEntered',
};
const EXITED: Readonly<Partial<Record<StateType, HistoryEventType>>> = {
  Task: 'TaskStateExited',
  Pass: 'PassStateExited',
  Choice: 'ChoiceStateExited',
  Wait: 'WaitStateExited',
  Succeed: 'SucceedStateExited',
  Parallel: 'ParallelStateExited',
  Map: 'MapStateExited',
};

const text = (value: JsonValue): string => JSON.stringify(value);

/**
 * An execution's event log as `GetExecutionHistory` answers it. Without
 * execution data (`includeExecutionData: false`) inputs, outputs and task
 * parameters are left out, as AWS does.
 */
export const historyOf = (execution: ExecutionView, includeData = true): WireHistoryEvent[] => {
  const drafts: HistoryDraft[] = [];
  const add = (type: HistoryEventType, timestamp: number, details: Record<string, JsonValue> = {}) => drafts.push({ type, timestamp, ...details });
  const data = (field: 'input' | 'output', value: JsonValue): Record<string, JsonValue> =>
    includeData ? { [field]: text(value), [`${field}Details`]: { truncated: false } } : {};
  const failure = (event: { readonly error?: string; readonly cause?: string }): Record<string, JsonValue> => ({
    ...(event.error !== undefined ? { error: event.error } : {}),
    ...(event.cause !== undefined ? { cause: event.cause } : {}),
  });

  for (const event of execution.events) {
    const t = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        add('ExecutionStarted', t, { executionStartedEventDetails: { ...data('input', event.input), ...(event.roleArn !== undefined ? { roleArn: event.roleArn } : {}) } });
        break;
      case 'ExecutionSucceeded':
        add('ExecutionSucceeded', t, { executionSucceededEventDetails: data('output', event.output) });
        break;
      case 'ExecutionFailed':
        add('ExecutionFailed', t, { executionFailedEventDetails: failure(event) });
        break;
      case 'ExecutionAborted':
        add('ExecutionAborted', t, { executionAbortedEventDetails: failure(event) });
        break;
      case 'ExecutionTimedOut':
        add('ExecutionTimedOut', t, { executionTimedOutEventDetails: failure(event) });
        break;
      case 'StateEntered':
        add(ENTERED[event.stateType], t, { stateEnteredEventDetails: { name: event.state, ...data('input', event.input) } });
        if (event.stateType === 'Parallel') add('ParallelStateStarted', t);
        if (event.stateType === 'Map') add('MapStateStarted', t, { mapStateStartedEventDetails: {} });
        break;
      case 'StateExited': {
        if (event.stateType === 'Parallel') add('ParallelStateSucceeded', t);
        if (event.stateType === 'Map') add('MapStateSucceeded', t);
        const exited = EXITED[event.stateType];
        if (exited) add(exited, t, { stateExitedEventDetails: { name: event.state, ...data('output', event.output) } });
        break;
      }
      case 'StateFailed':
        if (event.stateType === 'Parallel') add('ParallelStateFailed', t);
        if (event.stateType === 'Map') add('MapStateFailed', t);
        break;
      case 'TaskScheduled':
        if (event.integration === 'lambda-function') {
          add('LambdaFunctionScheduled', t, {
            lambdaFunctionScheduledEventDetails: {
              resource: event.resource,
              ...data('input', event.parameters),
              ...(event.timeoutInSeconds !== undefined ? { timeoutInSeconds: event.timeoutInSeconds } : {}),
            },
          });
        } else {
          add('TaskScheduled', t, {
            taskScheduledEventDetails: {
              resourceType: event.resourceType,
              resource: event.resource,
              region: event.region,
              ...(includeData ? { parameters: text(event.parameters) } : {}),
              ...(event.timeoutInSeconds !== undefined ? { timeoutInSeconds: event.timeoutInSeconds } : {}),
            },
          });
        }
        break;
      case 'TaskStarted':
        if (event.integration === 'lambda-function') add('LambdaFunctionStarted', t);
        else add('TaskStarted', t, { taskStartedEventDetails: { resourceType: event.resourceType, resource: event.resource } });
        break;
      case 'TaskSucceeded':
        if (event.integration === 'lambda-function') add('LambdaFunctionSucceeded', t, { lambdaFunctionSucceededEventDetails: data('output', event.output) });
        else add('TaskSucceeded', t, { taskSucceededEventDetails: { resourceType: event.resourceType, resource: event.resource, ...data('output', event.output) } });
        break;
      case 'TaskFailed':
        if (event.integration === 'lambda-function') add('LambdaFunctionFailed', t, { lambdaFunctionFailedEventDetails: failure(event) });
        else add('TaskFailed', t, { taskFailedEventDetails: { resourceType: event.resourceType, resource: event.resource, ...failure(event) } });
        break;
      case 'TaskTimedOut':
        if (event.integration === 'lambda-function') add('LambdaFunctionTimedOut', t, { lambdaFunctionTimedOutEventDetails: failure(event) });
        else add('TaskTimedOut', t, { taskTimedOutEventDetails: { resourceType: event.resourceType, resource: event.resource, ...failure(event) } });
        break;
      case 'MapIterationStarted':
        add('MapIterationStarted', t, { mapIterationStartedEventDetails: { name: event.state, index: event.index } });
        break;
      case 'MapIterationSucceeded':
        add('MapIterationSucceeded', t, { mapIterationSucceededEventDetails: { name: event.state, index: event.index } });
        break;
      case 'MapIterationFailed':
        add('MapIterationFailed', t, { mapIterationFailedEventDetails: { name: event.state, index: event.index } });
        break;
      default:
        break;
    }
  }
  return drafts.map((draft, i) => ({ ...draft, timestamp: epochSeconds(draft.timestamp), id: i + 1, previousEventId: i }));
};
