import type { RouteTable } from '../shared/middleware';

/** Shipping's HTTP routes and who may call them. The CDK construct and the handler both read this. */
export const shippingRoutes = {
  'POST /shipments/{id}/ship': 'carrier',
  'POST /shipments/{id}/deliver': 'carrier',
} as const satisfies RouteTable;
