/**
 * The functions the orders API calls through a circuit breaker, by what it
 * calls them for: each name is the breaker's `dependency` (its
 * `BREAKER#<name>` item, its metrics' dimension and its alarm).
 */
export const ORDERS_API_CALLEES = {
  prices: 'catalog-get-prices',
  payments: 'payments-get-payment',
  shipments: 'shipping-get-shipment',
  shipmentCancel: 'shipping-cancel-shipment',
} as const;
