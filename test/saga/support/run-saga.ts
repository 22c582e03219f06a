import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { randomUUID } from 'node:crypto';
import type { EventContract } from '../../../functions/shared/contracts/envelope';
import { AllEvents } from '../../../functions/shared/contracts/events';
import {
  cancellationInputSchema,
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
import type * as z from '../../../functions/shared/zod';
import type { JsonValue } from '../../../local/cloudformation/intrinsics';
import { StepFunctionsEngine, type EventEntry, type FunctionInvocation, type PutEventsResponse, type TaskCall } from '../../../local/stepfunctions/engine';
import { compensationFailedDetail, orderCancelledByCustomerDetail, orderCancelledDetail, orderConfirmedDetail } from '../../fixtures/events';
import { createTestTable, testDynamoDbClient } from '../../support/dynamodb';
import { TEST_PSEUDO_PARAMETERS, type SagaDefinition } from './definition';
import { FailedEntryError, LambdaServiceError } from './task-errors';

/**
 * Runs the synthesized saga definition on the local cloud's Step Functions
 * engine (`local/stepfunctions/engine.ts`, aws-local-stepfunctions inside),
 * with the engine's Lambda and EventBridge dependencies played by local
 * handlers, and records what happened.
 *
 * How the handlers stand in for the services:
 * - Handlers are keyed by STATE NAME and called once per attempt. A Lambda
 *   state's handler receives the function's payload and returns its result
 *   (the saga uses `payloadResponseOnly`); what it throws is the function's
 *   error (its `name` is the errorType), except `LambdaServiceError`
 *   (`Lambda.*`), which is an error of the Lambda service itself. The engine
 *   turns both into the error and Cause Step Functions reports.
 * - A putEvents state's handler can only throw: `FailedEntryError` makes
 *   PutEvents answer a failed entry (the engine then fails the task with
 *   `EventBridge.FailedEntry`); otherwise the entries are recorded.
 * - `retryIntervalScale: 0` makes every retry immediate, so backoff and
 *   jitter cost nothing (and are not exercised).
 * - The Express saga's DynamoDB tasks (its claim and the outcome it records
 *   on it) run for real against DynamoDB Local, on a fresh table standing in
 *   for the claims table (or the one a test gives, to run two executions of
 *   one order). They are the saga's bookkeeping, not its business: they are
 *   reported apart from `tasks` and `states`, so one expectation of the
 *   business path holds for both saga types.
 * - A `states:startExecution` state (the Express saga's hand-over to the
 *   repair) is a handler too: it receives the StartExecution request, its
 *   input checked against the cancellation state machine's contract.
 * - Every Task state must have a handler or a default: a state the saga
 *   tests do not know fails the run.
 */

/** The Lambda task states and the input contract each one's function validates. */
const LAMBDA_TASK_INPUTS: Readonly<Record<string, z.ZodMiniType>> = {
  ReserveInventory: reserveInventoryInput,
  ChargePayment: chargePaymentInput,
  CreateShipment: createShipmentInput,
  CancelShipment: cancelShipmentInput,
  RefundPayment: refundPaymentInput,
  ReleaseInventory: releaseInventoryInput,
};

const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
const START_EXECUTION = 'arn:aws:states:::states:startExecution';
const DYNAMODB_TASK = /^arn:aws:states:::dynamodb:(putItem|updateItem)$/;

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
  /** The DynamoDB Local table the Express saga's claim is written to. @default a fresh one per run */
  readonly claimsTable?: string;
}

