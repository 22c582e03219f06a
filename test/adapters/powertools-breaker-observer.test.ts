import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { BreakerStoreUnavailableError } from '../../functions/shared/breaker-store';
import { PowertoolsBreakerObserver } from '../../functions/shared/powertools-breaker-observer';

type Emf = {
  _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> };
  [key: string]: unknown;
};

/** The observer over real Powertools Metrics and Logger; what they print is captured. */
const setup = () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  const logger = new Logger({ serviceName: 'payments', logLevel: 'INFO' });
  const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  const observer = new PowertoolsBreakerObserver(logger, new Metrics({ namespace: 'ServerlessShop', serviceName: 'payments' }));
  const emf = (): Emf[] => printed.mock.calls.map(([line]) => JSON.parse(String(line)) as Emf);
  return { observer, emf, info, warn };
};

afterEach(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  jest.restoreAllMocks();
});

describe('PowertoolsBreakerObserver', () => {
  it('logs an opening as one warning line that says why and until when, and counts it by dependency and state in its own EMF record', () => {
    // Prepare
    const { observer, emf, warn } = setup();

    // Act
    observer.transitioned({ dependency: 'payment-provider', from: 'CLOSED', to: 'OPEN', reason: '5 consecutive failures', openUntil: Date.parse('2026-03-01T12:00:30.000Z') });

    // Assess
    expect(warn).toHaveBeenCalledWith(
      'Circuit breaker payment-provider CLOSED → OPEN: 5 consecutive failures; calls are refused until 2026-03-01T12:00:30.000Z',
      { circuitBreaker: { dependency: 'payment-provider', from: 'CLOSED', to: 'OPEN', reason: '5 consecutive failures', openUntil: '2026-03-01T12:00:30.000Z' } },
    );
    const records = emf();
    expect(records).toHaveLength(1);
    expect(records[0]?._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'ServerlessShop', Dimensions: [['service', 'dependency', 'state']], Metrics: [{ Name: 'CircuitBreakerTransitions', Unit: 'Count' }] },
    ]);
    expect(records[0]).toMatchObject({ service: 'payments', dependency: 'payment-provider', state: 'OPEN', CircuitBreakerTransitions: 1 });
  });

  it('logs a closing as an information line and counts it under state CLOSED', () => {
    const { observer, emf, info, warn } = setup();
    observer.transitioned({ dependency: 'payment-provider', from: 'HALF_OPEN', to: 'CLOSED', reason: 'the probe succeeded' });
    expect(info).toHaveBeenCalledWith('Circuit breaker payment-provider HALF_OPEN → CLOSED: the probe succeeded', expect.anything());
    expect(warn).not.toHaveBeenCalled();
    expect(emf()).toEqual([expect.objectContaining({ state: 'CLOSED', CircuitBreakerTransitions: 1 })]);
  });

  it('counts a refused call as CircuitBreakerRejections by dependency and state, without a log line', () => {
    const { observer, emf, info, warn } = setup();
    observer.refused({ dependency: 'payment-provider', state: 'HALF_OPEN', retryAfterMs: 0 });
    const [record] = emf();
    expect(record?._aws.CloudWatchMetrics[0]?.Metrics).toEqual([{ Name: 'CircuitBreakerRejections', Unit: 'Count' }]);
    expect(record).toMatchObject({ dependency: 'payment-provider', state: 'HALF_OPEN', CircuitBreakerRejections: 1 });
    expect(info).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('warns when the store is unavailable, naming the operation', () => {
    const { observer, emf, warn } = setup();
    const error = new BreakerStoreUnavailableError('throttled');
    observer.storeUnavailable('payment-provider', 'addFailure', error);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('payment-provider: its store is unavailable (addFailure)'), { error });
    expect(emf()).toEqual([]);
  });
});
