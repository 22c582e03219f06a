import './promise-with-resolvers';
import { randomUUID } from 'node:crypto';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ZodType } from 'zod';
import type { EventContract } from '../../../functions/shared/contracts/envelope';
import { AllEvents } from '../../../functions/shared/contracts/events';
import {
  cancelShipmentInput,
  chargePaymentInput,
  createShipmentInput,
  refundPaymentInput,
  releaseInventoryInput,
  reserveInventoryInput,
  type CancelShipmentOutput,
  type ChargePaymentOutput,
  type CreateShipmentOutput,
  type RefundPaymentOutput,
  type ReleaseInventoryOutput,
  type ReserveInventoryOutput,
} from '../../../functions/shared/contracts/saga';
import { compensationFailedDetail, orderCancelledDetail, orderConfirmedDetail } from '../../fixtures/events';
import { TEST_PSEUDO_PARAMETERS, type SagaDefinition } from './definition';

/**
 * Runs the synthesized saga definition with aws-local-stepfunctions, every
 * Task state overridden by a local handler, and records what happened.
 *
 * Override mechanics (the local cloud reuses them):
 * - `overrides.taskResourceLocalHandlers` is keyed by STATE NAME. Every Task
 *   state gets one, chosen by its `Resource`: a Lambda ARN (the saga uses
 *   `payloadResponseOnly`, so the handler receives the function's payload
 *   and returns its result) or `arn:aws:states:::events:putEvents`, which
 *   the library cannot call (it receives `{Entries}` and answers
 *   `{Entries: [{EventId}], FailedEntryCount: 0}`). Any other resource is refused.
 * - The library matches Retry and Catch on the thrown error's `name`, and the
 *   Catch output is `{Error: name, Cause: message}`. A function error is
 *   rethrown with the Lambda error type as `name` and, as Step Functions
 *   does, the JSON `{errorType, errorMessage, trace}` as `Cause`; service
 *   errors (`Lambda.*`, `EventBridge.*`, `States.*`) keep their message.
 * - `overrides.retryIntervalOverrides` sets 0 ms for every state with a
 *   Retry, so backoff and jitter cost nothing (and are not exercised).
 * - The Context Object is passed in `context`: the library only sets
 *   `Execution.Input` and `Execution.StartTime`, so `Execution.Id`/`Name` and
 *   `StateMachine` are given, and `State.EnteredTime` is a getter answering
 *   the time it is read, i.e. while the state's Parameters are evaluated.
 */

/** The Lambda task states and the input contract each one's function validates. */
const LAMBDA_TASK_INPUTS: Readonly<Record<string, ZodType>> = {
  ReserveInventory: reserveInventoryInput,
  ChargePayment: chargePaymentInput,
  CreateShipment: createShipmentInput,
  CancelShipment: cancelShipmentInput,
  RefundPayment: refundPaymentInput,
  ReleaseInventory: releaseInventoryInput,
};

const PUT_EVENTS = 'arn:aws:states:::events:putEvents';

type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type LocalResult = Awaited<ReturnType<LocalHandlers[string]>>;
const STATE_MACHINE_ARN = `arn:aws:states:${TEST_PSEUDO_PARAMETERS.region}:${TEST_PSEUDO_PARAMETERS.accountId}:stateMachine:OrderSaga`;

/**
 * A local stand-in for one Task state, called once per attempt (1-based).
 * Return the task's result, or throw: the error's `name` is what the
 * state's Retry and Catch match. For a putEvents state a handler can only
 * throw (to fail the attempt); when it returns, the entries are recorded.
 */
export type TaskHandler = (input: unknown, attempt: number) => unknown;

/** What a test changes about a run. */
export interface SagaRunOptions {
  /** Handlers by state name, replacing the succeeding defaults. */
  readonly handlers?: Readonly<Record<string, TaskHandler>>;
  /** Name of the execution; `$$.Execution.Id` is its ARN. @default a fresh UUID */
  readonly executionName?: string;
}

/** One entry a putEvents state sent. */
export interface PublishedEvent {
  readonly state: string;
  readonly source: string;
  readonly detailType: string;
  readonly eventBusName: string;
  readonly resources: readonly string[];
  readonly detail: { readonly metadata: Record<string, unknown>; readonly data: Record<string, unknown> };
}

