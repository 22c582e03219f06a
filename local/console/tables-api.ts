/**
 * The console's Tables view: the template's tables and indexes, and their
 * items a page at a time, read straight from DynamoDB Local as the local
 * cloud's own internals read it (not through the proxy: no IAM, no injected
 * faults, nothing on the cost meter; it is the developer's own view). Items
 * leave the process as plain JSON, redacted.
 */
import {
  DescribeTableCommand,
  QueryCommand,
  ScanCommand,
  type AttributeValue,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import type { JsonValue } from '../cloudformation/intrinsics';
import { redact } from './console-data';
import { ConsoleRequestError } from './request-error';

/** Items in one page of the browser: DynamoDB's `Limit`. */
export const TABLE_PAGE_SIZE = 25;

/** A key as the console shows it: the partition key and, if there is one, the sort key. */
export interface KeyNames {
  readonly partitionKey: string;
  readonly sortKey?: string;
}

/** An index of a table. */
export interface IndexSummary extends KeyNames {
  readonly name: string;
  /** `ALL`, `KEYS_ONLY` or `INCLUDE`. */
  readonly projection: string;
  readonly itemCount: number;
}

/** A table of the template, as the list shows it. */
export interface TableSummary extends KeyNames {
  readonly logicalId: string;
  readonly tableName: string;
  /** DynamoDB Local's count, which (unlike DynamoDB's six-hourly one) is current. */
  readonly itemCount: number;
  readonly indexes: readonly IndexSummary[];
  /** The stream's view type, when the table has a stream. */
  readonly stream?: string;
}

/** What a page of items is asked for. */
export interface PageRequest {
  /** The table's logical id or its name. */
  readonly table: string;
  /** One of its global secondary indexes. @default the table itself */
  readonly index?: string;
  /** A partition key value: the page is a Query for it instead of a Scan. @default a Scan */
  readonly key?: string;
  /** Where the previous page ended ({@link ItemPage.next}). @default the first page */
  readonly cursor?: string;
}

/** One page of items. */
export interface ItemPage {
  readonly logicalId: string;
  readonly tableName: string;
  readonly index?: string;
  readonly key?: string;
  /** The key attributes of what was read (the index's, then the table's), for the page to show first. */
  readonly keyAttributes: readonly string[];
  /** The most items a page holds ({@link TABLE_PAGE_SIZE}). */
  readonly limit: number;
  /** Plain JSON, redacted. */
  readonly items: readonly JsonValue[];
  /** The cursor of the next page; absent on the last one. */
  readonly next?: string;
}

/** What a cursor carries: where it may be used, and DynamoDB's `LastEvaluatedKey`. */
interface Cursor {
  readonly table: string;
  readonly index?: string;
  readonly key?: string;
  readonly start: Record<string, AttributeValue>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A key attribute's value in a cursor: a string, a number's digits, or binary in base64. */
type CursorValue = { readonly S: string } | { readonly N: string } | { readonly B: string };

const isCursorValue = (value: unknown): value is CursorValue => {
  if (!isRecord(value) || Object.keys(value).length !== 1) return false;
  const [type, inner] = Object.entries(value)[0] ?? [];
  return (type === 'S' || type === 'N' || type === 'B') && typeof inner === 'string';
};

const attributeOf = (value: CursorValue): AttributeValue => ('B' in value ? { B: Buffer.from(value.B, 'base64') } : value);

/** A `LastEvaluatedKey` as an opaque token for the page's "next" link. */
export const encodeCursor = (cursor: Cursor): string => {
  const start = Object.fromEntries(Object.entries(cursor.start).map(([name, value]) => [name, value.B !== undefined ? { B: Buffer.from(value.B).toString('base64') } : value]));
  return Buffer.from(JSON.stringify({ ...cursor, start }), 'utf8').toString('base64url');
};

/**
 * The cursor a page handed out, checked.
 *
 * @throws {ConsoleRequestError} 400 for a token this browser did not make.
 */
export const decodeCursor = (token: string): Cursor => {
  const malformed = () => new ConsoleRequestError(400, 'cursor is not one this console handed out: start from the first page');
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw malformed();
  }
  if (!isRecord(value) || typeof value.table !== 'string' || !isRecord(value.start)) throw malformed();
  if ((value.index !== undefined && typeof value.index !== 'string') || (value.key !== undefined && typeof value.key !== 'string')) throw malformed();
  const entries = Object.entries(value.start);
  if (entries.length === 0 || !entries.every(([, inner]) => isCursorValue(inner))) throw malformed();
  const start = Object.fromEntries((entries as Array<[string, CursorValue]>).map(([name, inner]) => [name, attributeOf(inner)]));
  return { table: value.table, start, ...(value.index !== undefined ? { index: value.index } : {}), ...(value.key !== undefined ? { key: value.key } : {}) };
};

const bytes = (value: Uint8Array): string => Buffer.from(value).toString('base64');

/** A DynamoDB number as JSON: a number when JavaScript holds it exactly, its digits otherwise. */
const numberOf = (text: string): JsonValue => {
  const number = Number(text);
  return Number.isFinite(number) && String(number) === text.replace(/^(-?)0+(?=\d)/, '$1') ? number : text;
};

/**
 * An item in DynamoDB's JSON as plain JSON: maps and lists as objects and
 * arrays, numbers as numbers (their digits, as a string, when a double
 * cannot hold them exactly), sets as arrays, binary as base64.
 */
export const plainOf = (value: AttributeValue): JsonValue => {
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return numberOf(value.N);
  if (value.BOOL !== undefined) return value.BOOL;
  if (value.NULL !== undefined) return null;
  if (value.M !== undefined) return plainItem(value.M);
  if (value.L !== undefined) return value.L.map(plainOf);
  if (value.SS !== undefined) return value.SS;
  if (value.NS !== undefined) return value.NS.map(numberOf);
  if (value.B !== undefined) return bytes(value.B);
  if (value.BS !== undefined) return value.BS.map(bytes);
  return null;
};

/** A whole item as plain JSON (see {@link plainOf}). */
export const plainItem = (item: Readonly<Record<string, AttributeValue>>): JsonValue => Object.fromEntries(Object.entries(item).map(([name, value]) => [name, plainOf(value)]));

const keyNamesOf = (schema: readonly KeySchemaElement[] | undefined): KeyNames => {
  const partitionKey = schema?.find((key) => key.KeyType === 'HASH')?.AttributeName ?? '';
  const sortKey = schema?.find((key) => key.KeyType === 'RANGE')?.AttributeName;
  return { partitionKey, ...(sortKey !== undefined ? { sortKey } : {}) };
};

/**
 * Reads the template's tables for the console: their list, and pages of
 * their (or an index's) items.
 */
export class TableBrowser {
  /**
   * @param client - DynamoDB Local itself, with the local cloud's own credentials.
   * @param tables - each table's name by logical id, as the local cloud created them.
   */
  public constructor(
    private readonly client: Pick<DynamoDBClient, 'send'>,
    private readonly tables: ReadonlyMap<string, string>,
  ) {}

  /** Every table of the template with its keys, indexes (by name) and item count, in the template's order. */
  public async list(): Promise<TableSummary[]> {
    return Promise.all([...this.tables].map(async ([logicalId, tableName]) => summaryOf(logicalId, await this.describe(tableName))));
  }

  /**
   * A page of a table's or an index's items: a Scan, or a Query for one
   * partition key value, {@link TABLE_PAGE_SIZE} items at most.
   *
   * @throws {ConsoleRequestError} 404 for a table or index the template does
   *   not have, 400 for a cursor of another table, index or key, or that DynamoDB refuses.
   */
  public async page(request: PageRequest): Promise<ItemPage> {
    const found = [...this.tables].find(([logicalId, tableName]) => logicalId === request.table || tableName === request.table);
    if (!found) throw new ConsoleRequestError(404, `No table ${request.table} in the template; its tables: ${[...this.tables.keys()].join(', ')}`);
    const [logicalId, tableName] = found;
    const description = await this.describe(tableName);
    const index = request.index === undefined ? undefined : description.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === request.index);
    if (request.index !== undefined && !index) {
      const names = (description.GlobalSecondaryIndexes ?? []).map((candidate) => candidate.IndexName ?? '').sort();
      throw new ConsoleRequestError(404, `Table ${logicalId} has no index ${request.index}${names.length > 0 ? `; its indexes: ${names.join(', ')}` : ' (it has none)'}`);
    }
    const cursor = request.cursor === undefined ? undefined : decodeCursor(request.cursor);
    if (cursor && (cursor.table !== tableName || cursor.index !== request.index || cursor.key !== request.key)) {
      throw new ConsoleRequestError(400, 'cursor belongs to another table, index or key: start from the first page');
    }
    const keys = keyNamesOf(index ? index.KeySchema : description.KeySchema);
    const tableKeys = keyNamesOf(description.KeySchema);
    const keyAttributes = [...new Set([keys.partitionKey, keys.sortKey, tableKeys.partitionKey, tableKeys.sortKey].filter((name): name is string => name !== undefined && name !== ''))];
    const common = {
      TableName: tableName,
      Limit: TABLE_PAGE_SIZE,
      ...(request.index !== undefined ? { IndexName: request.index } : {}),
      ...(cursor ? { ExclusiveStartKey: cursor.start } : {}),
    };
    let answer: { Items?: Record<string, AttributeValue>[]; LastEvaluatedKey?: Record<string, AttributeValue> };
    try {
      if (request.key === undefined) answer = await this.client.send(new ScanCommand(common));
      else {
        const type = description.AttributeDefinitions?.find((definition) => definition.AttributeName === keys.partitionKey)?.AttributeType ?? 'S';
        const value = keyValue(type, request.key, keys.partitionKey);
        answer = await this.client.send(new QueryCommand({ ...common, KeyConditionExpression: '#key = :key', ExpressionAttributeNames: { '#key': keys.partitionKey }, ExpressionAttributeValues: { ':key': value } }));
      }
    } catch (error) {
      if (error instanceof Error && error.name === 'ValidationException') throw new ConsoleRequestError(400, `DynamoDB refused the page: ${error.message}`);
      throw error;
    }
    const next = answer.LastEvaluatedKey;
    return {
      logicalId,
      tableName,
      ...(request.index !== undefined ? { index: request.index } : {}),
      ...(request.key !== undefined ? { key: request.key } : {}),
      keyAttributes,
      limit: TABLE_PAGE_SIZE,
      items: (answer.Items ?? []).map((item) => redact(plainItem(item))),
      ...(next ? { next: encodeCursor({ table: tableName, start: next, ...(request.index !== undefined ? { index: request.index } : {}), ...(request.key !== undefined ? { key: request.key } : {}) }) } : {}),
    };
  }

  private async describe(tableName: string): Promise<TableDescription> {
    const answer = await this.client.send(new DescribeTableCommand({ TableName: tableName }));
    if (!answer.Table) throw new Error(`DynamoDB Local did not describe ${tableName}`);
    return answer.Table;
  }
}

