import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as z from '../../shared/zod';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { isConditionFailed, transactionCancellationReasons } from '../../shared/dynamodb';
import { TransientError } from '../../shared/errors';
import type { Reservation, StockLevel } from '../domain/inventory';
import { stockCoversCondition } from '../domain/stock-condition';
import type { ExistingReservation, InventoryRepository, ReserveResult } from '../ports/inventory-repository';

const stockKey = (productId: string) => ({ pk: `PRODUCT#${productId}` });
const reservationKey = (orderId: string) => ({ pk: `RESERVATION#${orderId}` });

/** Cancellation reasons that mean "the same transaction may pass if sent again". */
const RETRYABLE_REASONS = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

/** A reservation as DynamoDB returns it with ReturnValuesOnConditionCheckFailure (not unmarshalled). */
const rawReservation = z.object({
  executionId: z.object({ S: z.string() }),
  status: z.object({ S: z.enum(['RESERVED', 'RELEASED']) }),
  reservedAt: z.object({ S: z.string() }),
});

const itemOfReason = (error: unknown, index: number): unknown => {
  const reasons = (error as { CancellationReasons?: Array<{ Item?: unknown }> }).CancellationReasons;
  return reasons?.[index]?.Item;
};

/**
 * The clause every stock write adds: the write is counted (`version`, which
 * the outbox publishes so consumers can order changes) and says who caused
 * it (the correlation id the StockChanged event carries). `ADD` starts a
 * missing version at 0, so stock stored before versioning counts on from 1.
 */
const stockWriteClauses = (correlationId: string | undefined) => ({
  set: correlationId === undefined ? '' : ', correlationId = :corr',
  remove: correlationId === undefined ? ' REMOVE correlationId' : '',
  values: { ':one': 1, ...(correlationId === undefined ? {} : { ':corr': correlationId }) },
});

const toStockLevel = (item: Record<string, unknown>): StockLevel => ({
  productId: item.productId as string,
  stock: item.stock as number,
  updatedAt: item.updatedAt as string,
});

const toReservation = (item: Record<string, unknown>): Reservation => ({
  orderId: item.orderId as string,
  executionId: item.executionId as string,
  lines: item.lines as Reservation['lines'],
  status: item.status as Reservation['status'],
  reservedAt: item.reservedAt as string,
  ...(typeof item.releasedAt === 'string' ? { releasedAt: item.releasedAt } : {}),
});

/**
 * Stock and reservations in the inventory table (partition key only):
 * `PRODUCT#<productId>` holds the on-hand count, `RESERVATION#<orderId>` what
 * an order holds. Reserving and releasing are single transactions whose
 * conditions keep stock non-negative and make each happen once per order.
 */
