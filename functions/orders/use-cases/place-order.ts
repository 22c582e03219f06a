import { ValidationError } from '../../shared/errors';
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
 * Places an order as PENDING, priced by catalog. With an Idempotency-Key,
 * the key's record is written first (it names the order), then the order,
 * each conditionally: however many times (or however concurrently) the same
 * request arrives, one order exists and every attempt gets the first one's
 * answer without asking catalog again; the same key with another request is
 * a conflict. A request that turns out invalid (an unknown product...) gives
 * its key back, so it writes nothing. An attempt that finds the key taken but
 * no order yet (the first attempt stopped between its writes — a crash, an
 * unavailable catalog — or is between them now) writes that order itself,
 * with the first attempt's id and time; whichever writes it first wins and
 * the others answer with it. Nothing is published here: the table's stream
 * is the outbox.
 */
export const placeOrder = async (deps: PlaceOrderDeps, command: PlaceOrderCommand): Promise<PlaceOrderResult> => {
  const now = (deps.now ?? (() => new Date()))();
  const hash = requestHash(command.request);
  let placing = { orderId: (deps.newOrderId ?? newId)(), createdAt: now.toISOString() };

  let claimed: IdempotencyRecord | undefined;
  if (command.idempotencyKey !== undefined) {
    const record: IdempotencyRecord = {
      userId: command.userId,
      key: command.idempotencyKey,
      requestHash: hash,
      ...placing,
      expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
    };
    const holder = await deps.orders.claimIdempotencyKey(record);
    if (holder === undefined) {
      claimed = record;
    } else {
      if (holder.requestHash !== hash) throw new IdempotencyKeyReusedError();
      const placed = await deps.orders.get(holder.orderId);
      if (placed) return { order: placed, replayed: true };
      placing = { orderId: holder.orderId, createdAt: holder.createdAt };
    }
  }

  const { items, total } = await priced(deps, command).catch(async (error: unknown) => {
    if (claimed && error instanceof ValidationError) await deps.orders.releaseIdempotencyKey(claimed);
    throw error;
  });
  const order: Order = {
    ...placing,
    userId: command.userId,
    items,
    total,
    paymentToken: command.request.paymentToken,
    shippingAddress: command.request.shippingAddress,
    status: 'PENDING',
    statusHistory: [{ status: 'PENDING', at: placing.createdAt }],
    correlationId: command.correlationId,
    updatedAt: placing.createdAt,
  };
  if (await deps.orders.create(order)) return { order, replayed: false };
  // Only an attempt with the same key writes the same order id: it won the race to finish it.
  // Stryker disable next-line ConditionalExpression: without a key the id is new and random, so an order that holds it is another's and the owner check below throws all the same
  const written = command.idempotencyKey !== undefined ? await deps.orders.get(order.orderId) : undefined;
  if (written?.userId !== command.userId) throw new Error(`Order id '${order.orderId}' is taken by another order.`);
  return { order: written, replayed: true };
};

/** The request's lines merged and priced by catalog. */
const priced = async (deps: PlaceOrderDeps, command: PlaceOrderCommand) => {
  const lines = mergeLines(command.request.items);
  const { quotes } = await deps.catalog.getPrices(
    lines.map((line) => line.productId),
    command.correlationId,
  );
  return priceLines(lines, quotes);
};
