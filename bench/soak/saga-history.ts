import { FilterLogEventsCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeStateMachineCommand, GetExecutionHistoryCommand, ListExecutionsCommand, ListStateMachinesCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';

/** One state-level step of an execution, in history order. */
export type TraceStep =
  | { readonly kind: 'entered'; readonly state: string }
  | { readonly kind: 'exited'; readonly state: string }
  /** The task of the state entered last answered (a Lambda function or an integration). */
  | { readonly kind: 'task-succeeded' }
  /** An attempt of the task of the state entered last failed or timed out; a Retry may follow. */
  | { readonly kind: 'task-failed'; readonly error: string };

/** What the soak needs of one saga execution: its order and the states it went through. */
export interface ExecutionTrace {
  readonly executionArn: string;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED... */
  readonly status: string;
  /** `data.orderId` of the execution input (the OrderPlaced detail); undefined when it has none. */
  readonly orderId: string | undefined;
  readonly steps: readonly TraceStep[];
}

const TASK_SUCCEEDED = new Set(['LambdaFunctionSucceeded', 'TaskSucceeded']);
const TASK_FAILED = new Set([
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
]);

const stepOf = (event: HistoryEvent): TraceStep | undefined => {
  const type = event.type ?? '';
  if (type.endsWith('StateEntered') && event.stateEnteredEventDetails?.name) return { kind: 'entered', state: event.stateEnteredEventDetails.name };
  if (type.endsWith('StateExited') && event.stateExitedEventDetails?.name) return { kind: 'exited', state: event.stateExitedEventDetails.name };
  if (TASK_SUCCEEDED.has(type)) return { kind: 'task-succeeded' };
  if (TASK_FAILED.has(type)) {
    const details = event.lambdaFunctionFailedEventDetails ?? event.lambdaFunctionTimedOutEventDetails ?? event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
    return { kind: 'task-failed', error: details?.error ?? type };
  }
  return undefined;
};

const orderIdOf = (input: string | undefined): string | undefined => {
  if (input === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(input);
    if (typeof value !== 'object' || value === null || !('data' in value)) return undefined;
    const data: unknown = value.data;
    return typeof data === 'object' && data !== null && 'orderId' in data && typeof data.orderId === 'string' ? data.orderId : undefined;
  } catch {
    return undefined;
  }
};

/** The template's state machine did not appear on the Step Functions endpoint. */
export class SagaNotFoundError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'SagaNotFoundError';
  }
}

/** The state machines the soak reads, by the construct id their names start with. */
const STATE_MACHINE_PREFIXES = { saga: 'OrderSaga', cancellation: 'OrderCancellation' } as const;

/** The ARN of the one state machine whose name starts with `prefix`. */
const stateMachineArnOf = async (sfn: SFNClient, prefix: string): Promise<string> => {
  const { stateMachines = [] } = await sfn.send(new ListStateMachinesCommand({}));
  const matching = stateMachines.filter((machine) => machine.name?.startsWith(prefix) === true);
  const arn = matching.length === 1 ? matching[0]?.stateMachineArn : undefined;
  if (!arn) throw new SagaNotFoundError(`Expected one state machine ${prefix}…, found ${matching.length} among ${stateMachines.map((m) => m.name ?? '?').join(', ')}.`);
  return arn;
};

/** The ARN of the order saga. */
export const sagaArnOf = (sfn: SFNClient): Promise<string> => stateMachineArnOf(sfn, STATE_MACHINE_PREFIXES.saga);

/** The ARN of the cancellation state machine (a customer's cancellation: refund, release, OrderCancelled). */
export const cancellationArnOf = (sfn: SFNClient): Promise<string> => stateMachineArnOf(sfn, STATE_MACHINE_PREFIXES.cancellation);

/** How many executions are still running. */
export const runningExecutions = async (sfn: SFNClient, stateMachineArn: string): Promise<number> => {
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 1000, nextToken }));
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
};

const historyOf = async (sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
};

/**
 * Every execution of a state machine (the saga, the cancellation) with its history, through the AWS API
 * (`ListExecutions` + `GetExecutionHistory`), as one would read them on AWS.
 * Histories are fetched `parallelism` at a time.
 */
export const readExecutionTraces = async (sfn: SFNClient, stateMachineArn: string, parallelism = 8): Promise<ExecutionTrace[]> => {
  const listed: Array<{ executionArn: string; status: string }> = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000, nextToken }));
    for (const execution of page.executions ?? []) {
      if (execution.executionArn) listed.push({ executionArn: execution.executionArn, status: execution.status ?? 'UNKNOWN' });
    }
    nextToken = page.nextToken;
  } while (nextToken);

  const traces: ExecutionTrace[] = new Array<ExecutionTrace>(listed.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < listed.length) {
      const index = next;
      next += 1;
      const { executionArn, status } = listed[index];
      const events = await historyOf(sfn, executionArn);
      const started = events.find((event) => event.type === 'ExecutionStarted');
      traces[index] = {
        executionArn,
        status,
        orderId: orderIdOf(started?.executionStartedEventDetails?.input),
        steps: events.flatMap((event) => stepOf(event) ?? []),
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallelism) }, worker));
  return traces;
};

