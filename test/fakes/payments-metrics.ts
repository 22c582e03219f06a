import type { PaymentsMetrics } from '../../functions/payments/ports/payments-metrics';

/** Records payments' business metrics so tests can assert them. */
export class RecordingPaymentsMetrics implements PaymentsMetrics {
  public paymentsDeclined = 0;
  public compensationsRun = 0;

  public paymentDeclined(): void {
    this.paymentsDeclined += 1;
  }

  public compensationRun(): void {
    this.compensationsRun += 1;
  }
}
