import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ShopApi } from '../../../lib/constructs/shop-api';
import { InventoryService } from '../../../lib/services/inventory';

/** Synthesizes the service in a stack of its own, without bundling the functions. */
const synth = () => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const api = new ShopApi(stack, 'Api', { alarmTopic: new Topic(stack, 'Alarms') });
  const service = new InventoryService(stack, 'Inventory', { api, version: '1.2.3' });
  return { stack, service, template: Template.fromStack(stack) };
};

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
});
