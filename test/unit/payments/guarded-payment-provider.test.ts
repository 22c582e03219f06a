import { GuardedPaymentProvider, isProviderFailure } from '../../../functions/payments/adapters/guarded-payment-provider';
import { SimulatedPaymentProvider, SimulatedTokens } from '../../../functions/payments/adapters/simulated-payment-provider';
import type { ChargeRequest, PaymentProvider } from '../../../functions/payments/ports/payment-provider';
import { SharedCircuitBreaker } from '../../../functions/shared/shared-circuit-breaker';
import { InMemoryBreakerStore, RecordingBreakerObserver } from '../../fakes/breaker-store';
import { ScriptedPaymentProvider, declines, unavailable } from '../../fakes/payment-provider';

const request = (token = 'tok_visa'): ChargeRequest => ({
  idempotencyKey: 'charge-order-1',
  amount: { amount: 2999, currency: 'EUR' },
  token,
  attempt: 1,
});

/** A breaker as the composition root builds it (declines are answers), over an in-memory store. */
const providerBreaker = (failureThreshold?: number) =>
  new SharedCircuitBreaker({
    dependency: 'payment-provider',
    store: new InMemoryBreakerStore(),
    observer: new RecordingBreakerObserver(),
    isFailure: isProviderFailure,
    ...(failureThreshold !== undefined ? { failureThreshold } : {}),
  });

const guardedOver = (inner: PaymentProvider, options: { timeoutMs?: number; breaker?: SharedCircuitBreaker } = {}) =>
  new GuardedPaymentProvider(inner, { breaker: options.breaker ?? providerBreaker(), ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}) });

const errorOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

describe('GuardedPaymentProvider', () => {
  it('passes answers through', async () => {
    const guarded = guardedOver(new SimulatedPaymentProvider());
    expect((await guarded.charge(request())).chargeId).toMatch(/^ch_/);
    expect(await errorOf(guarded.charge(request(SimulatedTokens.decline)))).toMatchObject({ name: 'PaymentDeclinedByProviderError' });
  });

  it('gives up on a slow provider after the timeout and reports it unavailable', async () => {
    const guarded = guardedOver(new SimulatedPaymentProvider(), { timeoutMs: 30 });
    const started = Date.now();
    const error = await errorOf(guarded.charge(request(SimulatedTokens.slow)));
    expect(error).toMatchObject({ name: 'ProviderUnavailableError' });
    expect(error?.message).toContain('within 30 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out even a provider that ignores its abort signal', async () => {
    const inner = new ScriptedPaymentProvider();
    inner.onVoid = () => new Promise<void>(() => undefined);
    const guarded = guardedOver(inner, { timeoutMs: 20 });
    expect(await errorOf(guarded.void({ idempotencyKey: 'charge-order-1' }))).toMatchObject({ name: 'ProviderUnavailableError' });
  });

  it('opens the circuit after 5 consecutive failures and then answers unavailable without calling', async () => {
    // Prepare
    const inner = new ScriptedPaymentProvider();
    inner.onCharge = unavailable;
    const guarded = guardedOver(inner);

    // Act
    for (let i = 0; i < 5; i += 1) await errorOf(guarded.charge(request()));
    inner.onCharge = async () => ({ chargeId: 'ch_1' });
    const refused = await errorOf(guarded.charge(request()));
    const refusedRefund = await errorOf(guarded.refund({ idempotencyKey: 'refund-order-1', chargeId: 'ch_1', amount: request().amount }));

    // Assess
    expect(refused).toMatchObject({ name: 'ProviderUnavailableError' });
    expect(refused?.message).toContain('circuit is open');
    expect(refusedRefund).toMatchObject({ name: 'ProviderUnavailableError' });
    expect(inner.charges).toHaveLength(5);
    expect(inner.refunds).toHaveLength(0);
  });

  it('counts timeouts as failures of the provider', async () => {
    const breaker = providerBreaker(2);
    const guarded = guardedOver(new SimulatedPaymentProvider(), { timeoutMs: 10, breaker });
    await errorOf(guarded.charge(request(SimulatedTokens.slow)));
    await errorOf(guarded.charge(request(SimulatedTokens.slow)));
    expect(await breaker.state()).toBe('OPEN');
  });

  it('never opens the circuit on declines: the provider answered', async () => {
    const inner = new ScriptedPaymentProvider();
    inner.onCharge = declines('card_declined');
    const guarded = guardedOver(inner);
    for (let i = 0; i < 10; i += 1) await errorOf(guarded.charge(request()));
    inner.onCharge = async () => ({ chargeId: 'ch_1' });
    expect(await guarded.charge(request())).toEqual({ chargeId: 'ch_1' });
    expect(inner.charges).toHaveLength(11);
  });

  it('does not retry: one call in, at most one call out', async () => {
    const inner = new ScriptedPaymentProvider();
    inner.onCharge = unavailable;
    await errorOf(guardedOver(inner).charge(request()));
    expect(inner.charges).toHaveLength(1);
  });

  it('stops when the caller aborts', async () => {
    const guarded = guardedOver(new SimulatedPaymentProvider(), { timeoutMs: 5000 });
    const controller = new AbortController();
    const pending = errorOf(guarded.charge(request(SimulatedTokens.slow), controller.signal));
    controller.abort();
    expect(await pending).toMatchObject({ name: 'ProviderUnavailableError', message: 'The charge call was aborted.' });
  });
});
