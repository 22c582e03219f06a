import * as z from './zod';
import { readConfig } from './config';

/**
 * Deadlines of the synchronous calls a function makes. Each is below its
 * caller's, so a hung dependency ends as our 503 + Retry-After long before
 * the gateway or the Lambda timeout answers for us:
 *
 * HTTP API (30 s) > a function's timeout (10 s by default) > a call to
 * another service (`SHOP_CALL_DEADLINE_MS`, 2 s) > each AWS call inside the
 * callee (`SHOP_AWS_DEADLINE_MS`, 1.5 s, every SDK attempt included).
 *
 * `lib/` sets both variables on every function and checks at synth that they
 * nest below the function's timeout.
 */

/** Deadline of a synchronous call to another service's function, unless the function says otherwise. */
export const DEFAULT_CALL_DEADLINE_MS = 2000;

/** Deadline of one AWS SDK call (all its attempts), unless the function says otherwise. */
export const DEFAULT_AWS_DEADLINE_MS = 1500;

const milliseconds = z.coerce.number().check(z.int(), z.minimum(1), z.maximum(900_000));

/** The deadlines one function runs with. */
export interface Deadlines {
  /** A synchronous call to another service (Lambda Invoke), all attempts included. */
  readonly callMs: number;
  /** One AWS SDK call, all attempts included. */
  readonly awsMs: number;
}

let loaded: Deadlines | undefined;

/** The function's deadlines, read once from `SHOP_CALL_DEADLINE_MS` and `SHOP_AWS_DEADLINE_MS`. */
export const loadDeadlines = (env: NodeJS.ProcessEnv = process.env): Deadlines => {
  if (env !== process.env) return readDeadlines(env);
  loaded ??= readDeadlines(env);
  return loaded;
};

const readDeadlines = (env: NodeJS.ProcessEnv): Deadlines => {
  const config = readConfig(
    z.object({
      SHOP_CALL_DEADLINE_MS: z._default(milliseconds, DEFAULT_CALL_DEADLINE_MS),
      SHOP_AWS_DEADLINE_MS: z._default(milliseconds, DEFAULT_AWS_DEADLINE_MS),
    }),
    env,
  );
  return { callMs: config.SHOP_CALL_DEADLINE_MS, awsMs: config.SHOP_AWS_DEADLINE_MS };
};

/**
 * A call did not answer within its deadline. Its `code` is `ETIMEDOUT`, so
 * the HTTP chain answers 503 + Retry-After and a saga task raises a
 * retryable error, as for any other timed-out AWS call.
 */
export class DeadlineExceededError extends Error {
  public readonly code = 'ETIMEDOUT';
  public constructor(
    /** What was called, for the message. */
    public readonly what: string,
    public readonly deadlineMs: number,
    options?: { readonly cause?: unknown },
  ) {
    super(`${what} did not answer within ${deadlineMs} ms.`, options);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * Runs `work` with a deadline: the signal it is given aborts when the
 * deadline passes (or when `parent` aborts), and the returned promise settles
 * by then even if `work` ignores the signal. Leaves no timer behind, so a
 * Lambda environment is not frozen with work pending.
 *
 * @throws {DeadlineExceededError} when the deadline passes first.
 */
export const withDeadline = async <T>(what: string, deadlineMs: number, work: (signal: AbortSignal) => Promise<T>, parent?: AbortSignal): Promise<T> => {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onParentAbort: (() => void) | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceededError(what, deadlineMs);
      controller.abort(error);
      reject(error);
    }, deadlineMs);
    if (parent) {
      onParentAbort = () => {
        controller.abort(parent.reason);
        reject(parent.reason instanceof Error ? parent.reason : Object.assign(new Error(`${what} was aborted by its caller.`, { cause: parent.reason }), { name: 'AbortError' }));
      };
      if (parent.aborted) onParentAbort();
      else parent.addEventListener('abort', onParentAbort, { once: true });
    }
  });
  expired.catch(() => undefined);
  try {
    return await Promise.race([work(controller.signal), expired]);
  } catch (error) {
    // The SDK rejects an aborted call with its own AbortError: report the deadline that caused it.
    if (controller.signal.aborted && controller.signal.reason instanceof Error && error !== controller.signal.reason && isAbort(error)) throw controller.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
    if (parent && onParentAbort) parent.removeEventListener('abort', onParentAbort);
  }
};

const isAbort = (error: unknown): boolean => error instanceof Error && error.name === 'AbortError';
