import { loadDeadlines, withDeadline } from './deadlines';

/**
 * What every SDK client of the shop is built with; the clients themselves,
 * created once per process and traced, are in `./clients/`, one module each,
 * so that a bundle holds only the clients its function uses. Endpoints are never set
 * here: the SDK reads `AWS_ENDPOINT_URL_*`, which is how the same bundle talks
 * to AWS, LocalStack or the local cloud.
 *
 * Every call has a deadline (`SHOP_AWS_DEADLINE_MS`, see `./deadlines`), all
 * attempts included, and each attempt a timeout of its own, so a hung
 * connection is retried once within the deadline instead of holding the
 * function until its Lambda timeout. The SDK's defaults have no timeout at
 * all (https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 * shows the `requestHandler` shorthand; `throwOnRequestTimeout` makes
 * @smithy/node-http-handler 4.4+ fail the attempt instead of only warning).
 */

/** Attempts per call, the SDK's standard retry mode included; the deadline bounds them anyway. */
export const MAX_ATTEMPTS = 3;

/** Longest wait for a TCP connection: AWS endpoints answer a connect in milliseconds. */
const CONNECTION_TIMEOUT_MS = 500;

/** The SDK client settings that keep each attempt inside a call's deadline. */
export interface SdkTimeouts {
  readonly maxAttempts: number;
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number; readonly throwOnRequestTimeout: true };
}

/**
 * Client settings for calls with a deadline of `deadlineMs`.
 *
 * @param attemptMs - how long one attempt may take. @default two thirds of
 *   the deadline, so a hung first attempt leaves room for one more
 */
export const sdkTimeouts = (deadlineMs: number, attemptMs = Math.max(1, Math.round((deadlineMs * 2) / 3))): SdkTimeouts => ({
  maxAttempts: MAX_ATTEMPTS,
  requestHandler: { connectionTimeout: Math.min(CONNECTION_TIMEOUT_MS, attemptMs), requestTimeout: attemptMs, throwOnRequestTimeout: true },
});

type Send = (command: never, ...rest: never[]) => unknown;
type PromiseSend = (command: unknown, options?: { readonly abortSignal?: unknown }) => Promise<unknown>;

/**
 * Gives every `client.send(command)` a deadline of `deadlineMs`: the call is
 * aborted (the SDK stops retrying and closes the socket) and rejects with a
 * `DeadlineExceededError` when it passes. An `abortSignal` the caller passes
 * still applies, so a caller with a shorter deadline of its own keeps it.
 * The callback forms of `send` are passed through untouched.
 */
export const withCallDeadline = <C extends { send: Send }>(client: C, what: string, deadlineMs: number): C => {
  const send = client.send.bind(client) as unknown as PromiseSend;
  const guarded = (command: unknown, options?: unknown, callback?: unknown): unknown => {
    if (typeof options === 'function' || callback !== undefined) return (send as (...args: unknown[]) => unknown)(command, options, callback);
    const given = (options ?? {}) as { readonly abortSignal?: unknown };
    const parent = given.abortSignal instanceof AbortSignal ? given.abortSignal : undefined;
    return withDeadline(what, deadlineMs, (signal) => send(command, { ...given, abortSignal: signal }), parent);
  };
  client.send = guarded as unknown as C['send'];
  return client;
};

/** The settings of a call to an AWS service within `SHOP_AWS_DEADLINE_MS`. */
export const awsCallSettings = (): SdkTimeouts => sdkTimeouts(loadDeadlines().awsMs);
