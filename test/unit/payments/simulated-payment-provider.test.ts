import { createHash } from 'node:crypto';
import { SimulatedPaymentProvider, SimulatedTokens } from '../../../functions/payments/adapters/simulated-payment-provider';
import type { ChargeRequest } from '../../../functions/payments/ports/payment-provider';

const request = (overrides: Partial<ChargeRequest> = {}): ChargeRequest => ({
  idempotencyKey: 'charge-order-1',
  amount: { amount: 2999, currency: 'EUR' },
  token: 'tok_visa',
  attempt: 1,
  ...overrides,
});

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (value) => ({ ok: value }),
    (error: unknown) => ({ error: (error as Error).name, reason: (error as { reason?: string }).reason }),
  );

describe('SimulatedPaymentProvider', () => {
  const provider = new SimulatedPaymentProvider();

  it('approves any other token with a charge id derived from the idempotency key', async () => {
    const expected = `ch_${createHash('sha256').update('charge-order-1').digest('hex').slice(0, 24)}`;
    expect(await provider.charge(request())).toEqual({ chargeId: expected });
    expect(await provider.charge(request({ token: 'tok_mastercard', attempt: 3 }))).toEqual({ chargeId: expected });
    expect((await provider.charge(request({ idempotencyKey: 'charge-order-2' }))).chargeId).not.toBe(expected);
  });

  it.each([
    [SimulatedTokens.decline, 2999, 'card_declined'],
    [SimulatedTokens.insufficientFunds, 2999, 'insufficient_funds'],
    ['tok_visa', 1_000_001, 'amount_over_limit'],
  ])('declines token %s / amount %d with reason %s', async (token, amount, reason) => {
    expect(await outcome(provider.charge(request({ token, amount: { amount, currency: 'EUR' } })))).toEqual({
      error: 'PaymentDeclinedByProviderError',
      reason,
    });
  });

  it('approves exactly the limit of 1 000 000 minor units', async () => {
    expect(await outcome(provider.charge(request({ amount: { amount: 1_000_000, currency: 'EUR' } })))).toHaveProperty('ok');
  });

  it('is always unavailable for tok_unavailable', async () => {
    for (const attempt of [1, 2, 5]) {
      expect(await outcome(provider.charge(request({ token: SimulatedTokens.unavailable, attempt })))).toMatchObject({ error: 'ProviderUnavailableError' });
    }
  });

  it('is unavailable on the first attempt of tok_flaky and approves afterwards', async () => {
    expect(await outcome(provider.charge(request({ token: SimulatedTokens.flaky, attempt: 1 })))).toMatchObject({ error: 'ProviderUnavailableError' });
    expect(await outcome(provider.charge(request({ token: SimulatedTokens.flaky, attempt: 2 })))).toHaveProperty('ok');
  });

  it('answers tok_slow only after its delay, and stops waiting when aborted', async () => {
    const slow = new SimulatedPaymentProvider({ slowResponseMs: 50 });
    const started = Date.now();
    expect(await outcome(slow.charge(request({ token: SimulatedTokens.slow })))).toHaveProperty('ok');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    const defaultSlow = new SimulatedPaymentProvider();
    const aborted = Date.now();
    const result = await outcome(defaultSlow.charge(request({ token: SimulatedTokens.slow }), AbortSignal.timeout(20)));
    expect(result).toMatchObject({ error: 'AbortError' });
    expect(Date.now() - aborted).toBeLessThan(1000);
  });

  it('refunds with an id derived from the key and voids as a no-op', async () => {
    const first = await provider.refund({ idempotencyKey: 'refund-order-1', chargeId: 'ch_x', amount: { amount: 1, currency: 'EUR' } });
    const again = await provider.refund({ idempotencyKey: 'refund-order-1', chargeId: 'ch_x', amount: { amount: 1, currency: 'EUR' } });
    expect(first.refundId).toMatch(/^re_[0-9a-f]{24}$/);
    expect(again).toEqual(first);
    await expect(provider.void({ idempotencyKey: 'charge-order-1' })).resolves.toBeUndefined();
  });

  it('refuses any call whose signal is already aborted', async () => {
    const signal = AbortSignal.abort();
    expect(await outcome(provider.charge(request(), signal))).toMatchObject({ error: 'AbortError' });
    expect(await outcome(provider.void({ idempotencyKey: 'k' }, signal))).toMatchObject({ error: 'AbortError' });
  });
});
