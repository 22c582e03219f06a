import { EventBridgeEmulator, type EventBridgeHop } from '../../local/eventbridge/event-bus';
import { LocalIam } from '../../local/iam/local-iam';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { busArn, functionArn, queueArn, resource, stateMachineArn } from '../support/local-resources';

/*
 * EventBridge delivers as AWS delivers: to a Lambda or SQS target and to a
 * dead-letter queue as events.amazonaws.com (the target's resource policy
 * must allow the rule), to a state machine with the target's role. A target
 * it may not invoke is NO_PERMISSIONS (not retried: straight to the DLQ); a
 * DLQ it may not write loses the event.
 */

const ACCOUNT = '000000000000';
const BUS = 'shop';
const RULE_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:rule/${BUS}/Notify`;

const dlqPolicy = (allowEvents: boolean): LocalResource =>
  resource('DeadLettersPolicy', 'AWS::SQS::QueuePolicy', {
    Queues: ['DeadLetters'],
    PolicyDocument: {
      Statement: allowEvents
        ? [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn('DeadLetters'), Condition: { ArnEquals: { 'aws:SourceArn': RULE_ARN } } }]
        : [{ Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queueArn('DeadLetters'), Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
    },
  });

const world = (options: { permission?: boolean; dlqAllowsEvents?: boolean; target?: 'lambda' | 'stateMachine'; roleMayStart?: boolean }) => {
  const target = options.target ?? 'lambda';
  const resources: LocalResource[] = [
    resource('Bus', 'AWS::Events::EventBus', { Name: BUS }, busArn(BUS)),
    resource('DeadLetters', 'AWS::SQS::Queue', {}, queueArn('DeadLetters')),
    dlqPolicy(options.dlqAllowsEvents ?? true),
    resource('Notify', 'AWS::Events::Rule', {
      Name: 'Notify',
      EventBusName: BUS,
      EventPattern: { source: ['test'] },
      Targets: [
        {
          Id: 'T',
          Arn: target === 'lambda' ? functionArn('Notifier') : stateMachineArn('Flow'),
          ...(target === 'stateMachine' ? { RoleArn: `arn:aws:iam::${ACCOUNT}:role/EventsRole` } : {}),
          DeadLetterConfig: { Arn: queueArn('DeadLetters') },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        },
      ],
    }, RULE_ARN),
    resource('EventsRole', 'AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' }] } }, `arn:aws:iam::${ACCOUNT}:role/EventsRole`),
    ...(options.roleMayStart
      ? [resource('EventsRolePolicy', 'AWS::IAM::Policy', { PolicyName: 'p', Roles: ['EventsRole'], PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: stateMachineArn('Flow') }] } })]
      : []),
    ...(options.permission
      ? [resource('NotifierPermission', 'AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: functionArn('Notifier'), Principal: 'events.amazonaws.com', SourceArn: RULE_ARN })]
      : []),
    resource('Notifier', 'AWS::Lambda::Function', {}, functionArn('Notifier')),
  ];
  const iam = LocalIam.create(resources);
  const queues = SqsQueues.create(resources);
  const delivered: string[] = [];
  const hops: EventBridgeHop[] = [];
  const bus = EventBridgeEmulator.create(
    resources.filter((r) => r.type.startsWith('AWS::Events::')),
    {
      queues,
      invokeAsync: async (arn) => void delivered.push(arn),
      startExecution: async (arn) => void delivered.push(arn),
      onHop: (hop) => hops.push(hop),
      backoff: { baseDelayMs: 1, maxDelayMs: 2 },
      iam,
    },
  );
  const publish = async () => {
    bus.putEvents([{ EventBusName: BUS, Source: 'test', DetailType: 'Tested', Detail: '{}' }]);
    await bus.drain();
  };
  return { bus, queues, delivered, hops, publish, iam };
};

describe('EventBridge deliveries under IAM', () => {
  it('invokes a Lambda target its permission allows for this rule', async () => {
    // Prepare
    const w = world({ permission: true });

    // Act
    await w.publish();

    // Assess
    expect(w.delivered).toEqual([functionArn('Notifier')]);
    expect(w.iam.authorizer.denials).toEqual([]);
  });

  it('sends an event for a Lambda target without a permission straight to the DLQ as NO_PERMISSIONS, without retrying', async () => {
    // Prepare
    const w = world({ permission: false });

    // Act
    await w.publish();

    // Assess
    expect(w.delivered).toEqual([]);
    expect(w.hops.filter((hop) => hop.kind === 'retry')).toEqual([]);
    const [message] = w.queues.receiveAll('DeadLetters');
    expect(message?.attributes.ERROR_CODE?.stringValue).toBe('NO_PERMISSIONS');
    expect(message?.attributes.ERROR_MESSAGE?.stringValue).toMatch(/User: events.amazonaws.com is not authorized to perform: lambda:InvokeFunction/);
  });

  it('loses the event when the dead-letter queue does not let the rule send to it', async () => {
    // Prepare
    const w = world({ permission: false, dlqAllowsEvents: false });

    // Act
    await w.publish();

    // Assess
    expect(w.queues.receiveAll('DeadLetters')).toEqual([]);
    expect(w.hops.at(-1)).toMatchObject({ kind: 'dropped', reason: expect.stringMatching(/dead-letter queue refused.*AccessDenied.*sqs:SendMessage/) });
  });

  it('starts a state machine target with the target role, and only if that role may', async () => {
    // Prepare
    const allowed = world({ target: 'stateMachine', roleMayStart: true });
    const refused = world({ target: 'stateMachine', roleMayStart: false });

    // Act
    await allowed.publish();
    await refused.publish();

    // Assess
    expect(allowed.delivered).toEqual([stateMachineArn('Flow')]);
    expect(refused.delivered).toEqual([]);
    expect(refused.iam.authorizer.denials.map((denial) => denial.message)).toEqual([
      expect.stringMatching(/assumed-role\/EventsRole\/.* is not authorized to perform: states:StartExecution/),
    ]);
  });
});
