import { cancellationInputSchema, type CancellationInput } from '../../shared/contracts/saga';
import { DependencyUnavailableError } from '../../shared/errors';
import { OrderNotCancellableError, OrderNotFoundError } from '../domain/errors';
import type { Order } from '../domain/order';
import type { OrderRepository } from '../ports/order-repository';
import type { SagaExecutions } from '../ports/saga-executions';
import type { ShipmentCanceller } from '../ports/shipment-canceller';

/** Dependencies of {@link cancelOrder} and {@link continueCancellation}. */
export interface CancelOrderDeps {
  readonly orders: OrderRepository;
  /** Shipping's CancelShipment: the fence between cancelling and shipping. */
  readonly shipping: ShipmentCanceller;
  /** The cancellation state machine (refund, release, OrderCancelled), one execution per order, named after it. */
  readonly cancellations: Pick<SagaExecutions, 'start'>;
  /** @default the clock */
  readonly now?: () => Date;
}

/** A customer's request to cancel one of their orders. */
export interface CancelOrderCommand {
  /** The token's `sub`: only the order's owner may cancel it. */
  readonly userId: string;
  readonly orderId: string;
}

/**
 * What continuing a recorded cancellation did (the steps after the request
 * is recorded, shared by the HTTP route and the reconciler):
 * - `shipped` / `delivered`: too late, the shipment is on its way; the
 *   request was withdrawn;
 * - `left-to-saga`: the order had no shipment yet, and now has a cancelled
 *   one in its place: the saga will fail at CreateShipment and compensate
 *   (or it has already ended, and its outcome is on its way);
 * - `started` / `already-started`: the shipment is cancelled and the
 *   cancellation state machine refunds, releases and publishes OrderCancelled.
 */
export type CancellationStep = 'shipped' | 'delivered' | 'left-to-saga' | 'started' | 'already-started';

/** What {@link cancelOrder} did. */
export interface CancelOrderResult {
  /** The order as stored after the request was recorded (or as found, if it was already cancelled). */
  readonly order: Order;
  /** `already-cancelled` when the order was cancelled before: nothing ran. */
  readonly step: CancellationStep | 'already-cancelled';
  /** True for the first request to cancel this order (a repeat finds it recorded). */
  readonly firstRequest: boolean;
}

/** Rounds of read-then-record: the condition fails only when the order's status moved meanwhile, which a new read decides. */
const RECORD_ROUNDS = 3;

/**
 * An order's owner cancels it (`POST /orders/{id}/cancel`).
 *
 * 1. Someone else's order, or none: not found. CANCELLED: answered as it is,
 *    nothing runs. SHIPPED or DELIVERED: ORDER_NOT_CANCELLABLE.
 * 2. The request is recorded first, conditionally on the order being PENDING
 *    or CONFIRMED, and the order enters the reconciler's index: whatever
 *    crashes after this point, the reconciler finishes.
 * 3. Then {@link continueCancellation}: shipping's CancelShipment decides
 *    against the carrier, and the cancellation state machine undoes the rest.
 *
 * Every step is safe to repeat (a conditional write, an idempotent
 * compensation, an execution named after the order), so a retry after a 503
 * finishes the work and runs nothing twice.
 *
 * @throws OrderNotFoundError, OrderNotCancellableError, DependencyUnavailableError (shipping or Step Functions down: the request stays recorded)
 */
export const cancelOrder = async (deps: CancelOrderDeps, command: CancelOrderCommand): Promise<CancelOrderResult> => {
  const now = (deps.now ?? (() => new Date()))().toISOString();
  let order = await deps.orders.get(command.orderId);
  for (let round = 0; round < RECORD_ROUNDS; round += 1) {
    if (!order || order.userId !== command.userId) throw new OrderNotFoundError(command.orderId);
    if (order.status === 'CANCELLED') return { order, step: 'already-cancelled', firstRequest: false };
    if (order.status === 'SHIPPED' || order.status === 'DELIVERED') throw new OrderNotCancellableError(order.orderId, order.status);
    const recorded = await deps.orders.recordCancelRequest(order.orderId, order.cancelRequestedAt ?? now);
    if (recorded) {
      const step = await continueCancellation(deps, recorded);
      if (step === 'shipped' || step === 'delivered') throw new OrderNotCancellableError(order.orderId, step === 'shipped' ? 'SHIPPED' : 'DELIVERED');
      return { order: recorded, step, firstRequest: order.cancelRequestedAt === undefined };
    }
    order = await deps.orders.get(command.orderId);
  }
  throw new DependencyUnavailableError(`Order '${command.orderId}' kept changing while its cancellation was being recorded; please retry.`);
};

/**
 * The steps of a recorded cancellation after the record: shipping's
 * CancelShipment with a tombstone (the order's address and lines), then, if
 * it cancelled a shipment that existed, the cancellation state machine.
 * A shipment already on its way withdraws the request. Run by the HTTP route
 * and again by the reconciler for a request left unfinished.
 */
export const continueCancellation = async (deps: CancelOrderDeps, order: Order): Promise<CancellationStep> => {
  const outcome = await deps.shipping.cancelShipment(order.orderId, order.correlationId, {
    address: order.shippingAddress,
    items: order.items.map(({ productId, quantity }) => ({ productId, quantity })),
  });
  switch (outcome) {
    case 'shipped':
    case 'delivered':
      await deps.orders.withdrawCancelRequest(order);
      return outcome;
    case 'cancelled-before-creation':
      return 'left-to-saga';
    case 'cancelled':
    case 'already-cancelled':
    case 'absent':
      return startCancellation(deps, order);
  }
};

/**
 * Starts the order's cancellation state machine, named after the order: a
 * second start changes nothing. For a Standard workflow, a start with the
 * name of an open execution and the same input succeeds without starting
 * another; any other reuse of the name within 90 days is
 * ExecutionAlreadyExists, which the adapter reports as `already-started`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html,
 * https://docs.aws.amazon.com/step-functions/latest/dg/express-at-least-once-execution.html).
 */
export const startCancellation = (deps: Pick<CancelOrderDeps, 'cancellations'>, order: Pick<Order, 'orderId' | 'userId' | 'correlationId'>): Promise<'started' | 'already-started'> => {
  const input: CancellationInput = cancellationInputSchema.parse({
    data: { orderId: order.orderId, userId: order.userId },
    metadata: { correlationId: order.correlationId },
    cancellation: { reason: 'CUSTOMER_REQUEST' },
  });
  return deps.cancellations.start(order.orderId, JSON.stringify(input));
};
