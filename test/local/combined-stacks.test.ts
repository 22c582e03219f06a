import type { AssemblyStack, Template } from '../../local/assembly/cloud-assembly';
import { combineStacks, deploymentOrder } from '../../local/assembly/combined-stacks';

/*
 * The local cloud runs an assembly of several stacks as deploying them all
 * leaves an account: side by side, each cross-stack reference resolved to
 * what it names, refusing what CloudFormation or API Gateway would refuse
 * when the stacks deploy one by one.
 */

const stack = (name: string, template: Template, dependencies: string[] = []): AssemblyStack => ({ name, template, dependencies, assetPath: (id) => `/assets/${name}/${id}` });

const shared = stack('Shop-Shared', {
  Resources: { Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'shop' } }, HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'api', ProtocolType: 'HTTP' } } },
  Outputs: {
    PublishOutputBusArn: { Value: { 'Fn::GetAtt': ['Bus', 'Arn'] } },
    PublishOutputApi: { Value: { Ref: 'HttpApi' } },
    ApiUrl: { Value: { 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] } },
  },
});

const weak = (stackName: string, outputName: string) => ({ 'Fn::GetStackOutput': { StackName: stackName, OutputName: outputName, Region: 'eu-west-1' } });

const orders = (dependencies = ['Shop-Shared'], extra: Template['Resources'] = {}) =>
  stack(
    'Shop-Orders',
    {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { BUS: weak('Shop-Shared', 'PublishOutputBusArn'), STACK: { Ref: 'AWS::StackName' } } } } },
        Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: weak('Shop-Shared', 'PublishOutputApi'), RouteKey: 'POST /orders' } },
        ...extra,
      },
      Outputs: { PublishOutputFn: { Value: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
    },
    dependencies,
  );

const stage = (name: string, dependencies: string[]) =>
  stack(
    name,
    {
      Resources: {
        Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: weak('Shop-Shared', 'PublishOutputApi'), StageName: '$default', RouteSettings: { 'POST /orders': { ThrottlingRateLimit: 1 } } } },
      },
    },
    dependencies,
  );

