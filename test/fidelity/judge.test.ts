import { describeVerdict, differences, judge, type KnownDrift } from './support/goldens';
import { Normalizer } from './support/normalize';
import type { ProbeOutputs } from './support/target';

const drift = (entry: Partial<KnownDrift> & Pick<KnownDrift, 'path' | 'local'>): KnownDrift => ({
  scenario: 'scenario',
  reason: 'a reason long enough to say why it is accepted',
  ...entry,
});

describe('judge: an observation of the local cloud against its golden and the known drift', () => {
  it('fails a difference that no drift entry accepts, naming the path and both values', () => {
    // Prepare
    const golden = { status: 401, body: { message: 'Unauthorized' } };
    const observed = { status: 403, body: { message: 'Unauthorized' } };

    // Act
    const verdict = judge('scenario', golden, observed, []);

    // Assess
    expect(verdict.unexplained).toEqual([{ path: '$.status', golden: 401, observed: 403 }]);
    expect(describeVerdict('scenario', verdict)).toBe('scenario $.status: golden 401, observed 403');
  });

  it('accepts a difference a drift entry names with the value the local cloud shows', () => {
    // Prepare
    const entry = drift({ path: '$.name', local: 'RequestEntityTooLargeException' });

    // Act
    const verdict = judge('scenario', { name: 'RequestTooLargeException' }, { name: 'RequestEntityTooLargeException' }, [entry]);

    // Assess
    expect(verdict).toEqual({ unexplained: [], stale: [], accepted: [{ path: '$.name', golden: 'RequestTooLargeException', observed: 'RequestEntityTooLargeException' }] });
  });

  it('does not accept another local value at a drift path than the one the entry names', () => {
    // Prepare
    const entry = drift({ path: '$.name', local: 'RequestEntityTooLargeException' });

    // Act
    const verdict = judge('scenario', { name: 'RequestTooLargeException' }, { name: 'PayloadTooLarge' }, [entry]);

    // Assess
    expect(verdict.unexplained.map((d) => d.path)).toEqual(['$.name']);
    expect(verdict.stale).toEqual([entry]);
  });

  it('fails a drift entry that no longer differs, so the list cannot rot', () => {
    // Prepare
    const entry = drift({ path: '$.name', local: 'RequestEntityTooLargeException' });

    // Act
    const verdict = judge('scenario', { name: 'RequestTooLargeException' }, { name: 'RequestTooLargeException' }, [entry]);

    // Assess
    expect(verdict.stale).toEqual([entry]);
    expect(describeVerdict('scenario', verdict)).toMatch(/no longer differs .* remove the entry/);
  });

  it('ignores the drift entries of other scenarios', () => {
    // Act
    const verdict = judge('scenario', { a: 1 }, { a: 2 }, [drift({ scenario: 'other', path: '$.a', local: 2 })]);

    // Assess
    expect(verdict.unexplained).toHaveLength(1);
    expect(verdict.stale).toEqual([]);
  });

  it('compares arrays whole (an order of events is one fact) and objects key by key, missing keys included', () => {
    // Act
    const found = differences({ events: ['A', 'B'], keep: 1, gone: true }, { events: ['B', 'A'], keep: 1, extra: 'x' });

    // Assess
    expect(found).toEqual([
      { path: '$.events', golden: ['A', 'B'], observed: ['B', 'A'] },
      { path: '$.extra', golden: undefined, observed: 'x' },
      { path: '$.gone', golden: true, observed: undefined },
    ]);
  });
});

describe('Normalizer: what differs by nature between runs and targets', () => {
  const outputs = (prefix: string): ProbeOutputs => ({
    BehaveFunctionName: `${prefix}-Behave-AbC123`,
    BehaveRoleName: `${prefix}-BehaveServiceRole-XyZ`,
    TwinFunctionName: `${prefix}-BehaveTwin-QqQ`,
    TableName: `${prefix}-ProbeTable-1`,
    EventBusName: `${prefix}ProbeBus`,
    EnvelopeQueueUrl: `https://sqs/${prefix}-EnvelopeQueue`,
    NoPermissionDeadLettersUrl: `https://sqs/${prefix}-NoPermission`,
    AlwaysThrowsDeadLettersUrl: `https://sqs/${prefix}-AlwaysThrows`,
    BehaveDeadLettersUrl: `https://sqs/${prefix}-BehaveDlq`,
    PipeQueueUrl: `https://sqs/${prefix}-Pipe`,
    NoPermissionRuleArn: `arn:aws:events:r:1:rule/${prefix}ProbeBus/${prefix}-NoPermissionRule`,
    AlwaysThrowsRuleArn: `arn:aws:events:r:1:rule/${prefix}ProbeBus/${prefix}-AlwaysThrowsRule`,
    ApiUrl: `https://${prefix}.example/`,
    UserPoolId: `${prefix}_pool`,
    UserPoolClientId: `${prefix}client`,
    CaughtErrorStateMachineArn: `arn:aws:states:r:1:stateMachine:${prefix}-Caught`,
    UncaughtErrorStateMachineArn: `arn:aws:states:r:1:stateMachine:${prefix}-Uncaught`,
    DataLimitStateMachineArn: `arn:aws:states:r:1:stateMachine:${prefix}-DataLimit`,
    RuntimeErrorStateMachineArn: `arn:aws:states:r:1:stateMachine:${prefix}-Runtime`,
    TaskTimeoutStateMachineArn: `arn:aws:states:r:1:stateMachine:${prefix}-Timeout`,
  });

  it('gives the same text for the same fact on two targets with other names, accounts, regions, ids and times', () => {
    // Prepare
    const local = new Normalizer({ outputs: outputs('Local'), account: '000000000000', region: 'us-east-1' });
    const aws = new Normalizer({ outputs: outputs('FidelityProbe'), account: '123456789012', region: 'eu-west-1' });

    // Act
    const fromLocal = local.json({ arn: 'arn:aws:events:us-east-1:000000000000:rule/LocalProbeBus/Local-NoPermissionRule', id: '0b6f6d2e-9c1a-4c4e-8f4c-1a2b3c4d5e6f', time: '2026-12-04T10:00:00Z' });
    const fromAws = aws.json({ arn: 'arn:aws:events:eu-west-1:123456789012:rule/FidelityProbeProbeBus/FidelityProbe-NoPermissionRule', id: 'AB6F6D2E-9C1A-4C4E-8F4C-1A2B3C4D5E60', time: '2026-12-04T10:00:00.123Z' });

    // Assess
    expect(fromLocal).toEqual({ arn: 'arn:aws:events:<region>:<account>:rule/<ProbeBus>/<NoPermissionRule>', id: '<uuid>', time: '<time>' });
    expect(fromAws).toEqual(fromLocal);
  });
});
