/** Port: the business metrics inventory emits. */
export interface InventoryMetrics {
  /** A reservation was released by the saga's compensation. */
  compensationRun(): void;
}
