import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { decodeCursor, encodeCursor, type PageKey } from '../../shared/cursor';
import { isConditionFailed } from '../../shared/dynamodb';
import { TransientError, ValidationError } from '../../shared/errors';
import { ProductAlreadyExistsError, ProductNotFoundError } from '../domain/errors';
import { UNCATEGORIZED, type Availability, type CatalogProduct, type Product, type ProductChanges } from '../domain/product';
import type { ProductPage, ProductQuery, ProductRepository } from '../ports/product-repository';
import { CATEGORY_INDEX, LISTING_INDEX, LISTING_PARTITION } from '../table-layout';

/**
 * A catalog item: a product's fields (absent while only availability is
 * known), the index keys that list it, and the availability inventory last
 * announced. Products stored before categories have no `category`.
 */
interface ProductItem {
  readonly pk: string;
  readonly id?: string;
  readonly name?: string;
  readonly description?: string;
  readonly category?: string;
  readonly imageUrl?: string;
  readonly price?: Product['price'];
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly listing?: string;
  readonly available?: number;
  readonly stockVersion?: number;
}

/** The product of an item, or undefined for an item that only holds availability. */
const fromItem = (item: ProductItem): CatalogProduct | undefined => {
  if (item.name === undefined || item.price === undefined) return undefined;
  return {
    id: item.id ?? item.pk,
    name: item.name,
    description: item.description ?? '',
    category: item.category ?? UNCATEGORIZED,
    ...(item.imageUrl !== undefined ? { imageUrl: item.imageUrl } : {}),
    price: item.price,
    createdAt: item.createdAt ?? '',
    updatedAt: item.updatedAt ?? '',
    available: item.available ?? 0,
  };
};

/** Every attribute of a product's own, aliased: `name` is a DynamoDB reserved word, and so may others become. */
const PRODUCT_NAMES = {
  '#id': 'id',
  '#name': 'name',
  '#description': 'description',
  '#category': 'category',
  '#imageUrl': 'imageUrl',
  '#price': 'price',
  '#createdAt': 'createdAt',
  '#updatedAt': 'updatedAt',
  '#listing': 'listing',
} as const;

/** The key attributes of a page's last item, per index (the table's key and the index's). */
const PAGE_KEYS = {
  [LISTING_INDEX]: ['pk', 'listing', 'id'],
  [CATEGORY_INDEX]: ['pk', 'category', 'id'],
} as const;

const invalidCursor = () => new ValidationError([{ path: 'cursor', message: 'is not a cursor of this listing' }], 'INVALID_CURSOR');

const BATCH_GET_LIMIT = 100;
const BATCH_GET_ATTEMPTS = 5;

/**
 * Products in the catalog table, keyed by `pk` = product id, listed through
 * two sparse indexes ordered by id (see `table-layout.ts`). Every write names
 * the attributes it changes (UpdateItem), so a product's fields and the
 * availability that StockChanged events record never overwrite each other.
 */
