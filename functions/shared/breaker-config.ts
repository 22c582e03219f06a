import * as z from 'zod';

/**
 * The environment variables of a circuit breaker, as lib/ sets them
 * (`lib/constructs/breaker-settings.ts`): spread them under a prefix, e.g.
 * `PROVIDER_BREAKER_FAILURES: breakerVariables.failures`.
 */
export const breakerVariables = {
  /** Consecutive failures, across all environments, that open the circuit. @default 5 */
  failures: z.coerce.number().int().min(1).max(1_000).default(5),
  /** How long the circuit stays open before one probe, in ms. @default 30000 */
  openMs: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  /** How long an environment trusts the circuit's state it last read, in ms. @default 1000 */
  cacheMs: z.coerce.number().int().min(0).max(60_000).default(1_000),
};
