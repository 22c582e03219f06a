/**
 * Lambda's invocation limits, as the service enforces them, and the errors it
 * answers when they are crossed. Every caller of the local runtime (the
 * `Invoke` API, the HTTP API, Step Functions, EventBridge, Pipes) meets the
 * same limits because they live here and in `LambdaRuntime`.
 *
 * Quotas: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 * Invoke API: https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html
 */

/**
 * Largest synchronous request (the JSON event), in bytes: 6 MB. Over it
 * Lambda answers 413 `RequestEntityTooLargeException` "Request must be
 * smaller than 6291456 bytes for the InvokeFunction operation".
 */
export const SYNC_REQUEST_LIMIT_BYTES = 6_291_456;

/**
 * Largest synchronous response, in bytes. The quotas page says 6 MB for
 * both directions; the error Lambda gives for a larger response names
 * 6291556 bytes (100 more than the request limit), and that is the limit it
 * applies: "Response payload size exceeded maximum allowed payload size
 * (6291556 bytes)." with errorType `Function.ResponseSizeTooLarge`.
 */
export const SYNC_RESPONSE_LIMIT_BYTES = 6_291_556;

/**
 * Largest asynchronous (`Event`) request, in bytes: 1 MB since October 2025
 * (256 KB before). Over it Lambda answers 413 "<n> byte payload is too large
 * for the Event invocation type (limit 1048576 bytes)".
 */
export const ASYNC_REQUEST_LIMIT_BYTES = 1_048_576;

/** The V8 heap a Lambda environment of `memoryMb` runs with, in MB. */
export interface LambdaHeap {
  /** `--max-semi-space-size`: one of the young generation's two semi-spaces. */
  readonly semiSpaceMb: number;
  /** `--max-old-space-size`. */
  readonly oldSpaceMb: number;
}

/**
 * The heap Lambda's Node.js runtime gives a function (its bootstrap starts
 * node with these flags): a tenth of the memory is new space, half of that
 * one semi-space, and the old space is the rest. A heap sized as Node's
 * defaults would size it for that old space has a young generation of a
 * few MB, so a function collects garbage several times as often as on
 * Lambda.
 */
export const lambdaHeap = (memoryMb: number): LambdaHeap => {
  const newSpaceMb = Math.floor(memoryMb / 10);
  return { semiSpaceMb: Math.floor(newSpaceMb / 2), oldSpaceMb: memoryMb - newSpaceMb };
};

/** The account's concurrent executions in a Region, by default. */
export const DEFAULT_ACCOUNT_CONCURRENCY = 1000;

/**
 * Reserved concurrency may take all of the account's pool but this much,
 * which stays for functions without a reservation (PutFunctionConcurrency).
 */
export const MIN_UNRESERVED_CONCURRENCY = 100;

/** `errorType` of an invocation whose response was over {@link SYNC_RESPONSE_LIMIT_BYTES}. */
export const RESPONSE_TOO_LARGE_ERROR_TYPE = 'Function.ResponseSizeTooLarge';

/** The `Reason` of a `TooManyRequestsException` for concurrency. */
export type ThrottleReason = 'ReservedFunctionConcurrentInvocationLimitExceeded' | 'ConcurrentInvocationLimitExceeded';

/**
 * Lambda refused an invocation for lack of concurrency: the function is at
 * its reserved concurrency, or the account's unreserved pool is used up. AWS
 * throttles (HTTP 429) instead of queueing a synchronous invocation; an
 * asynchronous one goes back to Lambda's queue and is tried again.
 *
 * Its `name` is the AWS exception, as the SDK would throw it, so callers that
 * map service errors by exception name (Step Functions' `Lambda.<name>`)
 * see what they see on AWS.
 */
export class LambdaThrottledError extends Error {
  /** The HTTP status Lambda answers. */
  public readonly statusCode = 429;

  public constructor(
    public readonly functionName: string,
    public readonly reason: ThrottleReason,
  ) {
    super('Rate Exceeded.');
    this.name = 'TooManyRequestsException';
  }
}

/**
 * Lambda refused an invocation whose request is over the payload limit of
 * its invocation type (413, before the function runs). `name` is the
 * exception the service sends on the wire (`RequestEntityTooLargeException`;
 * the API reference calls it `RequestTooLargeException`).
 */
export class PayloadTooLargeError extends Error {
  /** The HTTP status Lambda answers. */
  public readonly statusCode = 413;

  private constructor(
    message: string,
    /** The request's size, in bytes. */
    public readonly bytes: number,
  ) {
    super(message);
    this.name = 'RequestEntityTooLargeException';
  }

  /** A synchronous (`RequestResponse`) request over 6 MB. */
  public static sync(bytes: number): PayloadTooLargeError {
    return new PayloadTooLargeError(`Request must be smaller than ${SYNC_REQUEST_LIMIT_BYTES} bytes for the InvokeFunction operation`, bytes);
  }

  /** An asynchronous (`Event`) request over 1 MB. */
  public static async(bytes: number): PayloadTooLargeError {
    return new PayloadTooLargeError(`${bytes} byte payload is too large for the Event invocation type (limit ${ASYNC_REQUEST_LIMIT_BYTES} bytes)`, bytes);
  }
}

/** The JSON text Lambda carries for a payload (`undefined` travels as `null`). */
export const payloadJson = (payload: unknown): string => JSON.stringify(payload ?? null) ?? 'null';
