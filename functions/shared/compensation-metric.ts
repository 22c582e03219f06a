import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Counts one compensation that changed something as `CompensationsRun`, in a
 * record of its own with the step (`ReleaseInventory`, `RefundPayment`,
 * `CancelShipment`) as a property, not a dimension: one series for all
 * steps (a series is $0.30 a month whatever the traffic), still grouped by
 * step in CloudWatch Logs Insights.
 */
export const countCompensation = (metrics: Metrics, step: string): void => {
  const metric = metrics.singleMetric();
  metric.addMetadata('step', step);
  metric.addMetric('CompensationsRun', MetricUnit.Count, 1);
};
