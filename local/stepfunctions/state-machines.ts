/**
 * AWS Step Functions for the local cloud: the template's
 * `AWS::StepFunctions::StateMachine` resources, each run by the shared
 * {@link StepFunctionsEngine}, an in-memory registry of their executions,
 * and the AWS-protocol operations (`AWSStepFunctions.*`) the SDK and the
 * AWS CLI use.
 *
 * What is emulated, and how it follows AWS:
 * - `DefinitionString` (JSON text, or an object once intrinsics are
 *   resolved) or `Definition`, with `DefinitionSubstitutions` applied
 *   (`${Name}` placeholders replaced in the definition's text).
 * - `RoleArn` becomes `$$.Execution.RoleArn` and the history's `roleArn`;
 *   what the role may do is the local IAM's to check (`../iam`, wired by the
 *   local cloud around the integrations).
 * - `StateMachineType` STANDARD. EXPRESS is REFUSED at start-up: its
 *   at-least-once semantics, `StartSyncExecution` and the absence of
 *   `DescribeExecution`/history are not emulated.
 * - `LoggingConfiguration` and `TracingConfiguration` are accepted and
 *   reported by `DescribeStateMachine`, but NOT emulated: no execution logs
 *   are written to CloudWatch Logs and no X-Ray traces are made (the
 *   `onHop` listener is the local execution log). `Tags` are accepted.
 *   `EncryptionConfiguration` is accepted only with `AWS_OWNED_KEY`.
 * - The local name of a state machine is its logical id (as
 *   `local/template-model.ts` builds its ARN), whatever `StateMachineName` says.
 * - `StartExecution` (name optional → a UUID; idempotent as on AWS: the same
 *   name and input while the execution runs returns it again, otherwise
 *   `ExecutionAlreadyExists`; input must be a JSON object of at most
 *   256 KiB), `DescribeExecution`, `GetExecutionHistory`, `ListExecutions`
 *   (newest first, `statusFilter`, pagination), `StopExecution`,
 *   `DescribeStateMachine`, `ListStateMachines`.
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
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import type { JsonValue } from '../cloudformation/intrinsics';
import { UnsupportedFeatureError } from '../errors';
import { LOCAL_ACCOUNT, LOCAL_REGION, assertKnownProperties, type LocalResource } from '../resources';
import { StepFunctionsEngine, type EngineDeps, type EngineEvent, type EngineExecution, type ExecutionView, type StateType } from './engine';
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
  readonly stateMachine: string;
  readonly executionArn: string;
  readonly executionName: string;
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

/** What {@link StepFunctionsEmulator.create} needs from the rest of the local cloud. */
export type StepFunctionsDeps = EngineDeps;

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
}

/** A state machine as `ListStateMachines` and the CLI show it. */
export interface StateMachineSummary {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD';
}

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
const MAX_PAGE = 1000;
const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'];
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/;
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

interface LocalStateMachine {
  readonly logicalId: string;
  readonly arn: string;
  readonly name: string;
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
  private readonly machines = new Map<string, LocalStateMachine>();
  private readonly active = new Set<EngineExecution>();
  /** Writes still to happen when the executions they are for end. */
  private readonly writes = new Set<Promise<void>>();
  private store?: ExecutionStore;
  private sequence = 0;
  private closed = false;

