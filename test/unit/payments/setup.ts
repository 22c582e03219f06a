import { createChargePaymentHandler } from '../../../functions/payments/handlers/charge-payment';
import { createGetPaymentHandler } from '../../../functions/payments/handlers/get-payment';
import { createRefundPaymentHandler } from '../../../functions/payments/handlers/refund-payment';
import type { Payment } from '../../../functions/payments/domain/payment';
import { ORDER_ID } from '../../fixtures/events';
import { ScriptedPaymentProvider } from '../../fakes/payment-provider';
import { InMemoryPaymentRepository } from '../../fakes/payment-repository';
import { RecordingPaymentsMetrics } from '../../fakes/payments-metrics';

export const CREATED_AT = '2026-03-01T12:00:00.000Z';

/** The payments handlers over in-memory fakes, with a fixed clock and ids. */
export const paymentsSetup = (seed: readonly Payment[] = []) => {
  const payments = new InMemoryPaymentRepository(seed);
  const provider = new ScriptedPaymentProvider();
  const metrics = new RecordingPaymentsMetrics();
  let ids = 0;
  const deps = { payments, provider, metrics, now: () => new Date(CREATED_AT), newId: () => `pay-${(ids += 1)}` };
  return {
    payments,
    provider,
    metrics,
    charge: createChargePaymentHandler(deps),
    refund: createRefundPaymentHandler(deps),
    getPayment: createGetPaymentHandler(deps),
    stored: () => payments.payments.get(ORDER_ID),
  };
};

export const chargeInput = (overrides: Record<string, unknown> = {}) => ({
  orderId: ORDER_ID,
  correlationId: 'corr-1',
  amount: { amount: 2999, currency: 'EUR' },
  paymentToken: 'tok_visa',
  ...overrides,
});

export const refundInput = { orderId: ORDER_ID, correlationId: 'corr-1' };
