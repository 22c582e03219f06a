import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { dynamoDbAuthorizations, UnauthorizableCallError } from '../../local/dynamodb/dynamodb-actions';
import { DynamoDbProxy } from '../../local/dynamodb/dynamodb-proxy';
import { EventBridgeEmulator } from '../../local/eventbridge/event-bus';
import { LocalIam } from '../../local/iam/local-iam';
import { roleSession } from '../../local/iam/principals';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { createTestTable } from '../support/dynamodb';
import { busArn, failureOf, resource } from '../support/local-resources';
import { ownedDocumentClient } from '../../local/support/document-client';

const ACCOUNT = '000000000000';
const tableArn = (name: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;

describe('what IAM authorizes for a DynamoDB call', () => {
  const noKeys = () => undefined;
  const noIterator = () => undefined;

  it('authorizes each item of a transaction with its own action, on its own table', () => {
    // Act
    const authorizations = dynamoDbAuthorizations(
      'DynamoDB_20120810.TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'Stock', Item: { pk: { S: 'R#1' } } } },
          { Update: { TableName: 'Stock', Key: { pk: { S: 'P#1' } } } },
          { ConditionCheck: { TableName: 'Orders', Key: { pk: { S: 'O#1' } } } },
        ],
      },
      (table) => (table === 'Stock' ? 'pk' : undefined),
      noIterator,
    );

    // Assess
    expect(authorizations.map((a) => `${a.action} ${a.resource}`)).toEqual([
      `dynamodb:PutItem ${tableArn('Stock')}`,
      `dynamodb:UpdateItem ${tableArn('Stock')}`,
      `dynamodb:ConditionCheckItem ${tableArn('Orders')}`,
    ]);
    expect(authorizations[0]?.context).toEqual({ 'dynamodb:LeadingKeys': ['R#1'], 'dynamodb:EnclosingOperation': 'TransactWriteItems' });
  });

  it('authorizes a query of an index on the index, not the table', () => {
    // Act
    const [query] = dynamoDbAuthorizations('DynamoDB_20120810.Query', { TableName: 'Orders', IndexName: 'byUser', Select: 'COUNT' }, noKeys, noIterator);

    // Assess
    expect(query).toEqual({ action: 'dynamodb:Query', resource: `${tableArn('Orders')}/index/byUser`, context: { 'dynamodb:Select': 'COUNT' } });
  });

  it('authorizes stream reads on the stream, as the template names it', () => {
    // Act
    const [describe] = dynamoDbAuthorizations('DynamoDBStreams_20120810.DescribeStream', { StreamArn: `arn:aws:dynamodb:ddblocal:${ACCOUNT}:table/Orders/stream/2026-12-04T00:00:00.000` }, noKeys, noIterator);
    const [records] = dynamoDbAuthorizations('DynamoDBStreams_20120810.GetRecords', { ShardIterator: 'it-1' }, noKeys, () => `arn:aws:dynamodb:ddblocal:${ACCOUNT}:table/Orders/stream/x`);

    // Assess
    expect(describe?.resource).toBe(`${tableArn('Orders')}/stream/local`);
    expect(records).toMatchObject({ action: 'dynamodb:GetRecords', resource: `${tableArn('Orders')}/stream/local` });
  });

  it('refuses PartiQL, which it cannot authorize statement by statement', () => {
    // Act
    const error = failureOf(() => dynamoDbAuthorizations('DynamoDB_20120810.ExecuteStatement', { Statement: 'SELECT * FROM "Orders"' }, noKeys, noIterator));

    // Assess
    expect(error).toBeInstanceOf(UnauthorizableCallError);
  });
});

