import { Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { TRANSIENT_TASK_ERRORS } from '../../../lib/orchestration/order-saga';
import {
  SAGA_FUNCTIONS,
  fakeArn,
  inspectStateMachine,
  resolvedDefinition,
  synthesizeSagaStack,
} from '../../saga/support/definition';
import { OBSERVABILITY_ACTIONS } from '../support/iam';

const synthesized = synthesizeSagaStack();
const { template } = synthesized;
const { definition, resolve, functionArn, state } = inspectStateMachine(synthesized);
const busArn = fakeArn('AWS::Events::EventBus', synthesized.busId);

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
}

/** Every statement of the inline policies attached to a role, intrinsics resolved. */
const statementsOf = (roleId: string): Statement[] => {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } });
  return Object.values(policies).flatMap((policy) => resolve(policy.Properties.PolicyDocument.Statement) as unknown as Statement[]);
};
const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);
const grants = (statements: Statement[]): string[] =>
  statements.flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => `${statement.Effect} ${action} ${resource}`)));

describe('OrderSaga', () => {
  it.each([
    ['ReserveInventory', 'reserveInventory', '$.results.reservation'],
    ['ChargePayment', 'chargePayment', '$.results.payment'],
    ['CreateShipment', 'createShipment', '$.results.shipment'],
    ['CancelShipment', 'cancelShipment', '$.compensations.cancelShipment'],
    ['RefundPayment', 'refundPayment', '$.compensations.refundPayment'],
    ['ReleaseInventory', 'releaseInventory', '$.compensations.releaseInventory'],
  ] as const)('%s invokes the %s function and keeps its result at %s', (name, fn, resultPath) => {
    expect(state(name)).toMatchObject({ Type: 'Task', Resource: functionArn(fn), ResultPath: resultPath });
  });

  it.each([
    ['ReserveInventory', [['OutOfStockError', 'OutOfStock'], ['DuplicateSagaError', 'AlreadyHandled'], ['States.ALL', 'ReserveFailed']]],
    ['ChargePayment', [['PaymentDeclinedError', 'PaymentDeclined'], ['States.ALL', 'ChargeFailed']]],
    ['CreateShipment', [['ShippingUnavailableError', 'ShippingUnavailable'], ['ShipmentCancelledError', 'CancelledByCustomer'], ['States.ALL', 'ShipmentFailed']]],
    ['PublishOrderConfirmed', [['States.ALL', 'ConfirmFailed']]],
  ])('%s catches each error into its cancellation state, keeping the error at $.error', (name, catches) => {
    expect(state(name).Catch).toEqual(catches.map(([error, next]) => ({ ErrorEquals: [error], Next: next, ResultPath: '$.error' })));
  });

  it.each([
    ['OutOfStock', 'OUT_OF_STOCK', 'PublishOrderCancelled'],
    ['ReserveFailed', 'TECHNICAL', 'ReleaseInventory'],
    ['PaymentDeclined', 'PAYMENT_DECLINED', 'ReleaseInventory'],
    ['ChargeFailed', 'TECHNICAL', 'RefundPayment'],
    ['ShippingUnavailable', 'SHIPPING_UNAVAILABLE', 'RefundPayment'],
    ['CancelledByCustomer', 'CUSTOMER_REQUEST', 'RefundPayment'],
    ['ShipmentFailed', 'TECHNICAL', 'CancelShipment'],
    ['ConfirmFailed', 'TECHNICAL', 'CancelShipment'],
  ])('%s records the reason %s and enters the compensations at %s', (name, reason, next) => {
    expect(state(name)).toMatchObject({ Type: 'Pass', Result: { reason }, ResultPath: '$.cancellation', Next: next });
  });

  it('retries forward Lambda steps on transient errors only, with backoff and full jitter', () => {
    for (const name of ['ReserveInventory', 'ChargePayment', 'CreateShipment']) {
      expect(state(name).Retry).toEqual([
        { ErrorEquals: [...TRANSIENT_TASK_ERRORS], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3, JitterStrategy: 'FULL' },
      ]);
    }
    expect(TRANSIENT_TASK_ERRORS).not.toContain('States.ALL');
    expect(TRANSIENT_TASK_ERRORS).not.toContain('States.TaskFailed');
  });

  it('retries a failed invocation under the name Lambda gives it and the one the Step Functions guide gives it, and every Lambda service error', () => {
    expect([...TRANSIENT_TASK_ERRORS].sort()).toEqual(
      [
        'TransientError',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.TooManyRequestsException',
        'Sandbox.Timedout',
        'Runtime.OutOfMemory',
        'Runtime.ExitError',
        'Lambda.Unknown',
        'States.Timeout',
      ].sort(),
    );
  });

  it('chains the compensations newest first and sends a failing one to CompensationFailed', () => {
    expect(['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled'].map((name) => state(name).Next ?? (state(name).End ? 'End' : 'none'))).toEqual([
      'RefundPayment',
      'ReleaseInventory',
      'PublishOrderCancelled',
      'End',
    ]);
    for (const name of ['CancelShipment', 'RefundPayment', 'ReleaseInventory']) {
      expect(state(name).Retry).toEqual([
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 20, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
      ]);
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: `${name}Failed`, ResultPath: '$.compensationError' }]);
      expect(state(`${name}Failed`)).toMatchObject({ Type: 'Pass', Result: { step: name }, Next: 'PublishCompensationFailed' });
    }
    expect(state('PublishCompensationFailed').Next).toBe('CompensationFailed');
    expect(state('CompensationFailed').Type).toBe('Fail');
    expect(state('PublishOrderCancelled').Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'CancellationNotPublished', ResultPath: '$.publishError' }]);
    expect(state('CancellationNotPublished').Type).toBe('Fail');
  });

  it('publishes through the events:putEvents integration on the shop bus, not through a function', () => {
    for (const [name, detailType] of [
      ['PublishOrderConfirmed', 'OrderConfirmed'],
      ['PublishOrderCancelled', 'OrderCancelled'],
      ['PublishCompensationFailed', 'CompensationFailed'],
    ]) {
      expect(state(name)).toMatchObject({
        Resource: 'arn:aws:states:::events:putEvents',
        Parameters: { Entries: [{ DetailType: detailType, Source: 'shop.orders', EventBusName: busArn }] },
      });
    }
  });

  it('takes its compensation retry from its props', () => {
    // Prepare
    const custom = resolvedDefinition(
      synthesizeSagaStack({ compensationRetry: { maxAttempts: 4, interval: Duration.seconds(2), backoffRate: 3, maxDelay: Duration.seconds(30) } }),
    );

    // Assess
    expect(custom.States.RefundPayment.Retry).toEqual([
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 4, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ]);
  });

  it.each([
    [{ maxAttempts: 0 }, /maxAttempts must be an integer of at least 1/],
    [{ backoffRate: 0.5 }, /backoffRate must be at least 1/],
    [{ interval: Duration.millis(500) }, /interval must be a whole number of seconds/],
    [{ interval: Duration.seconds(10), maxDelay: Duration.seconds(5) }, /maxDelay must not be shorter than interval/],
  ])('rejects the compensation retry %p at synth time', (compensationRetry, message) => {
    expect(() => synthesizeSagaStack({ compensationRetry })).toThrow(message);
  });

  it('is a traced Standard state machine that logs errors and times out', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
    });
    expect(definition.TimeoutSeconds).toBe(3600);
    expect(definition.QueryLanguage).toBe('JSONPath');
    expect(Object.values(definition.States).filter((candidate) => 'QueryLanguage' in candidate)).toEqual([]);
  });

  it('lets its role invoke exactly the six functions (unqualified: no "<arn>:*" versions) and put events on the shop bus only', () => {
    // Act
    const statements = statementsOf(synthesized.stateMachineRoleId);
    const observability = statements.filter((statement) => asList(statement.Action).every((action) => /^(xray|logs):/.test(action)));
    const business = statements.filter((statement) => !observability.includes(statement));

    // Assess
    expect(grants(business).sort()).toEqual(
      [...SAGA_FUNCTIONS.map((name) => `Allow lambda:InvokeFunction ${functionArn(name)}`), `Allow events:PutEvents ${busArn}`].sort(),
    );
    expect(statements.every((statement) => statement.Effect === 'Allow')).toBe(true);
    expect(new Set(observability.flatMap((statement) => asList(statement.Action)))).toEqual(OBSERVABILITY_ACTIONS);
    expect(observability.every((statement) => statement.Resource === '*')).toBe(true);
  });

  it('is started by OrderPlaced through a queue the starter drains, with retries and dead-letter queues', () => {
    // Assess: the rule delivers to the starter's queue with a retry policy and its DLQ...
    const starterId = Stack.of(synthesized.saga).getLogicalId((synthesized.saga.starter?.node.defaultChild) as CfnElement);
    const [queueId, queue] = Object.entries(template.findResources('AWS::SQS::Queue')).find(([id]) => /StartOrderSagaQueue/.test(id)) ?? [];
    template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: { Ref: synthesized.busId },
      EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StartOrderSagaDeadLetters'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
    // ...which the starter drains in batches, reporting failed events; one that failed 30 times goes to its own DLQ...
    expect(queue?.Properties).toMatchObject({
      VisibilityTimeout: 60,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [expect.stringMatching(/StartOrderSagaStarterDeadLetters/), 'Arn'] }, maxReceiveCount: 30 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: starterId },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // ...and the starter knows the state machine, may only start executions of it, and read its own queue.
    const starter = template.findResources('AWS::Lambda::Function')[starterId];
    expect(starter.Properties.Environment.Variables.STATE_MACHINE_ARN).toEqual({ Ref: synthesized.stateMachineId });
    expect(starter.Properties.DeadLetterConfig).toBeUndefined();
    const roleId = (starter.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const starts = grants(statementsOf(roleId)).filter((grant) => grant.includes('states:') || grant.includes('sqs:'));
    expect(starts.sort()).toEqual(
      [
        `Allow states:StartExecution ${synthesized.stateMachineId}`,
        ...['ReceiveMessage', 'DeleteMessage', 'GetQueueAttributes'].map((action) => `Allow sqs:${action} ${String(resolve({ 'Fn::GetAtt': [queueId ?? '', 'Arn'] }))}`),
      ].sort(),
    );
  });

  it.each([
    ['ExecutionsFailed'],
    ['ExecutionsTimedOut'],
  ])('alarms on %s to the alarm topic', (metricName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: synthesized.stateMachineId } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: synthesized.topicId }],
    });
  });
});
