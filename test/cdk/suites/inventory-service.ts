import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ShopApi } from '../../../lib/constructs/shop-api';
import { ShopBus } from '../../../lib/constructs/shop-bus';
import { LOW_STOCK_UNITS } from '../../../functions/shared/contracts/events';
import { InventoryService, STOCK_CHANGE_FILTERS } from '../../../lib/services/inventory';
import { testEventPattern } from '../../../local/eventbridge/event-pattern';

/** Synthesizes the service in a stack of its own, without bundling the functions. */
const synth = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const alarmTopic = new Topic(stack, 'Alarms');
  const api = new ShopApi(stack, 'Api', { alarmTopic });
  const bus = new ShopBus(stack, 'Events', { alarmTopic });
  const service = new InventoryService(stack, 'Inventory', { api, bus, version: '1.2.3' });
  return { stack, service, template: Template.fromStack(stack) };
};

/** Whether a stream record passes the outbox pipe: filters are alternatives, as Pipes applies them. */
const passes = (record: object): boolean => STOCK_CHANGE_FILTERS.some((filter) => testEventPattern(filter, record));

describe('InventoryService construct', () => {
  const { stack, service, template } = synth();
  const logicalId = (construct: Construct | undefined) => stack.getLogicalId(construct as CfnFunction);
  const tableId = logicalId(service.table.node.defaultChild);
  const propertiesOf = (id: string) => (template.toJSON() as { Resources: Record<string, { Properties: Record<string, unknown> }> }).Resources[id]?.Properties;

  it('owns one table keyed by pk only', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    expect(propertiesOf(tableId)).toMatchObject({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
  });

  it('routes GET and PUT /inventory/{productId} through the JWT authorizer', () => {
    for (const routeKey of ['GET /inventory/{productId}', 'PUT /inventory/{productId}']) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey, AuthorizationType: 'JWT' });
    }
  });

  it.each([
    ['reserveFunction', ['dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['apiFunction', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
    ['releaseFunction', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
  ] as const)('gives %s the table name and the version, and exactly the table actions it calls (%j)', (name, actions) => {
    const fn = service[name];
    expect(propertiesOf(logicalId(fn.node.defaultChild))).toMatchObject({
      Environment: { Variables: { TABLE_NAME: { Ref: tableId }, SHOP_VERSION: '1.2.3', POWERTOOLS_SERVICE_NAME: 'inventory' } },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: logicalId(fn.role?.node.defaultChild) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: [...actions],
            Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('publishes StockChanged through a pipe from the table stream, with a dead-letter queue and a filter, never from a function', () => {
    // Prepare
    const pipe = propertiesOf(logicalId(service.outboxPipe));
    const tableStream = propertiesOf(tableId);

    // Act
    const filters = (pipe?.SourceParameters as { FilterCriteria: { Filters: Array<{ Pattern: string }> } }).FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as unknown);

    // Assess
    expect(tableStream).toMatchObject({ StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' } });
    expect(pipe).toMatchObject({
      Source: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
      Enrichment: { 'Fn::GetAtt': [logicalId(service.enrichmentFunction.node.defaultChild), 'Arn'] },
      SourceParameters: { DynamoDBStreamParameters: { StartingPosition: 'TRIM_HORIZON', MaximumRetryAttempts: 20, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(service.outboxDeadLetterQueue.node.defaultChild as Construct), 'Arn'] } } } },
      TargetParameters: { EventBridgeEventBusParameters: { DetailType: 'StockChanged', Source: 'shop.inventory' } },
    });
    expect(filters).toEqual(JSON.parse(JSON.stringify(STOCK_CHANGE_FILTERS)));
  });

  it('lets only counted writes of stock items through the pipe filters: no reservations, no removals, no legacy writes', () => {
    // Prepare
    const record = (eventName: string, pk: string, image: Record<string, unknown>) => ({
      eventName,
      eventSource: 'aws:dynamodb',
      dynamodb: { Keys: { pk: { S: pk } }, NewImage: { pk: { S: pk }, ...image }, OldImage: { pk: { S: pk }, stock: { N: '5' } } },
    });
    const counted = { stock: { N: '4' }, version: { N: '3' } };

    // Act
    const verdicts = [
      record('INSERT', 'PRODUCT#p-mug', counted),
      record('MODIFY', 'PRODUCT#p-mug', counted),
      record('MODIFY', 'RESERVATION#o-1', { status: { S: 'RELEASED' }, version: { N: '1' } }),
      record('REMOVE', 'PRODUCT#p-mug', counted),
      record('MODIFY', 'PRODUCT#p-mug', { stock: { N: '4' } }),
    ].map(passes);

    // Assess
    expect(verdicts).toEqual([true, true, false, false, false]);
  });

  it('publishes a change only when it is news to the catalog: a new product, or a count at or below the low-stock threshold before or after', () => {
    // Prepare
    const change = (eventName: 'INSERT' | 'MODIFY', from: number | undefined, to: number) => ({
      eventName,
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: { pk: { S: 'PRODUCT#p-mug' } },
        NewImage: { pk: { S: 'PRODUCT#p-mug' }, stock: { N: String(to) }, version: { N: '7' } },
        ...(from === undefined ? {} : { OldImage: { pk: { S: 'PRODUCT#p-mug' }, stock: { N: String(from) }, version: { N: '6' } } }),
      },
    });

    // Act
    const verdicts = {
      'a new product with plenty': passes(change('INSERT', undefined, 500)),
      'an order taking one of many': passes(change('MODIFY', 100, 99)),
      'a stock take from many to more': passes(change('MODIFY', 50, 500)),
      [`an order taking the count to the threshold (${LOW_STOCK_UNITS + 1} → ${LOW_STOCK_UNITS})`]: passes(change('MODIFY', LOW_STOCK_UNITS + 1, LOW_STOCK_UNITS)),
      'an order within low stock': passes(change('MODIFY', 3, 2)),
      'the last unit sold': passes(change('MODIFY', 1, 0)),
      [`a release taking it above the threshold (${LOW_STOCK_UNITS} → ${LOW_STOCK_UNITS + 1})`]: passes(change('MODIFY', LOW_STOCK_UNITS, LOW_STOCK_UNITS + 1)),
      'a restock from none': passes(change('MODIFY', 0, 500)),
      'a count of 100 is not 10 with a suffix': passes(change('MODIFY', 100, 101)),
    };

    // Assess
    expect(verdicts).toEqual({
      'a new product with plenty': true,
      'an order taking one of many': false,
      'a stock take from many to more': false,
      [`an order taking the count to the threshold (${LOW_STOCK_UNITS + 1} → ${LOW_STOCK_UNITS})`]: true,
      'an order within low stock': true,
      'the last unit sold': true,
      [`a release taking it above the threshold (${LOW_STOCK_UNITS} → ${LOW_STOCK_UNITS + 1})`]: true,
      'a restock from none': true,
      'a count of 100 is not 10 with a suffix': false,
    });
  });

  it('gives the pipe role exactly the stream reads, the enrichment, the bus and its dead-letter queue', () => {
    const roleArn = pipeRoleArn();
    const roleId = (roleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values((template.toJSON() as { Resources: Record<string, { Type: string; Properties: { Roles?: Array<{ Ref: string }>; PolicyDocument?: { Statement: Array<{ Action: unknown }> } } }> }).Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles?.some((ref) => ref.Ref === roleId))
      .flatMap((r) => r.Properties.PolicyDocument?.Statement ?? []);
    expect(statements.map((s) => s.Action).flat().sort()).toEqual(
      ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams', 'events:PutEvents', 'lambda:InvokeFunction', 'sqs:SendMessage'].sort(),
    );
  });

  const pipeRoleArn = () => propertiesOf(logicalId(service.outboxPipe))?.RoleArn;
});