export class DynamoDbInventoryRepository implements InventoryRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async getStock(productId: string): Promise<StockLevel | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: stockKey(productId), ConsistentRead: true }));
    return Item ? toStockLevel(Item) : undefined;
  }

  /**
   * One conditional UpdateItem: a count equal to the stored one fails the
   * condition and writes nothing, so the stream gets no record and nothing
   * is announced (stock stored before versioning is written anyway, which
   * announces it once). The stored level comes back with the failure
   * (`ReturnValuesOnConditionCheckFailure`), without a second read.
   */
  public async putStock(level: StockLevel, correlationId?: string): Promise<StockLevel> {
    const clauses = stockWriteClauses(correlationId);
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: stockKey(level.productId),
          UpdateExpression: `SET productId = :p, stock = :s, updatedAt = :at${clauses.set} ADD version :one${clauses.remove}`,
          ConditionExpression: 'attribute_not_exists(version) OR stock <> :s',
          ExpressionAttributeValues: { ':p': level.productId, ':s': level.stock, ':at': level.updatedAt, ...clauses.values },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return level;
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
      const item = (error as { Item?: Record<string, AttributeValue> }).Item;
      return item ? toStockLevel(unmarshall(item)) : level;
    }
  }

  public async getReservation(orderId: string): Promise<Reservation | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: reservationKey(orderId), ConsistentRead: true }));
    return Item ? toReservation(Item) : undefined;
  }

  public async reserve(reservation: Reservation, correlationId?: string): Promise<ReserveResult> {
    const clauses = stockWriteClauses(correlationId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...reservationKey(reservation.orderId), ...reservation },
                ConditionExpression: 'attribute_not_exists(pk)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            ...reservation.lines.map((line) => ({
              Update: {
                TableName: this.tableName,
                Key: stockKey(line.productId),
                UpdateExpression: `SET stock = stock - :q, updatedAt = :now${clauses.set} ADD version :one${clauses.remove}`,
                ConditionExpression: stockCoversCondition(':q'),
                ExpressionAttributeValues: { ':q': line.quantity, ':now': reservation.reservedAt, ...clauses.values },
              },
            })),
          ],
        }),
      );
      return { kind: 'reserved' };
    } catch (error) {
      const reasons = transactionCancellationReasons(error);
      if (!reasons) throw error;
      if (reasons[0] === 'ConditionalCheckFailed') {
        return { kind: 'alreadyReserved', existing: this.existingReservation(error, reservation.orderId) };
      }
      const short = reservation.lines.filter((_, i) => reasons[i + 1] === 'ConditionalCheckFailed').map((l) => l.productId);
      if (short.length > 0) return { kind: 'outOfStock', productIds: short };
      throw this.unexpectedCancellation('ReserveInventory', reasons, error);
    }
  }

  public async release(reservation: Reservation, releasedAt: string, correlationId?: string): Promise<boolean> {
    const clauses = stockWriteClauses(correlationId);
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: this.tableName,
                Key: reservationKey(reservation.orderId),
                UpdateExpression: 'SET #status = :released, releasedAt = :at',
                ConditionExpression: '#status = :reserved',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':released': 'RELEASED', ':reserved': 'RESERVED', ':at': releasedAt },
              },
            },
            ...reservation.lines.map((line) => ({
              Update: {
                TableName: this.tableName,
                Key: stockKey(line.productId),
                UpdateExpression: `SET productId = :p, updatedAt = :at${clauses.set} ADD stock :q, version :one${clauses.remove}`,
                ExpressionAttributeValues: { ':p': line.productId, ':q': line.quantity, ':at': releasedAt, ...clauses.values },
              },
            })),
          ],
        }),
      );
      return true;
    } catch (error) {
      const reasons = transactionCancellationReasons(error);
      if (!reasons) throw error;
      if (reasons[0] === 'ConditionalCheckFailed') return false;
      throw this.unexpectedCancellation('ReleaseInventory', reasons, error);
    }
  }

  /**
   * The reservation that blocked a reserve, from the cancellation reason
   * (`ReturnValuesOnConditionCheckFailure: ALL_OLD`, which DynamoDB always
   * honours for an item that exists). A reason without it is treated as
   * transient rather than answered by reading the item: that read would need
   * `dynamodb:GetItem`, a grant no call on AWS uses.
   */
  private existingReservation(error: unknown, orderId: string): ExistingReservation {
    const parsed = rawReservation.safeParse(itemOfReason(error, 0));
    if (!parsed.success) throw new TransientError(`The reservation of order ${orderId} exists but the cancellation reason does not say whose it is.`, { cause: error });
    return { executionId: parsed.data.executionId.S, status: parsed.data.status.S, reservedAt: parsed.data.reservedAt.S };
  }

  private unexpectedCancellation(what: string, reasons: readonly string[], error: unknown): Error {
    const message = `${what} transaction was cancelled: ${reasons.join(', ')}`;
    return reasons.some((r) => RETRYABLE_REASONS.has(r)) ? new TransientError(message, { cause: error }) : new Error(message, { cause: error });
  }
}
