/**
 * AWS::XRay::SamplingRule in the template: accepted (not enforced: no X-Ray
 * daemon runs), checked as CloudFormation and X-Ray check a rule they
 * create, and matched to traced state machines' executions as X-Ray matches
 * rules.
 */
import type { Template } from '../../local/assembly/cloud-assembly';
import { UnsupportedFeatureError } from '../../local/errors';
import { buildTemplateModel } from '../../local/template-model';
import { DEFAULT_SAMPLING_RULE, InvalidSamplingRuleError, samplingRuleFor, samplingRulesOf, wildcardMatch } from '../../local/xray/sampling-rules';
import { failureOf, stateMachineArn } from '../support/local-resources';
import { samplingRule, samplingRuleProperties } from '../fixtures/sampling-rules';

const RULE = samplingRuleProperties({ RuleName: 'OrderSaga', Priority: 100, ReservoirSize: 1 });

/** The rule without `keys` (a template has no undefined values). */
const without = (...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(RULE).filter(([key]) => !keys.includes(key)));

const modelOf = (rules: Record<string, Record<string, unknown>>) => {
  const template: Template = {
    Resources: Object.fromEntries(Object.entries(rules).map(([id, properties]) => [id, { Type: 'AWS::XRay::SamplingRule', Properties: properties }])),
  } as Template;
  return buildTemplateModel('Stack', template, { apiUrl: 'http://127.0.0.1:1' });
};
const rulesOf = (rules: Record<string, Record<string, unknown>>) => samplingRulesOf(modelOf(rules).resources);
const refusal = (rule: Record<string, unknown>): string => {
  const error = failureOf(() => rulesOf({ Sampling: { SamplingRule: rule } }));
  expect(error).toBeInstanceOf(InvalidSamplingRuleError);
  return (error as Error).message;
};

describe('AWS::XRay::SamplingRule in the template', () => {
  it('is accepted, named as not enforced, with the ARN as its Ref and RuleARN/RuleName attributes', () => {
    const template = {
      Resources: {
        Sampling: { Type: 'AWS::XRay::SamplingRule', Properties: { SamplingRule: RULE } },
        Echo: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::GetAtt': ['Sampling', 'RuleName'] }, TopicName: { Ref: 'Sampling' } } },
      },
    } as unknown as Template;

    const model = buildTemplateModel('Stack', template, { apiUrl: 'http://127.0.0.1:1' });

    expect(model.notEnforced).toEqual({ 'AWS::XRay::SamplingRule': 1, 'AWS::SNS::Topic': 1 });
    expect(model.resources.find((r) => r.logicalId === 'Echo')?.properties).toEqual({ DisplayName: 'OrderSaga', TopicName: 'arn:aws:xray:us-east-1:000000000000:sampling-rule/OrderSaga' });
    expect(samplingRulesOf(model.resources)).toEqual([samplingRule({ ruleName: 'OrderSaga', priority: 100, reservoirSize: 1 })]);
  });

  it('refuses a FixedRate of 2, naming the resource and the property', () => {
    expect(refusal({ ...RULE, FixedRate: 2 })).toBe('Sampling (AWS::XRay::SamplingRule): SamplingRule.FixedRate — AWS refuses this when it deploys: 2: must be a number from 0 to 1');
  });

  it.each([
    ['a RuleName over 32 characters', { RuleName: 'x'.repeat(33) }, 'SamplingRule.RuleName'],
    ['no RuleName', { RuleName: undefined }, 'SamplingRule.RuleName — AWS refuses this when it deploys: is required'],
    ['a Priority of 0', { Priority: 0 }, 'SamplingRule.Priority — AWS refuses this when it deploys: 0: must be an integer from 1 to 9999'],
    ['a Priority of 10000', { Priority: 10_000 }, 'SamplingRule.Priority'],
    ['a fractional Priority', { Priority: 1.5 }, 'SamplingRule.Priority'],
    ['a negative ReservoirSize', { ReservoirSize: -1 }, 'SamplingRule.ReservoirSize — AWS refuses this when it deploys: -1: must be an integer of at least 0'],
    ['a negative FixedRate', { FixedRate: -0.1 }, 'SamplingRule.FixedRate'],
    ['Version 2', { Version: 2 }, 'SamplingRule.Version — AWS refuses this when it deploys: 2: the only version of the sampling rule format is 1'],
    ['no ServiceType', { ServiceType: undefined }, 'SamplingRule.ServiceType — AWS refuses this when it deploys: is required'],
    ['no ResourceARN', { ResourceARN: undefined }, 'SamplingRule.ResourceARN'],
    ['an HTTPMethod over 10 characters', { HTTPMethod: 'X'.repeat(11) }, 'SamplingRule.HTTPMethod'],
    ['a URLPath over 128 characters', { URLPath: '/'.repeat(129) }, 'SamplingRule.URLPath'],
    ['a RuleARN with the name', { RuleARN: 'arn:aws:xray:us-east-1:000000000000:sampling-rule/OrderSaga' }, 'SamplingRule.RuleARN'],
    ['six Attributes', { Attributes: { a: '1', b: '1', c: '1', d: '1', e: '1', f: '1' } }, 'SamplingRule.Attributes'],
  ])('refuses %s', (_case, change, message) => {
    const absent = Object.entries(change).filter(([, value]) => value === undefined).map(([key]) => key);
    const present = Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined));
    expect(refusal({ ...without(...absent), ...present })).toContain(message);
  });

  it('refuses a rule without SamplingRule, two rules of one name, and properties it does not emulate', () => {
    expect((failureOf(() => rulesOf({ Empty: {} })) as Error).message).toContain('Empty (AWS::XRay::SamplingRule): SamplingRule — AWS refuses this when it deploys: is required to create a rule');
    expect((failureOf(() => rulesOf({ First: { SamplingRule: RULE }, Second: { SamplingRule: RULE } })) as Error).message).toContain('Second (AWS::XRay::SamplingRule): SamplingRule.RuleName — AWS refuses this when it deploys: a rule named OrderSaga already exists (First)');
    expect(failureOf(() => rulesOf({ Update: { SamplingRuleUpdate: RULE } }))).toBeInstanceOf(UnsupportedFeatureError);
  });

  it('reads numbers CloudFormation passes as strings, and the deprecated top-level RuleName', () => {
    const [rule] = rulesOf({ Sampling: { RuleName: 'Legacy', SamplingRule: { ...without('RuleName'), FixedRate: '0.5', Priority: '7', ReservoirSize: '0' } } });

    expect(rule).toMatchObject({ ruleName: 'Legacy', fixedRate: 0.5, priority: 7, reservoirSize: 0 });
  });
});

