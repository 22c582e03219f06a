import type { Order } from '../domain/order';
import type { OrderDetails } from '../use-cases/read-orders';

/** An order as its owner sees it: no table keys, no payment token, no internal ids. */
export const toOrderView = (order: Order) => ({
  orderId: order.orderId,
  status: order.status,
  items: order.items,
  total: order.total,
  shippingAddress: order.shippingAddress,
  ...(order.cancellationReason !== undefined ? { cancellationReason: order.cancellationReason } : {}),
  ...(order.cancelRequestedAt !== undefined ? { cancellationRequestedAt: order.cancelRequestedAt } : {}),
  statusHistory: order.statusHistory,
  createdAt: order.createdAt,
  updatedAt: order.updatedAt,
});

/**
 * The answer to `POST /orders`, for the first attempt and every retry with
 * the same Idempotency-Key alike: it describes the order as it was accepted.
 */
export const toPlacementView = (order: Order) => ({
  orderId: order.orderId,
  status: 'PENDING' as const,
  total: order.total,
  items: order.items,
});

/** An order with its payment and shipment. */
export const toDetailsView = (details: OrderDetails) => ({
  order: toOrderView(details.order),
  payment: details.payment,
  shipment: details.shipment,
});
