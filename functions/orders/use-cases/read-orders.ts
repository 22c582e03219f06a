import { OrderNotFoundError } from '../domain/errors';
import type { Order } from '../domain/order';
import type { OrderPage, OrderRepository } from '../ports/order-repository';
import type { PaymentReader, PaymentSummary } from '../ports/payment-reader';
import type { ShipmentReader, ShipmentSummary } from '../ports/shipment-reader';

/** Dependencies of the read use cases. */
export interface ReadOrdersDeps {
  readonly orders: OrderRepository;
}

/** One of the caller's orders; someone else's is "not found", exactly like a missing one. */
export const getOwnOrder = async (deps: ReadOrdersDeps, userId: string, orderId: string): Promise<Order> => {
  const order = await deps.orders.get(orderId);
  if (!order || order.userId !== userId) throw new OrderNotFoundError(orderId);
  return order;
};

/** The caller's orders, newest first. */
export const listOwnOrders = (deps: ReadOrdersDeps, userId: string, limit: number, cursor?: string): Promise<OrderPage> =>
  deps.orders.listByUser(userId, limit, cursor);

/** Dependencies of {@link getOrderDetails}. */
export interface OrderDetailsDeps extends ReadOrdersDeps {
  readonly payments: PaymentReader;
  readonly shipments: ShipmentReader;
}

/** An order with what the payments and shipping services know about it. */
export interface OrderDetails {
  readonly order: Order;
  readonly payment: PaymentSummary | null;
  readonly shipment: ShipmentSummary | null;
}

/**
 * The order, its payment and its shipment, fetched in parallel. Ownership
 * decides first: someone else's order is a 404 even if a dependency failed;
 * for one's own order, a failing dependency fails the whole answer (503)
 * rather than showing a partial picture as if it were complete.
 */
export const getOrderDetails = async (
  deps: OrderDetailsDeps,
  userId: string,
  orderId: string,
  correlationId: string,
): Promise<OrderDetails> => {
  const [order, payment, shipment] = await Promise.allSettled([
    getOwnOrder(deps, userId, orderId),
    deps.payments.getPayment(orderId, correlationId),
    deps.shipments.getShipment(orderId, correlationId),
  ]);
  if (order.status === 'rejected') throw order.reason;
  if (payment.status === 'rejected') throw payment.reason;
  if (shipment.status === 'rejected') throw shipment.reason;
  return { order: order.value, payment: payment.value, shipment: shipment.value };
};
