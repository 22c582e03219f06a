import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from '../../shared/zod';
import { orderIdSchema } from '../../shared/contracts/common';
import { ValidationError } from '../../shared/errors';
import { jsonResponse, parseJsonBody, validate, type HttpEvent } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { annotateTrace, logger, metrics } from '../../shared/powertools';
import { safeParse } from '../../shared/validation';
import { idempotencyKeySchema } from '../domain/idempotency';
import { placeOrderRequestSchema } from '../domain/order';
import type { PaymentReader } from '../ports/payment-reader';
import type { PriceCatalog } from '../ports/price-catalog';
import type { ShipmentReader } from '../ports/shipment-reader';
import type { OrderRepository } from '../ports/order-repository';
import type { SagaExecutions } from '../ports/saga-executions';
import type { ShipmentCanceller } from '../ports/shipment-canceller';
import { ordersRoutes } from '../routes';
import { cancelOrder } from '../use-cases/cancel-order';
import { placeOrder } from '../use-cases/place-order';
import { getOrderDetails, getOwnOrder, listOwnOrders } from '../use-cases/read-orders';
import { toDetailsView, toOrderView, toPlacementView } from './views';

/** Dependencies of the orders HTTP routes. */
export interface OrdersApiDeps {
  readonly orders: OrderRepository;
  readonly catalog: PriceCatalog;
  readonly payments: PaymentReader;
  readonly shipments: ShipmentReader;
  /** Shipping's CancelShipment, invoked when an order's owner cancels it. */
  readonly shipping: ShipmentCanceller;
  /** The cancellation state machine, started when an order's owner cancels it. */
  readonly cancellations: Pick<SagaExecutions, 'start'>;
  /** @default the clock */
  readonly now?: () => Date;
  /** @default a random UUID */
  readonly newOrderId?: () => string;
}

/** The header that makes `POST /orders` safe to retry. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

/** `GET /orders`'s query. */
export const orderPageQuery = z.strictObject({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 20),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

/** The path of the `/orders/{id}` routes. */
export const orderPath = z.object({ id: orderIdSchema });

const idempotencyKeyOf = (event: HttpEvent): string | undefined => {
  const value = event.headers?.[IDEMPOTENCY_HEADER];
  if (value === undefined) return undefined;
  const parsed = safeParse(idempotencyKeySchema, value);
  if (!parsed.ok) throw new ValidationError(parsed.issues.map((issue) => ({ path: IDEMPOTENCY_HEADER, message: issue.message })));
  return parsed.value;
};

/** The orders HTTP routes. The caller is always the token's `sub`; one sees only one's own orders. */
export const createOrdersApi = (deps: OrdersApiDeps) =>
  httpApi(ordersRoutes, {
    'POST /orders': async ({ event, principal, correlationId }) => {
      const idempotencyKey = idempotencyKeyOf(event);
      const request = parseJsonBody(event, placeOrderRequestSchema);
      const { order, replayed } = await placeOrder(deps, {
        userId: principal.userId,
        correlationId,
        request,
        ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
      });
      annotateTrace({ orderId: order.orderId });
      if (!replayed) metrics.addMetric('OrdersPlaced', MetricUnit.Count, 1);
      return jsonResponse(202, toPlacementView(order), { location: `/orders/${order.orderId}` });
    },
    'GET /orders': async ({ event, principal }) => {
      const { limit, cursor } = validate(orderPageQuery, event.queryStringParameters ?? {});
      const page = await listOwnOrders(deps, principal.userId, limit, cursor);
      return jsonResponse(200, { items: page.items.map(toOrderView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
    },
    'GET /orders/{id}': async ({ event, principal }) => {
      const { id } = validate(orderPath, event.pathParameters ?? {});
      annotateTrace({ orderId: id });
      return jsonResponse(200, toOrderView(await getOwnOrder(deps, principal.userId, id)));
    },
    'GET /orders/{id}/details': async ({ event, principal, correlationId }) => {
      const { id } = validate(orderPath, event.pathParameters ?? {});
      annotateTrace({ orderId: id });
      return jsonResponse(200, toDetailsView(await getOrderDetails(deps, principal.userId, id, correlationId)));
    },
    'POST /orders/{id}/cancel': async ({ event, principal }) => {
      const { id } = validate(orderPath, event.pathParameters ?? {});
      annotateTrace({ orderId: id });
      const { order, step, firstRequest } = await cancelOrder(deps, { userId: principal.userId, orderId: id });
      if (firstRequest) metrics.addMetric('OrdersCancelRequested', MetricUnit.Count, 1);
      logger.info('Cancellation requested', { orderId: id, orderCorrelationId: order.correlationId, status: order.status, step, firstRequest });
      return jsonResponse(202, toOrderView(order), { location: `/orders/${order.orderId}` });
    },
  });
