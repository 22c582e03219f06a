import { newId } from '../../shared/ids';
import { IdempotencyKeyReusedError } from '../domain/errors';
import { IDEMPOTENCY_TTL_SECONDS, requestHash, type IdempotencyRecord } from '../domain/idempotency';
import type { Order, PlaceOrderRequest } from '../domain/order';
import { mergeLines, priceLines } from '../domain/pricing';
import type { OrderRepository } from '../ports/order-repository';
import type { PriceCatalog } from '../ports/price-catalog';

/** Dependencies of {@link placeOrder}. */
export interface PlaceOrderDeps {
  readonly orders: OrderRepository;
  readonly catalog: PriceCatalog;
  /** @default the clock */
  readonly now?: () => Date;
  /** @default a random UUID */
  readonly newOrderId?: () => string;
}

/** A user's request to place an order, already validated. */
export interface PlaceOrderCommand {
  /** The token's `sub`; never taken from the body. */
  readonly userId: string;
  readonly correlationId: string;
  readonly request: PlaceOrderRequest;
  readonly idempotencyKey?: string;
}

/** The placed order, and whether this was a retry answered from the first attempt. */
export interface PlaceOrderResult {
  readonly order: Order;
  readonly replayed: boolean;
}

/**
 * Places an order as PENDING, priced by catalog. With an Idempotency-Key the
 * order and the key's record are written in one transaction, so however many
 * times (or however concurrently) the same request arrives, one order exists
 * and every attempt gets its answer; the same key with another request is a
 * conflict. Nothing is published here: the table's stream is the outbox.
 */
export const placeOrder = async (deps: PlaceOrderDeps, command: PlaceOrderCommand): Promise<PlaceOrderResult> => {
  const now = (deps.now ?? (() => new Date()))();
  const hash = requestHash(command.request);
  const nowSeconds = Math.floor(now.getTime() / 1000);

  if (command.idempotencyKey !== undefined) {
    const existing = await deps.orders.findIdempotencyRecord(command.userId, command.idempotencyKey, nowSeconds);
    if (existing) return replay(deps, existing, hash);
  }

  const lines = mergeLines(command.request.items);
  const { quotes } = await deps.catalog.getPrices(
    lines.map((line) => line.productId),
    command.correlationId,
  );
  const { items, total } = priceLines(lines, quotes);

  const createdAt = now.toISOString();
  const order: Order = {
    orderId: (deps.newOrderId ?? newId)(),
    userId: command.userId,
    items,
    total,
    paymentToken: command.request.paymentToken,
    shippingAddress: command.request.shippingAddress,
    status: 'PENDING',
    statusHistory: [{ status: 'PENDING', at: createdAt }],
    correlationId: command.correlationId,
    createdAt,
    updatedAt: createdAt,
  };
  const record: IdempotencyRecord | undefined =
    command.idempotencyKey === undefined
      ? undefined
      : {
          userId: command.userId,
          key: command.idempotencyKey,
          requestHash: hash,
          orderId: order.orderId,
          createdAt,
          expiresAt: nowSeconds + IDEMPOTENCY_TTL_SECONDS,
        };

  const outcome = await deps.orders.create(order, record);
  if (outcome.kind === 'key-taken') return replay(deps, outcome.record, hash);
  return { order, replayed: false };
};

const replay = async (deps: PlaceOrderDeps, record: IdempotencyRecord, hash: string): Promise<PlaceOrderResult> => {
  if (record.requestHash !== hash) throw new IdempotencyKeyReusedError();
  const order = await deps.orders.get(record.orderId);
  if (!order) throw new Error(`Idempotency record of order '${record.orderId}' outlived its order.`);
  return { order, replayed: true };
};
