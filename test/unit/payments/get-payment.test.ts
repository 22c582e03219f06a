import { getPaymentResponse } from '../../../functions/payments/handlers/get-payment';
import { ORDER_ID } from '../../fixtures/events';
import { payment } from '../../fakes/payment-repository';
import { invoke } from '../../support/lambda';
import { paymentsSetup } from './setup';

describe('GetPayment', () => {
  it('answers the payment without provider ids, inside its published contract', async () => {
    const { getPayment } = paymentsSetup([payment({ status: 'CAPTURED', chargeId: 'ch_secret', attempts: 2 })]);
    const answer = await invoke(getPayment, { orderId: ORDER_ID, correlationId: 'corr-1' });
    expect(answer).toEqual({
      payment: {
        paymentId: 'pay-1',
        status: 'CAPTURED',
        amount: { amount: 2999, currency: 'EUR' },
        createdAt: '2026-03-01T12:00:00.000Z',
        updatedAt: '2026-03-01T12:00:00.000Z',
      },
    });
    expect(getPaymentResponse.safeParse(answer).success).toBe(true);
  });

  it('includes why a declined payment was declined', async () => {
    const { getPayment } = paymentsSetup([payment({ status: 'DECLINED', declineReason: 'insufficient_funds' })]);
    const answer = await invoke(getPayment, { orderId: ORDER_ID });
    expect(answer.payment).toMatchObject({ status: 'DECLINED', declineReason: 'insufficient_funds' });
    expect(getPaymentResponse.safeParse(answer).success).toBe(true);
  });

  it('answers null for an order that was never charged', async () => {
    const { getPayment } = paymentsSetup();
    const answer = await invoke(getPayment, { orderId: ORDER_ID });
    expect(answer).toEqual({ payment: null });
    expect(getPaymentResponse.safeParse(answer).success).toBe(true);
  });

  it('rejects a request outside its contract', async () => {
    const { getPayment } = paymentsSetup();
    await expect(invoke(getPayment, { orderId: 'nope' })).rejects.toMatchObject({ name: 'ContractViolationError' });
  });
});
