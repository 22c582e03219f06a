import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnResource as CdkCfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CATEGORY_INDEX, LISTING_INDEX } from '../../../functions/catalog/table-layout';
import type { CatalogService } from '../../../lib/services/catalog';
import type { InventoryService } from '../../../lib/services/inventory';
import { referencedIds, resourcesOf, shopApp, shopTemplate } from '../support/template';

const { stacks } = shopApp().shop;
const catalog = stacks.Catalog.node.findChild('Catalog') as CatalogService;
const inventory = stacks.Inventory.node.findChild('Inventory') as InventoryService;
const idOf = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CdkCfnResource);

/** Every statement of the policies attached to a function's role. */
const statementsOf = (fnId: string): Array<{ Action: string | string[]; Resource: unknown }> => {
  const fn = resourcesOf('AWS::Lambda::Function')[fnId];
  const [roleId] = [...referencedIds(fn?.Properties?.Role)];
  return Object.values(resourcesOf('AWS::IAM::Policy'))
    .filter((policy) => referencedIds(policy.Properties?.Roles).has(roleId))
    .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement);
};

const dynamoStatements = (fnId: string) => statementsOf(fnId).filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));

describe('catalog in the shop stack', () => {
  const tableId = idOf(catalog.table);
  const tableArn = { 'Fn::GetAtt': [tableId, 'Arn'] };
  const indexArn = (index: string) => ({ 'Fn::Join': ['', [tableArn, `/index/${index}`]] });

  it('lists through two sparse indexes sorted by id: every product, and one category', () => {
    expect(resourcesOf('AWS::DynamoDB::GlobalTable')[tableId]?.Properties).toMatchObject({
      GlobalSecondaryIndexes: [
        { IndexName: LISTING_INDEX, KeySchema: [{ AttributeName: 'listing', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
        { IndexName: CATEGORY_INDEX, KeySchema: [{ AttributeName: 'category', KeyType: 'HASH' }, { AttributeName: 'id', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      ],
    });
  });

  it('gives each catalog function exactly the table calls it makes', () => {
    const api = Object.keys(resourcesOf('AWS::Lambda::Function')).find((id) => id.startsWith('CatalogApi')) ?? 'missing';

    expect(dynamoStatements(api)).toEqual([
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: tableArn }),
      // Either order: IAM policy minimization (a recommended feature flag) sorts resources.
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: expect.arrayContaining([indexArn(LISTING_INDEX), indexArn(CATEGORY_INDEX)]) }),
    ]);
    expect(dynamoStatements(idOf(catalog.pricesFunction))).toEqual([expect.objectContaining({ Action: 'dynamodb:BatchGetItem', Resource: tableArn })]);
    expect(dynamoStatements(idOf(catalog.availabilityConsumer))).toEqual([expect.objectContaining({ Action: 'dynamodb:UpdateItem', Resource: tableArn })]);
  });

  it('feeds StockChanged from inventory to the availability consumer through a queue with a dead-letter queue', () => {
    const queueId = idOf(catalog.availabilityQueue.queue);
    shopTemplate().hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shop.inventory'], 'detail-type': ['StockChanged'] },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: Match.anyValue() })],
    });
    shopTemplate().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: idOf(catalog.availabilityConsumer) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(resourcesOf('AWS::SQS::Queue')[queueId]?.Properties).toMatchObject({
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [idOf(catalog.availabilityQueue.deadLetterQueue), 'Arn'] }, maxReceiveCount: 30 },
    });
  });

  it('never lets catalog touch the inventory table, nor inventory the catalog table', () => {
    const catalogFunctions = Object.keys(resourcesOf('AWS::Lambda::Function')).filter((id) => id.startsWith('Catalog'));
    const inventoryFunctions = Object.keys(resourcesOf('AWS::Lambda::Function')).filter((id) => id.startsWith('Inventory'));

    const reaches = (fnIds: string[], table: string) => fnIds.filter((fn) => statementsOf(fn).some((s) => referencedIds(s.Resource).has(table)));

    expect(catalogFunctions.length).toBeGreaterThanOrEqual(3);
    expect(reaches(catalogFunctions, idOf(inventory.table))).toEqual([]);
    expect(reaches(inventoryFunctions, tableId)).toEqual([]);
  });
});
