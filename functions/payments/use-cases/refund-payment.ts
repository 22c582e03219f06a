import type { RefundPaymentInput, RefundPaymentOutput } from '../../shared/contracts/saga';
import { TransientError } from '../../shared/errors';
import { chargeKeyOf, refundKeyOf } from '../domain/payment';
import { MAX_STATE_READS, nowOf, type PaymentsDeps } from './deps';
import { callProvider } from './provider-calls';

/**
 * Compensation RefundPayment: gives the money back once.
 * - nothing charged, declined, refunded or voided: `refunded: false`, nothing written;
 * - PENDING (the charge's outcome is unknown): voids the charge at the
 *   provider by its idempotency key, then records VOIDED;
 * - CAPTURED: refunds at the provider, then records REFUNDED.
 * Each status change is conditional; a lost race re-reads and decides again.
 *
 * @throws TransientError when the provider is unavailable (nothing recorded; retried)
 */
export const refundPayment = async (deps: PaymentsDeps, input: RefundPaymentInput): Promise<RefundPaymentOutput> => {
  const { orderId } = input;
  for (let read = 0; read < MAX_STATE_READS; read += 1) {
    const payment = await deps.payments.get(orderId);
    if (!payment) return { refunded: false };
    switch (payment.status) {
      case 'DECLINED':
      case 'REFUNDED':
      case 'VOIDED':
        return { refunded: false };
      case 'PENDING': {
        await callProvider('RefundPayment', () => deps.provider.void({ idempotencyKey: chargeKeyOf(orderId) }));
        if (await deps.payments.transition(orderId, { from: 'PENDING', to: 'VOIDED', at: nowOf(deps) })) return { refunded: false };
        break;
      }
      case 'CAPTURED': {
        const chargeId = payment.chargeId;
        if (chargeId === undefined) throw new Error(`The captured payment of order ${orderId} has no chargeId.`);
        const { refundId } = await callProvider('RefundPayment', () =>
          deps.provider.refund({ idempotencyKey: refundKeyOf(orderId), chargeId, amount: payment.amount }),
        );
        if (await deps.payments.transition(orderId, { from: 'CAPTURED', to: 'REFUNDED', at: nowOf(deps), refundId })) {
          deps.metrics.compensationRun();
          return { refunded: true };
        }
        break;
      }
    }
  }
  throw new TransientError(`The payment of order ${orderId} kept changing while it was being refunded.`);
};