export class DynamoDbProductRepository implements ProductRepository {
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
  ) {}

  public async get(id: string): Promise<CatalogProduct | undefined> {
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
        for (const item of result.Responses?.[this.tableName] ?? []) {
          const product = fromItem(item as ProductItem);
          if (product) found.push(product);
        }
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
      }
    }
    return found;
  }

  public async list({ limit, cursor, category }: ProductQuery): Promise<ProductPage> {
    const index = category === undefined ? LISTING_INDEX : CATEGORY_INDEX;
    const partition = category === undefined ? { name: 'listing', value: LISTING_PARTITION } : { name: 'category', value: category };
    const start = decodeCursor(cursor, PAGE_KEYS[index]);
    // A cursor of another listing (another category, or none) would start the query outside its partition: DynamoDB refuses it.
    if (start && (start[partition.name] !== partition.value || start.pk !== start.id)) throw invalidCursor();
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: '#partition = :partition',
        ExpressionAttributeNames: { '#partition': partition.name },
        ExpressionAttributeValues: { ':partition': partition.value },
        Limit: limit,
        ExclusiveStartKey: start,
      }),
    );
    const nextCursor = encodeCursor(result.LastEvaluatedKey as PageKey | undefined);
    const items = (result.Items ?? []).flatMap((item) => fromItem(item as ProductItem) ?? []);
    return { items, ...(nextCursor ? { nextCursor } : {}) };
  }

  public async create(product: Product): Promise<CatalogProduct> {
    const fields: Record<string, unknown> = {
      '#id': product.id,
      '#name': product.name,
      '#description': product.description,
      '#category': product.category,
      '#price': product.price,
      '#createdAt': product.createdAt,
      '#updatedAt': product.updatedAt,
      '#listing': LISTING_PARTITION,
      ...(product.imageUrl !== undefined ? { '#imageUrl': product.imageUrl } : {}),
    };
    try {
      return await this.write(product.id, {
        set: fields,
        remove: [],
        condition: 'attribute_not_exists(#name)',
      });
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductAlreadyExistsError(product.id);
      throw error;
    }
  }

  public async update(id: string, changes: ProductChanges, now: string): Promise<CatalogProduct> {
    const set: Record<string, unknown> = {
      '#updatedAt': now,
      // A product stored before categories and listings gets both with its first change.
      '#listing': LISTING_PARTITION,
      ...(changes.name !== undefined ? { '#name': changes.name } : {}),
      ...(changes.description !== undefined ? { '#description': changes.description } : {}),
      ...(changes.category !== undefined ? { '#category': changes.category } : {}),
      ...(typeof changes.imageUrl === 'string' ? { '#imageUrl': changes.imageUrl } : {}),
      ...(changes.price !== undefined ? { '#price': changes.price } : {}),
    };
    try {
      return await this.write(id, {
        set,
        ...(changes.category === undefined ? { setIfMissing: { '#category': UNCATEGORIZED, '#id': id } } : { setIfMissing: { '#id': id } }),
        remove: changes.imageUrl === null ? ['#imageUrl'] : [],
        condition: 'attribute_exists(#name)',
      });
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductNotFoundError(id);
      throw error;
    }
  }

  public async delete(id: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: id },
          UpdateExpression: `REMOVE ${Object.keys(PRODUCT_NAMES).join(', ')}`,
          ConditionExpression: 'attribute_exists(#name)',
          ExpressionAttributeNames: PRODUCT_NAMES,
        }),
      );
    } catch (error) {
      if (isConditionFailed(error)) throw new ProductNotFoundError(id);
      throw error;
    }
  }

  public async recordAvailability(productId: string, availability: Availability): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: productId },
          UpdateExpression: 'SET #available = :available, #stockVersion = :version',
          ConditionExpression: 'attribute_not_exists(#stockVersion) OR #stockVersion < :version',
          ExpressionAttributeNames: { '#available': 'available', '#stockVersion': 'stockVersion' },
          ExpressionAttributeValues: { ':available': availability.available, ':version': availability.version },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }

  /** One conditional UpdateItem of a product's own attributes (aliased names → values); the item as it then is. */
  private async write(
    id: string,
    change: { set: Record<string, unknown>; setIfMissing?: Record<string, unknown>; remove: readonly string[]; condition: string },
  ): Promise<CatalogProduct> {
    const values: Record<string, unknown> = {};
    const assignments = Object.entries(change.set).map(([name, value], i) => {
      values[`:v${i}`] = value;
      return `${name} = :v${i}`;
    });
    const defaults = Object.entries(change.setIfMissing ?? {}).map(([name, value], i) => {
      values[`:d${i}`] = value;
      return `${name} = if_not_exists(${name}, :d${i})`;
    });
    const used = new Set([...Object.keys(change.set), ...Object.keys(change.setIfMissing ?? {}), ...change.remove, '#name']);
    const names = Object.fromEntries(Object.entries(PRODUCT_NAMES).filter(([alias]) => used.has(alias)));
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: id },
        UpdateExpression: `SET ${[...assignments, ...defaults].join(', ')}${change.remove.length > 0 ? ` REMOVE ${change.remove.join(', ')}` : ''}`,
        ConditionExpression: change.condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    const product = Attributes ? fromItem(Attributes as ProductItem) : undefined;
    if (!product) throw new Error(`Product ${id} was written but DynamoDB returned no product.`);
    return product;
  }
}
