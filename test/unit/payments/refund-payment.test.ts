import { ProviderUnavailableError } from '../../../functions/payments/ports/payment-provider';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { ORDER_ID } from '../../fixtures/events';
import { unavailable } from '../../fakes/payment-provider';
import { payment } from '../../fakes/payment-repository';
import { invoke } from '../../support/lambda';
import { chargeInput, paymentsSetup, refundInput } from './setup';

const captured = payment({ status: 'CAPTURED', chargeId: 'ch_1' });

describe('RefundPayment', () => {
  it('refunds a captured payment by the order refund key, records REFUNDED and counts the compensation', async () => {
    // Prepare
    const { refund, provider, metrics, stored } = paymentsSetup([captured]);

    // Act
    const output = await invoke(refund, refundInput);

    // Assess
    expect(output).toEqual({ refunded: true });
    expect(provider.refunds).toEqual([{ idempotencyKey: `refund-${ORDER_ID}`, chargeId: 'ch_1', amount: { amount: 2999, currency: 'EUR' } }]);
    expect(stored()).toMatchObject({ status: 'REFUNDED', refundId: `re_refund-${ORDER_ID}`, chargeId: 'ch_1' });
    expect(metrics.compensationsRun).toBe(1);
  });

  it('refuses to guess how to refund a captured payment recorded without its charge id: a bug to see, naming the order, not a retry', async () => {
    // Prepare
    const { refund, provider } = paymentsSetup([payment({ status: 'CAPTURED' })]);

    // Act
    const result = invoke(refund, refundInput);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'Error', message: expect.stringContaining(refundInput.orderId) });
    expect(provider.refunds).toEqual([]);
  });

  it('refunds once when called twice', async () => {
    const { refund, provider, metrics } = paymentsSetup([captured]);
    const results = [await invoke(refund, refundInput), await invoke(refund, refundInput)];
    expect(results).toEqual([{ refunded: true }, { refunded: false }]);
    expect(provider.refunds).toHaveLength(1);
    expect(metrics.compensationsRun).toBe(1);
  });

  it('records one refund when two refunds race', async () => {
    const { refund, metrics, stored } = paymentsSetup([captured]);
    const results = await Promise.all([invoke(refund, refundInput), invoke(refund, refundInput)]);
    expect(results.map((r) => r.refunded).sort()).toEqual([false, true]);
    expect(stored()?.status).toBe('REFUNDED');
    expect(metrics.compensationsRun).toBe(1);
  });

  it('refunds what a charge captured, end to end', async () => {
    const { charge, refund, provider, stored } = paymentsSetup();
    await invoke(charge, chargeInput());
    expect(await invoke(refund, refundInput)).toEqual({ refunded: true });
    expect(provider.refunds[0]?.chargeId).toBe(`ch_charge-${ORDER_ID}`);
    expect(stored()?.status).toBe('REFUNDED');
  });

  it('voids a PENDING payment by the charge key, records VOIDED, and answers refunded: false', async () => {
    const { refund, provider, metrics, stored } = paymentsSetup([payment({ status: 'PENDING' })]);
    expect(await invoke(refund, refundInput)).toEqual({ refunded: false });
    expect(provider.voids).toEqual([{ idempotencyKey: `charge-${ORDER_ID}` }]);
    expect(provider.refunds).toHaveLength(0);
    expect(stored()?.status).toBe('VOIDED');
    expect(metrics.compensationsRun).toBe(0);
  });

  it.each(['DECLINED', 'REFUNDED', 'VOIDED'] as const)('answers refunded: false for a %s payment, calling nothing and writing nothing', async (status) => {
    const { refund, provider, payments } = paymentsSetup([payment({ status, chargeId: 'ch_1' })]);
    expect(await invoke(refund, refundInput)).toEqual({ refunded: false });
    expect([provider.refunds, provider.voids]).toEqual([[], []]);
    expect(payments.writes).toBe(0);
  });

  it('answers refunded: false when the order was never charged', async () => {
    const { refund, provider, payments } = paymentsSetup();
    expect(await invoke(refund, refundInput)).toEqual({ refunded: false });
    expect([provider.refunds, provider.voids]).toEqual([[], []]);
    expect(payments.writes).toBe(0);
  });

  it('raises a TransientError when the provider is unavailable, recording nothing, and refunds on the retry', async () => {
    const { refund, provider, stored } = paymentsSetup([captured]);
    provider.onRefund = unavailable;
    await expect(invoke(refund, refundInput)).rejects.toMatchObject({
      name: SagaErrors.transient,
      message: expect.stringMatching(/^RefundPayment: The provider is down/),
      cause: expect.any(ProviderUnavailableError),
    });
    expect(stored()?.status).toBe('CAPTURED');

    provider.onRefund = async () => ({ refundId: 're_2' });
    expect(await invoke(refund, refundInput)).toEqual({ refunded: true });
    expect(stored()).toMatchObject({ status: 'REFUNDED', refundId: 're_2' });
  });

  it('raises a TransientError when the void cannot reach the provider, keeping the payment PENDING', async () => {
    const { refund, provider, stored } = paymentsSetup([payment({ status: 'PENDING' })]);
    provider.onVoid = unavailable;
    await expect(invoke(refund, refundInput)).rejects.toMatchObject({
      name: SagaErrors.transient,
      message: expect.stringMatching(/^RefundPayment: The provider is down/),
    });
    expect(stored()?.status).toBe('PENDING');
  });

  it('gives up with a TransientError after 3 reads of a payment that keeps changing, recording nothing', async () => {
    // Prepare: every read finds the payment PENDING, every void succeeds, and every conditional write loses to another writer.
    const { refund, payments, provider } = paymentsSetup([payment({ status: 'PENDING' })]);
    let reads = 0;
    const get = payments.get.bind(payments);
    payments.get = async (orderId) => {
      reads += 1;
      return get(orderId);
    };
    payments.transition = async () => false;

    // Act
    const result = invoke(refund, refundInput);

    // Assess: the error names the order, for whoever reads the saga's history
    await expect(result).rejects.toMatchObject({ name: SagaErrors.transient, message: expect.stringContaining(refundInput.orderId) });
    expect(reads).toBe(3);
    expect(provider.voids).toHaveLength(3);
  });

  it('refunds instead when the pending charge was captured while the void was in flight', async () => {
    const { refund, provider, payments, stored } = paymentsSetup([payment({ status: 'PENDING' })]);
    provider.onVoid = async () => {
      await payments.transition(ORDER_ID, { from: 'PENDING', to: 'CAPTURED', at: '2026-03-01T12:00:01.000Z', chargeId: 'ch_late' });
    };
    expect(await invoke(refund, refundInput)).toEqual({ refunded: true });
    expect(provider.refunds.map((r) => r.chargeId)).toEqual(['ch_late']);
    expect(stored()?.status).toBe('REFUNDED');
  });
});
