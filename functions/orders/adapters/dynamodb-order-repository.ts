import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { decodeCursor, encodeCursor, type PageKey } from '../../shared/cursor';
import { isConditionFailed } from '../../shared/dynamodb';
import { ValidationError } from '../../shared/errors';
import type { IdempotencyRecord } from '../domain/idempotency';
import { CANCELLABLE, needsReconciling, reconcilerIndexTime, type Order, type StatusChange } from '../domain/order';
import type { OrderPage, OrderRepository } from '../ports/order-repository';
import { BY_USER_INDEX, PENDING_INDEX, PENDING_PARTITION } from '../table-layout';

interface OrderItem extends Order {
  readonly pk: string;
  readonly type: 'ORDER';
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  /** Only while the reconciler must look at it (see `needsReconciling`): the order's place in the pending index. */
  readonly gsi2pk?: string;
  readonly gsi2sk?: string;
}

interface IdempotencyItem {
  readonly pk: string;
  readonly type: 'IDEMPOTENCY';
  readonly requestHash: string;
  readonly orderId: string;
  readonly createdAt: string;
  readonly expiresAt: number;
}

const orderKey = (orderId: string) => ({ pk: `ORDER#${orderId}` });
const idempotencyKey = (userId: string, key: string) => ({ pk: `IDEMPOTENCY#${userId}#${key}` });

const toOrderItem = (order: Order): OrderItem => ({
  ...orderKey(order.orderId),
  type: 'ORDER',
  ...order,
  gsi1pk: order.userId,
  gsi1sk: `${order.createdAt}#${order.orderId}`,
  ...(needsReconciling(order) ? { gsi2pk: PENDING_PARTITION, gsi2sk: indexSortKey(reconcilerIndexTime(order), order.orderId) } : {}),
});

const indexSortKey = (time: string, orderId: string): string => `${time}#${orderId}`;

const fromOrderItem = (item: Record<string, unknown>): Order => {
  const { pk: _pk, type: _type, gsi1pk: _gsi1pk, gsi1sk: _gsi1sk, gsi2pk: _gsi2pk, gsi2sk: _gsi2sk, ...order } = item as unknown as OrderItem;
  return order;
};

const toIdempotencyItem = (record: IdempotencyRecord): IdempotencyItem => ({
  ...idempotencyKey(record.userId, record.key),
  type: 'IDEMPOTENCY',
  requestHash: record.requestHash,
  orderId: record.orderId,
  createdAt: record.createdAt,
  expiresAt: record.expiresAt,
});

/** The record of `claim`'s user and key that an item holds. */
const fromIdempotencyItem = (claim: Pick<IdempotencyRecord, 'userId' | 'key'>, item: IdempotencyItem): IdempotencyRecord => ({
  userId: claim.userId,
  key: claim.key,
  requestHash: item.requestHash,
  orderId: item.orderId,
  createdAt: item.createdAt,
  expiresAt: item.expiresAt,
});

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

const PAGE_KEY = ['pk', 'gsi1pk', 'gsi1sk'] as const;

/**
 * Rounds of the two forms of a write whose index update depends on whether a
 * cancellation is requested. An UpdateItem's condition decides for the whole
 * update, never per action, so a REMOVE cannot depend on an attribute: each
 * form states its assumption in its condition, and the one whose assumption
 * is false writes nothing
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html).
 * Three rounds cover a request being recorded or withdrawn meanwhile.
 */
const CANCEL_MARK_ROUNDS = 3;

/**
 * Orders and Idempotency-Key records in the orders table. Orders are
 * `ORDER#<orderId>` with `gsi1pk` = user and `gsi1sk` = `<createdAt>#<orderId>`
 * for the `byUser` index (and, while the reconciler must look at them,
 * `gsi2pk`/`gsi2sk` for the `pendingByAge` index); idempotency records are `IDEMPOTENCY#<userId>#<key>`
 * with an `expiresAt` TTL. The table's stream (INSERTs of type ORDER) is the
 * outbox that publishes OrderPlaced.
 *
 * An order and its key's record are two conditional writes, not one
 * transaction: a transaction bills every item twice (with its index
 * entries, 8 write units an order against 4), and the use case needs no
 * atomicity — the record is written first and names the order, so a crash
 * between the two leaves a key whose order the next attempt with that key
 * writes (`placeOrder`).
 */