/** What one execution did, in order. */
export interface SagaRun {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly executionArn: string;
  /** The execution's output, when it succeeded. */
  readonly output: unknown;
  /** The Fail state's (or the unhandled) error, when it failed. */
  readonly failure: { readonly error: string; readonly cause: string } | undefined;
  /** Every Task attempt, in order: a retried task appears once per attempt. */
  readonly tasks: readonly string[];
  /** Every state entered, in order (a retried task is entered once). */
  readonly states: readonly string[];
  /** Inputs each Task state received, one per attempt. */
  readonly inputs: ReadonlyMap<string, readonly unknown[]>;
  /** Every event put on the bus, validated against its contract. */
  readonly events: readonly PublishedEvent[];
}

/** The results the task functions give when a test does not say otherwise. */
export const defaultHandlers: Readonly<Record<string, TaskHandler>> = {
  ReserveInventory: (): ReserveInventoryOutput => ({ reservedAt: '2026-03-01T12:00:01.000Z' }),
  ChargePayment: (): ChargePaymentOutput => ({ paymentId: 'pay-1', status: 'CAPTURED' }),
  CreateShipment: (input): CreateShipmentOutput => ({ shipmentId: `shp-${orderIdOf(input)}` }),
  CancelShipment: (): CancelShipmentOutput => ({ cancelled: true }),
  RefundPayment: (): RefundPaymentOutput => ({ refunded: true }),
  ReleaseInventory: (): ReleaseInventoryOutput => ({ released: true }),
};

/** A handler that throws `errors[attempt - 1]` while there is one, then behaves like `then`. */
export const failing =
  (errors: readonly Error[], then?: TaskHandler): TaskHandler =>
  (input, attempt) => {
    const error = errors[attempt - 1];
    if (error !== undefined) throw error;
    if (then === undefined) throw new Error(`the test gave no result for attempt ${attempt}`);
    return then(input, attempt);
  };

/** A handler that always throws what `make` builds. */
export const alwaysFailing =
  (make: () => Error): TaskHandler =>
  () => {
    throw make();
  };

/** A task error as Step Functions reports it: the error type as name, the Lambda error document as cause. */
class TaskFailedError extends Error {
  public constructor(errorType: string, cause: string) {
    super(cause);
    this.name = errorType;
  }
}

const isServiceError = (name: string): boolean => /^(Lambda|EventBridge|States|Sandbox)\./.test(name);

const asTaskError = (error: unknown): TaskFailedError => {
  if (!(error instanceof Error)) return new TaskFailedError('Error', JSON.stringify({ errorType: 'Error', errorMessage: String(error), trace: [] }));
  if (isServiceError(error.name)) return new TaskFailedError(error.name, error.message);
  return new TaskFailedError(error.name, JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: [] }));
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const orderIdOf = (input: unknown): string => {
  const orderId = isRecord(input) ? input.orderId : undefined;
  if (typeof orderId !== 'string') throw new Error('task input has no orderId');
  return orderId;
};

const FIXTURES: Readonly<Record<string, { readonly metadata: object; readonly data: object }>> = {
  OrderConfirmed: orderConfirmedDetail,
  OrderCancelled: orderCancelledDetail,
  CompensationFailed: compensationFailedDetail,
};

const contractOf = (detailType: string): EventContract | undefined => AllEvents.find((contract) => contract.detailType === detailType);

/** Problems with what the saga published: a contract it breaks, or keys that differ from the contract's fixture. */
const eventProblems = (event: PublishedEvent): string[] => {
  const contract = contractOf(event.detailType);
  if (contract === undefined) return [`${event.state} published an unknown detail type ${event.detailType}`];
  const problems: string[] = [];
  if (event.source !== contract.source) problems.push(`${event.state} published ${event.detailType} from ${event.source}, not ${contract.source}`);
  const parsed = contract.detail.safeParse(event.detail);
  if (!parsed.success) problems.push(`${event.state} published a ${event.detailType} that breaks its contract: ${parsed.error.message}`);
  const fixture = FIXTURES[event.detailType];
  if (fixture === undefined) return [...problems, `no fixture for ${event.detailType}`];
  const keys = (value: object): string[] => Object.keys(value).sort();
  if (keys(event.detail.metadata).join() !== keys(fixture.metadata).join()) problems.push(`${event.state}: metadata keys ${keys(event.detail.metadata)} differ from the fixture's`);
  if (keys(event.detail.data).join() !== keys(fixture.data).join()) problems.push(`${event.state}: data keys ${keys(event.detail.data)} differ from the fixture's ${keys(fixture.data)}`);
  return problems;
};

