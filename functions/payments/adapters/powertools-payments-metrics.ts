import type { Metrics } from '@aws-lambda-powertools/metrics';
import { countCompensation } from '../../shared/compensation-metric';
import { metrics as sharedMetrics } from '../../shared/powertools';
import type { PaymentsMetrics } from '../ports/payments-metrics';

/**
 * Payments' business metrics as CloudWatch EMF, through Powertools. A
 * decline has no metric of its own: the order's `OrdersCancelled` with
 * reason `PAYMENT_DECLINED` counts it.
 */
export class PowertoolsPaymentsMetrics implements PaymentsMetrics {
  /** @param metrics @default the process-wide Powertools Metrics */
  public constructor(private readonly metrics: Metrics = sharedMetrics) {}

  public compensationRun(): void {
    countCompensation(this.metrics, 'RefundPayment');
  }
}