/**
 * A partition key value typed as the table declares its attribute.
 *
 * @throws {ConsoleRequestError} 400 for a number key that is not a number, or a binary one that is not base64.
 */
const keyValue = (type: string, text: string, attribute: string): AttributeValue => {
  if (type === 'N') {
    if (text.trim() === '' || !Number.isFinite(Number(text))) throw new ConsoleRequestError(400, `${attribute} is a number: '${text}' is not one`);
    return { N: text.trim() };
  }
  if (type === 'B') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new ConsoleRequestError(400, `${attribute} is binary: give it in base64`);
    return { B: Buffer.from(text, 'base64') };
  }
  return { S: text };
};

const summaryOf = (logicalId: string, table: TableDescription): TableSummary => ({
  logicalId,
  tableName: table.TableName ?? logicalId,
  ...keyNamesOf(table.KeySchema),
  itemCount: table.ItemCount ?? 0,
  indexes: (table.GlobalSecondaryIndexes ?? [])
    .map((index) => ({ name: index.IndexName ?? '', ...keyNamesOf(index.KeySchema), projection: index.Projection?.ProjectionType ?? 'ALL', itemCount: index.ItemCount ?? 0 }))
    .sort((a, b) => a.name.localeCompare(b.name)),
  ...(table.StreamSpecification?.StreamEnabled ? { stream: table.StreamSpecification.StreamViewType ?? 'enabled' } : {}),
});
