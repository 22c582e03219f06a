import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrderCancelled, OrderConfirmed, OrderShipped, ShipmentDelivered } from '../../shared/contracts/events';
import { queuedEventConsumer } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import type { Order } from '../domain/order';
import { advanceOrder, type AdvanceOrderDeps } from '../use-cases/advance-order';

/**
 * `SagaDuration` (Milliseconds), in a record of its own with `outcome` as a
 * property (not a dimension: one series, still grouped by outcome in Logs
 * Insights): from the order's placement (its `createdAt`) to the saga's
 * decision (the outcome event's `occurredAt`, stamped by the saga's
 * publishing state), so neither the
 * bus's delivery nor this consumer's retries count. Emitted once per order:
 * only by the write that moved it. It spans the outbox hop and the saga start
 * too — what a customer waits for.
 */
const countSagaDuration = (order: Order, occurredAt: string, outcome: 'CONFIRMED' | 'CANCELLED'): void => {
  const ms = Date.parse(occurredAt) - Date.parse(order.createdAt);
  if (!Number.isFinite(ms) || ms < 0) return;
  const metric = metrics.singleMetric();
  metric.addMetadata('outcome', outcome);
  metric.addMetric('SagaDuration', MetricUnit.Milliseconds, ms);
};

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
      case 'OrderConfirmed': {
        const order = await advanceOrder(deps, orderId, 'CONFIRMED');
        if (order) {
          metrics.addMetric('OrdersConfirmed', MetricUnit.Count, 1);
          countSagaDuration(order, event.detail.metadata.occurredAt, 'CONFIRMED');
          return;
        }
        break;
      }
      case 'OrderCancelled': {
        const { reason } = event.detail.data;
        const order = await advanceOrder(deps, orderId, 'CANCELLED', reason);
        if (order) {
          metrics.singleMetric().addDimension('reason', reason).addMetric('OrdersCancelled', MetricUnit.Count, 1);
          // A cancellation of a confirmed order (its owner's) is not the saga deciding: the saga already did.
          if (!order.statusHistory.some((step) => step.status === 'CONFIRMED')) countSagaDuration(order, event.detail.metadata.occurredAt, 'CANCELLED');
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
