import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Default time a payment provider call may take before it counts as unavailable. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 2000;

/** Payments configuration, read once per cold start. */
export const loadPaymentsConfig = () =>
  readConfig(
    z.object({
      TABLE_NAME: z.string().min(1),
      /** @default 2000 */
      PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(DEFAULT_PROVIDER_TIMEOUT_MS),
      /** Consecutive provider failures, across all environments, that open its circuit. @default 5 */
      PROVIDER_BREAKER_FAILURES: z.coerce.number().int().min(1).max(1_000).default(5),
      /** How long the provider's circuit stays open before one probe, in ms. @default 30000 */
      PROVIDER_BREAKER_OPEN_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
      /** How long an environment trusts the circuit's state it last read, in ms. @default 1000 */
      PROVIDER_BREAKER_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
    }),
  );

/** What {@link loadPaymentsConfig} reads. */
export type PaymentsConfig = ReturnType<typeof loadPaymentsConfig>;
