import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { isConditionFailed } from '../../shared/dynamodb';
import type { Shipment, ShipmentStatus } from '../domain/shipment';
import type { CreateShipmentOutcome, ShipmentRepository } from '../ports/shipment-repository';

interface ShipmentItem extends Shipment {
  readonly pk: string;
}

/** The attribute that keeps when a shipment reached a status. */
const CHANGED_AT = { CANCELLED: 'cancelledAt', SHIPPED: 'shippedAt', DELIVERED: 'deliveredAt' } as const;

const keyOf = (shipmentId: string) => ({ pk: `SHIPMENT#${shipmentId}` });

const fromItem = (item: Record<string, unknown>): Shipment => {
  const { pk: _pk, ...shipment } = item as unknown as ShipmentItem;
  return shipment;
};

/** Shipments in the shipping table, keyed by `pk` = `SHIPMENT#<shipmentId>`. */
export class DynamoDbShipmentRepository implements ShipmentRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async get(shipmentId: string): Promise<Shipment | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: keyOf(shipmentId), ConsistentRead: true }));
    return Item ? fromItem(Item) : undefined;
  }

  public async create(shipment: Shipment): Promise<CreateShipmentOutcome> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keyOf(shipment.shipmentId), ...shipment },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { created: true };
    } catch (error) {
      if (!isConditionFailed(error)) throw error;
    }
    const existing = await this.get(shipment.shipmentId);
    if (!existing) throw new Error(`Shipment '${shipment.shipmentId}' existed for the write but not for the read that followed.`);
    return { created: false, existing };
  }

  public async cancel(shipmentId: string, at: string): Promise<boolean> {
    return (await this.transition(shipmentId, ['CREATED'], 'CANCELLED', at)) !== undefined;
  }

  public markShipped(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.transition(shipmentId, ['CREATED'], 'SHIPPED', at);
  }

  public markDelivered(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.transition(shipmentId, ['CREATED', 'SHIPPED'], 'DELIVERED', at);
  }

  /** One conditional status change; the time of the change is kept in `<status>At` as well. */
  private async transition(shipmentId: string, from: readonly ShipmentStatus[], to: 'CANCELLED' | 'SHIPPED' | 'DELIVERED', at: string): Promise<Shipment | undefined> {
    const fromValues = Object.fromEntries(from.map((status, i) => [`:from${i}`, status]));
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(shipmentId),
          UpdateExpression: 'SET #status = :to, updatedAt = :at, #changedAt = :at',
          ConditionExpression: `attribute_exists(pk) AND #status IN (${Object.keys(fromValues).join(', ')})`,
          ExpressionAttributeNames: { '#status': 'status', '#changedAt': CHANGED_AT[to] },
          ExpressionAttributeValues: { ':to': to, ':at': at, ...fromValues },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return Attributes ? fromItem(Attributes) : undefined;
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }
}
