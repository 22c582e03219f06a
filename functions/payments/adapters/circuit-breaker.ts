/** CLOSED: calls go through. OPEN: calls are refused. HALF_OPEN: one probe may go through. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** Options of {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before it lets one probe through, in ms. @default 30_000 */
  readonly openMs?: number;
  /**
   * Whether an error means the dependency failed. Errors that are answers
   * (e.g. a declined card) are not failures: they reset the count like a
   * success. @default every error is a failure
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** The clock, in ms since the epoch; injectable for tests. @default Date.now */
  readonly now?: () => number;
}

/** The circuit is open: the call was refused without being made. */
export class CircuitOpenError extends Error {
  /** How long until the circuit lets a probe through, in ms (0 while a probe is in flight). */
  public readonly retryAfterMs: number;

  public constructor(retryAfterMs: number) {
    super(retryAfterMs > 0 ? `The circuit is open for another ${retryAfterMs} ms.` : 'The circuit is half-open and a probe is in flight.');
    this.retryAfterMs = retryAfterMs;
    this.name = 'CircuitOpenError';
  }
}

/**
 * A circuit breaker: after `failureThreshold` consecutive failures it opens
 * and refuses calls for `openMs`, so a dependency that is down is not waited
 * on by every request; then it half-opens and lets ONE probe through. A
 * successful probe closes it, a failed one opens it again. It never retries.
 *
 * State lives in the instance: in a Lambda, one per execution environment.
 */
export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly now: () => number;
  private consecutiveFailures = 0;
  private openedAt: number | undefined;
  private probing = false;

  public constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
    this.isFailure = options.isFailure ?? (() => true);
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError('failureThreshold must be a positive integer.');
    if (!(this.openMs >= 0)) throw new RangeError('openMs must not be negative.');
  }

  /** The state a call made now would meet. */
  public get state(): CircuitState {
    if (this.openedAt === undefined) return 'CLOSED';
    if (this.probing || this.now() - this.openedAt >= this.openMs) return 'HALF_OPEN';
    return 'OPEN';
  }

  /**
   * Makes the call unless the circuit refuses it.
   * @throws CircuitOpenError when open, or half-open with a probe in flight
   */
  public async execute<T>(call: () => Promise<T>): Promise<T> {
    this.admit();
    try {
      const result = await call();
      this.onSuccess();
      return result;
    } catch (error) {
      if (this.isFailure(error)) this.onFailure();
      else this.onSuccess();
      throw error;
    }
  }

  private admit(): void {
    if (this.openedAt === undefined) return;
    if (this.probing) throw new CircuitOpenError(0);
    const remaining = this.openedAt + this.openMs - this.now();
    if (remaining > 0) throw new CircuitOpenError(remaining);
    this.probing = true;
  }

  private onSuccess(): void {
    this.consecutiveFailures = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  private onFailure(): void {
    this.consecutiveFailures += 1;
    if (this.probing || this.consecutiveFailures >= this.failureThreshold) {
      this.openedAt = this.now();
      this.probing = false;
    }
  }
}
