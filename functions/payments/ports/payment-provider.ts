import type { ErrorOptions } from '../../shared/errors';
import type { Money } from '../../shared/contracts/common';

/** A charge the provider must make at most once per idempotency key. */
export interface ChargeRequest {
  readonly idempotencyKey: string;
  readonly amount: Money;
  /** The card token the customer's client obtained from the provider. */
  readonly token: string;
  /** How many times we have asked for this idempotency key, from 1. */
  readonly attempt: number;
}

/** The provider's id of a capture, needed to refund it. */
export interface ChargeResult {
  readonly chargeId: string;
}

/** A refund of a captured charge, at most once per idempotency key. */
export interface RefundRequest {
  readonly idempotencyKey: string;
  readonly chargeId: string;
  readonly amount: Money;
}

/** The provider's id of a refund. */
export interface RefundResult {
  readonly refundId: string;
}

/** Cancels whatever charge was made under an idempotency key (nothing if none was). */
export interface VoidRequest {
  readonly idempotencyKey: string;
}

/**
 * Port: the payment provider (card processor). Every call is idempotent by
 * its key. A call may be aborted through `signal`; implementations stop
 * waiting when it fires.
 */
export interface PaymentProvider {
  /**
   * @throws PaymentDeclinedByProviderError when the provider answered no
   * @throws ProviderUnavailableError when it did not answer (or not in time)
   */
  charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult>;
  /** @throws ProviderUnavailableError when it did not answer (or not in time) */
  refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult>;
  /** @throws ProviderUnavailableError when it did not answer (or not in time) */
  void(request: VoidRequest, signal?: AbortSignal): Promise<void>;
}

/** The provider answered and declined the charge. It is not a provider failure. */
export class PaymentDeclinedByProviderError extends Error {
  /** The provider's reason code, e.g. `card_declined`. */
  public readonly reason: string;

  public constructor(reason: string, options?: ErrorOptions) {
    super(`The payment provider declined the charge: ${reason}.`, options);
    this.reason = reason;
    this.name = 'PaymentDeclinedByProviderError';
  }
}

/** The provider did not answer, answered with a failure, timed out, or its circuit is open. May pass later. */
export class ProviderUnavailableError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProviderUnavailableError';
  }
}