/** A StartExecution the saga made (`states:startExecution`). */
export interface StartedExecution {
  readonly state: string;
  readonly stateMachineArn: string;
  readonly name: string | undefined;
  readonly input: unknown;
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
  /** Every Task attempt, in order: a retried task appears once per attempt (the Express bookkeeping aside). */
  readonly tasks: readonly string[];
  /** Every state entered, in order (a retried task is entered once; the Express bookkeeping aside). */
  readonly states: readonly string[];
  /** The Express saga's bookkeeping states entered, in order: its claim and the outcome it records. */
  readonly bookkeeping: readonly string[];
  /** The order's claim as the claims table holds it after the run (Express), or undefined. */
  readonly claim: Record<string, unknown> | undefined;
  /** Every execution the saga started (the hand-over to the repair). */
  readonly started: readonly StartedExecution[];
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
  CancelShipment: (): CancelShipmentOutput => ({ cancelled: true, outcome: 'cancelled' }),
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

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const orderIdOf = (input: unknown): string => {
  const orderId = isRecord(input) ? input.orderId : undefined;
  if (typeof orderId !== 'string') throw new Error('task input has no orderId');
  return orderId;
};

/** The fixtures an event must match the keys of, one of them: OrderCancelled has a form with the failing step's error and one without (a customer's). */
const FIXTURES: Readonly<Record<string, ReadonlyArray<{ readonly metadata: object; readonly data: object }>>> = {
  OrderConfirmed: [orderConfirmedDetail],
  OrderCancelled: [orderCancelledDetail, orderCancelledByCustomerDetail],
  CompensationFailed: [compensationFailedDetail],
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
  const fixtures = FIXTURES[event.detailType];
  if (fixtures === undefined) return [...problems, `no fixture for ${event.detailType}`];
  const keys = (value: object): string => Object.keys(value).sort().join();
  const matching = fixtures.filter((fixture) => keys(event.detail.metadata) === keys(fixture.metadata) && keys(event.detail.data) === keys(fixture.data));
  if (matching.length === 0) {
    problems.push(
      `${event.state}: metadata keys ${keys(event.detail.metadata)} and data keys ${keys(event.detail.data)} match no fixture's (${fixtures.map((f) => `${keys(f.metadata)} / ${keys(f.data)}`).join('; ')})`,
    );
  }
  return problems;
};

const recordEntries = (state: string, entries: readonly EventEntry[]): PublishedEvent[] => {
  if (entries.length === 0) throw new Error(`${state}: putEvents without Entries`);
  return entries.map((entry) => {
    const detail: unknown = entry.Detail === undefined ? undefined : JSON.parse(entry.Detail);
    if (typeof detail !== 'object' || detail === null) throw new Error(`${state}: an entry has no Detail object`);
    return {
      state,
      source: String(entry.Source),
      detailType: String(entry.DetailType),
      eventBusName: String(entry.EventBusName),
      resources: entry.Resources ?? [],
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
  const inputs = new Map<string, unknown[]>();
  const events: PublishedEvent[] = [];
  const problems: string[] = [];

  const started: StartedExecution[] = [];

  const known = new Set<string>();
  const bookkeepingStates = new Set<string>();
  for (const [name, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    if (DYNAMODB_TASK.test(state.Resource ?? '')) {
      bookkeepingStates.add(name);
      continue;
    }
    const isLambda = state.Resource?.startsWith('arn:aws:lambda:') === true && LAMBDA_TASK_INPUTS[name] !== undefined;
    if (state.Resource !== PUT_EVENTS && state.Resource !== START_EXECUTION && !isLambda) throw new Error(`Task state ${name} has a resource the saga tests cannot run: ${state.Resource ?? '(none)'}`);
    known.add(name);
  }
  // The claims table of the definition, replaced by a DynamoDB Local one.
  const claimsTableNames = new Set(
    [...bookkeepingStates].map((name) => {
      const parameters = definition.States[name]?.Parameters;
      const table = typeof parameters === 'object' && parameters !== null && 'TableName' in parameters ? parameters.TableName : undefined;
      if (typeof table !== 'string') throw new Error(`${name} writes no literal TableName`);
      return table;
    }),
  );
  if (claimsTableNames.size > 1) throw new Error(`The saga writes ${claimsTableNames.size} tables; the saga tests know one claims table`);
  const claimsTable = claimsTableNames.size === 1 ? (options.claimsTable ?? (await createTestTable())) : undefined;
  const runnable: SagaDefinition = claimsTable === undefined ? definition : JSON.parse(JSON.stringify(definition).replaceAll(JSON.stringify([...claimsTableNames][0]), JSON.stringify(claimsTable)));
  const unknownHandlers = Object.keys(options.handlers ?? {}).filter((name) => !known.has(name));
  if (unknownHandlers.length > 0) throw new Error(`No Task state named ${unknownHandlers.join(', ')}`);

  /** Records the attempt's input and returns its number (1-based, per state, across the run). */
  const attempt = (state: string, taskInput: unknown): number => {
    const attempts = inputs.get(state) ?? [];
    attempts.push(taskInput);
    inputs.set(state, attempts);
    return attempts.length;
  };

  const invokeFunction = async (_functionArn: string, payload: unknown, call: TaskCall): Promise<FunctionInvocation> => {
    const number = attempt(call.stateName, payload);
    const parsed = LAMBDA_TASK_INPUTS[call.stateName]?.safeParse(payload);
    if (parsed?.success === false) problems.push(`${call.stateName} received input that breaks its contract: ${parsed.error.message}`);
    const behaviour = options.handlers?.[call.stateName] ?? defaultHandlers[call.stateName];
    try {
      return { ok: true, payload: await behaviour(payload, number) };
    } catch (error) {
      if (error instanceof LambdaServiceError) throw error;
      const failure = error instanceof Error ? error : new Error(String(error));
      return { ok: false, error: { errorType: failure.name, errorMessage: failure.message, trace: [] } };
    }
  };

  const putEvents = (entries: readonly EventEntry[], call: TaskCall): PutEventsResponse => {
    const number = attempt(call.stateName, { Entries: entries });
    try {
      options.handlers?.[call.stateName]?.({ Entries: entries }, number);
    } catch (error) {
      if (!(error instanceof FailedEntryError)) throw error;
      return { FailedEntryCount: entries.length, Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: error.message })) };
    }
    events.push(...recordEntries(call.stateName, entries));
    return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
  };

  const startExecution = async (request: { readonly stateMachineArn: string; readonly input: string; readonly name?: string }, call: TaskCall) => {
    const number = attempt(call.stateName, request);
    const parsed = cancellationInputSchema.safeParse(JSON.parse(request.input));
    if (!parsed.success) problems.push(`${call.stateName} started an execution with input that breaks the cancellation contract: ${parsed.error.message}`);
    await options.handlers?.[call.stateName]?.(request, number);
    started.push({ state: call.stateName, stateMachineArn: request.stateMachineArn, name: request.name, input: parsed.success ? parsed.data : request.input });
    return { executionArn: `${request.stateMachineArn.replace(':stateMachine:', ':execution:')}:${request.name ?? randomUUID()}`, startDate: new Date() };
  };

  const dynamoDb = claimsTable === undefined ? undefined : testDynamoDbClient();
  const engine = new StepFunctionsEngine(
    runnable,
    { invokeFunction, putEvents, startExecution, ...(dynamoDb ? { dynamoDb } : {}) },
    { stateMachineArn: STATE_MACHINE_ARN, retryIntervalScale: 0 },
  );
  const execution = engine.start(input as JsonValue, { name: options.executionName ?? randomUUID() });
  const outcome = await execution.outcome;
  if (outcome.status !== 'SUCCEEDED' && outcome.status !== 'FAILED') throw new Error(`The saga execution ended ${outcome.status}`);

  let claim: Record<string, unknown> | undefined;
  if (dynamoDb && claimsTable) {
    const orderId = isRecord(input) && isRecord(input.data) ? input.data.orderId : undefined;
    const { Item } = await dynamoDb.send(new GetItemCommand({ TableName: claimsTable, Key: { pk: { S: String(orderId) } }, ConsistentRead: true }));
    claim = Item ? unmarshall(Item) : undefined;
    dynamoDb.destroy();
  }
  const isBusiness = (state: string) => !bookkeepingStates.has(state);
  const tasks = execution.events.flatMap((event) => (event.type === 'TaskScheduled' && isBusiness(event.state) ? [event.state] : []));
  const states = execution.events.flatMap((event) => (event.type === 'StateEntered' && isBusiness(event.state) ? [event.state] : []));
  const bookkeeping = execution.events.flatMap((event) => (event.type === 'StateEntered' && !isBusiness(event.state) ? [event.state] : []));
  for (const event of events) problems.push(...eventProblems(event));
  if (problems.length > 0) throw new Error(`The saga broke a contract:\n- ${problems.join('\n- ')}`);
  return {
    status: outcome.status,
    executionArn: execution.executionArn,
    output: outcome.status === 'SUCCEEDED' ? outcome.output : undefined,
    failure: outcome.status === 'FAILED' ? { error: outcome.error ?? '', cause: outcome.cause ?? '' } : undefined,
    tasks,
    states,
    bookkeeping,
    claim,
    started,
    inputs,
    events,
  };
};

/** `[detailType, data]` of every published event, in order: what a test compares. */
export const publishedEvents = (run: SagaRun): [string, Record<string, unknown>][] => run.events.map((event) => [event.detailType, event.detail.data]);
