import type { DataOf, EventDetail } from '../../shared/contracts/envelope';
import { OrderPlaced } from '../../shared/contracts/events';
import { ContractViolationError } from '../../shared/errors';
import { safeParse } from '../../shared/validation';
import type { Order } from '../domain/order';

/**
 * The OrderPlaced detail the outbox publishes for a newly written order.
 * `eventId` is the stream record's id, so a batch the pipe delivers again
 * produces the same event id (consumers can tell a duplicate); the event
 * occurred when the order was placed.
 */
export const orderPlacedDetail = (order: Order, eventId: string): EventDetail<DataOf<typeof OrderPlaced>> => {
  const detail = {
    metadata: { eventId, version: OrderPlaced.version, occurredAt: order.createdAt, correlationId: order.correlationId },
    data: {
      orderId: order.orderId,
      userId: order.userId,
      items: order.items.map((line) => ({ productId: line.productId, quantity: line.quantity, unitPrice: { ...line.unitPrice } })),
      total: { ...order.total },
      paymentToken: order.paymentToken,
      shippingAddress: { ...order.shippingAddress },
      placedAt: order.createdAt,
    },
  };
  const checked = safeParse(OrderPlaced.detail, detail);
  // Stryker disable next-line StringLiteral: defensive: the order passed its own schema first, so only a bug between the two schemas reaches it
  if (!checked.ok) throw new ContractViolationError(`OrderPlaced for order ${order.orderId}`, checked.issues);
  return checked.value;
};
