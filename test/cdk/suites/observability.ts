import { Match, type Template } from 'aws-cdk-lib/assertions';
import { OBSERVABILITY_PROFILES, observabilityFromContext } from '../../../lib/config/observability';
import { newShopTemplate } from '../support/template';

/** What the shop records about itself, chosen with `-c observability=…`, and so what it pays for it. */

const shop = (context: Record<string, unknown>): Template => newShopTemplate({}, context).template;

describe('the observability profiles', () => {
  it('are lean by default: INFO logs without Lambda\'s platform lines, 5 % of sagas traced, an Express saga logging errors only', () => {
    expect(observabilityFromContext(undefined)).toEqual({ profile: 'lean', logLevel: 'INFO', systemLogLevel: 'WARN', traceSampleRate: 0.05, sagaLogLevel: 'ERROR' });
  });

  it('take a profile by name, or an object of fields over one (from cdk.json or JSON on the command line)', () => {
    expect(observabilityFromContext('full')).toEqual(OBSERVABILITY_PROFILES.full);
    expect(observabilityFromContext('{"traceSampleRate":0.2}')).toEqual({ ...OBSERVABILITY_PROFILES.lean, traceSampleRate: 0.2 });
    expect(observabilityFromContext({ profile: 'full', sagaLogLevel: 'ERROR' })).toEqual({ ...OBSERVABILITY_PROFILES.full, sagaLogLevel: 'ERROR' });
  });

  it.each([
    ['verbose', /must be lean, full or a JSON object/],
    ['{"traceSampleRate":2}', /traceSampleRate: .*(<=|at most|too big)/i],
    ['{"logLevel":"LOUD"}', /logLevel/],
    ['{"sampling":0.1}', /Unrecognized key|unrecognized/i],
  ])('refuses %s, saying what is wrong', (value, message) => {
    expect(() => observabilityFromContext(value)).toThrow(message);
  });
});

describe('observability in the shop', () => {
  const lean = shop({ saga: 'express' });
  const full = shop({ saga: 'express', observability: 'full' });

  it('sets every function\'s log levels from the profile', () => {
    for (const [template, application, system] of [
      [lean, 'INFO', 'WARN'],
      [full, 'DEBUG', 'INFO'],
    ] as const) {
      for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
        expect(fn.Properties?.LoggingConfig).toMatchObject({ LogFormat: 'JSON', ApplicationLogLevel: application, SystemLogLevel: system });
      }
    }
  });

  it('samples the saga\'s executions by an X-Ray rule at the profile\'s rate: one trace per order, for a share of orders', () => {
    for (const [template, rate] of [
      [lean, 0.05],
      [full, 1],
    ] as const) {
      template.resourceCountIs('AWS::XRay::SamplingRule', 1);
      template.hasResourceProperties('AWS::XRay::SamplingRule', {
        SamplingRule: {
          RuleName: 'Shop-Orders-sagas',
          FixedRate: rate,
          ReservoirSize: 0,
          ServiceType: 'AWS::StepFunctions::StateMachine',
          ServiceName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderSagaStateMachine'), 'Name'] },
          Priority: 100,
          Version: 1,
        },
      });
    }
  });

  it('logs every step of an Express saga in the full profile, errors only in the lean one', () => {
    const levelOf = (template: Template) =>
      Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).find(([id]) => id.startsWith('OrderSaga'))?.[1].Properties?.LoggingConfiguration?.Level;
    expect(levelOf(lean)).toBe('ERROR');
    expect(levelOf(full)).toBe('ALL');
  });
});
