import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { sagaTypeFromContext } from '../../../lib/config/saga-type';
import { ExpressSagaStates, OrderSagaStates } from '../../../lib/orchestration/order-saga';
import { newShopTemplate } from '../support/template';
import { inspectStateMachine, synthesizeSagaStack } from '../../saga/support/definition';

/** The order saga as an Express workflow (`-c saga=express`): what it adds to the Standard one, and what it leaves out. */

const synthesized = synthesizeSagaStack({ type: 'express' });
const { template } = synthesized;
const { definition, resolve, state } = inspectStateMachine(synthesized);
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const idOf = (type: string, prefix: string): string => {
  const ids = Object.entries(resources).filter(([id, resource]) => resource.Type === type && id.startsWith(prefix)).map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}…, found ${ids.join(', ') || 'none'}`);
  return ids[0] as string;
};
const claimsTableId = idOf('AWS::DynamoDB::GlobalTable', 'OrderSagaClaims');
const claimsTableArn = `arn:aws:dynamodb:us-east-1:123456789012:table/${claimsTableId}`;
const repairId = idOf('AWS::StepFunctions::StateMachine', 'OrderCancellation');

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: string | string[];
}
const asList = (value: string | string[]): string[] => (Array.isArray(value) ? value : [value]);

describe('OrderSaga (Express)', () => {
  it('is an Express state machine limited to 5 minutes that logs its errors without data (every event in the full observability profile)', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
    });
    expect(definition.TimeoutSeconds).toBe(300);
  });

  it('claims the order before any side effect: its own claim or none, anyone else\'s ends the execution at AlreadyHandled', () => {
    expect(definition.StartAt).toBe(ExpressSagaStates.claimOrder);
    expect(state('ClaimOrder')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Next: OrderSagaStates.reserveInventory,
      ResultPath: null,
      Parameters: {
        TableName: claimsTableId,
        Item: { pk: { 'S.$': '$.data.orderId' }, executionId: { 'S.$': '$$.Execution.Id' }, claimedAt: { 'S.$': '$$.Execution.StartTime' } },
        ConditionExpression: 'attribute_not_exists(pk) OR executionId = :me',
        ExpressionAttributeValues: { ':me': { 'S.$': '$$.Execution.Id' } },
      },
    });
    // A taken claim is an answer, not a fault: never retried.
    expect(state('ClaimOrder').Retry?.[0]).toEqual({ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], MaxAttempts: 0 });
    expect(state('ClaimOrder').Catch).toEqual([
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], Next: 'AlreadyHandled', ResultPath: '$.error' },
      { ErrorEquals: ['States.ALL'], Next: 'ClaimFailed', ResultPath: '$.error' },
    ]);
    expect(state('AlreadyHandled').Type).toBe('Succeed');
    expect(state('ClaimFailed').Type).toBe('Fail');
  });

  it.each([
    ['PublishOrderConfirmed', 'RecordConfirmed', 'CONFIRMED', false],
    ['PublishOrderCancelled', 'RecordCancelled', 'CANCELLED', true],
  ] as const)('after %s records the outcome %s on the claim', (publish, record, outcome, withReason) => {
    expect(state(publish).Next).toBe(record);
    expect(state(record)).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:updateItem',
      End: true,
      Parameters: { TableName: claimsTableId, Key: { pk: { 'S.$': '$.data.orderId' } }, ExpressionAttributeValues: { ':outcome': { S: outcome } } },
    });
    expect(JSON.stringify(state(record).Parameters)).toContain(withReason ? '"S.$":"$.cancellation.reason"' : '"SET outcome = :outcome, endedAt = :at"');
  });

  it('retries compensations for seconds, then hands the order to the Standard repair, named after the order, with the reason', () => {
    for (const name of ['CancelShipment', 'RefundPayment', 'ReleaseInventory']) {
      expect(state(name).Retry).toEqual([{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3, MaxDelaySeconds: 4, JitterStrategy: 'FULL' }]);
      expect(state(`${name}Failed`).Next).toBe('HandToRepair');
    }
    expect(state('CancellationNotPublished')).toMatchObject({ Type: 'Pass', Result: { step: 'PublishOrderCancelled' }, Next: 'HandToRepair' });
    expect(state('HandToRepair')).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::states:startExecution',
      Next: 'RecordRepair',
      Parameters: {
        // Ref of a state machine is its ARN (the test lookups give the logical id for every Ref).
        StateMachineArn: repairId,
        'Name.$': '$.data.orderId',
        Input: {
          data: { 'orderId.$': '$.data.orderId', 'userId.$': '$.data.userId' },
          metadata: { 'correlationId.$': '$.metadata.correlationId' },
          cancellation: { 'reason.$': '$.cancellation.reason' },
        },
      },
    });
    // A repair already under way for the order has it in hand; any other failure is a person's.
    expect(state('HandToRepair').Catch).toEqual([
      { ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], Next: 'RecordRepair', ResultPath: '$.repairError' },
      { ErrorEquals: ['States.ALL'], Next: 'PublishCompensationFailed', ResultPath: '$.compensationError' },
    ]);
    expect(state('RecordRepair').Parameters).toMatchObject({ ExpressionAttributeValues: { ':outcome': { S: 'REPAIR' } } });
  });

  it('is started by its rule on OrderPlaced with the detail as input, retried and dead-lettered: no starter function, no queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [
        Match.objectLike({
          Arn: { Ref: synthesized.stateMachineId },
          InputPath: '$.detail',
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86400 },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('StartOrderSagaDeadLetters'), 'Arn'] } },
        }),
      ],
    });
    expect(synthesized.saga.starter).toBeUndefined();
    expect(Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => /StartOrderSagaQueue/.test(id))).toEqual([]);
  });

  it('may write only its claims table and start only the repair, besides the Standard saga\'s grants', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: synthesized.stateMachineRoleId }]) } });
    const statements = Object.values(policies).flatMap((policy) => resolve(policy.Properties.PolicyDocument.Statement) as unknown as Statement[]);
    const grants = statements.flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => `${action} ${resource}`)));
    expect(grants.filter((grant) => /^(dynamodb|states):/.test(grant)).sort()).toEqual(
      [`dynamodb:PutItem ${claimsTableArn}`, `dynamodb:UpdateItem ${claimsTableArn}`, `states:StartExecution ${repairId}`].sort(),
    );
  });

  it('refuses a timeout past the Express limit, and an Express saga without its repair', () => {
    expect(() => synthesizeSagaStack({ type: 'express', timeout: Duration.minutes(6) })).toThrow(/at most 5 minutes/);
  });
});

describe('the saga type in the shop', () => {
  const shop = (context: Record<string, unknown>) => newShopTemplate({}, context).template;

  it('is chosen by the context value saga, and an Express saga gives the reconciler its claims table to read', () => {
    const express = shop({ saga: 'express' });
    express.hasResourceProperties('AWS::StepFunctions::StateMachine', { StateMachineType: 'EXPRESS' });
    const reconciler = Object.values(express.findResources('AWS::Lambda::Function')).find((fn) => /reconciler/i.test(String(fn.Properties?.Description ?? '')) || /stuck in PENDING/.test(String(fn.Properties?.Description ?? '')));
    expect(reconciler?.Properties?.Environment?.Variables).toMatchObject({ SAGA_CLAIMS_TABLE: { Ref: expect.stringMatching(/^OrderSagaClaims/) } });
    expect(Object.keys(express.findResources('AWS::Lambda::Function')).some((id) => id.startsWith('OrderSagaStarter'))).toBe(false);
  });

  it('is Standard when the context says nothing, with no claims table', () => {
    const standard = shop({});
    expect(Object.values(standard.findResources('AWS::StepFunctions::StateMachine')).map((machine) => machine.Properties?.StateMachineType)).toEqual(['STANDARD', 'STANDARD']);
    expect(Object.keys(standard.findResources('AWS::DynamoDB::GlobalTable')).some((id) => id.startsWith('OrderSagaClaims'))).toBe(false);
  });

  it('refuses a type that does not exist, naming the ones that do', () => {
    expect(() => sagaTypeFromContext('expres')).toThrow("The context value 'saga' must be one of express, standard, not \"expres\".");
    expect(() => shop({ saga: 'EXPRESS' })).toThrow(/must be one of express, standard/);
  });
});
