/**
 * The local Step Functions engine: ONE core that runs an Amazon States
 * Language definition with aws-local-stepfunctions, used by the local
 * cloud's state machines and by the saga tests alike.
 *
 * What it adds to the library:
 * - It refuses, loudly and naming the state, whatever the library would
 *   ignore or get wrong: JSONata (`QueryLanguage`, `Arguments`, `Output`,
 *   `Condition`, `Items`), workflow variables (`Assign`), task `Credentials`
 *   and heartbeats, the `.sync` and `.waitForTaskToken` patterns,
 *   activities, distributed Map (`ItemReader`, `ResultWriter`,
 *   `ItemBatcher`, tolerated failures, `ProcessorConfig.Mode: DISTRIBUTED`),
 *   any field it does not know, any Task `Resource` without a local adapter,
 *   context-object fields it cannot give (`$$.Task.Token`,
 *   `$$.State.RetryCount`...), and `$$.State.*`, `$$.Execution.Input` and
 *   `$$.Execution.StartTime` inside Parallel branches and Map iterators,
 *   where the library would give the branch's own values.
 * - Every Task state runs through a local adapter (see `./integrations`):
 *   the library never calls AWS.
 * - The context object: `$$.Execution.Id/Name/Input/StartTime/RoleArn`,
 *   `$$.StateMachine.Id/Name`, and `$$.State.Name/EnteredTime` (the time
 *   the state was entered, also when read again after a retry).
 * - Task `TimeoutSeconds` defaults to "none" as on AWS (the library's
 *   default is 60 s); timeouts longer than a Node timer can hold (~24.8
 *   days) are capped there.
 * - An execution may be held to a longest run (`maxExecutionSeconds`, the
 *   5 minutes of Express workflows): it times out (`States.Timeout`) at the
 *   smaller of that and the definition's `TimeoutSeconds`.
 * - Retry intervals are real unless `retryIntervalScale` shrinks them.
 * - An event log with AWS's task events (scheduled, started, succeeded,
 *   failed, timed out) interleaved in order with the library's state events.
 * - Terminal errors, as on AWS: `States.DataLimitExceeded` and
 *   `States.Runtime` are matched by no `Retry` and no `Catch`, not even
 *   `States.ALL`; the execution fails. Every `States.Runtime` is terminal:
 *   the library's (a path that points to nothing, an intrinsic function's bad
 *   argument), an adapter's (a `FunctionName` that is not a string), and any
 *   error the library did not mean as a States error (a `SyntaxError` from
 *   `States.StringToJson`, a `TypeError`), which becomes `States.Runtime`. Its
 *   cause starts "An error occurred while executing the state 'X'.", as AWS's
 *   does (AWS adds "(entered at the event id #N)", which is left out).
 * - The 256 KiB payload quota (`States.DataLimitExceeded`, see
 *   {@link MAX_PAYLOAD_BYTES}) where AWS applies it: a Task's effective input
 *   (after `InputPath` and `Parameters`, before the task is scheduled), a
 *   task's result (a `TaskFailed`/`LambdaFunctionFailed` naming the resource,
 *   as AWS's does), every state's output (after `ResultSelector`, `ResultPath`
 *   and `OutputPath`, or a Catch's `ResultPath`), the input a Parallel gives
 *   its branches and a Map each iteration (`Parameters`/`ItemSelector`), and
 *   the execution's input ({@link StepFunctionsEngine.start}).
 *
 * How: state outputs and branch inputs are never handed to code outside the
 * library, so the engine wraps `StateMachine.prototype.execute` of
 * aws-local-stepfunctions 3.0.0 (pinned) once, for the machines it prepared
 * only (a symbol on their definitions), giving them an event logger that
 * checks each state's output as the library reports it and makes unexpected
 * errors `States.Runtime` before the library matches retriers and catchers.
 * Throwing there fails the machine outside any state's Retry/Catch.
 *
 * Gaps with AWS, beyond what is refused:
 * - The effective input of a Pass state (its `Parameters`) is held to the
 *   quota only through its output: with `ResultPath: null` it is not checked.
 * - Inside a Map, `TaskCall.attempt` counts the attempts of all iterations
 *   of the state together (the library does not say which iteration calls).
 * - JSONPath and intrinsic functions are evaluated by aws-local-stepfunctions
 *   (jsonpath-plus), whose corner cases may differ from AWS's. A `ResultPath`
 *   that cannot be applied fails with the library's catchable
 *   `States.ResultPathMatchFailure`, the error name the Amazon States
 *   Language gives it.
 */
import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
import { ExecutionAbortedError, ExecutionError, ExecutionTimeoutError, StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { JsonValue } from '../cloudformation/intrinsics';
import { UnsupportedFeatureError } from '../errors';
import {
  IntegrationRefusal,
  MAX_PAYLOAD_BYTES,
  StateFailedError,
  TaskFailedError,
  integrationFor,
  isRecord,
  payloadBytes,
  type EngineDeps,
  type TaskIntegration,
} from './integrations';

export type { EngineDeps, EventEntry, FunctionInvocation, InvokeFunction, PutEvents, PutEventsResponse, StartExecution, StartExecutionCall, TaskCall } from './integrations';
export { MAX_PAYLOAD_BYTES, StateFailedError, TERMINAL_ERRORS, TaskFailedError } from './integrations';

/** setTimeout's longest delay, in seconds; a longer one fires at once. */
const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);
const STATE_MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';
const DEFAULT_FAIL_CAUSE = 'Execution failed because of a Fail state';

/** The state types of the Amazon States Language. */
export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