describe('combining the stacks of an assembly', () => {
  it('resolves each weak reference to what the producing stack outputs, and names each stack in its own AWS::StackName', () => {
    // Act
    const combined = combineStacks([orders(), shared]);

    // Assess: one template, the references now local to it, each resource's assets still found in its stack
    expect(combined.name).toBe('Shop');
    expect(Object.keys(combined.template.Resources).sort()).toEqual(['Bus', 'Fn', 'HttpApi', 'Route']);
    expect(combined.template.Resources.Fn?.Properties).toEqual({ Environment: { Variables: { BUS: { 'Fn::GetAtt': ['Bus', 'Arn'] }, STACK: 'Shop-Orders' } } });
    expect(combined.template.Resources.Route?.Properties?.ApiId).toEqual({ Ref: 'HttpApi' });
    expect(combined.template.Outputs?.ApiUrl?.Value).toEqual({ 'Fn::GetAtt': ['HttpApi', 'ApiEndpoint'] });
    expect([combined.assetPath('Fn'), combined.assetPath('Bus'), combined.assetPath('Nothing')]).toEqual(['/assets/Shop-Orders/Fn', '/assets/Shop-Shared/Bus', undefined]);
  });

  it('resolves strong references (Fn::ImportValue of an export), as an app without the weak-reference flag makes them', () => {
    const exporting = stack('Shop-Shared', { Resources: { Bus: { Type: 'AWS::Events::EventBus' } }, Outputs: { BusArnExport: { Value: { 'Fn::GetAtt': ['Bus', 'Arn'] }, Export: { Name: 'Shop-Shared:BusArn' } } } });
    const importing = stack('Shop-Orders', { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::ImportValue': 'Shop-Shared:BusArn' } } } } }, ['Shop-Shared']);

    expect(combineStacks([exporting, importing]).template.Resources.Fn?.Properties?.Role).toEqual({ 'Fn::GetAtt': ['Bus', 'Arn'] });
    expect(() => combineStacks([exporting, stack('Shop-Orders', importing.template, [])])).toThrow(/No export named Shop-Shared:BusArn found/);
  });

  it('refuses a reference to a stack the consumer does not depend on: deployed alone, it would find no output', () => {
    expect(() => combineStacks([shared, orders([])])).toThrow(/Shop-Orders does not depend on Shop-Shared/);
  });

  it('refuses a reference to an output or a stack that does not exist, naming the resource', () => {
    const missing = orders(['Shop-Shared'], { Queue: { Type: 'AWS::SQS::Queue', Properties: { Tags: [{ Key: 'k', Value: weak('Shop-Shared', 'PublishOutputGone') }] } } });
    expect(() => combineStacks([shared, missing])).toThrow(/Resources\.Queue\.Properties\.Tags\[0\]\.Value: Fn::GetStackOutput of Shop-Shared\.PublishOutputGone: Shop-Shared has no output/);
    expect(() => combineStacks([orders([])])).toThrow(/there is no stack Shop-Shared in the assembly/);
    expect(() => combineStacks([shared, orders(['Shop-Shared', 'Shop-Elsewhere'])])).toThrow(/depends on Shop-Elsewhere, which is not in the assembly/);
  });

  it('refuses a reference into another account (a role to assume)', () => {
    const crossAccount = stack('Shop-Orders', { Resources: { Fn: { Type: 'AWS::Lambda::Function', Properties: { X: { 'Fn::GetStackOutput': { StackName: 'Shop-Shared', OutputName: 'PublishOutputApi', RoleArn: 'arn:aws:iam::1:role/r' } } } } } }, ['Shop-Shared']);
    expect(() => combineStacks([shared, crossAccount])).toThrow(/another account/);
  });

  it('refuses a logical id two stacks share: the local cloud names resources by it', () => {
    const clash = stack('Shop-Catalog', { Resources: { Bus: { Type: 'AWS::SQS::Queue' } } }, ['Shop-Shared']);
    expect(() => combineStacks([shared, clash])).toThrow(/Logical id Bus is in two stacks, Shop-Shared and Shop-Catalog/);
  });

  it('refuses a stage throttling a route that no stack deployed before it, or with it, has', () => {
    // A stage in a stack that does not wait for the route's stack: API Gateway refuses its route settings.
    expect(() => combineStacks([shared, orders(), stage('Shop-Ops', ['Shop-Shared'])])).toThrow(/stage Stage throttles 'POST \/orders', but no route with that key is in Shop-Ops or a stack it depends on/);
    // Deployed after the route's stack: accepted.
    expect(Object.keys(combineStacks([shared, orders(), stage('Shop-Ops', ['Shop-Shared', 'Shop-Orders'])]).template.Resources)).toContain('Stage');
  });

  it('orders the stacks as a deployment of them all would, and refuses a cycle', () => {
    const names = (stacks: Array<Pick<AssemblyStack, 'name' | 'dependencies'>>) => deploymentOrder(stacks).map((s) => s.name);
    expect(names([{ name: 'Ops', dependencies: ['Orders', 'Shared'] }, { name: 'Orders', dependencies: ['Shared'] }, { name: 'Shared', dependencies: [] }])).toEqual(['Shared', 'Orders', 'Ops']);
    expect(() => names([{ name: 'A', dependencies: ['B'] }, { name: 'B', dependencies: ['A'] }])).toThrow(/cycle: A → B → A/);
  });

  it('takes an assembly of one stack as it is, and refuses one of none', () => {
    const only = stack('Shop', { Resources: { Bus: { Type: 'AWS::Events::EventBus' } }, Outputs: { BusName: { Value: { Ref: 'Bus' } } } });
    expect(combineStacks([only])).toMatchObject({ name: 'Shop', template: only.template });
    expect(() => combineStacks([])).toThrow(/no stack/);
  });
});
