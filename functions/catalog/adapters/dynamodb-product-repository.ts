import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/aws-clients';
import { decodeCursor, encodeCursor, type PageKey } from '../../shared/cursor';
import { isConditionFailed } from '../../shared/dynamodb';
import { TransientError } from '../../shared/errors';
import { ProductAlreadyExistsError, ProductNotFoundError } from '../domain/errors';
import type { Product } from '../domain/product';
import type { ProductPage, ProductRepository } from '../ports/product-repository';

interface ProductItem extends Product {
  readonly pk: string;
}

const toItem = (product: Product): ProductItem => ({ pk: product.id, ...product });
const fromItem = ({ id, name, description, price, createdAt, updatedAt }: ProductItem): Product => ({
  id,
  name,
  description,
  price,
  createdAt,
  updatedAt,
});

const BATCH_GET_LIMIT = 100;
const BATCH_GET_ATTEMPTS = 5;

/** Products in the catalog table, keyed by `pk` = product id. */
export class DynamoDbProductRepository implements ProductRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async get(id: string): Promise<Product | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: id }, ConsistentRead: true }));
    return Item ? fromItem(Item as ProductItem) : undefined;
  }

  public async getMany(ids: readonly string[]): Promise<Product[]> {
    const found: Product[] = [];
    for (let start = 0; start < ids.length; start += BATCH_GET_LIMIT) {
      let keys: Array<Record<string, unknown>> = ids.slice(start, start + BATCH_GET_LIMIT).map((id) => ({ pk: id }));
      for (let attempt = 1; keys.length > 0; attempt += 1) {
        if (attempt > BATCH_GET_ATTEMPTS) throw new TransientError('Catalog lookups were throttled; try again.');
        const result = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true } } }));
        found.push(...(result.Responses?.[this.tableName] ?? []).map((item) => fromItem(item as ProductItem)));
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
      }
    }
    return found;
  }

  public async list(limit: number, cursor?: string): Promise<ProductPage> {
    const result = await this.client.send(
      new ScanCommand({ TableName: this.tableName, Limit: limit, ExclusiveStartKey: decodeCursor(cursor, ['pk']) }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey as PageKey | undefined);
    return { items: (result.Items ?? []).map((item) => fromItem(item as ProductItem)), ...(nextCursor ? { nextCursor } : {}) };
  }

  public async create(product: Product): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: toItem(product), ConditionExpression: 'attribute_not_exists(pk)' }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductAlreadyExistsError(product.id);
      throw error;
    }
  }

  public async update(product: Product): Promise<void> {
    try {
      await this.client.send(new PutCommand({ TableName: this.tableName, Item: toItem(product), ConditionExpression: 'attribute_exists(pk)' }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductNotFoundError(product.id);
      throw error;
    }
  }

  public async delete(id: string): Promise<void> {
    try {
      await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: id }, ConditionExpression: 'attribute_exists(pk)' }));
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductNotFoundError(id);
      throw error;
    }
  }
}
