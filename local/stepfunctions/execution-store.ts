/**
 * Step Functions executions kept on disk (`--persist DIR`), so that a
 * restarted local cloud still knows them: Step Functions keeps a Standard
 * execution's name taken for 90 days ("Names can be reused after 90 days",
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html),
 * and a starter that names executions after what they process relies on
 * `ExecutionAlreadyExists` for a redelivered event. DescribeExecution,
 * ListExecutions and GetExecutionHistory answer for them after a restart.
 *
 * One JSON file per execution in the store's directory, named by a hash of
 * the execution ARN (execution names are case-sensitive, file systems may
 * not be). A write goes to a temporary file, is flushed to disk, and renamed
 * over the old file: a crash leaves the old file or the new one, never half
 * of one. A store belongs to one process at a time.
 */
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { JsonValue } from '../cloudformation/intrinsics';
import type { EngineEvent, ExecutionOutcome, ExecutionStatus, ExecutionView } from './engine';
import { isRecord } from './integrations';

/** How long a closed execution keeps its name: Step Functions' 90 days. */
export const NAME_RETENTION_MS = 90 * 24 * 60 * 60 * 1000;

const FORMAT_VERSION = 1;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

/** One execution as it is written to disk. Dates are epoch ms. */
export interface PersistedExecution {
  readonly version: typeof FORMAT_VERSION;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  /** The input exactly as StartExecution was given it. */
  readonly inputText: string;
  readonly traceHeader?: string;
  /** Creation order, for ListExecutions (newest first). */
  readonly sequence: number;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate?: number;
  /** A SUCCEEDED execution's output. */
  readonly output?: JsonValue;
  readonly error?: string;
  readonly cause?: string;
  /** The event log so far (GetExecutionHistory is built from it). */
  readonly events: readonly EngineEvent[];
}

/** A file in the store that is not a persisted execution. */
export class PersistedExecutionError extends Error {
  public constructor(
    public readonly file: string,
    detail: string,
  ) {
    super(`${file} is not a Step Functions execution the local cloud wrote (${detail}); delete it, or the --persist directory`);
    this.name = 'PersistedExecutionError';
  }
}

const optional = (value: unknown, type: 'string' | 'number'): boolean => value === undefined || typeof value === type;

/** Checks what a file holds, and says what is wrong. */
const problemWith = (value: unknown): string | undefined => {
  if (!isRecord(value)) return 'not a JSON object';
  if (value.version !== FORMAT_VERSION) return `format version ${JSON.stringify(value.version)}, expected ${FORMAT_VERSION}`;
  for (const field of ['executionArn', 'stateMachineArn', 'name', 'inputText'] as const) {
    if (typeof value[field] !== 'string') return `${field} is not a string`;
  }
  if (typeof value.sequence !== 'number' || typeof value.startDate !== 'number') return 'sequence or startDate is not a number';
  if (!STATUSES.includes(value.status as ExecutionStatus)) return `unknown status ${JSON.stringify(value.status)}`;
  if (!optional(value.stopDate, 'number') || !optional(value.error, 'string') || !optional(value.cause, 'string') || !optional(value.traceHeader, 'string')) {
    return 'stopDate, error, cause or traceHeader has the wrong type';
  }
  if (!Array.isArray(value.events) || !value.events.every((event) => isRecord(event) && typeof event.type === 'string' && typeof event.timestamp === 'number')) {
    return 'events is not a list of events';
  }
  return undefined;
};

/** The executions of one local Step Functions service, on disk. */
export class ExecutionStore {
  public constructor(
    /** Where the files are; created when missing. */
    public readonly directory: string,
  ) {
    mkdirSync(directory, { recursive: true });
  }

  /**
   * Every execution on disk whose name is still taken: a closed execution
   * older than {@link NAME_RETENTION_MS} is deleted instead, as are the
   * temporary files of writes a crash interrupted.
   *
   * @throws {PersistedExecutionError} for a file that is not an execution this store wrote.
   */
  public load(now = Date.now()): PersistedExecution[] {
    const executions: PersistedExecution[] = [];
    for (const entry of readdirSync(this.directory)) {
      const file = path.join(this.directory, entry);
      if (entry.endsWith('.tmp')) {
        rmSync(file, { force: true });
        continue;
      }
      if (!entry.endsWith('.json')) continue;
      let value: unknown;
      try {
        value = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new PersistedExecutionError(file, error instanceof Error ? error.message : String(error));
      }
      const problem = problemWith(value);
      if (problem !== undefined) throw new PersistedExecutionError(file, problem);
      const execution = value as PersistedExecution;
      if (execution.stopDate !== undefined && now - execution.stopDate > NAME_RETENTION_MS) {
        rmSync(file, { force: true });
        continue;
      }
      executions.push(execution);
    }
    return executions.sort((a, b) => a.sequence - b.sequence);
  }

