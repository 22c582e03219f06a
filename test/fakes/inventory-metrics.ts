import type { InventoryMetrics } from '../../functions/inventory/ports/inventory-metrics';

/** Records inventory's business metrics so tests can assert them. */
export class RecordingInventoryMetrics implements InventoryMetrics {
  public compensationsRun = 0;

  public compensationRun(): void {
    this.compensationsRun += 1;
  }
}
