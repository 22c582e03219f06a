import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { isConditionFailed } from '../../shared/dynamodb';
import type { Payment } from '../domain/payment';
import type { PaymentRepository, PaymentTransition } from '../ports/payment-repository';

const keyOf = (orderId: string) => ({ pk: `PAYMENT#${orderId}` });

const fromItem = (item: Record<string, unknown>): Payment => {
  const { pk: _pk, ...payment } = item;
  return payment as unknown as Payment;
};

/** Fields a transition may set besides the status, in a fixed order. */
const DETAIL_FIELDS = ['chargeId', 'refundId', 'declineReason'] as const;

/**
 * Payments in the payments table (partition key only), one item per order:
 * `PAYMENT#<orderId>`. Creation is conditional on absence and every change
 * on the status it starts from, so a retried or concurrent step cannot
 * capture, decline or refund twice.
 */
export class DynamoDbPaymentRepository implements PaymentRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async get(orderId: string): Promise<Payment | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keyOf(orderId), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  public async create(payment: Payment): Promise<boolean> {
    const command = new PutCommand({
      TableName: this.tableName,
      Item: { ...keyOf(payment.orderId), ...payment },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    return this.conditionally(() => this.client.send(command));
  }

  public async recordAttempt(orderId: string, at: string): Promise<Payment | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(orderId),
          UpdateExpression: 'SET updatedAt = :at ADD attempts :one',
          ConditionExpression: '#status = :pending',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':at': at, ':one': 1, ':pending': 'PENDING' },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  public async transition(orderId: string, change: PaymentTransition): Promise<boolean> {
    const details = DETAIL_FIELDS.filter((field) => change[field] !== undefined);
    const command = new UpdateCommand({
      TableName: this.tableName,
      Key: keyOf(orderId),
      UpdateExpression: ['SET #status = :to, updatedAt = :at', ...details.map((field) => `${field} = :${field}`)].join(', '),
      ConditionExpression: '#status = :from',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':to': change.to,
        ':from': change.from,
        ':at': change.at,
        ...Object.fromEntries(details.map((field) => [`:${field}`, change[field]])),
      },
    });
    return this.conditionally(() => this.client.send(command));
  }

  /** True when the write happened, false when its condition did not hold. */
  private async conditionally(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