describe("the rule X-Ray applies to a state machine's execution", () => {
  const saga = stateMachineArn('OrderSaga');
  const rules = rulesOf({
    ForLambda: { SamplingRule: { ...RULE, RuleName: 'ForLambda', Priority: 1, ServiceType: 'AWS::Lambda::Function', FixedRate: 1 } },
    ForPosts: { SamplingRule: { ...RULE, RuleName: 'ForPosts', Priority: 2, HTTPMethod: 'POST', FixedRate: 1 } },
    WithAttributes: { SamplingRule: { ...RULE, RuleName: 'WithAttributes', Priority: 3, Attributes: { tenant: 'a' }, FixedRate: 1 } },
    OtherArn: { SamplingRule: { ...RULE, RuleName: 'OtherArn', Priority: 4, ResourceARN: stateMachineArn('Billing*'), FixedRate: 1 } },
    Orders: { SamplingRule: { ...RULE, RuleName: 'Orders', Priority: 50, ServiceName: 'order?aga', FixedRate: 0.2 } },
    Everything: { SamplingRule: { ...RULE, RuleName: 'Everything', Priority: 60, ServiceType: '*', FixedRate: 0.5 } },
  });

  it('is the lowest Priority whose service type, name and ARN match and whose request fields are wildcards', () => {
    expect(rules.map((rule) => rule.ruleName)).toEqual(['ForLambda', 'ForPosts', 'WithAttributes', 'OtherArn', 'Orders', 'Everything']);
    expect(samplingRuleFor(rules, 'OrderSaga', saga).ruleName).toBe('Orders');
    expect(samplingRuleFor(rules, 'Cancellation', stateMachineArn('Cancellation')).ruleName).toBe('Everything');
    expect(samplingRuleFor(rules, 'BillingSaga', stateMachineArn('BillingSaga')).ruleName).toBe('OtherArn');
  });

  it("is X-Ray's Default rule (1 a second, then 5 %) when none matches", () => {
    expect(samplingRuleFor(rules.slice(0, 4), 'OrderSaga', saga)).toBe(DEFAULT_SAMPLING_RULE);
    expect(DEFAULT_SAMPLING_RULE).toMatchObject({ ruleName: 'Default', fixedRate: 0.05, reservoirSize: 1 });
  });

  it('matches * and ? wildcards case-insensitively, and nothing else as a pattern', () => {
    expect(wildcardMatch('order*', 'OrderSagaStateMachine')).toBe(true);
    expect(wildcardMatch('Order?aga', 'OrderSaga')).toBe(true);
    expect(wildcardMatch('Order?aga', 'OrderSSaga')).toBe(false);
    expect(wildcardMatch('Order.Saga', 'OrderXSaga')).toBe(false);
    expect(wildcardMatch('arn:aws:states:*:stateMachine:Order*', saga)).toBe(true);
  });
});
