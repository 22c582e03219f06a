import type { PaymentsMetrics } from '../../functions/payments/ports/payments-metrics';

/** Records payments' business metrics so tests can assert them. */
export class RecordingPaymentsMetrics implements PaymentsMetrics {
  public compensationsRun = 0;

  public compensationRun(): void {
    this.compensationsRun += 1;
  }
}