export class DynamoDbOrderRepository implements OrderRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: toIdempotencyItem(record),
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
          ExpressionAttributeValues: { ':now': epochSeconds(record.createdAt) },
          // The holder comes back with the refusal: no read before the write, none after.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const held = (error as { Item?: Record<string, AttributeValue> }).Item;
      if (held) return fromIdempotencyItem(record, unmarshall(held) as IdempotencyItem);
      // Not every DynamoDB answers with the item: read it.
      const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: idempotencyKey(record.userId, record.key), ConsistentRead: true }));
      if (!Item) throw new Error(`Idempotency-Key record of user ${record.userId} refused the claim and then was gone.`, { cause: error });
      return fromIdempotencyItem(record, Item as IdempotencyItem);
    }
  }

  public async releaseIdempotencyKey(record: IdempotencyRecord): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: idempotencyKey(record.userId, record.key),
          ConditionExpression: 'orderId = :mine',
          ExpressionAttributeValues: { ':mine': record.orderId },
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
  }

  public async create(order: Order): Promise<boolean> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: toOrderItem(order), ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  public async get(orderId: string): Promise<Order | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: orderKey(orderId), ConsistentRead: true }));
    return Item ? fromOrderItem(Item) : undefined;
  }

  public async listByUser(userId: string, limit: number, cursor?: string): Promise<OrderPage> {
    const start = decodeCursor(cursor, PAGE_KEY);
    if (start && start.gsi1pk !== userId) {
      throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }], 'INVALID_CURSOR');
    }
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: BY_USER_INDEX,
        KeyConditionExpression: 'gsi1pk = :user',
        ExpressionAttributeValues: { ':user': userId },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: start,
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey as PageKey | undefined);
    return { items: (result.Items ?? []).map(fromOrderItem), ...(nextCursor ? { nextCursor } : {}) };
  }

  public async listPendingSince(before: string, limit: number): Promise<string[]> {
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: PENDING_INDEX,
        KeyConditionExpression: 'gsi2pk = :pending AND gsi2sk < :before',
        ExpressionAttributeValues: { ':pending': PENDING_PARTITION, ':before': before },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).flatMap((item) => (typeof item.pk === 'string' && item.pk.startsWith('ORDER#') ? [item.pk.slice('ORDER#'.length)] : []));
  }

  public async transition(orderId: string, change: StatusChange): Promise<Order | undefined> {
    const from = Object.fromEntries(change.from.map((status, i) => [`:from${i}`, status]));
    const entry = { status: change.to, at: change.at, ...(change.reason !== undefined ? { reason: change.reason } : {}) };
    const update = (remove: readonly string[], markCondition: string) =>
      this.conditionalUpdate({
        Key: orderKey(orderId),
        UpdateExpression: `SET #status = :to, updatedAt = :at, statusHistory = list_append(statusHistory, :entry)${
          change.reason !== undefined ? ', cancellationReason = :reason' : ''
        }${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(from).join(', ')})${markCondition}`,
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':to': change.to,
          ':at': change.at,
          ':entry': [entry],
          ...from,
          ...(change.reason !== undefined ? { ':reason': change.reason } : {}),
        },
      });
    switch (change.to) {
      case 'CANCELLED':
        return update(['gsi2pk', 'gsi2sk'], '');
      case 'SHIPPED':
      case 'DELIVERED':
        // On its way: a cancellation request can no longer be met, and nothing is left to reconcile.
        return update(['gsi2pk', 'gsi2sk', 'cancelRequestedAt'], '');
      case 'CONFIRMED':
        // Confirmed, the order leaves the index, unless its owner asked to cancel it: that still needs finishing.
        for (let round = 0; round < CANCEL_MARK_ROUNDS; round += 1) {
          const confirmed = (await update(['gsi2pk', 'gsi2sk'], ' AND attribute_not_exists(cancelRequestedAt)')) ?? (await update([], ' AND attribute_exists(cancelRequestedAt)'));
          if (confirmed) return confirmed;
        }
        return undefined;
    }
  }

  public async recordCancelRequest(orderId: string, requestedAt: string): Promise<Order | undefined> {
    const cancellable = Object.fromEntries(CANCELLABLE.map((status, i) => [`:cancellable${i}`, status]));
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: orderKey(orderId),
          UpdateExpression: 'SET cancelRequestedAt = if_not_exists(cancelRequestedAt, :at), gsi2pk = :partition, gsi2sk = :sk',
          ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(cancellable).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':at': requestedAt, ':partition': PENDING_PARTITION, ':sk': indexSortKey(requestedAt, orderId), ...cancellable },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromOrderItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  public async withdrawCancelRequest(order: Pick<Order, 'orderId' | 'createdAt'>): Promise<boolean> {
    const key = orderKey(order.orderId);
    const names = { '#status': 'status' };
    // Still PENDING: it stays in the index, aged from its creation again. Otherwise it leaves it.
    if (
      await this.conditionalUpdate({
        Key: key,
        UpdateExpression: 'REMOVE cancelRequestedAt SET gsi2sk = :sk',
        ConditionExpression: 'attribute_exists(cancelRequestedAt) AND #status = :pending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':sk': indexSortKey(order.createdAt, order.orderId), ':pending': 'PENDING' },
      })
    ) {
      return true;
    }
    const withdrawn = await this.conditionalUpdate({
      Key: key,
      UpdateExpression: 'REMOVE cancelRequestedAt, gsi2pk, gsi2sk',
      ConditionExpression: 'attribute_exists(cancelRequestedAt) AND #status IN (:confirmed, :shipped, :delivered)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ':confirmed': 'CONFIRMED', ':shipped': 'SHIPPED', ':delivered': 'DELIVERED' },
    });
    return withdrawn !== undefined;
  }

  /**
   * One conditional UpdateItem: the order as written (which costs no more
   * capacity than the write itself), or undefined (nothing written) when its
   * condition does not hold.
   */
  private async conditionalUpdate(input: Omit<UpdateCommandInput, 'TableName'>): Promise<Order | undefined> {
    try {
      const { Attributes } = await this.client.send(new UpdateCommand({ TableName: this.tableName, ...input, ReturnValues: 'ALL_NEW' }));
      return Attributes ? fromOrderItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}
