import { DynamoDbBreakerStore } from '../../shared/dynamodb-breaker-store';
import { SharedCircuitBreaker } from '../../shared/shared-circuit-breaker';
import { PAYMENT_PROVIDER_DEPENDENCY } from '../breakers';
import type { PaymentsConfig } from '../config';
import type { PaymentProvider } from '../ports/payment-provider';
import { GuardedPaymentProvider, isProviderFailure } from './guarded-payment-provider';
import { SimulatedPaymentProvider } from './simulated-payment-provider';


/**
 * The provider the saga steps use: the simulator, behind a timeout and a
 * circuit breaker whose state lives in the payments table, so every
 * environment of ChargePayment and RefundPayment shares one breaker. One per
 * execution environment, so its cached view survives between invocations.
 */
export const createPaymentProvider = (config: PaymentsConfig): PaymentProvider =>
  new GuardedPaymentProvider(new SimulatedPaymentProvider(), {
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
    breaker: new SharedCircuitBreaker({
      dependency: PAYMENT_PROVIDER_DEPENDENCY,
      store: new DynamoDbBreakerStore(config.TABLE_NAME),
      isFailure: isProviderFailure,
      failureThreshold: config.PROVIDER_BREAKER_FAILURES,
      openMs: config.PROVIDER_BREAKER_OPEN_MS,
      cacheMs: config.PROVIDER_BREAKER_CACHE_MS,
    }),
  });
