import type { PaymentProvider } from '../ports/payment-provider';
import type { PaymentRepository } from '../ports/payment-repository';
import type { PaymentsMetrics } from '../ports/payments-metrics';

/** Dependencies of the payment queries. */
export interface PaymentQueryDeps {
  readonly payments: PaymentRepository;
}

/** Dependencies of the saga's payment steps. */
export interface PaymentsDeps extends PaymentQueryDeps {
  /** Already guarded (timeout, circuit breaker) by the composition root. */
  readonly provider: PaymentProvider;
  readonly metrics: PaymentsMetrics;
  /** @default the system clock */
  readonly now?: () => Date;
  /** @default random UUIDs */
  readonly newId?: () => string;
}

/** The clock of a use case, as an ISO timestamp. */
export const nowOf = (deps: PaymentsDeps): string => (deps.now ?? (() => new Date()))().toISOString();

/**
 * How often a step re-reads a payment that another invocation changed under
 * it before giving up with a retryable error.
 */
export const MAX_STATE_READS = 3;
