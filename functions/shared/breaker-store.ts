import type { ErrorOptions } from './errors';

/** CLOSED: calls go through. OPEN: calls are refused. HALF_OPEN: one probe may go through. */
export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/**
 * A dependency's breaker as the store holds it: each state carries what it
 * means and nothing else, so a count or a time is never read in a state it
 * does not belong to. Times are epoch milliseconds from the clocks of the
 * execution environments that wrote them.
 */
export type BreakerSnapshot =
  /** Calls go through; `failures` consecutive ones have failed. */
  | { readonly state: 'CLOSED'; readonly failures: number }
  /** Calls are refused until `openUntil`, when a probe may be claimed. */
  | { readonly state: 'OPEN'; readonly openUntil: number }
  /** One probe holds the claim until `probeUntil` (a probe whose environment died lets another through then). */
  | { readonly state: 'HALF_OPEN'; readonly probeUntil: number };

/** The snapshot of a dependency nothing was ever written for. */
export const NEVER_FAILED: BreakerSnapshot = { state: 'CLOSED', failures: 0 };

/**
 * Port: where the breakers of a service live, shared by all its execution
 * environments. Every change is one atomic, conditional write, so two
 * environments racing for the same transition cannot both make it.
 */
export interface BreakerStore {
  /** The dependency's breaker; {@link NEVER_FAILED} if none was written. */
  read(dependency: string): Promise<BreakerSnapshot>;
  /**
   * Counts one more consecutive failure, atomically, if the breaker is
   * CLOSED (or absent). Returns the breaker after the write, or as it is
   * when it was not CLOSED (then nothing was counted).
   */
  addFailure(dependency: string, at: number): Promise<BreakerSnapshot>;
  /** Forgets the consecutive failures of a CLOSED breaker (nothing happens if it has none or is not CLOSED). */
  resetFailures(dependency: string, at: number): Promise<void>;
  /** CLOSED → OPEN until `openUntil`, if still CLOSED with at least `minFailures`; true if this call made the change. */
  open(dependency: string, change: { readonly minFailures: number; readonly openUntil: number; readonly at: number }): Promise<boolean>;
  /**
   * OPEN (its window over) → HALF_OPEN, or HALF_OPEN whose probe's claim
   * lapsed → HALF_OPEN with a new claim: this caller becomes the probe.
   * True if it won the claim.
   */
  claimProbe(dependency: string, claim: { readonly probeId: string; readonly probeUntil: number; readonly at: number }): Promise<boolean>;
  /**
   * HALF_OPEN → CLOSED (the probe succeeded) or → OPEN until `openUntil` (it
   * failed), if `probeId` still holds the claim; true if this call made the change.
   */
  settleProbe(
    dependency: string,
    outcome: { readonly probeId: string; readonly at: number } & ({ readonly to: 'CLOSED' } | { readonly to: 'OPEN'; readonly openUntil: number }),
  ): Promise<boolean>;
}

/**
 * The store could not be reached or was throttled: a failure of the breaker's
 * own storage, which the breaker rides out (it must not become the outage).
 * Adapters throw it only for failures that may pass; anything else (a
 * missing grant, a bad table name) propagates as is.
 */
export class BreakerStoreUnavailableError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BreakerStoreUnavailableError';
  }
}
