import type { RouteTable } from '../shared/middleware';

/** Inventory's HTTP routes and who may call them. The CDK construct and the handler both read this. */
export const inventoryRoutes = {
  'GET /inventory/{productId}': 'user',
  'PUT /inventory/{productId}': 'admin',
} as const satisfies RouteTable;