describe('IAM on the local endpoints, as a function signing with its own credentials sees it', () => {
  let tableName: string;
  let iam: LocalIam;
  let proxy: DynamoDbProxy;
  let proxyUrl: string;
  let endpoint: AwsEndpoint;
  let endpointUrl: string;
  let eventBus: EventBridgeEmulator;
  const clients: Array<{ destroy(): void }> = [];

  beforeAll(async () => {
    tableName = await createTestTable();
    const resources: LocalResource[] = [
      resource('FnRole', 'AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } }, `arn:aws:iam::${ACCOUNT}:role/FnRole`),
      resource('FnPolicy', 'AWS::IAM::Policy', {
        PolicyName: 'FnPolicy',
        Roles: ['FnRole'],
        PolicyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tableArn(tableName) },
            { Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn('shop') },
          ],
        },
      }),
      resource('Shop', 'AWS::Events::EventBus', { Name: 'shop' }, busArn('shop')),
    ];
    iam = LocalIam.create(resources);
    const gate = { principalOf: (authorization: string | readonly string[] | undefined) => iam.credentials.principalOf(authorization), check: iam.check.bind(iam) };
    proxy = new DynamoDbProxy({ target: async () => process.env.SHOP_TEST_DYNAMODB_ENDPOINT ?? '', iam: gate, hashKeyOf: () => 'pk' });
    proxyUrl = await proxy.listen();
    eventBus = EventBridgeEmulator.create(resources.filter((r) => r.type.startsWith('AWS::Events::')), {
      queues: SqsQueues.create([]),
      invokeAsync: async () => undefined,
      startExecution: async () => undefined,
    });
    endpoint = new AwsEndpoint();
    eventBus.registerOn(endpoint);
    endpoint.useIam(gate);
    endpointUrl = await endpoint.listen();
  });

  afterAll(async () => {
    clients.forEach((client) => client.destroy());
    eventBus.close();
    await proxy.close();
    await endpoint.close();
  });

  const credentialsOfTheFunction = () => iam.credentialsFor(roleSession(iam.model.role('FnRole') ?? fail(), 'Fn', 'function'));
  const fail = (): never => {
    throw new Error('no role');
  };
  const documentClient = (credentials = credentialsOfTheFunction()) => {
    const client = ownedDocumentClient(new DynamoDBClient({ endpoint: proxyUrl, region: 'us-east-1', credentials }));
    clients.push(client);
    return client;
  };

  it('forwards what the role allows to DynamoDB Local and answers as DynamoDB does', async () => {
    // Prepare
    const client = documentClient();

    // Act
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'a', n: 1 } }));
    const read = await client.send(new GetCommand({ TableName: tableName, Key: { pk: 'a' } }));

    // Assess
    expect(read.Item).toEqual({ pk: 'a', n: 1 });
  });

  it('denies what the role does not allow with AccessDeniedException, before it reaches the table', async () => {
    // Prepare
    const client = documentClient();

    // Act
    const query = client.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :a', ExpressionAttributeValues: { ':a': 'a' } }));
    const transaction = client.send(new TransactWriteCommand({ TransactItems: [{ Put: { TableName: tableName, Item: { pk: 'b' } } }, { Delete: { TableName: tableName, Key: { pk: 'a' } } }] }));

    // Assess
    await expect(query).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/FnRole/Fn is not authorized to perform: dynamodb:Query on resource: ${tableArn(tableName)} because no identity-based policy allows the dynamodb:Query action`,
    });
    await expect(transaction).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringContaining('dynamodb:DeleteItem') });
    expect((await documentClient().send(new GetCommand({ TableName: tableName, Key: { pk: 'b' } }))).Item).toBeUndefined();
  });

  it("answers DynamoDB's ARNs, not DynamoDB Local's, to the administrator (other credentials)", async () => {
    // Prepare
    const client = new DynamoDBClient({ endpoint: proxyUrl, region: 'us-east-1', credentials: { accessKeyId: 'developer', secretAccessKey: 'x' } });
    clients.push(client);

    // Act
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));

    // Assess
    expect(described.Table?.TableArn).toBe(tableArn(tableName));
  });

  it('authorizes PutEvents on the AWS endpoint by the signer: the bus it may use, and no other', async () => {
    // Prepare
    const client = new EventBridgeClient({ endpoint: endpointUrl, region: 'us-east-1', credentials: credentialsOfTheFunction() });
    clients.push(client);
    const put = (bus: string) => client.send(new PutEventsCommand({ Entries: [{ EventBusName: bus, Source: 'test', DetailType: 'Tested', Detail: '{}' }] }));

    // Act
    const allowed = await put('shop');
    const denied = put('default');

    // Assess
    expect(allowed.FailedEntryCount).toBe(0);
    await expect(denied).rejects.toMatchObject({ name: 'AccessDeniedException', message: expect.stringMatching(/not authorized to perform: events:PutEvents on resource: arn:aws:events:us-east-1:000000000000:event-bus\/default/) });
  });
});
