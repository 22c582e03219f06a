/** Port: the business metrics payments emits. */
export interface PaymentsMetrics {
  /** The provider declined a payment (counted once per order). */
  paymentDeclined(): void;
  /** A captured payment was refunded by the saga's compensation. */
  compensationRun(): void;
}
