import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { PaymentsService, type PaymentsServiceProps } from '../../../lib/services/payments';

/** Synthesizes the service in a stack of its own, without bundling the functions. */
const synth = (props?: PaymentsServiceProps) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test');
  const service = new PaymentsService(stack, 'Payments', props);
  const template = Template.fromStack(stack);
  const logicalId = (construct: Construct | undefined) => stack.getLogicalId(construct as CfnFunction);
  const resources = (template.toJSON() as { Resources: Record<string, { Properties: Record<string, unknown> }> }).Resources;
  const propertiesOf = (construct: Construct | undefined) => resources[logicalId(construct)]?.Properties;
  const policyOf = (fn: PaymentsService['chargeFunction']) =>
    Object.values(resources).find((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: logicalId(fn.role?.node.defaultChild) }]))
      ?.Properties as { PolicyDocument: { Statement: Array<{ Action: string | string[] }> } } | undefined;
  return { service, template, logicalId, propertiesOf, policyOf };
};

const actionsOf = (policy: ReturnType<ReturnType<typeof synth>['policyOf']>) =>
  (policy?.PolicyDocument.Statement ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

describe('PaymentsService construct', () => {
  const { service, template, logicalId, propertiesOf, policyOf } = synth({ version: '1.2.3' });
  const tableRef = { Ref: logicalId(service.table.node.defaultChild) };

  it('owns one table keyed by pk only', () => {
    template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
    expect(propertiesOf(service.table.node.defaultChild)).toMatchObject({ KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] });
  });

  it.each([
    ['chargeFunction', ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']],
    ['refundFunction', ['dynamodb:GetItem', 'dynamodb:UpdateItem']],
  ] as const)('gives %s 15 s, the table and the 2 s provider timeout, and exactly the table actions it calls (%j)', (name, actions) => {
    const fn = service[name];
    expect(propertiesOf(fn.node.defaultChild)).toMatchObject({
      Timeout: 15,
      Environment: { Variables: { TABLE_NAME: tableRef, PROVIDER_TIMEOUT_MS: '2000', SHOP_VERSION: '1.2.3', POWERTOOLS_SERVICE_NAME: 'payments' } },
    });
    expect(actionsOf(policyOf(fn)).filter((action) => action.startsWith('dynamodb:'))).toEqual([...actions]);
  });

  it('gives the lookup read-only access and no provider settings', () => {
    const fn = service.getPaymentFunction;
    const variables = (propertiesOf(fn.node.defaultChild) as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
    expect(variables).toMatchObject({ TABLE_NAME: tableRef });
    expect(variables).not.toHaveProperty('PROVIDER_TIMEOUT_MS');
    const actions = actionsOf(policyOf(fn));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem']));
    expect(actions.filter((a) => /^dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
  });

  it('passes an overridden provider timeout to the functions', () => {
    const custom = synth({ providerTimeout: Duration.millis(750) });
    custom.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ PROVIDER_TIMEOUT_MS: '750' }) },
    });
  });

  it('rejects at synth time a provider timeout that leaves the function no time to record the outcome', () => {
    expect(() => synth({ providerTimeout: Duration.seconds(10) })).toThrow(/providerTimeout must be between/);
  });

  it.each(['chargeFunction', 'refundFunction'] as const)('gives %s the shared breaker of the provider: 5 failures, open 30 s, state trusted 1 s', (name) => {
    expect(propertiesOf(service[name].node.defaultChild)).toMatchObject({
      Environment: { Variables: { PROVIDER_BREAKER_FAILURES: '5', PROVIDER_BREAKER_OPEN_MS: '30000', PROVIDER_BREAKER_CACHE_MS: '1000' } },
    });
  });

  it('passes an overridden breaker to both provider functions', () => {
    // Act
    const custom = synth({ providerBreaker: { failureThreshold: 3, openFor: Duration.seconds(4), cacheFor: Duration.millis(250) } });

    // Assess
    for (const fn of [custom.service.chargeFunction, custom.service.refundFunction]) {
      expect(custom.propertiesOf(fn.node.defaultChild)).toMatchObject({
        Environment: { Variables: { PROVIDER_BREAKER_FAILURES: '3', PROVIDER_BREAKER_OPEN_MS: '4000', PROVIDER_BREAKER_CACHE_MS: '250' } },
      });
    }
  });

  it('rejects at synth time a breaker that could not work, naming each setting', () => {
    expect(() => synth({ providerBreaker: { failureThreshold: 0 } })).toThrow(/providerBreaker: failureThreshold must be an integer/);
    expect(() => synth({ providerBreaker: { openFor: Duration.seconds(2), cacheFor: Duration.seconds(3) } })).toThrow(/cacheFor must be at most openFor/);
    expect(() => synth({ providerBreaker: { openFor: Duration.hours(2) } })).toThrow(/openFor must be at most 1 hour/);
  });
});
