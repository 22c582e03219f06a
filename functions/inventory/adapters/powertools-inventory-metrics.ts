import type { Metrics } from '@aws-lambda-powertools/metrics';
import { countCompensation } from '../../shared/compensation-metric';
import { metrics as sharedMetrics } from '../../shared/powertools';
import type { InventoryMetrics } from '../ports/inventory-metrics';

/** Inventory's business metrics as CloudWatch EMF, through Powertools. */
export class PowertoolsInventoryMetrics implements InventoryMetrics {
  /** @param metrics @default the process-wide Powertools Metrics */
  public constructor(private readonly metrics: Metrics = sharedMetrics) {}

  public compensationRun(): void {
    countCompensation(this.metrics, 'ReleaseInventory');
  }
}
