import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from '../../shared/zod';
import { scheduledJob } from '../../shared/middleware';
import { logger, metrics } from '../../shared/powertools';
import { RECOVERY_ACTIONS, reconcileOrders, type ReconcileOrdersDeps } from '../use-cases/reconcile-orders';

/** Most orders one run looks at: a run stays well inside its timeout; the next run takes the rest. */
export const MAX_RECONCILE_BATCH = 200;

/** The schedule's input (its rule target's `Input`), or an operator's. */
export const reconcileInputSchema = z.strictObject({
  /** Orders PENDING for longer than this are looked at. */
  olderThanSeconds: z.number().check(z.int(), z.minimum(0), z.maximum(30 * 24 * 3600)),
  limit: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(MAX_RECONCILE_BATCH)), 100),
});

/**
 * The reconciler, run on a schedule: finds orders stuck in PENDING and drives
 * them to the outcome already decided, and finishes interrupted cancellations. Metrics: `OrdersReconciled` by action,
 * `OrdersRecovered` and `OrdersNeedingAttention` (alarms watch both); each order a person must look
 * at is logged as an error with what stopped its saga.
 */
export const createReconcileOrdersHandler = (deps: ReconcileOrdersDeps) =>
  scheduledJob('ReconcileOrders', reconcileInputSchema, async (input) => {
    const report = await reconcileOrders(deps, input);
    for (const [action, count] of Object.entries(report.actions)) {
      if (count > 0 && action !== 'needs-attention' && action !== 'failed') metrics.singleMetric().addDimension('action', action).addMetric('OrdersReconciled', MetricUnit.Count, count);
    }
    // Every order recovered is one some hop gave up on: worth a look even though the customer is served.
    metrics.addMetric('OrdersRecovered', MetricUnit.Count, RECOVERY_ACTIONS.reduce((sum, action) => sum + report.actions[action], 0));
    metrics.addMetric('OrdersNeedingAttention', MetricUnit.Count, report.needsAttention.length);
    if (report.failures.length > 0) metrics.addMetric('OrdersReconcileFailed', MetricUnit.Count, report.failures.length);
    for (const stuck of report.needsAttention) logger.error('Order needs a person: its saga stopped without an outcome', stuck);
    for (const failure of report.failures) logger.warn('Could not reconcile an order this run; the next run tries again', failure);
    return report;
  });
