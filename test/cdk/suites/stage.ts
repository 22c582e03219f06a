import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { applyStage, shopStackPrefix, stageFromContext, StageConfigError, type StageConfig } from '../../../lib/config/stage';
import { ShopStacks, STATEFUL_RESOURCE_TYPES } from '../../../lib/shop-stacks';
import { combinedTemplate } from '../support/template';
import { CDK_JSON_CONTEXT, testAppContext } from '../../support/cdk-context';

/** A stage's template: the app as bin/shop.ts builds it, with `context` on top of cdk.json's. */
const stageTemplate = (context: Record<string, unknown>): { stage: StageConfig; shop: ShopStacks; template: Template } => {
  const app = new App({ context: testAppContext(context) });
  const stage = applyStage(app);
  const shop = new ShopStacks(app, shopStackPrefix(stage), { stage, version: 'v9.9.9' });
  return { stage, shop, template: combinedTemplate(app) };
};

type Resources = Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;
const resources = (template: Template): Resources => (template.toJSON() as { Resources: Resources }).Resources;

describe('stages (-c stage=…, cdk.json stages)', () => {
  const dev = stageTemplate({});
  const prod = stageTemplate({ stage: 'prod' });

  it('are dev by default, and name the stacks after the stage', () => {
    expect(dev.stage.name).toBe('dev');
    expect(Object.values(prod.shop.stacks).map((stack) => stack.stackName)).toEqual(
      ['Shared', 'Catalog', 'Inventory', 'Payments', 'Shipping', 'Orders', 'Ops'].map((part) => `ServerlessShop-prod-${part}`),
    );
    expect(Object.values(dev.shop.stacks).every((stack) => stack.stackName.startsWith('ServerlessShop-dev-'))).toBe(true);
  });

  it('delete the data with a dev stack and keep it with a prod one: tables, users and logs', () => {
    const policies = (template: Template) => {
      const found = Object.values(resources(template)).filter((r) => (STATEFUL_RESOURCE_TYPES as readonly string[]).includes(r.Type));
      return [...new Set(found.map((r) => `${r.Type} ${r.DeletionPolicy ?? 'none'}`))].sort();
    };

    expect(policies(dev.template)).toEqual(['AWS::Cognito::UserPool Delete', 'AWS::DynamoDB::GlobalTable Delete', 'AWS::Logs::LogGroup Delete']);
    expect(policies(prod.template)).toEqual(['AWS::Cognito::UserPool Retain', 'AWS::DynamoDB::GlobalTable Retain', 'AWS::Logs::LogGroup Retain']);
  });

  it('tag every taggable resource with the app, the stage and the version', () => {
    const tagged = Object.values(resources(prod.template)).filter((r) => r.Type === 'AWS::Lambda::Function' || r.Type === 'AWS::SQS::Queue');
    expect(tagged.length).toBeGreaterThan(10);
    for (const resource of tagged) {
      expect(resource.Properties?.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'app', Value: 'serverless-shop' },
          { Key: 'stage', Value: 'prod' },
          { Key: 'version', Value: 'v9.9.9' },
        ]),
      );
    }
  });

  it("send the alarms to the stage's recipients, one email subscription each", () => {
    const { template } = stageTemplate({ stages: { ops: { removal: 'retain', alarmEmails: ['oncall@example.com', 'lead@example.com'] } }, stage: 'ops' });
    const subscriptions = Object.values(resources(template)).filter((r) => r.Type === 'AWS::SNS::Subscription');
    expect(subscriptions.map((s) => [s.Properties?.Protocol, s.Properties?.Endpoint])).toEqual([
      ['email', 'oncall@example.com'],
      ['email', 'lead@example.com'],
    ]);
    expect(Object.values(resources(dev.template)).filter((r) => r.Type === 'AWS::SNS::Subscription')).toEqual([]);
  });

  it("give the app the stage's observability, throttles and saga type, unless the context sets them itself", () => {
    const stages = { trial: { removal: 'destroy', observability: 'full', saga: 'express', throttles: { default: { rateLimit: 7, burstLimit: 9 } } } };
    const fromStage = new App({ context: { stages, stage: 'trial' } });
    const overridden = new App({ context: { stages, stage: 'trial', observability: 'lean', saga: 'standard' } });

    applyStage(fromStage);
    applyStage(overridden);

    expect([fromStage.node.tryGetContext('observability'), fromStage.node.tryGetContext('saga'), fromStage.node.tryGetContext('throttles')]).toEqual(['full', 'express', stages.trial.throttles]);
    expect([overridden.node.tryGetContext('observability'), overridden.node.tryGetContext('saga')]).toEqual(['lean', 'standard']);
  });

  it("answer CORS for the stage's browser origins, and for none by default", () => {
    const { template } = stageTemplate({ stages: { web: { removal: 'destroy', corsOrigins: ['https://shop.example.com'] } }, stage: 'web' });
    const cors = (t: Template) => Object.values(resources(t)).filter((r) => r.Type === 'AWS::ApiGatewayV2::Api').map((r) => (r.Properties?.CorsConfiguration as { AllowOrigins?: unknown } | undefined)?.AllowOrigins);
    expect(cors(template)).toEqual([['https://shop.example.com']]);
    expect(cors(dev.template)).toEqual([undefined]);
  });

  it('refuse, at synth, a stage that is not defined, naming the ones that are', () => {
    expect(() => stageFromContext('qa', CDK_JSON_CONTEXT.stages)).toThrow(new StageConfigError("stage 'qa' is not defined in cdk.json's 'stages' (defined: dev, prod)"));
    expect(() => stageFromContext('Prod!', CDK_JSON_CONTEXT.stages)).toThrow(StageConfigError);
    expect(() => stageFromContext('qa', undefined)).toThrow("stage 'qa' is not defined: cdk.json's context has no 'stages'");
  });

  it('refuse a malformed stage with what is wrong and where', () => {
    const refusal = (stage: Record<string, unknown>): string => {
      try {
        stageFromContext('bad', { bad: stage });
        return 'accepted';
      } catch (error) {
        return error instanceof StageConfigError ? error.message : `not a StageConfigError: ${String(error)}`;
      }
    };

    expect(refusal({ removal: 'snapshot' })).toMatch(/^context 'stages' is not a valid stage configuration: bad\.removal: /);
    expect(refusal({ removal: 'retain', alarmEmails: ['not-an-address'] })).toMatch(/bad\.alarmEmails\.0: /);
    expect(refusal({ removal: 'retain', corsOrigins: ['https://shop.example.com/path'] })).toMatch(/^stage 'bad': corsOrigins: .*no path/);
    expect(refusal({ removal: 'retain', corsOrigins: ['*'] })).toMatch(/^stage 'bad': corsOrigins: .*wildcard/);
    expect(refusal({ removal: 'retain', observability: 'verbose' })).toMatch(/^stage 'bad': observability: /);
    expect(refusal({ removal: 'retain', saga: 'fast' })).toMatch(/^stage 'bad': saga: /);
    expect(refusal({ removal: 'retain', retention: 30 })).toMatch(/Unrecognized key/);
    expect(refusal({ removal: 'retain', corsOrigins: ['https://shop.example.com', 'http://localhost:5173'] })).toBe('accepted');
  });

  it("are all valid as cdk.json defines them, prod keeping its data", () => {
    const stages = CDK_JSON_CONTEXT.stages as Record<string, unknown>;
    const checked = Object.keys(stages).map((name) => stageFromContext(name, stages));
    expect(checked.map((stage) => [stage.name, stage.removal])).toEqual([
      ['dev', 'destroy'],
      ['prod', 'retain'],
    ]);
  });
});

