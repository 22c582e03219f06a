import { App } from 'aws-cdk-lib';
import type { CloudFormationStackArtifact } from 'aws-cdk-lib/cx-api';
import { applyStage, shopStackPrefix } from '../../../lib/config/stage';
import { SHOP_STACK_PARTS, ShopStacks } from '../../../lib/shop-stacks';
import { testAppContext } from '../../support/cdk-context';
import { combinedTemplate, serviceOf, TEST_ENV, type CfnResource } from '../support/template';

/*
 * `cdk synth -c stage=prod`: one stack per service, a shared one (API,
 * users, bus, alarm topic) and an operations one (the API's stage, health
 * checks, dashboard), tied only by weak references so that each service
 * deploys on its own and no export blocks an update.
 */

const app = new App({ context: testAppContext({ stage: 'prod', 'aws:cdk:enable-path-metadata': true }) });
const stage = applyStage(app);
new ShopStacks(app, shopStackPrefix(stage), { stage, version: 'v1.2.3', env: TEST_ENV });
const assembly = app.synth();
const byPart = new Map(SHOP_STACK_PARTS.map((part) => [part, assembly.getStackByName(`ServerlessShop-prod-${part}`)]));
const stackOf = (part: (typeof SHOP_STACK_PARTS)[number]): CloudFormationStackArtifact => byPart.get(part) as CloudFormationStackArtifact;
const resourcesOf = (artifact: CloudFormationStackArtifact): Record<string, CfnResource> => (artifact.template as { Resources: Record<string, CfnResource> }).Resources;
const dependenciesOf = (part: (typeof SHOP_STACK_PARTS)[number]): string[] => stackOf(part).dependencies.map((d) => d.id).filter((id) => !id.endsWith('.assets')).sort();

describe('the stacks of a stage', () => {
  it('are one per service plus the shared and operations ones, named after the stage and tagged', () => {
    expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(SHOP_STACK_PARTS.map((part) => `ServerlessShop-prod-${part}`).sort());
    for (const artifact of assembly.stacks) {
      expect(artifact.tags).toEqual({ app: 'serverless-shop', stage: 'prod', version: 'v1.2.3' });
    }
  });

  it('put each service in its own stack: its tables, functions and workflows', () => {
    const home: Record<string, string> = {
      Catalog: 'Catalog',
      Inventory: 'Inventory',
      Payments: 'Payments',
      Shipping: 'Shipping',
      Orders: 'Orders',
      OrderSaga: 'Orders',
      OrderCancellation: 'Orders',
      Health: 'Ops',
      Dashboard: 'Ops',
    };
    const misplaced = assembly.stacks.flatMap((artifact) =>
      Object.entries(resourcesOf(artifact))
        .filter(([, r]) => ['AWS::DynamoDB::GlobalTable', 'AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine', 'AWS::CloudWatch::Dashboard'].includes(r.Type))
        .filter(([, r]) => `ServerlessShop-prod-${home[serviceOf(r)] ?? '?'}` !== artifact.stackName)
        .map(([id]) => `${id} in ${artifact.stackName}`),
    );
    expect(misplaced).toEqual([]);
    expect(Object.values(resourcesOf(stackOf('Ops'))).filter((r) => r.Type === 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
  });

  it('let each service deploy on its own: a service depends only on the shared stack, the orders one on the services it calls', () => {
    const shared = ['ServerlessShop-prod-Shared'];
    expect(dependenciesOf('Shared')).toEqual([]);
    for (const part of ['Catalog', 'Inventory', 'Shipping'] as const) expect(dependenciesOf(part)).toEqual(shared);
    // Payments answers the saga and the orders service; it reads nothing of the shared stack.
    expect(dependenciesOf('Payments')).toEqual([]);
    expect(dependenciesOf('Orders')).toEqual(['Catalog', 'Inventory', 'Payments', 'Shared', 'Shipping'].map((part) => `ServerlessShop-prod-${part}`));
    expect(dependenciesOf('Ops')).toEqual(SHOP_STACK_PARTS.filter((part) => part !== 'Ops').map((part) => `ServerlessShop-prod-${part}`).sort());
  });

  it('reference each other weakly (Fn::GetStackOutput): no export, so no stack blocks another\'s update', () => {
    for (const artifact of assembly.stacks) {
      const text = JSON.stringify(artifact.template);
      expect(text).not.toContain('Fn::ImportValue');
      expect(Object.values((artifact.template as { Outputs?: Record<string, { Export?: unknown }> }).Outputs ?? {}).filter((output) => output.Export !== undefined)).toEqual([]);
    }
    expect(JSON.stringify(stackOf('Orders').template)).toContain('"Fn::GetStackOutput":{"StackName":"ServerlessShop-prod-Shared"');
  });

  it('open the API only after every route: its stage, with the route throttles, lives in the operations stack', () => {
    const stages = assembly.stacks.flatMap((artifact) => Object.values(resourcesOf(artifact)).filter((r) => r.Type === 'AWS::ApiGatewayV2::Stage').map(() => artifact.stackName));
    expect(stages).toEqual(['ServerlessShop-prod-Ops']);
    // Routes stay with their services, so a service's deploy changes its routes (the stage deploys them automatically).
    const routesIn = (part: (typeof SHOP_STACK_PARTS)[number]) => Object.values(resourcesOf(stackOf(part))).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route').length;
    expect(routesIn('Shared')).toBe(0);
    expect(routesIn('Orders')).toBeGreaterThan(0);
  });

  it('run together as the local cloud combines them: every reference resolves within the stacks each one depends on', () => {
    const resources = combinedTemplate(app).toJSON() as { Resources: Record<string, unknown> };
    expect(Object.keys(resources.Resources).length).toBe(assembly.stacks.reduce((n, s) => n + Object.keys(resourcesOf(s)).filter((id) => id !== 'CDKMetadata').length, 0));
    expect(JSON.stringify(resources)).not.toContain('Fn::GetStackOutput');
  });
});
