import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { cancelShipmentInput, type CancelShipmentOutput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import { cancelShipment, type ShippingDeps } from '../use-cases/shipments';

/**
 * Compensation CancelShipment. Idempotent: only a CREATED shipment changes;
 * the metric counts compensations that actually undid something.
 */
export const createCancelShipmentHandler = (deps: ShippingDeps) =>
  sagaTask('CancelShipment', cancelShipmentInput, async ({ orderId }): Promise<CancelShipmentOutput> => {
    const outcome = await cancelShipment(deps, orderId);
    if (outcome === 'delivered') {
      logger.warn('Shipment already delivered; it cannot be cancelled', { orderId });
    }
    if (outcome !== 'cancelled') return { cancelled: false };
    metrics.singleMetric().addDimension('step', 'CancelShipment').addMetric('CompensationsRun', MetricUnit.Count, 1);
    return { cancelled: true };
  });
