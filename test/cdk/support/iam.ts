import { STATE_MACHINE_LOG_DELIVERY_ACTIONS } from '../../../local/iam/deploy-checks';

/**
 * What tracing and execution logging need. These APIs take no resource
 * narrower than `*`, so they are the only actions a `*` statement may hold.
 * The log delivery list is the one the local cloud checks a state machine's
 * role for when it creates it.
 */
export const OBSERVABILITY_ACTIONS: ReadonlySet<string> = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  ...STATE_MACHINE_LOG_DELIVERY_ACTIONS,
]);
