import { Metrics } from '@aws-lambda-powertools/metrics';
import { PowertoolsRequestMetrics, outcomeClassOf } from '../../functions/shared/request-metrics';

type Emf = { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } } & Record<string, unknown>;

afterEach(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  jest.restoreAllMocks();
});

describe('PowertoolsRequestMetrics', () => {
  it('prints one EMF record per request with its latency (its SampleCount counts requests), by service and outcome class, the route a property of the record (no series per route)', () => {
    // Prepare
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const adapter = new PowertoolsRequestMetrics(new Metrics({ namespace: 'ServerlessShop', serviceName: 'orders' }));

    // Act
    adapter.recordRequest('GET /orders/{id}', 404, 12.3456);
    adapter.recordRequest('POST /orders', 202, 80);

    // Assess
    const records = printed.mock.calls.map(([line]) => JSON.parse(String(line)) as Emf);
    expect(records).toHaveLength(2);
    expect(records[0]?._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'ServerlessShop',
        Dimensions: [['service', 'outcome']],
        Metrics: [{ Name: 'ApiLatency', Unit: 'Milliseconds' }],
      },
    ]);
    expect(records[0]).toMatchObject({ service: 'orders', route: 'GET /orders/{id}', outcome: '4xx', ApiLatency: 12.346 });
    expect(records[1]).toMatchObject({ route: 'POST /orders', outcome: '2xx', ApiLatency: 80 });
  });

  it.each([
    [200, '2xx'],
    [299, '2xx'],
    [302, '3xx'],
    [400, '4xx'],
    [499, '4xx'],
    [500, '5xx'],
    [503, '5xx'],
  ])('classes status %i as %s', (status, outcome) => {
    expect(outcomeClassOf(status)).toBe(outcome);
  });
});