describe("CDK's recommended feature flags", () => {
  /** Where cdk.json deliberately differs from the recommendation, and why. */
  const DEVIATIONS: Record<string, unknown> = {
    // The shop deploys to the aws partition only; a second partition would turn ARN literals into lookups.
    '@aws-cdk/core:target-partitions': ['aws'],
  };

  it('are all set in cdk.json, as recommended but for the listed deviations', () => {
    const expected = { ...CURRENTLY_RECOMMENDED_FLAGS, ...DEVIATIONS } as Record<string, unknown>;
    const set = Object.fromEntries(Object.keys(expected).map((flag) => [flag, CDK_JSON_CONTEXT[flag]]));
    expect(set).toEqual(expected);
  });

  it('change the template only where reviewed: IAM and queue policies minimized (actions and resources sorted, statements merged)', () => {
    // Prepare: the shop synthesized with the flags and without them
    const shopOf = (app: App): Template => {
      new ShopStacks(app, 'Shop', { version: 'v' });
      return combinedTemplate(app);
    };
    const withFlags = resources(shopOf(new App({ context: testAppContext() })));
    const withoutFlags = resources(shopOf(new App({ context: { 'aws:cdk:bundling-stacks': [] } })));

    // Act
    const changedTypes = new Set(Object.keys(withFlags).filter((id) => JSON.stringify(withFlags[id]) !== JSON.stringify(withoutFlags[id])).map((id) => withFlags[id]?.Type ?? withoutFlags[id]?.Type));

    // Assess: the same resources, and only policies differ
    expect(Object.keys(withFlags).sort()).toEqual(Object.keys(withoutFlags).sort());
    expect([...changedTypes].sort()).toEqual(['AWS::IAM::Policy', 'AWS::SQS::QueuePolicy']);
  });
});
