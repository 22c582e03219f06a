/**
 * Messages between the local Lambda runtime and its execution environments
 * (worker threads, or child processes over IPC: the same messages both
 * ways). Events and responses travel as JSON text, as they do on Lambda's
 * wire, so a handler never sees what JSON cannot carry and the runtime can
 * measure what Lambda would.
 */

export interface WorkerData {
  readonly functionName: string;
  readonly functionArn: string;
  readonly codeDir: string;
  /** `<file>.<export>`, as in the template. */
  readonly handler: string;
  readonly memoryMb: number;
}

export interface InvokeMessage {
  readonly requestId: string;
  /** The event, as the JSON text Lambda delivers. */
  readonly eventJson: string;
  /** Epoch ms at which the invocation times out. */
  readonly deadline: number;
  /** This invocation's `_X_AMZN_TRACE_ID` (`Root=1-…;Parent=…;Sampled=…`), which Lambda sets per invocation. */
  readonly traceId: string;
  /**
   * Fault injection: the environment exits this many ms after the handler
   * starts, or as soon as the handler settles if that comes first, so the
   * invocation never answers (`Runtime.ExitError`). @default no crash
   */
  readonly crashAfterMs?: number;
}

/** A function error as Lambda reports it. */
export interface FunctionErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: readonly string[];
}

export interface WorkerReply {
  readonly requestId: string;
  readonly ok: boolean;
  /** The handler's result as JSON text (`null` for undefined), when `ok`. */
  readonly payloadJson?: string;
  readonly error?: FunctionErrorPayload;
}

export interface WorkerReady {
  readonly ready: boolean;
  readonly error?: FunctionErrorPayload;
}

/**
 * Sent after a reply when the handler returned with work still scheduled:
 * the kinds of resource (Node's `process.getActiveResourcesInfo()` names)
 * that were keeping the event loop alive and were not before the handler
 * started, with how many of each.
 */
export interface WorkerPendingWork {
  readonly pendingWork: { readonly requestId: string; readonly resources: Readonly<Record<string, number>> };
}

/** Anything an environment sends. */
export type EnvironmentMessage = WorkerReply | WorkerReady | WorkerPendingWork;
