import { ProviderUnavailableError } from '../../../functions/payments/ports/payment-provider';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { ORDER_ID } from '../../fixtures/events';
import { declines, unavailable } from '../../fakes/payment-provider';
import { payment } from '../../fakes/payment-repository';
import { invoke } from '../../support/lambda';
import { CREATED_AT, chargeInput, paymentsSetup, refundInput } from './setup';

describe('ChargePayment', () => {
  it('records the payment PENDING, charges once by the order key, and captures', async () => {
    // Prepare
    const { charge, provider, stored } = paymentsSetup();

    // Act
    const output = await invoke(charge, chargeInput());

    // Assess
    expect(output).toEqual({ paymentId: 'pay-1', status: 'CAPTURED' });
    expect(provider.charges).toEqual([
      { idempotencyKey: `charge-${ORDER_ID}`, amount: { amount: 2999, currency: 'EUR' }, token: 'tok_visa', attempt: 1 },
    ]);
    expect(stored()).toEqual({
      orderId: ORDER_ID,
      paymentId: 'pay-1',
      amount: { amount: 2999, currency: 'EUR' },
      status: 'CAPTURED',
      attempts: 1,
      chargeId: `ch_charge-${ORDER_ID}`,
      createdAt: CREATED_AT,
      updatedAt: CREATED_AT,
    });
  });

  it('charges once when called twice: the repeat returns the same capture without calling the provider', async () => {
    const { charge, provider, payments } = paymentsSetup();
    const first = await invoke(charge, chargeInput());
    const writes = payments.writes;
    const second = await invoke(charge, chargeInput());
    expect(second).toEqual(first);
    expect(provider.charges).toHaveLength(1);
    expect(payments.writes).toBe(writes);
  });

  it('answers a charge of a payment already declined with the decline, charging nothing, even when no reason was recorded', async () => {
    // Prepare: a DECLINED payment without its provider's reason
    const input = chargeInput();
    const { charge, provider } = paymentsSetup([payment({ orderId: input.orderId, status: 'DECLINED' })]);

    // Act
    const result = invoke(charge, input);

    // Assess: still a decline the saga compensates, with a reason to show
    await expect(result).rejects.toMatchObject({ name: SagaErrors.paymentDeclined, reason: 'declined' });
    expect(provider.charges).toHaveLength(0);
  });

  it('gives up as transient, naming the order, when its capture loses a race and the payment is still not settled', async () => {
    // Prepare: the conditional capture loses to another writer, and the payment reads PENDING after
    const input = chargeInput();
    const { charge, payments, provider, stored } = paymentsSetup();
    payments.transition = async () => false;

    // Act
    const result = invoke(charge, input);

    // Assess: the saga retries; the charge was made once, by the order's key, so a retry cannot charge twice
    await expect(result).rejects.toMatchObject({ name: SagaErrors.transient, message: expect.stringContaining(input.orderId) });
    expect(provider.charges).toHaveLength(1);
    expect(stored()).toMatchObject({ status: 'PENDING' });
  });

  it('captures once when two invocations race, both answering the same payment', async () => {
    const { charge, stored } = paymentsSetup();
    const results = await Promise.all([invoke(charge, chargeInput()), invoke(charge, chargeInput())]);
    expect(results[0]).toEqual(results[1]);
    expect(stored()).toMatchObject({ status: 'CAPTURED', paymentId: results[0].paymentId });
  });

  it('records a decline once and answers every repeat with PaymentDeclinedError', async () => {
    // Prepare
    const { charge, provider, stored } = paymentsSetup();
    provider.onCharge = declines('card_declined');

    // Act
    const first = await invoke(charge, chargeInput()).catch((e: unknown) => e);
    const repeat = await invoke(charge, chargeInput()).catch((e: unknown) => e);

    // Assess
    expect(first).toMatchObject({ name: SagaErrors.paymentDeclined, reason: 'card_declined' });
    expect(repeat).toMatchObject({ name: SagaErrors.paymentDeclined, reason: 'card_declined' });
    expect(stored()).toMatchObject({ status: 'DECLINED', declineReason: 'card_declined', attempts: 1 });
    expect(provider.charges).toHaveLength(1);
  });

  it('raises a TransientError when the provider is unavailable, keeps the payment PENDING, and counts the next attempt', async () => {
    const { charge, provider, stored } = paymentsSetup();
    provider.onCharge = unavailable;

    // The execution's history says which step could not reach the provider, and the log keeps the provider's error.
    await expect(invoke(charge, chargeInput())).rejects.toMatchObject({
      name: SagaErrors.transient,
      message: expect.stringMatching(/^ChargePayment: The provider is down/),
      cause: expect.any(ProviderUnavailableError),
    });
    expect(stored()).toMatchObject({ status: 'PENDING', attempts: 1 });

    provider.onCharge = async (request) => ({ chargeId: `ch_${request.attempt}` });
    const output = await invoke(charge, chargeInput());

    expect(output).toEqual({ paymentId: 'pay-1', status: 'CAPTURED' });
    expect(provider.charges.map((c) => [c.idempotencyKey, c.attempt])).toEqual([
      [`charge-${ORDER_ID}`, 1],
      [`charge-${ORDER_ID}`, 2],
    ]);
    expect(stored()).toMatchObject({ status: 'CAPTURED', attempts: 2, chargeId: 'ch_2' });
  });

  it.each(['REFUNDED', 'VOIDED'] as const)('refuses to charge a %s payment again, without calling the provider or writing', async (status) => {
    const { charge, provider, payments } = paymentsSetup([payment({ status })]);
    await expect(invoke(charge, chargeInput())).rejects.toMatchObject({ name: 'PaymentClosedError' });
    expect(provider.charges).toHaveLength(0);
    expect(payments.writes).toBe(0);
  });

  it('does not capture a charge whose payment was voided while the provider was answering', async () => {
    // Prepare
    const { charge, refund, provider, stored } = paymentsSetup();
    provider.onCharge = async (request) => {
      await invoke(refund, refundInput);
      return { chargeId: `ch_${request.idempotencyKey}` };
    };

    // Act
    const result = await invoke(charge, chargeInput()).catch((e: unknown) => e);

    // Assess
    expect(result).toMatchObject({ name: 'PaymentClosedError' });
    expect(stored()).toMatchObject({ status: 'VOIDED' });
    expect(provider.voids).toEqual([{ idempotencyKey: `charge-${ORDER_ID}` }]);
  });

  it('lets an unexpected provider error through, leaving the payment PENDING for the refund step to void', async () => {
    const { charge, provider, stored } = paymentsSetup();
    provider.onCharge = async () => {
      throw new TypeError('bug in the provider client');
    };
    await expect(invoke(charge, chargeInput())).rejects.toBeInstanceOf(TypeError);
    expect(stored()).toMatchObject({ status: 'PENDING' });
  });

  it('rejects input outside the task contract before writing or charging', async () => {
    const { charge, provider, payments } = paymentsSetup();
    await expect(invoke(charge, chargeInput({ amount: { amount: 29.99, currency: 'EUR' } }))).rejects.toMatchObject({ name: 'ContractViolationError' });
    await expect(invoke(charge, chargeInput({ paymentToken: '' }))).rejects.toMatchObject({ name: 'ContractViolationError' });
    await expect(invoke(charge, chargeInput({ orderId: 'not-a-uuid' }))).rejects.toMatchObject({ name: 'ContractViolationError' });
    expect(payments.writes).toBe(0);
    expect(provider.charges).toHaveLength(0);
  });

  it('gives up with a TransientError after 3 reads of a payment that keeps changing, charging nothing', async () => {
    // Prepare: every read finds no payment and every create loses to another writer.
    const { charge, payments, provider } = paymentsSetup();
    let reads = 0;
    payments.get = async () => {
      reads += 1;
      return undefined;
    };
    payments.create = async () => false;
    const input = chargeInput();

    // Act
    const result = invoke(charge, input);

    // Assess: the error names the order, for whoever reads the saga's history
    await expect(result).rejects.toMatchObject({ name: SagaErrors.transient, message: expect.stringContaining(input.orderId) });
    expect(reads).toBe(3);
    expect(provider.charges).toHaveLength(0);
  });

  it('turns a throttled table into a TransientError', async () => {
    const { charge, payments } = paymentsSetup();
    payments.get = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    };
    await expect(invoke(charge, chargeInput())).rejects.toMatchObject({ name: SagaErrors.transient });
  });
});
