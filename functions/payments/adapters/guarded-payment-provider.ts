import { CircuitOpenError, type SharedCircuitBreaker } from '../../shared/shared-circuit-breaker';
import {
  PaymentDeclinedByProviderError,
  ProviderUnavailableError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
  type VoidRequest,
} from '../ports/payment-provider';

/** Options of {@link GuardedPaymentProvider}. */
export interface GuardedPaymentProviderOptions {
  /**
   * The circuit breaker every call goes through, shared by all the
   * environments that call the provider; build it with
   * `isFailure: isProviderFailure` so declines do not count as failures.
   */
  readonly breaker: Pick<SharedCircuitBreaker, 'guard'>;
  /** How long one call may take before it counts as the provider being unavailable, in ms. @default 2000 */
  readonly timeoutMs?: number;
}

/** A provider's declined charge is an answer, not a failure of the provider. */
export const isProviderFailure = (error: unknown): boolean => !(error instanceof PaymentDeclinedByProviderError);

/**
 * Wraps a provider with what every call to the outside needs: a timeout
 * (the call is aborted and reported unavailable) and a circuit breaker (an
 * open circuit answers unavailable without calling; a timeout counts as a
 * failure). It never retries: the
 * saga's Retry does, with backoff, and the provider's idempotency keys make
 * that safe.
 */
export class GuardedPaymentProvider implements PaymentProvider {
  private readonly timeoutMs: number;
  private readonly breaker: Pick<SharedCircuitBreaker, 'guard'>;

  public constructor(
    private readonly inner: PaymentProvider,
    options: GuardedPaymentProviderOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.breaker = options.breaker;
  }

  public charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
    return this.guard('charge', (s) => this.inner.charge(request, s), signal);
  }

  public refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult> {
    return this.guard('refund', (s) => this.inner.refund(request, s), signal);
  }

  public void(request: VoidRequest, signal?: AbortSignal): Promise<void> {
    return this.guard('void', (s) => this.inner.void(request, s), signal);
  }

  private async guard<T>(operation: string, call: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    try {
      return await this.breaker.guard(() => this.withTimeout(operation, call, outer));
    } catch (error) {
      if (error instanceof CircuitOpenError) {
        throw new ProviderUnavailableError(`The payment provider's circuit is ${error.state === 'OPEN' ? 'open' : 'half-open, its probe in flight'}; ${operation} was not attempted.`, { cause: error });
      }
      throw error;
    }
  }

  /** Settles when the call does or when the deadline passes, whichever is first, even if the call ignores its signal. */
  private withTimeout<T>(operation: string, call: (signal: AbortSignal) => Promise<T>, outer?: AbortSignal): Promise<T> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const signal = outer ? AbortSignal.any([outer, deadline]) : deadline;
    const aborted = () =>
      new ProviderUnavailableError(
        deadline.aborted ? `The payment provider did not answer ${operation} within ${this.timeoutMs} ms.` : `The ${operation} call was aborted.`,
        { cause: signal.reason },
      );
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(aborted());
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      let pending: Promise<T>;
      try {
        pending = call(signal);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending
        .then(resolve, (error: unknown) => reject(signal.aborted ? aborted() : error))
        .finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
