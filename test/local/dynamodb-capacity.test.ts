import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbProxy, type ConsumedCapacityEntry } from '../../local/dynamodb/dynamodb-proxy';
import { createTestTable } from '../support/dynamodb';
import { ownedDocumentClient } from '../../local/support/document-client';

/*
 * What the proxy in front of DynamoDB Local reports to the cost meter: the
 * capacity a call consumed, as DynamoDB would bill it. DynamoDB Local
 * reports a transaction as two units per table whatever it writes; DynamoDB
 * bills two per item written.
 */

describe('consumed capacity through the DynamoDB proxy', () => {
  let tableName: string;
  let other: string;
  let proxy: DynamoDbProxy;
  let client: DynamoDBDocumentClient;
  const metered: Array<{ kind: 'read' | 'write'; consumed: readonly ConsumedCapacityEntry[] }> = [];
  /** The tables each successful write named, as the stream poller is told. */
  const written: string[][] = [];

  beforeAll(async () => {
    tableName = await createTestTable();
    other = await createTestTable();
    proxy = new DynamoDbProxy({
      target: async () => process.env.SHOP_TEST_DYNAMODB_ENDPOINT ?? '',
      onConsumedCapacity: (kind, consumed) => metered.push({ kind, consumed }),
      onWritten: (tables) => written.push([...tables]),
    });
    client = ownedDocumentClient(new DynamoDBClient({ endpoint: await proxy.listen(), region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }));
  });

  afterEach(() => {
    metered.length = 0;
    written.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  const writeUnits = (table: string): number =>
    metered.filter((m) => m.kind === 'write').flatMap((m) => m.consumed).filter((c) => c.TableName === table).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);

  it('bills a transaction two write units per small item written, per table', async () => {
    // Act
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'stock', units: 5 } }));
    metered.length = 0;
    await client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: 'reservation-1' } } },
          { Update: { TableName: tableName, Key: { pk: 'stock' }, UpdateExpression: 'SET units = units - :one', ExpressionAttributeValues: { ':one': 1 } } },
          { Put: { TableName: other, Item: { pk: 'audit-1' } } },
        ],
      }),
    );

    // Assess: billed per table, and each table's stream poller told once
    expect([writeUnits(tableName), writeUnits(other)]).toEqual([4, 2]);
    expect(written).toEqual([[tableName], [tableName, other]]);
  });

  it('tells of no write for a read or a refused write', async () => {
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'kept' } }));
    written.length = 0;
    await expect(client.send(new PutCommand({ TableName: tableName, Item: { pk: 'kept' }, ConditionExpression: 'attribute_not_exists(pk)' }))).rejects.toThrow(/conditional/i);
    await client.send(new TransactWriteCommand({ TransactItems: [{ ConditionCheck: { TableName: tableName, Key: { pk: 'kept' }, ConditionExpression: 'attribute_exists(pk)' } }] }));
    expect(written).toEqual([]);
  });

  it('bills a plain write what DynamoDB Local reports, and hides the capacity from a caller that did not ask for it', async () => {
    const answer = await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'plain' } }));
    expect(writeUnits(tableName)).toBe(1);
    expect(answer.ConsumedCapacity).toBeUndefined();
  });
});
