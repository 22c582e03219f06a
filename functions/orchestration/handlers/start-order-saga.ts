import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { OrderPlaced } from '../../shared/contracts/events';
import { queuedEventConsumer } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import type { SagaStarter } from '../ports/saga-starter';

/** Dependencies of the saga starter. */
export interface StartOrderSagaDeps {
  readonly starter: SagaStarter;
}

/**
 * Starts the order saga for an OrderPlaced, naming the execution after the
 * order. EventBridge delivers at least once; a redelivery finds the name
 * taken and changes nothing, so there is never a second saga for an order.
 */
export const createStartOrderSagaHandler = (deps: StartOrderSagaDeps) =>
  queuedEventConsumer([OrderPlaced], async ({ detail }) => {
    const outcome = await deps.starter.start(detail.data.orderId, JSON.stringify(detail));
    if (outcome === 'already-started') {
      logger.info('Saga already started for this order: redelivery ignored', { orderId: detail.data.orderId });
      metrics.addMetric('SagaStartsDeduplicated', MetricUnit.Count, 1);
    } else {
      logger.info('Saga started', { orderId: detail.data.orderId });
    }
  });
