import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrderCancelled, OrderConfirmed, OrderShipped, ShipmentDelivered } from '../../shared/contracts/events';
import { queuedEventConsumer } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import { advanceOrder, type AdvanceOrderDeps } from '../use-cases/advance-order';

/**
 * Keeps the order's status in step with the saga, the cancellation and the
 * carrier: OrderConfirmed → CONFIRMED (from PENDING), OrderCancelled →
 * CANCELLED(reason) (from PENDING or CONFIRMED), OrderShipped → SHIPPED,
 * ShipmentDelivered → DELIVERED. Forward only; a late or repeated event is
 * logged and changes nothing (and is not an error: retrying cannot help).
 */
export const createStatusConsumer = (deps: AdvanceOrderDeps) =>
  queuedEventConsumer([OrderConfirmed, OrderCancelled, OrderShipped, ShipmentDelivered] as const, async (event) => {
    const { orderId } = event.detail.data;
    switch (event.detailType) {
      case 'OrderConfirmed':
        if (await advanceOrder(deps, orderId, 'CONFIRMED')) {
          metrics.addMetric('OrdersConfirmed', MetricUnit.Count, 1);
          return;
        }
        break;
      case 'OrderCancelled': {
        const { reason } = event.detail.data;
        if (await advanceOrder(deps, orderId, 'CANCELLED', reason)) {
          metrics.singleMetric().addDimension('reason', reason).addMetric('OrdersCancelled', MetricUnit.Count, 1);
          return;
        }
        break;
      }
      case 'OrderShipped':
        if (await advanceOrder(deps, orderId, 'SHIPPED')) {
          metrics.addMetric('OrdersShipped', MetricUnit.Count, 1);
          return;
        }
        break;
      case 'ShipmentDelivered':
        if (await advanceOrder(deps, orderId, 'DELIVERED')) {
          metrics.addMetric('OrdersDelivered', MetricUnit.Count, 1);
          return;
        }
        break;
    }
    logger.info('Event changes nothing: the order is missing or already past it', { orderId, detailType: event.detailType });
  });