const COMMON = ['Type', 'Comment', 'QueryLanguage'];
const STATE_FIELDS: Readonly<Record<StateType, readonly string[]>> = {
  Task: [...COMMON, 'Next', 'End', 'Resource', 'InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'Retry', 'Catch', 'TimeoutSeconds', 'TimeoutSecondsPath'],
  Pass: [...COMMON, 'Next', 'End', 'InputPath', 'OutputPath', 'Parameters', 'Result', 'ResultPath'],
  Choice: [...COMMON, 'InputPath', 'OutputPath', 'Choices', 'Default'],
  Wait: [...COMMON, 'Next', 'End', 'InputPath', 'OutputPath', 'Seconds', 'Timestamp', 'SecondsPath', 'TimestampPath'],
  Succeed: [...COMMON, 'InputPath', 'OutputPath'],
  Fail: [...COMMON, 'Error', 'Cause', 'ErrorPath', 'CausePath'],
  Parallel: [...COMMON, 'Next', 'End', 'InputPath', 'OutputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'Retry', 'Catch', 'Branches'],
  Map: [
    ...COMMON,
    'Next',
    'End',
    'InputPath',
    'OutputPath',
    'ItemsPath',
    'ItemSelector',
    'Parameters',
    'Iterator',
    'ItemProcessor',
    'MaxConcurrency',
    'MaxConcurrencyPath',
    'ResultSelector',
    'ResultPath',
    'Retry',
    'Catch',
  ],
};
const TOP_FIELDS = ['StartAt', 'States', 'Comment', 'Version', 'TimeoutSeconds', 'QueryLanguage'];
const NESTED_FIELDS = ['StartAt', 'States', 'Comment', 'QueryLanguage', 'ProcessorConfig'];
const RETRIER_FIELDS = ['ErrorEquals', 'IntervalSeconds', 'MaxAttempts', 'BackoffRate', 'MaxDelaySeconds', 'JitterStrategy', 'Comment'];
const CATCHER_FIELDS = ['ErrorEquals', 'Next', 'ResultPath', 'Comment'];

/** Why the fields the library would silently ignore are refused. */
const REFUSED: Readonly<Record<string, string>> = {
  Arguments: 'JSONata (Arguments) is not supported by aws-local-stepfunctions',
  Output: 'JSONata (Output) is not supported by aws-local-stepfunctions',
  Items: 'JSONata (Items) is not supported by aws-local-stepfunctions',
  Condition: 'JSONata (Condition) is not supported by aws-local-stepfunctions',
  Assign: 'workflow variables (Assign) are not supported by aws-local-stepfunctions',
  Credentials: 'cross-account task Credentials are not emulated',
  HeartbeatSeconds: 'heartbeats only matter for activities and callbacks, which are not emulated',
  HeartbeatSecondsPath: 'heartbeats only matter for activities and callbacks, which are not emulated',
  ItemReader: 'distributed Map (ItemReader) is not emulated',
  ResultWriter: 'distributed Map (ResultWriter) is not emulated',
  ItemBatcher: 'distributed Map (ItemBatcher) is not emulated',
  ToleratedFailurePercentage: 'distributed Map (ToleratedFailurePercentage) is not emulated',
  ToleratedFailurePercentagePath: 'distributed Map (ToleratedFailurePercentagePath) is not emulated',
  ToleratedFailureCount: 'distributed Map (ToleratedFailureCount) is not emulated',
  ToleratedFailureCountPath: 'distributed Map (ToleratedFailureCountPath) is not emulated',
  Label: 'distributed Map (Label) is not emulated',
};

/** Where a state sits: the name, and the Map iteration for a state inside a Map. */
interface StateRef {
  readonly state: string;
  readonly stateType: StateType;
  readonly index?: number;
}

/** Which integration a task event is about, in the history's terms. */
export interface TaskRef {
  readonly state: string;
  readonly integration: TaskIntegration['kind'];
  readonly resourceType: string;
  readonly resource: string;
}

/**
 * One entry of an execution's event log, in order. Times are epoch ms.
 * `StateFailed`, `StateRetried` and `StateCaught` have no AWS history
 * counterpart; the rest map one to one (or one to two) onto AWS's events.
 */
export type EngineEvent = { readonly timestamp: number } & (
  | { readonly type: 'ExecutionStarted'; readonly input: JsonValue; readonly roleArn?: string }
  | { readonly type: 'ExecutionSucceeded'; readonly output: JsonValue }
  | { readonly type: 'ExecutionFailed' | 'ExecutionAborted' | 'ExecutionTimedOut'; readonly error?: string; readonly cause?: string }
  | (StateRef & { readonly type: 'StateEntered'; readonly input: JsonValue })
  | (StateRef & { readonly type: 'StateExited'; readonly output: JsonValue })
  | (StateRef & { readonly type: 'StateFailed'; readonly error: string; readonly cause: string })
  | (StateRef & { readonly type: 'StateRetried'; readonly retryCount: number; readonly error: string })
  | (StateRef & { readonly type: 'StateCaught'; readonly error: string; readonly next: string })
  | (TaskRef & { readonly type: 'TaskScheduled'; readonly parameters: JsonValue; readonly region: string; readonly timeoutInSeconds?: number; readonly attempt: number })
  | (TaskRef & { readonly type: 'TaskStarted' })
  | (TaskRef & { readonly type: 'TaskSucceeded'; readonly output: JsonValue })
  | (TaskRef & { readonly type: 'TaskFailed' | 'TaskTimedOut'; readonly error: string; readonly cause: string })
  | { readonly type: 'MapIterationStarted' | 'MapIterationSucceeded'; readonly state: string; readonly index: number }
  | { readonly type: 'MapIterationFailed'; readonly state: string; readonly index: number; readonly error: string; readonly cause: string }
  | { readonly type: 'ParallelBranchStarted' | 'ParallelBranchSucceeded'; readonly state: string }
  | { readonly type: 'ParallelBranchFailed'; readonly state: string; readonly error: string; readonly cause: string }
);

/** How an execution ended. */
export type ExecutionOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: JsonValue }
  | { readonly status: 'FAILED' | 'TIMED_OUT' | 'ABORTED'; readonly error?: string; readonly cause?: string };

/** An execution's status, as DescribeExecution reports it. */
export type ExecutionStatus = 'RUNNING' | ExecutionOutcome['status'];

/**
 * What DescribeExecution, ListExecutions and GetExecutionHistory read of an
 * execution, whether it runs in this process ({@link EngineExecution}) or was
 * read back from disk after a restart.
 */
export interface ExecutionView {
  readonly executionArn: string;
  readonly name: string;
  readonly stateMachineArn: string;
  readonly input: JsonValue;
  readonly startDate: Date;
  readonly status: ExecutionStatus;
  /** How it ended, once it has. */
  readonly result: ExecutionOutcome | undefined;
  readonly stopDate: Date | undefined;
  /** The event log, oldest first. */
  readonly events: readonly EngineEvent[];
}

/** Options of {@link StepFunctionsEngine}. */
export interface StepFunctionsEngineOptions {
  /** The state machine's ARN: `$$.StateMachine.Id`, and the prefix of its execution ARNs. */
  readonly stateMachineArn: string;
  /** The execution role: `$$.Execution.RoleArn` and the history's `roleArn` (IAM is not enforced). @default none */
  readonly roleArn?: string;
  /** The template resource named in errors. @default the state machine's name */
  readonly logicalId?: string;
  /** The resource property the definition came from, first in error paths. @default 'DefinitionString' */
  readonly definitionProperty?: string;
  /**
   * Factor applied to every retrier's `IntervalSeconds` and `MaxDelaySeconds`
   * (backoff and jitter still apply): `0.01` turns a 1 s → 60 s backoff into
   * 10 ms → 600 ms, for tests and a fast local mode; `0` retries at once.
   * @default 1 (real intervals)
   */
  readonly retryIntervalScale?: number;
  /**
   * The longest an execution may run, in seconds, whatever the definition's
   * `TimeoutSeconds` says: the execution times out (`States.Timeout`,
   * TIMED_OUT) at the smaller of the two. Express workflows' 5 minutes.
   * @default the definition's `TimeoutSeconds` alone
   */
  readonly maxExecutionSeconds?: number;
}

/** Options of one execution. */
export interface StartOptions {
  /** The execution's name. @default a random UUID */
  readonly name?: string;
  /**
   * The execution's ARN (`$$.Execution.Id`).
   * @default the Standard form, `arn:aws:states:<region>:<account>:execution:<state machine>:<name>`
   */
  readonly executionArn?: string;
  /** Hears every event as it is logged. Must not throw (what it throws is dropped). */
  readonly onEvent?: (event: EngineEvent, execution: EngineExecution) => void;
}

type LibraryInput = Parameters<StateMachine['run']>[0];
type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type LocalHandler = (input: LibraryInput) => Promise<LibraryInput>;

interface CompiledTask {
  readonly integration: TaskIntegration;
  readonly timeoutSeconds?: number;
}

const isStateType = (value: unknown): value is StateType => typeof value === 'string' && value in STATE_FIELDS;

/** A library value as the engine's JSON (the library's types are mutable, ours are not). */
const json = (value: unknown): JsonValue => (value === undefined ? null : (value as JsonValue));

const causeText = (cause: unknown): string => (typeof cause === 'string' ? cause : cause === undefined || cause === null ? '' : JSON.stringify(cause));

/**
 * A deep copy made with JSON, not structuredClone: under jest, structuredClone
 * builds objects of another realm, whose prototype the library's
 * plain-object checks reject.
 */
const cloneJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** `{error, cause}` of a failure, without the library's placeholders for a Fail state that names none. */
const failureOf = (name: string, cause: string): { error?: string; cause?: string } => ({
  ...(name && name !== 'FailStateError' ? { error: name } : {}),
  ...(cause && cause !== DEFAULT_FAIL_CAUSE ? { cause } : {}),
});

const CONTEXT_PATH = /\$\$((?:\.[A-Za-z_][A-Za-z0-9_]*)*)/g;

/** Why a context-object path cannot be given locally, or undefined when it can. */
const contextProblem = (members: string, nested: boolean): string | undefined => {
  const parts = members.split('.').slice(1);
  const [root, field] = parts;
  const nestedRefusal = 'inside a Parallel branch or Map iterator aws-local-stepfunctions gives the branch its own $$.State, $$.Execution.Input and StartTime; pass the value in the Parallel/Map Parameters instead';
  if (root === undefined) return nested ? nestedRefusal : undefined;
  switch (root) {
    case 'Execution':
      if (field === undefined || field === 'Input' || field === 'StartTime') return nested ? nestedRefusal : undefined;
      return ['Id', 'Name', 'RoleArn'].includes(field) && parts.length === 2 ? undefined : `$$${members} is not provided locally`;
    case 'StateMachine':
      return field === undefined || (['Id', 'Name'].includes(field) && parts.length === 2) ? undefined : `$$${members} is not provided locally`;
    case 'State':
      if (nested) return nestedRefusal;
      return field === undefined || (['Name', 'EnteredTime'].includes(field) && parts.length === 2) ? undefined : `$$${members} is not provided locally`;
    case 'Map':
      return field === undefined || field === 'Item' ? undefined : `$$${members} is not provided locally`;
    case 'Task':
      return 'task tokens ($$.Task.Token) are for callbacks, which are not emulated';
    default:
      return `$$${members} is not part of the context object`;
  }
};

/** Strings of a state that are paths or intrinsic functions (`x.$` values, `...Path` fields, Choice `Variable`). */
const pathStrings = (value: unknown, out: string[] = []): string[] => {
  if (Array.isArray(value)) value.forEach((item) => pathStrings(item, out));
  else if (isRecord(value)) {
    for (const [key, inner] of Object.entries(value)) {
      if (['Branches', 'Iterator', 'ItemProcessor', 'Result', 'Comment'].includes(key)) continue;
      if (typeof inner === 'string' && (key.endsWith('.$') || key.endsWith('Path') || key === 'Variable')) out.push(inner);
      else pathStrings(inner, out);
    }
  }
  return out;
};

// ---------------------------------------------------------------------------
// Where AWS fails and the library would not: checks inside the library's run
// ---------------------------------------------------------------------------

/** Marks a definition object the engine prepared for the library: its machine gets the checks. */
const LOCAL_MACHINE = Symbol('a machine definition prepared by the local Step Functions engine');

/** What the checks of one machine need to know. */
interface MachineMarker {
  /** The Parallel or Map state whose branch or iteration the machine runs; none for the execution itself. */
  readonly parentState?: string;
}

/** The part of aws-local-stepfunctions' (internal) event logger the checks stand in front of. */
interface LibraryLogger {
  dispatchStateEnteredEvent(state: string, type: StateType, input: unknown): void;
  dispatchStateExitedEvent(state: string, type: StateType, input: unknown, output: unknown): void;
  dispatchStateFailedEvent(state: string, type: StateType, input: unknown, error: unknown): void;
}

/** aws-local-stepfunctions 3.0.0's `StateMachine.prototype.execute` (private): runs a machine's states in a loop. */
type LibraryExecute = (this: { readonly definition?: unknown }, input: unknown, options: { readonly eventLogger: LibraryLogger }, cleanup: () => void) => Promise<unknown>;

const markerOf = (definition: unknown): MachineMarker | undefined =>
  typeof definition === 'object' && definition !== null ? (definition as Record<symbol, MachineMarker | undefined>)[LOCAL_MACHINE] : undefined;

const RUNTIME_CAUSE_PREFIX = 'An error occurred while executing the state';

/** AWS's cause for an oversized result or state output (e.g. "The state/task 'arn:aws:lambda:...' returned a result with a size exceeding ..."). */
const resultTooLargeCause = (stateOrTask: string): string =>
  `The state/task '${stateOrTask}' returned a result with a size exceeding the maximum number of bytes service limit.`;

/** The local cause for an oversized effective input (AWS's wording for it is not documented). */
const inputTooLargeCause = (state: string): string =>
  `The state/task '${state}' received an input with a size exceeding the maximum number of bytes service limit.`;

/**
 * Makes an error the library is about to match against retriers and
 * catchers what AWS would report: an error no States error stands for (a
 * `TypeError`, a `SyntaxError` from `States.StringToJson`, jsonpath-plus's
 * errors) is `States.Runtime`, terminal; a `States.Runtime` names the state.
 * The library reads the error object after this, so it is changed in place.
 */
const asStatesError = (error: unknown, state: string): void => {
  if (!(error instanceof Error)) return;
  if (!('isCatchable' in error)) {
    Object.defineProperties(error, {
      name: { value: 'States.Runtime', writable: true, configurable: true },
      isRetryable: { value: false, configurable: true },
      isCatchable: { value: false, configurable: true },
    });
  }
  if (error.name === 'States.Runtime' && !error.message.startsWith(RUNTIME_CAUSE_PREFIX)) {
    error.message = `${RUNTIME_CAUSE_PREFIX} '${state}'. ${error.message}`;
  }
};

/**
 * The event logger a prepared machine runs with: the library's own, with
 * checks in front of three of its methods. The library calls them
 * synchronously from its state loop, so what they throw fails the machine
 * outside any state's Retry and Catch (terminal, as on AWS).
 */
const checkedLogger = (logger: LibraryLogger, marker: MachineMarker): LibraryLogger => {
  let entered = false;
  const checks: LibraryLogger = {
    dispatchStateEnteredEvent: (state, type, input) => {
      const first = !entered;
      entered = true;
      if (first && marker.parentState !== undefined && payloadBytes(input) > MAX_PAYLOAD_BYTES) {
        throw new StateFailedError('States.DataLimitExceeded', inputTooLargeCause(marker.parentState));
      }
      logger.dispatchStateEnteredEvent(state, type, input);
    },
    dispatchStateExitedEvent: (state, type, input, output) => {
      if (payloadBytes(output) > MAX_PAYLOAD_BYTES) {
        const error = new StateFailedError('States.DataLimitExceeded', resultTooLargeCause(state));
        logger.dispatchStateFailedEvent(state, type, input, error);
        throw error;
      }
      logger.dispatchStateExitedEvent(state, type, input, output);
    },
    dispatchStateFailedEvent: (state, type, input, error) => {
      asStatesError(error, state);
      logger.dispatchStateFailedEvent(state, type, input, error);
    },
  };
  return new Proxy(logger, {
    get: (target, key) => {
      if (typeof key === 'string' && Object.hasOwn(checks, key)) return checks[key as keyof LibraryLogger];
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
};

const GUARDED = Symbol.for('serverless-shop/local-stepfunctions: execute guarded');

/**
 * Puts {@link checkedLogger} in front of every machine the engine prepared,
 * nested ones included (Parallel branches and Map iterations are machines the
 * library builds itself, so only its prototype reaches them). Other machines
 * run unchanged. Idempotent.
 *
 * @throws {Error} when the library no longer has the method (another version than the pinned 3.0.0).
 */
const guardLibrary = (): void => {
  const prototype = StateMachine.prototype as unknown as Record<PropertyKey, unknown>;
  if (prototype[GUARDED] === true) return;
  const original = prototype.execute;
  if (typeof original !== 'function') {
    throw new Error('aws-local-stepfunctions has no StateMachine.prototype.execute: the local Step Functions engine needs version 3.0.0 (see package.json)');
  }
  const run = original as LibraryExecute;
  const execute: LibraryExecute = function (this: { readonly definition?: unknown }, input, options, cleanup) {
    const marker = markerOf(this.definition);
    if (marker === undefined) return run.call(this, input, options, cleanup);
    return run.call(this, input, { ...options, eventLogger: checkedLogger(options.eventLogger, marker) }, cleanup);
  };
  prototype.execute = execute;
  prototype[GUARDED] = true;
};

guardLibrary();

/**
 * A state machine definition, validated and ready to run: construct it once
 * per definition (start-up), then {@link StepFunctionsEngine.start} runs
 * executions, each with its own event log.
 */
export class StepFunctionsEngine {
  /** The definition as validated (parsed from JSON text when it was a string). */
  public readonly definition: Readonly<Record<string, unknown>>;
  public readonly stateMachineArn: string;
  /** The last part of the state machine ARN: `$$.StateMachine.Name`. */
  public readonly stateMachineName: string;
  public readonly roleArn?: string;
  /** The region of the state machine ARN, reported in task events. */
  public readonly region: string;
  private readonly tasks = new Map<string, CompiledTask>();
  private readonly retryIntervalScale: number;
  private readonly maxExecutionSeconds?: number;
  private readonly fail: (property: string, detail: string) => UnsupportedFeatureError;

  /**
   * Validates `definition` (JSON text or an object) against what the engine
   * runs, builds each Task state's adapter, and lets aws-local-stepfunctions
   * validate the rest.
   *
   * @throws {UnsupportedFeatureError} naming the state and property the
   *   local engine cannot run (or the library's validation message).
   * @throws {RangeError} for a negative or non-finite `retryIntervalScale`, or a `maxExecutionSeconds` that is not a positive integer.
   */
  public constructor(
    definition: unknown,
    private readonly deps: EngineDeps,
    options: StepFunctionsEngineOptions,
  ) {
    this.stateMachineArn = options.stateMachineArn;
    this.stateMachineName = options.stateMachineArn.split(':').at(-1) ?? options.stateMachineArn;
    this.region = options.stateMachineArn.split(':')[3] ?? '';
    this.roleArn = options.roleArn;
    this.retryIntervalScale = options.retryIntervalScale ?? 1;
    if (!(Number.isFinite(this.retryIntervalScale) && this.retryIntervalScale >= 0)) {
      throw new RangeError(`retryIntervalScale must be a finite number >= 0; got ${String(this.retryIntervalScale)}`);
    }
    if (options.maxExecutionSeconds !== undefined) {
      if (!(Number.isInteger(options.maxExecutionSeconds) && options.maxExecutionSeconds > 0)) {
        throw new RangeError(`maxExecutionSeconds must be a positive integer; got ${String(options.maxExecutionSeconds)}`);
      }
      this.maxExecutionSeconds = options.maxExecutionSeconds;
    }
    const property = options.definitionProperty ?? 'DefinitionString';
    this.fail = (path, detail) => new UnsupportedFeatureError(options.logicalId ?? this.stateMachineName, STATE_MACHINE_TYPE, `${property}${path}`, detail);

    let parsed: unknown = definition;
    if (typeof definition === 'string') {
      try {
        parsed = JSON.parse(definition);
      } catch (error) {
        throw this.fail('', `is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      }
    }
    if (!isRecord(parsed)) throw this.fail('', 'must be a JSON object');
    this.definition = cloneJson(parsed);
    this.validateMachine(this.definition, '', false, new Set());
    try {
      new StateMachine(cloneJson(this.definition) as unknown as StateMachineDefinition);
    } catch (error) {
      throw this.fail('', `aws-local-stepfunctions refuses the definition: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * Starts an execution with `input`; it runs in the background ({@link EngineExecution.outcome}).
   *
   * @throws {RangeError} for an input over {@link MAX_PAYLOAD_BYTES}, which
   *   StartExecution refuses (`ValidationException`) before any execution exists.
   */
  public start(input: JsonValue, options: StartOptions = {}): EngineExecution {
    const bytes = payloadBytes(input);
    if (bytes > MAX_PAYLOAD_BYTES) throw new RangeError(`The execution input is ${bytes} bytes of JSON; Step Functions takes at most ${MAX_PAYLOAD_BYTES}`);
    const name = options.name ?? randomUUID();
    return new EngineExecution({
      engine: this,
      name,
      executionArn: options.executionArn ?? `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      input,
      onEvent: options.onEvent,
      prepare: (onEnter) => this.executable(onEnter),
      tasks: this.tasks,
    });
  }

  /** A fresh copy of the definition as the library runs it, with the entered-state hook on its top-level States. */
  private executable(onEnter: (state: string) => void): Record<string, unknown> {
    const copy = cloneJson(this.definition) as Record<string, unknown>;
    this.prepareMachine(copy, {});
    const limit = this.maxExecutionSeconds;
    if (limit !== undefined) copy.TimeoutSeconds = typeof copy.TimeoutSeconds === 'number' ? Math.min(copy.TimeoutSeconds, limit) : limit;
    if (typeof copy.TimeoutSeconds === 'number') copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
    const states = copy.States as Record<string, unknown>;
    copy.States = new Proxy(states, {
      get: (target, key, receiver) => {
        if (typeof key === 'string' && Object.hasOwn(target, key)) onEnter(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    return copy;
  }

  /** Scales retry intervals, sets Task timeouts, and marks each (nested) machine for the checks of `guardLibrary`. */
  private prepareMachine(machine: Record<string, unknown>, marker: MachineMarker): void {
    Object.defineProperty(machine, LOCAL_MACHINE, { value: marker, enumerable: false });
    for (const [name, state] of Object.entries(machine.States as Record<string, Record<string, unknown>>)) {
      if (Array.isArray(state.Retry) && this.retryIntervalScale !== 1) {
        state.Retry = (state.Retry as Record<string, unknown>[]).map((retrier) => ({
          ...retrier,
          IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? 1) * this.retryIntervalScale,
          ...(typeof retrier.MaxDelaySeconds === 'number' ? { MaxDelaySeconds: retrier.MaxDelaySeconds * this.retryIntervalScale } : {}),
        }));
      }
      if (state.Type === 'Task') {
        if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) state.TimeoutSeconds = MAX_TIMER_SECONDS;
        else if (typeof state.TimeoutSeconds === 'number') state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
      }
      if (Array.isArray(state.Branches)) (state.Branches as Record<string, unknown>[]).forEach((branch) => this.prepareMachine(branch, { parentState: name }));
      const processor = state.ItemProcessor ?? state.Iterator;
      if (isRecord(processor)) this.prepareMachine(processor, { parentState: name });
    }
  }

  private checkQueryLanguage(value: unknown, path: string, where: string): void {
    if (value === 'JSONPath') return;
    if (value === 'JSONata') throw this.fail(path, `${where}: QueryLanguage JSONata is not supported by aws-local-stepfunctions`);
    throw this.fail(path, `${where}: unknown QueryLanguage ${JSON.stringify(value)}`);
  }

  private validateMachine(machine: unknown, path: string, nested: boolean, seen: Set<string>): void {
    if (!isRecord(machine)) throw this.fail(path, 'must be an object');
    const where = nested ? `the branch at ${path.slice(1)}` : 'the state machine';
    for (const [key, value] of Object.entries(machine)) {
      if (key === 'QueryLanguage') this.checkQueryLanguage(value, `${path}.QueryLanguage`, where);
      else if (!(nested ? NESTED_FIELDS : TOP_FIELDS).includes(key)) throw this.fail(`${path}.${key}`, `${where}: ${REFUSED[key] ?? `${key} is not a field the local engine knows`}`);
    }
    if (machine.ProcessorConfig !== undefined) {
      const config = machine.ProcessorConfig;
      if (!isRecord(config) || Object.keys(config).some((key) => key !== 'Mode') || (config.Mode !== undefined && config.Mode !== 'INLINE')) {
        throw this.fail(`${path}.ProcessorConfig`, `${where}: only an INLINE Map is emulated (distributed Map is not)`);
      }
    }
    if (!isRecord(machine.States)) throw this.fail(`${path}.States`, `${where}: States must be an object`);
    for (const [name, state] of Object.entries(machine.States)) {
      if (seen.has(name)) throw this.fail(`${path}.States.${name}`, `state ${name}: state names must be unique across the whole state machine`);
      seen.add(name);
      this.validateState(name, state, `${path}.States.${name}`, nested, seen);
    }
  }

  private validateState(name: string, state: unknown, path: string, nested: boolean, seen: Set<string>): void {
    if (!isRecord(state)) throw this.fail(path, `state ${name}: must be an object`);
    const type = state.Type;
    if (!isStateType(type)) throw this.fail(`${path}.Type`, `state ${name}: unknown state Type ${JSON.stringify(type)}`);
    for (const [key, value] of Object.entries(state)) {
      if (key === 'QueryLanguage') this.checkQueryLanguage(value, `${path}.QueryLanguage`, `state ${name}`);
      else if (!STATE_FIELDS[type].includes(key)) {
        throw this.fail(`${path}.${key}`, `state ${name}: ${REFUSED[key] ?? `${key} is not a ${type} state field the local engine knows`}`);
      }
    }
    const checkEach = (field: 'Retry' | 'Catch', known: readonly string[]) => {
      const list = state[field];
      if (list === undefined) return;
      if (!Array.isArray(list)) throw this.fail(`${path}.${field}`, `state ${name}: ${field} must be a list`);
      list.forEach((item: unknown, i) => {
        if (!isRecord(item)) throw this.fail(`${path}.${field}[${i}]`, `state ${name}: must be an object`);
        for (const key of Object.keys(item)) {
          if (!known.includes(key)) throw this.fail(`${path}.${field}[${i}].${key}`, `state ${name}: ${REFUSED[key] ?? `${key} is not a ${field} field the local engine knows`}`);
        }
      });
    };
    checkEach('Retry', RETRIER_FIELDS);
    checkEach('Catch', CATCHER_FIELDS);
    if (type === 'Choice') this.checkChoiceRules(name, state.Choices, `${path}.Choices`);
    for (const text of pathStrings(state)) {
      for (const match of text.matchAll(CONTEXT_PATH)) {
        const problem = contextProblem(match[1] ?? '', nested);
        if (problem) throw this.fail(path, `state ${name}: ${problem} (in ${JSON.stringify(text)})`);
      }
    }
    if (type === 'Task') {
      try {
        const integration = integrationFor(state.Resource, state.Parameters, this.deps);
        this.tasks.set(name, { integration, ...(typeof state.TimeoutSeconds === 'number' ? { timeoutSeconds: state.TimeoutSeconds } : {}) });
      } catch (error) {
        if (error instanceof IntegrationRefusal) throw this.fail(`${path}.${error.property}`, `state ${name}: ${error.detail}`);
        throw error;
      }
    }
    if (type === 'Parallel') {
      if (!Array.isArray(state.Branches)) throw this.fail(`${path}.Branches`, `state ${name}: Branches must be a list`);
      state.Branches.forEach((branch: unknown, i) => this.validateMachine(branch, `${path}.Branches[${i}]`, true, seen));
    }
    if (type === 'Map') {
      const field = state.ItemProcessor !== undefined ? 'ItemProcessor' : 'Iterator';
      this.validateMachine(state[field], `${path}.${field}`, true, seen);
    }
  }

  private checkChoiceRules(name: string, rules: unknown, path: string): void {
    if (Array.isArray(rules)) rules.forEach((rule: unknown, i) => this.checkChoiceRules(name, rule, `${path}[${i}]`));
    else if (isRecord(rules)) {
      for (const [key, value] of Object.entries(rules)) {
        if (key in REFUSED) throw this.fail(`${path}.${key}`, `state ${name}: ${REFUSED[key]}`);
        if (key === 'And' || key === 'Or' || key === 'Not') this.checkChoiceRules(name, value, `${path}.${key}`);
      }
    }
  }
}

interface ExecutionSetup {
  readonly engine: StepFunctionsEngine;
  readonly name: string;
  readonly executionArn: string;
  readonly input: JsonValue;
  readonly onEvent?: StartOptions['onEvent'];
  readonly prepare: (onEnter: (state: string) => void) => Record<string, unknown>;
  readonly tasks: ReadonlyMap<string, CompiledTask>;
}

interface InFlightTask {
  readonly ref: TaskRef;
  abandoned: boolean;
}

/**
 * One execution, running in the background from the moment
 * {@link StepFunctionsEngine.start} returns it. Its event log grows as it
 * runs; {@link EngineExecution.outcome} resolves when it has ended.
 */
export class EngineExecution implements ExecutionView {
  public readonly executionArn: string;
  public readonly name: string;
  public readonly input: JsonValue;
  public readonly startDate = new Date();
  public readonly stateMachineArn: string;
  /** Resolves once the execution has ended and its log is complete; never rejects. */
  public readonly outcome: Promise<ExecutionOutcome>;
  private readonly log: EngineEvent[] = [];
  private readonly inFlight = new Set<InFlightTask>();
  private readonly attempts = new Map<string, number>();
  private readonly lastError = new Map<string, string>();
  private readonly onEvent?: StartOptions['onEvent'];
  private readonly engine: StepFunctionsEngine;
  private finished?: { readonly outcome: ExecutionOutcome; readonly stopDate: Date };
  private ended = false;
  private stopRequest: { readonly error?: string; readonly cause?: string } = {};
  private readonly abort: () => void;
  private idleWaiters: Array<() => void> = [];

  /** Built by {@link StepFunctionsEngine.start}. */
  public constructor(setup: ExecutionSetup) {
    this.engine = setup.engine;
    this.executionArn = setup.executionArn;
    this.name = setup.name;
    this.input = setup.input;
    this.stateMachineArn = setup.engine.stateMachineArn;
    this.onEvent = setup.onEvent;

    const entered = { name: '', time: '' };
    const definition = setup.prepare((state) => {
      entered.name = state;
      entered.time = new Date().toISOString();
    });
    const handlers: Record<string, LocalHandler> = {};
    for (const [state, task] of setup.tasks) handlers[state] = this.handler(state, task);
    const context = {
      Execution: { Id: this.executionArn, Name: this.name, ...(this.engine.roleArn ? { RoleArn: this.engine.roleArn } : {}) },
      StateMachine: { Id: this.engine.stateMachineArn, Name: this.engine.stateMachineName },
      State: Object.defineProperties(
        {},
        {
          Name: { enumerable: true, get: () => entered.name },
          EnteredTime: { enumerable: true, get: () => entered.time },
        },
      ),
    };
    const machine = new StateMachine(definition as unknown as StateMachineDefinition, { validationOptions: { noValidate: true } });
    const run = machine.run(cloneJson(this.input) as LibraryInput, { overrides: { taskResourceLocalHandlers: handlers }, context });
    this.abort = run.abort;
    const logged = this.consume(run.eventLogs);
    const settled = run.result.then(
      (output): ExecutionOutcome => ({ status: 'SUCCEEDED', output: json(output) }),
      (error: unknown): ExecutionOutcome => this.outcomeOfError(error),
    );
    void settled.then(() => {
      this.ended = true;
    });
    this.outcome = Promise.all([settled, logged]).then(([outcome]) => {
      const last = this.log.at(-1);
      this.finished = { outcome, stopDate: new Date(last?.type.startsWith('Execution') === true ? last.timestamp : Date.now()) };
      for (const task of this.inFlight) task.abandoned = true;
      this.wakeIdleWaiters();
      return outcome;
    });
  }

  /** RUNNING until the execution has ended (and its log is complete). */
  public get status(): ExecutionStatus {
    return this.finished?.outcome.status ?? 'RUNNING';
  }

  /** How it ended, once it has. */
  public get result(): ExecutionOutcome | undefined {
    return this.finished?.outcome;
  }

  public get stopDate(): Date | undefined {
    return this.finished?.stopDate;
  }

  /** The event log so far, oldest first. */
  public get events(): readonly EngineEvent[] {
    return this.log;
  }

  /**
   * Stops a running execution (ABORTED), as StopExecution does. A Task in
   * flight is not interrupted (its result is ignored), like on AWS.
   * @returns false when the execution had already ended.
   */
  public stop(error?: string, cause?: string): boolean {
    if (this.ended || this.finished) return false;
    this.stopRequest = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
    this.abort();
    return true;
  }

  /** Resolves when the execution has ended and no task call of it is still running. */
  public async idle(): Promise<void> {
    await this.outcome;
    if (this.inFlight.size === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private wakeIdleWaiters(): void {
    if (!this.finished || this.inFlight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((wake) => wake());
  }

  private emit(event: EngineEvent): void {
    this.log.push(event);
    try {
      this.onEvent?.(event, this);
    } catch {
      // A listener's failure must not change the execution.
    }
  }

  private outcomeOfError(error: unknown): ExecutionOutcome {
    if (error instanceof ExecutionTimeoutError) return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' };
    if (error instanceof ExecutionAbortedError) return { status: 'ABORTED', ...this.stopRequest };
    if (error instanceof ExecutionError && error.cause instanceof Error) return { status: 'FAILED', ...failureOf(error.cause.name, error.cause.message) };
    return { status: 'FAILED', error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
  }

  private handler(stateName: string, task: CompiledTask): LocalHandler {
    const { integration } = task;
    const ref: TaskRef = { state: stateName, integration: integration.kind, resourceType: integration.resourceType, resource: integration.resource };
    return async (input) => {
      await nextMacrotask();
      if (this.ended) throw new TaskFailedError('States.Runtime', 'The execution has ended');
      const parameters = json(input);
      // "input data when scheduling a task": the task is never scheduled.
      if (payloadBytes(parameters) > MAX_PAYLOAD_BYTES) throw new TaskFailedError('States.DataLimitExceeded', inputTooLargeCause(stateName));
      const attempt = (this.attempts.get(stateName) ?? 0) + 1;
      this.attempts.set(stateName, attempt);
      const pending: InFlightTask = { ref, abandoned: false };
      this.inFlight.add(pending);
      this.emit({
        type: 'TaskScheduled',
        timestamp: Date.now(),
        ...ref,
        parameters,
        region: this.engine.region,
        attempt,
        ...(task.timeoutSeconds !== undefined ? { timeoutInSeconds: task.timeoutSeconds } : {}),
      });
      this.emit({ type: 'TaskStarted', timestamp: Date.now(), ...ref });
      try {
        const output = await integration.run(parameters, { executionArn: this.executionArn, stateMachineArn: this.engine.stateMachineArn, stateName, attempt });
        if (payloadBytes(output) > MAX_PAYLOAD_BYTES) {
          // AWS names the function ARN for a Lambda function task, the resource type ('lambda', 'events'...) for an integration.
          throw new TaskFailedError('States.DataLimitExceeded', resultTooLargeCause(integration.kind === 'lambda-function' ? integration.resource : integration.resourceType));
        }
        if (!pending.abandoned) this.emit({ type: 'TaskSucceeded', timestamp: Date.now(), ...ref, output });
        return output as LibraryInput;
      } catch (error) {
        const failure = error instanceof TaskFailedError ? error : new TaskFailedError('States.Runtime', error instanceof Error ? error.message : String(error));
        if (!pending.abandoned) this.emit({ type: 'TaskFailed', timestamp: Date.now(), ...ref, error: failure.name, cause: failure.message });
        throw failure;
      } finally {
        this.inFlight.delete(pending);
        this.wakeIdleWaiters();
      }
    };
  }

  private async consume(events: AsyncGenerator<LibraryEvent>): Promise<void> {
    for await (const event of events) this.record(event);
  }

  private record(event: LibraryEvent): void {
    const timestamp = event.timestamp;
    switch (event.type) {
      case 'ExecutionStarted':
        this.emit({ type: 'ExecutionStarted', timestamp, input: json(event.input), ...(this.engine.roleArn ? { roleArn: this.engine.roleArn } : {}) });
        return;
      case 'ExecutionSucceeded':
        this.emit({ type: 'ExecutionSucceeded', timestamp, output: json(event.output) });
        return;
      case 'ExecutionFailed':
        this.emit({ type: 'ExecutionFailed', timestamp, ...failureOf(event.Error, causeText(event.Cause)) });
        return;
      case 'ExecutionAborted':
        this.abandonInFlight();
        this.emit({ type: 'ExecutionAborted', timestamp, ...this.stopRequest });
        return;
      case 'ExecutionTimeout':
        this.abandonInFlight();
        this.emit({ type: 'ExecutionTimedOut', timestamp, error: 'States.Timeout', cause: 'The execution ran longer than its TimeoutSeconds' });
        return;
      case 'StateEntered':
        this.attempts.set(event.state.name, 0);
        this.emit({ type: 'StateEntered', timestamp, ...this.stateRef(event), input: json(event.state.input) });
        return;
      case 'StateExited':
        this.emit({ type: 'StateExited', timestamp, ...this.stateRef(event), output: json(event.state.output) });
        return;
      case 'StateFailed': {
        const cause = causeText(event.Cause);
        this.lastError.set(event.state.name, event.Error);
        if (event.Error === 'States.Timeout' && event.state.type === 'Task') {
          for (const task of this.inFlight) {
            if (task.ref.state !== event.state.name || task.abandoned) continue;
            task.abandoned = true;
            this.emit({ type: 'TaskTimedOut', timestamp, ...task.ref, error: 'States.Timeout', cause: '' });
          }
        }
        this.emit({ type: 'StateFailed', timestamp, ...this.stateRef(event), error: event.Error, cause });
        return;
      }
      case 'StateRetried':
        this.emit({ type: 'StateRetried', timestamp, ...this.stateRef(event), retryCount: event.retry.attempt, error: this.lastError.get(event.state.name) ?? '' });
        return;
      case 'StateCaught':
        this.emit({ type: 'StateCaught', timestamp, ...this.stateRef(event), error: this.lastError.get(event.state.name) ?? '', next: event.catch.catcher.Next });
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
        this.emit({ type: event.type, timestamp, state: event.parentState.name, index: event.index });
        return;
      case 'MapIterationFailed':
        this.emit({ type: event.type, timestamp, state: event.parentState.name, index: event.index, error: event.Error, cause: causeText(event.Cause) });
        return;
      case 'ParallelBranchStarted':
      case 'ParallelBranchSucceeded':
        this.emit({ type: event.type, timestamp, state: event.parentState.name });
        return;
      case 'ParallelBranchFailed':
        this.emit({ type: event.type, timestamp, state: event.parentState.name, error: event.Error, cause: causeText(event.Cause) });
        return;
    }
  }

  private stateRef(event: { readonly state: { readonly name: string; readonly type: StateType }; readonly index?: number }): StateRef {
    return { state: event.state.name, stateType: event.state.type, ...(event.index !== undefined ? { index: event.index } : {}) };
  }

  private abandonInFlight(): void {
    for (const task of this.inFlight) task.abandoned = true;
  }
}
