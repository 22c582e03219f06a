import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** The outcome class of an HTTP status: `2xx`, `4xx`, `5xx` (and `1xx`, `3xx`). */
export const outcomeClassOf = (status: number): string => `${Math.trunc(status / 100)}xx`;

/** The `route` dimension of a request whose route key is not in the service's route table. */
export const UNMATCHED_ROUTE = 'unmatched';

/** Port: what the HTTP chain reports of every request it answers. */
export interface RequestMetrics {
  /**
   * @param route the API Gateway route key (`GET /orders/{id}`), never the concrete path: few series
   * @param status the HTTP status answered
   * @param latencyMs time spent in the function, from the chain's start to the response
   */
  recordRequest(route: string, status: number, latencyMs: number): void;
}

/**
 * Request metrics as CloudWatch EMF, one record per request holding
 * `ApiLatency` (Milliseconds), whose SampleCount is the number of requests
 * (a separate count metric would be a second series per outcome), dimensions
 * `service` and `outcome` (`2xx`/`4xx`/`5xx`), and the `route` as a property
 * of the record, not a dimension: a dimension per route made a custom metric
 * series per route and outcome ($0.30 a series a month:
 * a month's bill for a shop of 20 routes before its first order); a
 * property is still there for CloudWatch Logs Insights to group by. The
 * record is its own, printed at once, so these dimensions never attach to
 * the invocation's business metrics (`OrdersPlaced` keeps `service` alone).
 * Latency is the function's part of the request; API Gateway's own
 * `Latency` and `IntegrationLatency` metrics cover the rest.
 */
export class PowertoolsRequestMetrics implements RequestMetrics {
  /** @param metrics @default a Metrics of its own, with the namespace and service of the function's POWERTOOLS_* variables */
  public constructor(private readonly metrics: Metrics = new Metrics()) {}

  public recordRequest(route: string, status: number, latencyMs: number): void {
    this.metrics.addDimensions({ outcome: outcomeClassOf(status) });
    this.metrics.addMetadata('route', route);
    this.metrics.addMetric('ApiLatency', MetricUnit.Milliseconds, Math.round(latencyMs * 1000) / 1000);
    this.metrics.publishStoredMetrics();
  }
}
