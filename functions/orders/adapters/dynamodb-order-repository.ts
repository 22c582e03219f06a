import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { dynamoDb } from '../../shared/aws-clients';
import { decodeCursor, encodeCursor, type PageKey } from '../../shared/cursor';
import { isConditionFailed, transactionCancellationReasons } from '../../shared/dynamodb';
import { DependencyUnavailableError, ValidationError } from '../../shared/errors';
import type { IdempotencyRecord } from '../domain/idempotency';
import { CANCELLABLE, needsReconciling, reconcilerIndexTime, type Order, type StatusChange } from '../domain/order';
import type { CreateOrderOutcome, OrderPage, OrderRepository } from '../ports/order-repository';
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

const epochSeconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);

const PAGE_KEY = ['pk', 'gsi1pk', 'gsi1sk'] as const;

/** Attempts of the order transaction when DynamoDB reports a conflicting concurrent transaction. */
const TRANSACTION_ATTEMPTS = 4;

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
 */
export class DynamoDbOrderRepository implements OrderRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async findIdempotencyRecord(userId: string, key: string, nowEpochSeconds: number): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: idempotencyKey(userId, key), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    const item = Item as IdempotencyItem;
    if (item.expiresAt <= nowEpochSeconds) return undefined;
    return { userId, key, requestHash: item.requestHash, orderId: item.orderId, createdAt: item.createdAt, expiresAt: item.expiresAt };
  }

  public async create(order: Order, idempotency?: IdempotencyRecord): Promise<CreateOrderOutcome> {
    if (!idempotency) {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toOrderItem(order), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
      return { kind: 'created' };
    }
    const now = epochSeconds(idempotency.createdAt);
    for (let attempt = 1; ; attempt += 1) {
      try {
        await this.client.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: this.tableName, Item: toOrderItem(order), ConditionExpression: 'attribute_not_exists(pk)' } },
              {
                Put: {
                  TableName: this.tableName,
                  Item: toIdempotencyItem(idempotency),
                  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
                  ExpressionAttributeValues: { ':now': now },
                },
              },
            ],
          }),
        );
        return { kind: 'created' };
      } catch (error) {
        const reasons = transactionCancellationReasons(error);
        if (!reasons) throw error;
        if (reasons[1] === 'ConditionalCheckFailed') {
          const record = await this.findIdempotencyRecord(idempotency.userId, idempotency.key, now);
          if (record) return { kind: 'key-taken', record };
        } else if (!reasons.includes('TransactionConflict')) {
          throw error;
        }
        if (attempt >= TRANSACTION_ATTEMPTS) {
          throw new DependencyUnavailableError('Orders are busy; please retry.', 1, { cause: error });
        }
        await sleep(20 * attempt + Math.floor(Math.random() * 20));
      }
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
