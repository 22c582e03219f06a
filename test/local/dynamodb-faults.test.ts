import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, TransactWriteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbFaultPlan, type InjectedDynamoDbFault } from '../../local/dynamodb/dynamodb-faults';
import { DynamoDbProxy } from '../../local/dynamodb/dynamodb-proxy';
import type { DynamoDbFaults } from '../../local/faults';
import { seededRandom } from '../../local/support/random';
import { createTestTable } from '../support/dynamodb';
import { ownedDocumentClient } from '../../local/support/document-client';

/*
 * The DynamoDB faults DynamoDB Local never produces, injected by the proxy in
 * front of it, as the SDK (and so the shop's code) receives them.
 */

describe('DynamoDB faults at the proxy', () => {
  let tableName: string;
  let faults: DynamoDbFaults | undefined;
  let clock = 1_000_000;
  const injected: InjectedDynamoDbFault[] = [];
  let proxy: DynamoDbProxy;
  let proxyUrl: string;
  let client: DynamoDBDocumentClient;

  beforeAll(async () => {
    tableName = await createTestTable({ indexes: [{ name: 'byUser', partitionKey: 'user', sortKey: 'at' }] });
    const plan = new DynamoDbFaultPlan({
      faults: () => faults,
      random: seededRandom(7, 'dynamodb'),
      keyOf: () => ['pk'],
      onFault: (fault) => injected.push(fault),
      now: () => clock,
    });
    proxy = new DynamoDbProxy({
      target: async () => process.env.SHOP_TEST_DYNAMODB_ENDPOINT ?? '',
      intercept: (call) => plan.intercept(call),
      transform: (call, output) => plan.transform(call, output),
    });
    proxyUrl = await proxy.listen();
    client = ownedDocumentClient(new DynamoDBClient({ endpoint: proxyUrl, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }));
  });

  afterEach(() => {
    faults = undefined;
    injected.length = 0;
  });

  afterAll(async () => {
    client.destroy();
    await proxy.close();
  });

  it('cancels a transaction with TransactionConflict on one item and writes nothing', async () => {
    // Prepare
    faults = { transactionConflictRate: 1 };

    // Act
    const transaction = client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: tableName, Item: { pk: 'tx-1' } } },
          { Put: { TableName: tableName, Item: { pk: 'tx-2' } } },
        ],
      }),
    );

    // Assess
    const error = (await transaction.then(() => undefined, (e: unknown) => e)) as { name?: string; CancellationReasons?: Array<{ Code?: string }> };
    expect(error.name).toBe('TransactionCanceledException');
    expect(error.CancellationReasons?.map((reason) => reason.Code).sort()).toEqual(['None', 'TransactionConflict']);
    faults = undefined;
    expect((await client.send(new GetCommand({ TableName: tableName, Key: { pk: 'tx-1' } }))).Item).toBeUndefined();
    expect(injected).toEqual([expect.objectContaining({ kind: 'transaction-conflict', operation: 'TransactWriteItems', table: tableName })]);
  });

  it('throttles a call as an on-demand table does, and the SDK retries it as it retries DynamoDB', async () => {
    // Prepare
    faults = { throttleRate: 1 };
    const retrying = ownedDocumentClient(new DynamoDBClient({ endpoint: proxyUrl, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 3 }));

    // Act
    const put = retrying.send(new PutCommand({ TableName: tableName, Item: { pk: 'th-1' } }));

    // Assess
    await expect(put).rejects.toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      ThrottlingReasons: [{ reason: 'TableWriteKeyRangeThroughputExceeded', resource: expect.stringMatching(new RegExp(`table/${tableName}$`)) }],
    });
    expect(injected.map((fault) => fault.kind)).toEqual(['throttling', 'throttling', 'throttling']);
    retrying.destroy();
  });

  it('lets an index read miss items written within the lag, and shows them once the lag has passed', async () => {
    // Prepare
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'o-old', user: 'u1', at: '1' } }));
    clock += 5_000;
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'o-new', user: 'u1', at: '2' } }));
    faults = { indexLagRate: 1, indexLagMs: 1_000 };
    const query = () => client.send(new QueryCommand({ TableName: tableName, IndexName: 'byUser', KeyConditionExpression: '#u = :u', ExpressionAttributeNames: { '#u': 'user' }, ExpressionAttributeValues: { ':u': 'u1' } }));

    // Act
    const lagging = await query();
    clock += 1_500;
    const caughtUp = await query();

    // Assess
    expect(lagging.Items?.map((item) => item.pk)).toEqual(['o-old']);
    expect(lagging.Count).toBe(1);
    expect(caughtUp.Items?.map((item) => item.pk)).toEqual(['o-old', 'o-new']);
    expect(injected[0]).toMatchObject({ kind: 'index-lag', hidden: 1 });
  });
});
