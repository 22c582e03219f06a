/**
 * The exponential backoff with jitter that AWS services retry with
 * (EventBridge targets, Pipes batches), shrinkable for tests.
 */

/** Exponential backoff settings; tests shrink the base to milliseconds. */
export interface BackoffOptions {
  /** Delay before the first retry. @default 1000 */
  readonly baseDelayMs?: number;
  /** No delay exceeds this. @default 60000 */
  readonly maxDelayMs?: number;
  /** Randomize each delay within its upper half ("equal jitter"), as AWS jitters. @default true */
  readonly jitter?: boolean;
}

/** The delay before retry number `retry` (1 for the first retry): base doubling, capped, jittered. */
export function backoffDelay(retry: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = options.baseDelayMs ?? 1000;
  const delay = Math.min(options.maxDelayMs ?? 60_000, base * 2 ** Math.max(0, retry - 1));
  return options.jitter === false ? delay : delay / 2 + random() * (delay / 2);
}
