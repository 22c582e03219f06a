import { Duration } from 'aws-cdk-lib';

/** Settings of a circuit breaker shared by a service's environments (see `functions/shared/shared-circuit-breaker.ts`). */
export interface BreakerProps {
  /** Consecutive failures, counted across all environments, that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before it lets one probe through. @default Duration.seconds(30) */
  readonly openFor?: Duration;
  /**
   * How long an environment trusts the state it last read before reading it
   * again: a closed circuit costs one read per environment per this period,
   * and an environment may go on calling for this long after the circuit
   * opened elsewhere. At most `openFor`. @default Duration.seconds(1)
   */
  readonly cacheFor?: Duration;
}

/**
 * A breaker's environment variables (`<prefix>_BREAKER_FAILURES`,
 * `_OPEN_MS`, `_CACHE_MS`), checked at synth so a bad setting never reaches
 * a cold start; `owner` names the prop in the error.
 */
export const breakerEnvironment = (owner: string, prefix: string, props: BreakerProps = {}): Record<string, string> => {
  const failureThreshold = props.failureThreshold ?? 5;
  const openMs = (props.openFor ?? Duration.seconds(30)).toMilliseconds();
  const cacheMs = (props.cacheFor ?? Duration.seconds(1)).toMilliseconds();
  const problems = [
    ...(Number.isInteger(failureThreshold) && failureThreshold >= 1 && failureThreshold <= 1_000 ? [] : [`failureThreshold must be an integer from 1 to 1000, not ${failureThreshold}`]),
    ...(openMs <= 3_600_000 ? [] : [`openFor must be at most 1 hour, not ${String(openMs)} ms`]),
    ...(cacheMs <= openMs && cacheMs <= 60_000 ? [] : [`cacheFor must be at most openFor and 1 minute, not ${String(cacheMs)} ms`]),
  ];
  if (problems.length > 0) throw new Error(`${owner}: ${problems.join('; ')}.`);
  return {
    [`${prefix}_BREAKER_FAILURES`]: String(failureThreshold),
    [`${prefix}_BREAKER_OPEN_MS`]: String(openMs),
    [`${prefix}_BREAKER_CACHE_MS`]: String(cacheMs),
  };
};
