/** The dependency name of the payment provider's breaker: its item is `BREAKER#payment-provider` in the payments table, and its metrics' `dependency`. */
export const PAYMENT_PROVIDER_DEPENDENCY = 'payment-provider';
