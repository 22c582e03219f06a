import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/aws-clients';
import { isConditionFailed } from '../../shared/dynamodb';
import type { Shipment } from '../domain/shipment';
import type { CreateShipmentOutcome, ShipmentRepository } from '../ports/shipment-repository';

interface ShipmentItem extends Shipment {
  readonly pk: string;
}

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
    return (await this.transitionFromCreated(shipmentId, 'CANCELLED', at)) !== undefined;
  }

  public markDelivered(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.transitionFromCreated(shipmentId, 'DELIVERED', at);
  }

  private async transitionFromCreated(shipmentId: string, to: 'CANCELLED' | 'DELIVERED', at: string): Promise<Shipment | undefined> {
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keyOf(shipmentId),
          UpdateExpression: to === 'DELIVERED' ? 'SET #status = :to, updatedAt = :at, deliveredAt = :at' : 'SET #status = :to, updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': to, ':from': 'CREATED', ':at': at },
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
