import {
  CreateTableCommand,
  DynamoDBClient,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb/dynamodb-local';
import { ownedDocumentClient } from '../../local/support/document-client';

/** A secondary index of a test table (string keys). */
export interface TestIndex {
  readonly name: string;
  readonly partitionKey: string;
  readonly sortKey?: string;
}

/** Shape of a service table, as its CDK construct declares it. */
export interface TestTableSpec {
  readonly sortKey?: boolean;
  readonly indexes?: readonly TestIndex[];
}

const endpoint = (): string => {
  const value = process.env.SHOP_TEST_DYNAMODB_ENDPOINT;
  if (!value) throw new Error('SHOP_TEST_DYNAMODB_ENDPOINT is not set: the jest global setup starts DynamoDB Local.');
  return value;
};

/** A raw client on the test DynamoDB Local. */
export const testDynamoDbClient = (): DynamoDBClient =>
  new DynamoDBClient({ endpoint: endpoint(), region: 'us-east-1', credentials: LOCAL_CREDENTIALS });

/** A document client configured like the one the functions use. */
export const testDocumentClient = (): DynamoDBDocumentClient =>
  ownedDocumentClient(testDynamoDbClient(), { marshallOptions: { removeUndefinedValues: true } });

/** Creates a fresh, uniquely named table (`pk`, optional `sk`, string-keyed indexes). */
export const createTestTable = async (spec: TestTableSpec = {}): Promise<string> => {
  const tableName = `test-${randomUUID()}`;
  const attributes = new Set(['pk', ...(spec.sortKey ? ['sk'] : [])]);
  for (const index of spec.indexes ?? []) {
    attributes.add(index.partitionKey);
    if (index.sortKey) attributes.add(index.sortKey);
  }
  const AttributeDefinitions: AttributeDefinition[] = [...attributes].map((name) => ({ AttributeName: name, AttributeType: 'S' }));
  const GlobalSecondaryIndexes: GlobalSecondaryIndex[] | undefined = spec.indexes?.map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      ...(index.sortKey ? [{ AttributeName: index.sortKey, KeyType: 'RANGE' as const }] : []),
    ],
    Projection: { ProjectionType: 'ALL' },
  }));
  const client = testDynamoDbClient();
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions,
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, ...(spec.sortKey ? [{ AttributeName: 'sk', KeyType: 'RANGE' as const }] : [])],
        ...(GlobalSecondaryIndexes ? { GlobalSecondaryIndexes } : {}),
      }),
    );
  } finally {
    client.destroy();
  }
  return tableName;
};

/** Every item of a table, for asserting what was (not) written. */
export const scanAll = async (client: DynamoDBDocumentClient, tableName: string): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};
