import {
  PaymentDeclinedByProviderError,
  ProviderUnavailableError,
  type ChargeRequest,
  type ChargeResult,
  type PaymentProvider,
  type RefundRequest,
  type RefundResult,
  type VoidRequest,
} from '../../functions/payments/ports/payment-provider';

/**
 * A {@link PaymentProvider} that records every call and answers as scripted.
 * By default it approves, with ids derived from the idempotency key (so
 * repeats are idempotent, like a real provider).
 */
export class ScriptedPaymentProvider implements PaymentProvider {
  public readonly charges: ChargeRequest[] = [];
  public readonly refunds: RefundRequest[] = [];
  public readonly voids: VoidRequest[] = [];
  public onCharge: (request: ChargeRequest) => Promise<ChargeResult> = async (request) => ({ chargeId: `ch_${request.idempotencyKey}` });
  public onRefund: (request: RefundRequest) => Promise<RefundResult> = async (request) => ({ refundId: `re_${request.idempotencyKey}` });
  public onVoid: (request: VoidRequest) => Promise<void> = async () => undefined;

  public charge(request: ChargeRequest): Promise<ChargeResult> {
    this.charges.push(request);
    return this.onCharge(request);
  }

  public refund(request: RefundRequest): Promise<RefundResult> {
    this.refunds.push(request);
    return this.onRefund(request);
  }

  public void(request: VoidRequest): Promise<void> {
    this.voids.push(request);
    return this.onVoid(request);
  }
}

/** A scripted answer: the provider declines with this reason. */
export const declines = (reason: string) => async (): Promise<never> => {
  throw new PaymentDeclinedByProviderError(reason);
};

/** A scripted answer: the provider is unavailable. */
export const unavailable = async (): Promise<never> => {
  throw new ProviderUnavailableError('The provider is down (scripted).');
};