const recordEntries = (state: string, input: unknown, executionArn: string): PublishedEvent[] => {
  const entries: unknown = isRecord(input) ? input.Entries : undefined;
  if (!Array.isArray(entries) || entries.length === 0) throw new Error(`${state}: putEvents without Entries`);
  return (entries as unknown[]).map((entry) => {
    if (!isRecord(entry)) throw new Error(`${state}: an entry is not an object`);
    const rawDetail = entry.Detail;
    const detail: unknown = typeof rawDetail === 'string' ? JSON.parse(rawDetail) : rawDetail;
    if (typeof detail !== 'object' || detail === null) throw new Error(`${state}: an entry has no Detail object`);
    return {
      state,
      source: String(entry.Source),
      detailType: String(entry.DetailType),
      eventBusName: String(entry.EventBusName),
      resources: [executionArn, STATE_MACHINE_ARN],
      detail: detail as PublishedEvent['detail'],
    };
  });
};

/**
 * Runs one execution of `definition` with `input` (an OrderPlaced detail).
 * Rejects, after the run, when a task received input that breaks its
 * contract or an event breaks its contract or fixture: a saga that routes
 * correctly with wrong payloads must not pass.
 */
export const runSaga = async (definition: SagaDefinition, input: unknown, options: SagaRunOptions = {}): Promise<SagaRun> => {
  const executionName = options.executionName ?? randomUUID();
  const executionArn = `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${executionName}`;
  const tasks: string[] = [];
  const inputs = new Map<string, unknown[]>();
  const events: PublishedEvent[] = [];
  const problems: string[] = [];

  const handlers: LocalHandlers = {};
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const given = options.handlers?.[name];
    let run: TaskHandler;
    if (state.Resource === PUT_EVENTS) {
      run = (taskInput, attempt) => {
        given?.(taskInput, attempt);
        events.push(...recordEntries(name, taskInput, executionArn));
        return { Entries: [{ EventId: randomUUID() }], FailedEntryCount: 0 };
      };
    } else if (state.Resource?.startsWith('arn:aws:lambda:') === true && LAMBDA_TASK_INPUTS[name] !== undefined) {
      const schema = LAMBDA_TASK_INPUTS[name];
      const behaviour = given ?? defaultHandlers[name];
      run = (taskInput, attempt) => {
        const parsed = schema.safeParse(taskInput);
        if (!parsed.success) problems.push(`${name} received input that breaks its contract: ${parsed.error.message}`);
        return behaviour(taskInput, attempt);
      };
    } else {
      throw new Error(`Task state ${name} has a resource the saga tests cannot run: ${state.Resource ?? '(none)'}`);
    }
    handlers[name] = async (taskInput) => {
      tasks.push(name);
      const attempts = inputs.get(name) ?? [];
      attempts.push(taskInput);
      inputs.set(name, attempts);
      try {
        return (await run(taskInput, attempts.length)) as LocalResult;
      } catch (error) {
        throw asTaskError(error);
      }
    };
  }
  const unknownHandlers = Object.keys(options.handlers ?? {}).filter((name) => handlers[name] === undefined);
  if (unknownHandlers.length > 0) throw new Error(`No Task state named ${unknownHandlers.join(', ')}`);

  const retryIntervalOverrides = Object.fromEntries(
    Object.entries(definition.States)
      .filter(([, state]) => state.Retry !== undefined)
      .map(([name]) => [name, 0]),
  );

  const machine = new StateMachine(definition as unknown as StateMachineDefinition);
  const execution = machine.run(input as Parameters<StateMachine['run']>[0], {
    overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
    context: {
      Execution: { Id: executionArn, Name: executionName },
      StateMachine: { Id: STATE_MACHINE_ARN, Name: 'OrderSaga' },
      State: {
        get EnteredTime(): string {
          return new Date().toISOString();
        },
      },
    },
  });
  const states: string[] = [];
  const logging = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') states.push(event.state.name);
    }
  })();

  let status: SagaRun['status'];
  let output: unknown;
  let failure: SagaRun['failure'];
  try {
    output = await execution.result;
    status = 'SUCCEEDED';
  } catch (error) {
    if (!(error instanceof ExecutionError) || !(error.cause instanceof Error)) throw error;
    status = 'FAILED';
    failure = { error: error.cause.name, cause: error.cause.message };
  }
  await logging;

  for (const event of events) problems.push(...eventProblems(event));
  if (problems.length > 0) throw new Error(`The saga broke a contract:\n- ${problems.join('\n- ')}`);
  return { status, executionArn, output, failure, tasks, states, inputs, events };
};

/** `[detailType, data]` of every published event, in order: what a test compares. */
export const publishedEvents = (run: SagaRun): [string, Record<string, unknown>][] => run.events.map((event) => [event.detailType, event.detail.data]);
