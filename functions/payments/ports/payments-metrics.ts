/** Port: the business metrics payments emits. */
export interface PaymentsMetrics {
  /** A captured payment was refunded by the saga's compensation. */
  compensationRun(): void;
}
