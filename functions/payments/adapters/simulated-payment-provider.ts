import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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

/** Tokens with a scripted behaviour. Any other token is approved. */
export const SimulatedTokens = {
  /** Declined: `card_declined`. */
  decline: 'tok_decline',
  /** Declined: `insufficient_funds`. */
  insufficientFunds: 'tok_insufficient_funds',
  /** Always unavailable (transient): the saga retries, then gives up. */
  unavailable: 'tok_unavailable',
  /** Unavailable on attempt 1, approved from attempt 2: exercises the saga's retry. */
  flaky: 'tok_flaky',
  /** Answers after `slowResponseMs` (10 s), beyond the client timeout: exercises the timeout. */
  slow: 'tok_slow',
} as const;

/** Largest amount (minor units) the simulator approves; above it: `amount_over_limit`. */
export const SIMULATED_AMOUNT_LIMIT = 1_000_000;

/** Options of {@link SimulatedPaymentProvider}. */
export interface SimulatedPaymentProviderOptions {
  /** How long `tok_slow` takes to answer, in ms. @default 10_000 */
  readonly slowResponseMs?: number;
}

const digest = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 24);

/**
 * The default payment provider: a deterministic simulator, so the shop runs
 * end to end on AWS, LocalStack and the local cloud without a card processor
 * account, and tests can script every outcome with the card token.
 *
 * Charges are decided in this order:
 *
 * | token / amount                      | result                                                  |
 * |-------------------------------------|---------------------------------------------------------|
 * | `tok_unavailable`                   | `ProviderUnavailableError` on every attempt (transient) |
 * | `tok_flaky`                         | `ProviderUnavailableError` on attempt 1, then as below  |
 * | `tok_slow`                          | answers after 10 s (beyond the 2 s client timeout), then as below |
 * | `tok_decline`                       | declined, reason `card_declined`                        |
 * | `tok_insufficient_funds`            | declined, reason `insufficient_funds`                   |
 * | amount > 1 000 000 minor units      | declined, reason `amount_over_limit`                    |
 * | anything else                       | approved, `chargeId` = `ch_` + first 24 hex of sha256(idempotency key) |
 *
 * Refunds are always approved with `refundId` = `re_` + first 24 hex of
 * sha256(idempotency key); voids always succeed (a no-op: nothing is kept).
 * It keeps no state: the same key always gives the same id, so repeats are
 * idempotent across invocations and cold starts. Every call honours its
 * abort signal.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly slowResponseMs: number;

  public constructor(options: SimulatedPaymentProviderOptions = {}) {
    this.slowResponseMs = options.slowResponseMs ?? 10_000;
  }

  public async charge(request: ChargeRequest, signal?: AbortSignal): Promise<ChargeResult> {
    signal?.throwIfAborted();
    switch (request.token) {
      case SimulatedTokens.unavailable:
        throw new ProviderUnavailableError('Simulated provider outage.');
      case SimulatedTokens.flaky:
        if (request.attempt <= 1) throw new ProviderUnavailableError('Simulated provider hiccup on the first attempt.');
        break;
      case SimulatedTokens.slow:
        await sleep(this.slowResponseMs, undefined, signal ? { signal } : {});
        break;
      case SimulatedTokens.decline:
        throw new PaymentDeclinedByProviderError('card_declined');
      case SimulatedTokens.insufficientFunds:
        throw new PaymentDeclinedByProviderError('insufficient_funds');
    }
    if (request.amount.amount > SIMULATED_AMOUNT_LIMIT) throw new PaymentDeclinedByProviderError('amount_over_limit');
    return { chargeId: `ch_${digest(request.idempotencyKey)}` };
  }

  public async refund(request: RefundRequest, signal?: AbortSignal): Promise<RefundResult> {
    signal?.throwIfAborted();
    return { refundId: `re_${digest(request.idempotencyKey)}` };
  }

  public async void(_request: VoidRequest, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
  }
}
