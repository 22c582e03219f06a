import { decodeCursor, encodeCursor } from '../../functions/shared/cursor';
import { ValidationError } from '../../functions/shared/errors';
import type { IdempotencyRecord } from '../../functions/orders/domain/idempotency';
import { CANCELLABLE, needsReconciling, reconcilerIndexTime, type Order, type StatusChange } from '../../functions/orders/domain/order';
import type { OrderPage, OrderRepository } from '../../functions/orders/ports/order-repository';

const PAGE_KEY = ['pk', 'gsi1pk', 'gsi1sk'] as const;
const sortKeyOf = (order: Order): string => `${order.createdAt}#${order.orderId}`;

/**
 * In-memory {@link OrderRepository} with the DynamoDB one's conditional
 * behaviour: a live record holds its key (an expired one is replaced), an
 * order id is written once, status changes apply only from the
 * allowed statuses, a cancellation request only to a cancellable order,
 * pages are newest first with the same cursor format, and the reconciler's
 * index holds what the table's sparse index holds.
 */
export class InMemoryOrderRepository implements OrderRepository {
  public readonly orders = new Map<string, Order>();
  public readonly idempotency = new Map<string, IdempotencyRecord>();
  /** Every successful write (create, transition), for asserting how many happened. */
  public writes = 0;

  public constructor(seed: readonly Order[] = []) {
    for (const order of seed) this.orders.set(order.orderId, order);
  }

  public async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const held = this.liveRecord(record.userId, record.key, Math.floor(Date.parse(record.createdAt) / 1000));
    if (held) return held;
    this.idempotency.set(`${record.userId}#${record.key}`, record);
    return undefined;
  }

  public async releaseIdempotencyKey(record: IdempotencyRecord): Promise<void> {
    const id = `${record.userId}#${record.key}`;
    if (this.idempotency.get(id)?.orderId === record.orderId) this.idempotency.delete(id);
  }

  public async create(order: Order): Promise<boolean> {
    if (this.orders.has(order.orderId)) return false;
    this.orders.set(order.orderId, order);
    this.writes += 1;
    return true;
  }

  public async get(orderId: string): Promise<Order | undefined> {
    return this.orders.get(orderId);
  }

  public async listByUser(userId: string, limit: number, cursor?: string): Promise<OrderPage> {
    const start = decodeCursor(cursor, PAGE_KEY);
    if (start && start.gsi1pk !== userId) {
      throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }], 'INVALID_CURSOR');
    }
    const mine = [...this.orders.values()]
      .filter((order) => order.userId === userId)
      .sort((a, b) => sortKeyOf(b).localeCompare(sortKeyOf(a)))
      .filter((order) => start === undefined || sortKeyOf(order) < String(start.gsi1sk));
    const items = mine.slice(0, limit);
    const last = items[items.length - 1];
    const nextCursor =
      mine.length > limit && last ? encodeCursor({ pk: `ORDER#${last.orderId}`, gsi1pk: userId, gsi1sk: sortKeyOf(last) }) : undefined;
    return { items, ...(nextCursor ? { nextCursor } : {}) };
  }

  public async listPendingSince(before: string, limit: number): Promise<string[]> {
    const indexKeyOf = (order: Order): string => `${reconcilerIndexTime(order)}#${order.orderId}`;
    return [...this.orders.values()]
      .filter((order) => needsReconciling(order) && indexKeyOf(order) < before)
      .sort((a, b) => indexKeyOf(a).localeCompare(indexKeyOf(b)))
      .slice(0, limit)
      .map((order) => order.orderId);
  }

  public async transition(orderId: string, change: StatusChange): Promise<Order | undefined> {
    const order = this.orders.get(orderId);
    if (!order || !change.from.includes(order.status)) return undefined;
    const entry = { status: change.to, at: change.at, ...(change.reason !== undefined ? { reason: change.reason } : {}) };
    const { cancelRequestedAt, ...rest } = order;
    const keepsRequest = cancelRequestedAt !== undefined && change.to !== 'SHIPPED' && change.to !== 'DELIVERED';
    const changed: Order = {
      ...rest,
      status: change.to,
      updatedAt: change.at,
      statusHistory: [...order.statusHistory, entry],
      ...(change.reason !== undefined ? { cancellationReason: change.reason } : {}),
      ...(keepsRequest ? { cancelRequestedAt } : {}),
    };
    this.orders.set(orderId, changed);
    this.writes += 1;
    return changed;
  }

  public async recordCancelRequest(orderId: string, requestedAt: string): Promise<Order | undefined> {
    const order = this.orders.get(orderId);
    if (!order || !CANCELLABLE.includes(order.status)) return undefined;
    const recorded = { ...order, cancelRequestedAt: order.cancelRequestedAt ?? requestedAt };
    this.orders.set(orderId, recorded);
    this.writes += 1;
    return recorded;
  }

  public async withdrawCancelRequest(withdrawn: Pick<Order, 'orderId' | 'createdAt'>): Promise<boolean> {
    const order = this.orders.get(withdrawn.orderId);
    if (order?.cancelRequestedAt === undefined || order.status === 'CANCELLED') return false;
    const { cancelRequestedAt: _withdrawn, ...rest } = order;
    this.orders.set(order.orderId, rest);
    this.writes += 1;
    return true;
  }

  /** Synchronous, so that a claim's check-and-write is atomic like DynamoDB's conditional write. */
  private liveRecord(userId: string, key: string, nowEpochSeconds: number): IdempotencyRecord | undefined {
    const record = this.idempotency.get(`${userId}#${key}`);
    return record && record.expiresAt > nowEpochSeconds ? record : undefined;
  }
}

/** An order fixture: PENDING, placed by alice, two EUR lines. */
export const order = (overrides: Partial<Order> = {}): Order => ({
  orderId: '4f7a2c1e-9b3d-4e8f-a6b5-2c1d0e9f8a7b',
  userId: 'user-alice',
  items: [
    { productId: 'p-mug', quantity: 2, unitPrice: { amount: 1250, currency: 'EUR' } },
    { productId: 'p-tea', quantity: 1, unitPrice: { amount: 499, currency: 'EUR' } },
  ],
  total: { amount: 2999, currency: 'EUR' },
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  status: 'PENDING',
  statusHistory: [{ status: 'PENDING', at: '2026-03-01T11:59:59.000Z' }],
  correlationId: 'corr-1234',
  createdAt: '2026-03-01T11:59:59.000Z',
  updatedAt: '2026-03-01T11:59:59.000Z',
  ...overrides,
});
