import type { RouteTable } from '../shared/middleware';

/** The orders service's HTTP routes: all for signed-in users, who only ever see their own orders. */
export const ordersRoutes = {
  'POST /orders': 'user',
  'GET /orders': 'user',
  'GET /orders/{id}': 'user',
  'GET /orders/{id}/details': 'user',
  'POST /orders/{id}/cancel': 'user',
} as const satisfies RouteTable;
