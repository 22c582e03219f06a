import type { RouteTable } from '../shared/middleware';

/**
 * The probes and who may call them: anyone, as a load balancer or an uptime
 * check does. The CDK construct and the handler both read this.
 */
export const healthRoutes = {
  /** Liveness: the function runs. Calls nothing, so a dependency that is down never fails it. */
  'GET /health': 'public',
  /** Readiness: every dependency the shop needs answers, each within a deadline. */
  'GET /ready': 'public',
} as const satisfies RouteTable;
