import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { metrics as sharedMetrics } from '../../shared/powertools';
import type { PaymentsMetrics } from '../ports/payments-metrics';

/** Payments' business metrics as CloudWatch EMF, through Powertools. */
export class PowertoolsPaymentsMetrics implements PaymentsMetrics {
  /** @param metrics @default the process-wide Powertools Metrics */
  public constructor(private readonly metrics: Metrics = sharedMetrics) {}

  public paymentDeclined(): void {
    this.metrics.addMetric('PaymentsDeclined', MetricUnit.Count, 1);
  }

  public compensationRun(): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension('step', 'RefundPayment');
    metric.addMetric('CompensationsRun', MetricUnit.Count, 1);
  }
}
