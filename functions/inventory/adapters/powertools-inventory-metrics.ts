import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { metrics as sharedMetrics } from '../../shared/powertools';
import type { InventoryMetrics } from '../ports/inventory-metrics';

/** Inventory's business metrics as CloudWatch EMF, through Powertools. */
export class PowertoolsInventoryMetrics implements InventoryMetrics {
  /** @param metrics @default the process-wide Powertools Metrics */
  public constructor(private readonly metrics: Metrics = sharedMetrics) {}

  public compensationRun(): void {
    const metric = this.metrics.singleMetric();
    metric.addDimension('step', 'ReleaseInventory');
    metric.addMetric('CompensationsRun', MetricUnit.Count, 1);
  }
}
