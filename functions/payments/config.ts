import * as z from '../shared/zod';
import { breakerVariables } from '../shared/breaker-config';
import { readConfig } from '../shared/config';

/** Default time a payment provider call may take before it counts as unavailable. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 2000;

/** Payments configuration, read once per cold start. */
export const loadPaymentsConfig = () =>
  readConfig(
    z.object({
      TABLE_NAME: z.string().check(z.minLength(1)),
      /** @default 2000 */
      PROVIDER_TIMEOUT_MS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(60_000)), DEFAULT_PROVIDER_TIMEOUT_MS),
      /** The provider's circuit breaker, shared by every environment of the charge and refund functions. */
      PROVIDER_BREAKER_FAILURES: breakerVariables.failures,
      PROVIDER_BREAKER_OPEN_MS: breakerVariables.openMs,
      PROVIDER_BREAKER_CACHE_MS: breakerVariables.cacheMs,
    }),
  );

/** What {@link loadPaymentsConfig} reads. */
export type PaymentsConfig = ReturnType<typeof loadPaymentsConfig>;
