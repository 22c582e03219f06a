import * as z from './zod';

/**
 * The environment variables of a circuit breaker, as lib/ sets them
 * (`lib/constructs/breaker-settings.ts`): spread them under a prefix, e.g.
 * `PROVIDER_BREAKER_FAILURES: breakerVariables.failures`.
 */
export const breakerVariables = {
  /** Consecutive failures, across all environments, that open the circuit. @default 5 */
  failures: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1_000)), 5),
  /** How long the circuit stays open before one probe, in ms. @default 30000 */
  openMs: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(3_600_000)), 30_000),
  /** How long an environment trusts the circuit's state it last read, in ms. @default 1000 */
  cacheMs: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(60_000)), 1_000),
};