  private constructor(
    private readonly options: StepFunctionsOptions,
    notEnforced: readonly string[],
  ) {
    this.notEnforced = notEnforced;
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
    const emulator = new StepFunctionsEmulator(options, notEnforced);
    for (const resource of resources.filter((candidate) => candidate.type.startsWith('AWS::StepFunctions::'))) {
      if (resource.type !== STATE_MACHINE_TYPE) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'only state machines are emulated (no activities, versions or aliases)');
      }
      const machine = readStateMachine(resource, deps, options, notEnforced);
      emulator.machines.set(machine.arn, machine);
    }
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
          type: 'STANDARD',
          creationDate: epochSeconds(machine.creationDate),
        })),
      }),
    };
  }

  /**
   * Starts an execution, as `StartExecution`.
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

    const existing = machine.executions.get(name);
    if (existing) {
      if (existing.execution.status === 'RUNNING' && existing.inputText === inputText) {
        return { executionArn: existing.execution.executionArn, startDate: existing.execution.startDate };
      }
      throw new AwsServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.execution.executionArn}'`);
    }
    const json = input as JsonValue;
    const hop = this.hopper(machine, correlationIdOf(json));
    let persist: (() => void) | undefined;
    const execution = machine.engine.start(json, {
      name,
      onEvent: (event, running) => {
        hop(event, running);
        persist?.();
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
    this.active.add(execution);
    void execution.idle().then(() => this.active.delete(execution));
    return { executionArn: execution.executionArn, startDate: execution.startDate };
  }

  /** The state machines, for the CLI's start-up summary. */
  public stateMachines(): readonly StateMachineSummary[] {
    return [...this.machines.values()].map((machine) => ({ logicalId: machine.logicalId, name: machine.name, arn: machine.arn, type: 'STANDARD' }));
  }

  /** An execution by ARN (running here, or read back from disk), for tests and the CLI. */
  public execution(executionArn: string): ExecutionView | undefined {
    return this.recordOf(executionArn)?.execution;
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
    const statusFilter = optionalString(input, 'statusFilter');
    if (statusFilter !== undefined && !STATUSES.includes(statusFilter)) {
      throw validation(`1 validation error detected: Value '${statusFilter}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`);
    }
    const redriveFilter = optionalString(input, 'redriveFilter');
    const size = pageSize(input);
    const token = optionalString(input, 'nextToken');
    const below = token === undefined ? Number.POSITIVE_INFINITY : decodeToken(token);
    const matching = [...machine.executions.values()]
      .filter(() => redriveFilter !== 'REDRIVEN')
      .filter((record) => statusFilter === undefined || record.execution.status === statusFilter)
      .filter((record) => record.sequence <= below)
      .sort((a, b) => b.sequence - a.sequence);
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

  private describeStateMachine(stateMachineArn: string): Record<string, JsonValue> {
    const machine = this.machineOf(stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      ...(machine.roleArn !== undefined ? { roleArn: machine.roleArn } : {}),
      type: 'STANDARD',
      creationDate: epochSeconds(machine.creationDate),
      loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
      ...(machine.tracingConfiguration !== undefined ? { tracingConfiguration: machine.tracingConfiguration } : {}),
    };
  }

  /** The engine listener that turns an execution's events into hops. */
  private hopper(machine: LocalStateMachine, correlationId: string | undefined): (event: EngineEvent, execution: EngineExecution) => void {
    const onHop = this.options.onHop;
    if (!onHop) return () => undefined;
    const enteredAt = new Map<string, number>();
    let compensating = false;
    let caughtState: string | undefined;
    return (event, execution) => {
      const base = {
        timestamp: event.timestamp,
        stateMachine: machine.name,
        executionArn: execution.executionArn,
        executionName: execution.name,
        ...(correlationId !== undefined ? { correlationId } : {}),
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

const readStateMachine = (resource: LocalResource, deps: StepFunctionsDeps, options: StepFunctionsOptions, notEnforced: string[]): LocalStateMachine => {
  const fail = (property: string, detail: string) => new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
  assertKnownProperties(resource, KNOWN, (property) => fail(property, REFUSED_PROPERTIES[property] ?? 'not supported locally'));
  const p = resource.properties;
  const type = p.StateMachineType ?? 'STANDARD';
  if (type === 'EXPRESS') {
    throw fail('StateMachineType', 'EXPRESS workflows are not emulated (at-least-once semantics, StartSyncExecution, no DescribeExecution or history); use STANDARD locally or extend local/stepfunctions');
  }
  if (type !== 'STANDARD') throw fail('StateMachineType', `unknown type ${JSON.stringify(type)}`);
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

  const arn = resource.arn ?? `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${resource.logicalId}`;
  const roleArn = typeof p.RoleArn === 'string' ? p.RoleArn : undefined;
  const engine = new StepFunctionsEngine(definition, deps, {
    stateMachineArn: arn,
    logicalId: resource.logicalId,
    definitionProperty: property,
    ...(roleArn !== undefined ? { roleArn } : {}),
    ...(options.retryIntervalScale !== undefined ? { retryIntervalScale: options.retryIntervalScale } : {}),
  });
  if (p.LoggingConfiguration !== undefined) notEnforced.push(`${resource.logicalId} (${resource.type}): LoggingConfiguration accepted, not emulated — no execution logs in CloudWatch Logs`);
  if (p.TracingConfiguration !== undefined) notEnforced.push(`${resource.logicalId} (${resource.type}): TracingConfiguration accepted, not emulated — no X-Ray traces`);
  return {
    logicalId: resource.logicalId,
    arn,
    name: arn.split(':').at(-1) ?? resource.logicalId,
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
