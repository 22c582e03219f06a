import type { RouteTable } from '../shared/middleware';

/** Catalog's HTTP routes and who may call them. The CDK construct and the handler both read this. */
export const catalogRoutes = {
  'GET /products': 'public',
  'GET /products/{id}': 'public',
  'POST /products': 'admin',
  'PUT /products/{id}': 'admin',
  'DELETE /products/{id}': 'admin',
} as const satisfies RouteTable;