// ---------------------------------------------------------------------------
// Express workflows: no history, their execution logs instead
// ---------------------------------------------------------------------------

/** One execution event as Step Functions writes it to CloudWatch Logs. */
interface ExecutionLogRecord {
  readonly id: string;
  readonly type: string;
  readonly details?: { readonly name?: string; readonly error?: string };
  readonly execution_arn: string;
  readonly event_timestamp: string;
}

const ENDED_STATUS: Readonly<Record<string, string>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

const logRecordOf = (message: string | undefined): ExecutionLogRecord | undefined => {
  try {
    const value: unknown = JSON.parse(message ?? '');
    if (typeof value !== 'object' || value === null) return undefined;
    const record = value as Partial<ExecutionLogRecord>;
    return typeof record.type === 'string' && typeof record.execution_arn === 'string' && typeof record.id === 'string' ? (record as ExecutionLogRecord) : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The log group an Express state machine logs every execution event to
 * (DescribeStateMachine), read once for {@link readExpressTraces} and
 * {@link runningExpressExecutions}.
 * @throws SagaNotFoundError when it logs less than ALL (its steps are then nowhere) or nowhere
 */
export const expressLogGroupOf = async (sfn: SFNClient, stateMachineArn: string): Promise<string> => {
  const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  const level = described.loggingConfiguration?.level ?? 'OFF';
  const name = described.loggingConfiguration?.destinations?.[0]?.cloudWatchLogsLogGroup?.logGroupArn?.match(/:log-group:([^:]+)/)?.[1];
  if (level !== 'ALL' || !name) {
    throw new SagaNotFoundError(
      `${stateMachineArn} logs its executions at ${level}${name ? '' : ' (nowhere)'}, not ALL: an Express saga's steps are only in its ` +
        'execution logs at ALL (synthesize with -c observability=full, as the soak does when it synthesizes)',
    );
  }
  return name;
};

/** Every execution's log records in a log group, by execution, in event order. */
const executionLogs = async (logs: CloudWatchLogsClient, logGroupName: string): Promise<Map<string, ExecutionLogRecord[]>> => {
  const byExecution = new Map<string, ExecutionLogRecord[]>();
  let nextToken: string | undefined;
  do {
    const page = await logs.send(new FilterLogEventsCommand({ logGroupName, nextToken }));
    for (const event of page.events ?? []) {
      const record = logRecordOf(event.message);
      if (!record) continue;
      const records = byExecution.get(record.execution_arn) ?? [];
      records.push(record);
      byExecution.set(record.execution_arn, records);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  for (const records of byExecution.values()) records.sort((a, b) => Number(a.id) - Number(b.id));
  return byExecution;
};

/**
 * Every execution of an Express state machine with the states it went
 * through, read from its execution logs in `logGroupName` (see
 * {@link expressLogGroupOf}) with `FilterLogEvents`, as one would
 * read them on AWS: an Express workflow has no history to list. The logs
 * carry no execution data (the input has the payment token), so the order of
 * an execution is `orderOf(executionArn)` — for the saga, its claim.
 */
export const readExpressTraces = async (
  logs: CloudWatchLogsClient,
  logGroupName: string,
  orderOf: (executionArn: string) => string | undefined,
): Promise<ExecutionTrace[]> => {
  const byExecution = await executionLogs(logs, logGroupName);
  return [...byExecution].map(([executionArn, records]) => {
    const ended = records.map((record) => ENDED_STATUS[record.type]).find((status) => status !== undefined);
    const steps = records.flatMap((record): TraceStep[] => {
      const name = record.details?.name;
      if (record.type.endsWith('StateEntered') && name) return [{ kind: 'entered', state: name }];
      if (record.type.endsWith('StateExited') && name) return [{ kind: 'exited', state: name }];
      if (TASK_SUCCEEDED.has(record.type)) return [{ kind: 'task-succeeded' }];
      if (TASK_FAILED.has(record.type)) return [{ kind: 'task-failed', error: record.details?.error ?? record.type }];
      return [];
    });
    return { executionArn, status: ended ?? 'RUNNING', orderId: orderOf(executionArn), steps };
  });
};

/** How many executions of an Express state machine have started and not ended, by its execution logs. */
export const runningExpressExecutions = async (logs: CloudWatchLogsClient, logGroupName: string): Promise<number> => {
  const byExecution = await executionLogs(logs, logGroupName);
  return [...byExecution.values()].filter((records) => !records.some((record) => ENDED_STATUS[record.type] !== undefined)).length;
};