  /** Writes an execution, replacing what was on disk for it, so that a crash leaves the old or the new file whole. */
  public save(execution: PersistedExecution): void {
    const file = this.fileOf(execution.executionArn);
    const temporary = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      writeSync(fd, JSON.stringify(execution));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  }

  /** The file an execution is kept in. */
  private fileOf(executionArn: string): string {
    return path.join(this.directory, `${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}.json`);
  }
}

/** What to write for an execution (running here, or restored), its input as given and its creation order. */
export const persistedOf = (execution: ExecutionView, details: { readonly inputText: string; readonly traceHeader?: string; readonly sequence: number }): PersistedExecution => {
  const result = execution.result;
  return {
    version: FORMAT_VERSION,
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    inputText: details.inputText,
    ...(details.traceHeader !== undefined ? { traceHeader: details.traceHeader } : {}),
    sequence: details.sequence,
    status: execution.status,
    startDate: execution.startDate.getTime(),
    ...(execution.stopDate !== undefined ? { stopDate: execution.stopDate.getTime() } : {}),
    ...(result?.status === 'SUCCEEDED' ? { output: result.output } : {}),
    ...(result !== undefined && result.status !== 'SUCCEEDED' && result.error !== undefined ? { error: result.error } : {}),
    ...(result !== undefined && result.status !== 'SUCCEEDED' && result.cause !== undefined ? { cause: result.cause } : {}),
    events: execution.events,
  };
};

/**
 * An execution read back from disk: closed, as a restarted local cloud
 * cannot resume one. Its history is the persisted log, which always starts
 * with `ExecutionStarted`.
 */
export class StoredExecution implements ExecutionView {
  public readonly executionArn: string;
  public readonly name: string;
  public readonly stateMachineArn: string;
  public readonly input: JsonValue;
  public readonly startDate: Date;
  public readonly status: ExecutionStatus;
  public readonly result: ExecutionOutcome | undefined;
  public readonly stopDate: Date | undefined;
  public readonly events: readonly EngineEvent[];

  public constructor(persisted: PersistedExecution) {
    this.executionArn = persisted.executionArn;
    this.name = persisted.name;
    this.stateMachineArn = persisted.stateMachineArn;
    this.input = JSON.parse(persisted.inputText) as JsonValue;
    this.startDate = new Date(persisted.startDate);
    this.status = persisted.status;
    this.stopDate = persisted.stopDate === undefined ? undefined : new Date(persisted.stopDate);
    this.result =
      persisted.status === 'RUNNING'
        ? undefined
        : persisted.status === 'SUCCEEDED'
          ? { status: 'SUCCEEDED', output: persisted.output ?? null }
          : {
              status: persisted.status,
              ...(persisted.error !== undefined ? { error: persisted.error } : {}),
              ...(persisted.cause !== undefined ? { cause: persisted.cause } : {}),
            };
    const started: EngineEvent = { type: 'ExecutionStarted', timestamp: persisted.startDate, input: this.input };
    this.events = persisted.events[0]?.type === 'ExecutionStarted' ? persisted.events : [started, ...persisted.events];
  }
}

/**
 * What a restarted local cloud makes of an execution that was running when
 * the process stopped without closing it (a crash, a kill): ABORTED, now,
 * with an error and a cause that say so. On AWS it would have run on.
 */
export const abortedByRestart = (persisted: PersistedExecution, now = Date.now()): PersistedExecution => {
  const error = 'LocalCloudRestarted';
  const cause =
    'The local cloud stopped while this execution was running and has started again; a local execution cannot resume, so it is ABORTED (on AWS it would have run on)';
  const { events } = new StoredExecution(persisted);
  return {
    ...persisted,
    status: 'ABORTED',
    stopDate: now,
    error,
    cause,
    events: [...events, { type: 'ExecutionAborted', timestamp: now, error, cause }],
  };
};
