/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** Give up after this long. @default 20 000 ms */
  readonly timeoutMs?: number;
  /** Pause between probes. @default 100 ms */
  readonly intervalMs?: number;
  /** Appended to the timeout error: what the shop was doing meanwhile (its log, say). */
  readonly diagnostics?: () => string;
}

/** A condition that did not hold before its deadline; the message says what was last seen. */
export class NotReachedError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'NotReachedError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Probes until `done` holds and returns the value that satisfied it. The
 * shop is asynchronous (stream → pipe → bus → saga → bus → consumer), so a
 * black-box test can only wait for what a user would eventually see; the wait
 * is bounded so a stuck order fails the test with its last state instead of
 * hanging it. The bound is monotonic time; a failure also says how far the
 * wall clock (what timestamps and the local cloud's queues count in) moved.
 */
export const eventually = async <T>(
  what: string,
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: EventuallyOptions = {},
): Promise<T> => {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = performance.now() + timeoutMs;
  const wallStarted = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (performance.now() + intervalMs > deadline) {
      const diagnostics = options.diagnostics?.() ?? '';
      throw new NotReachedError(
        `${what}: not reached within ${timeoutMs} ms (the wall clock moved ${Date.now() - wallStarted} ms). Last seen: ${JSON.stringify(value)}${diagnostics ? `\n${diagnostics}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
};
