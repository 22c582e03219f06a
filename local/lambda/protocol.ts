/** Messages between the local Lambda runtime and its workers. */

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
  readonly event: unknown;
  /** Epoch ms at which the invocation times out. */
  readonly deadline: number;
  /**
   * Fault injection: the worker exits this many ms after the handler starts,
   * or as soon as the handler settles if that comes first, so the invocation
   * never answers (`Runtime.ExitError`). @default no crash
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
  readonly value?: unknown;
  readonly error?: FunctionErrorPayload;
}

export interface WorkerReady {
  readonly ready: boolean;
  readonly error?: FunctionErrorPayload;
}
