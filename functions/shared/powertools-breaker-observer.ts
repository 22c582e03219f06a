import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { BreakerStoreUnavailableError } from './breaker-store';
import { logger as sharedLogger, metrics as sharedMetrics } from './powertools';
import type { BreakerObserver, BreakerRefusal, BreakerTransition } from './shared-circuit-breaker';

/**
 * What a circuit breaker does, for the people running it: one log line per
 * transition (a warning when it opens), and two EMF metrics, each in its own
 * record so their dimensions never mix with the invocation's other metrics:
 *
 * - `CircuitBreakerTransitions` (Count), dimensions `dependency` and `state`
 *   (the state entered): made once per transition across all environments;
 * - `CircuitBreakerRejections` (Count), dimensions `dependency` and `state`
 *   (`OPEN`, or `HALF_OPEN` while the probe is in flight): calls refused
 *   without being made.
 */
export class PowertoolsBreakerObserver implements BreakerObserver {
  /**
   * @param logger @default the process-wide Powertools Logger
   * @param metrics @default the process-wide Powertools Metrics
   */
  public constructor(
    private readonly logger: Logger = sharedLogger,
    private readonly metrics: Metrics = sharedMetrics,
  ) {}

  public transitioned(transition: BreakerTransition): void {
    const { dependency, from, to, reason, openUntil } = transition;
    const until = openUntil !== undefined ? new Date(openUntil).toISOString() : undefined;
    const line = `Circuit breaker ${dependency} ${from} → ${to}: ${reason}${until !== undefined ? `; calls are refused until ${until}` : ''}`;
    const details = { circuitBreaker: { dependency, from, to, reason, ...(until !== undefined ? { openUntil: until } : {}) } };
    if (to === 'OPEN') this.logger.warn(line, details);
    else this.logger.info(line, details);
    this.count('CircuitBreakerTransitions', dependency, to);
  }

  public refused(refusal: BreakerRefusal): void {
    this.count('CircuitBreakerRejections', refusal.dependency, refusal.state);
  }

  public storeUnavailable(dependency: string, operation: string, error: BreakerStoreUnavailableError): void {
    this.logger.warn(`Circuit breaker ${dependency}: its store is unavailable (${operation}); going on with what this environment last knew`, { error });
  }

  private count(name: string, dependency: string, state: string): void {
    const metric = this.metrics.singleMetric();
    metric.addDimensions({ dependency, state });
    metric.addMetric(name, MetricUnit.Count, 1);
  }
}
