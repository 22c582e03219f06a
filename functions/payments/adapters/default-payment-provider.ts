import type { PaymentProvider } from '../ports/payment-provider';
import { GuardedPaymentProvider } from './guarded-payment-provider';
import { SimulatedPaymentProvider } from './simulated-payment-provider';

/**
 * The provider the saga steps use: the simulator, behind a timeout and a
 * circuit breaker. One per execution environment, so the breaker's state
 * survives between invocations of a warm function.
 */
export const createPaymentProvider = (timeoutMs: number): PaymentProvider =>
  new GuardedPaymentProvider(new SimulatedPaymentProvider(), { timeoutMs });
