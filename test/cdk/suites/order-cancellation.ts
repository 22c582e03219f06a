import { Match } from 'aws-cdk-lib/assertions';
import {
  CANCELLATION_FUNCTIONS,
  fakeArn,
  inspectStateMachine,
  synthesizeCancellationStack,
} from '../../saga/support/definition';
import { referencedIds, resourcesOf, type CfnResource } from '../support/template';

const synthesized = synthesizeCancellationStack();
const { template } = synthesized;
const { definition, resolve, functionArn, state } = inspectStateMachine(synthesized);

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

describe('OrderCancellation', () => {
  it('cancels the shipment, refunds, releases and publishes OrderCancelled with the reason of its input', () => {
    expect(definition.StartAt).toBe('CancelShipment');
    expect(state('CancelShipment')).toMatchObject({ Type: 'Task', Resource: functionArn('cancelShipment'), Next: 'RefundPayment' });
    expect(state('RefundPayment')).toMatchObject({ Type: 'Task', Resource: functionArn('refundPayment'), Next: 'ReleaseInventory' });
    expect(state('ReleaseInventory')).toMatchObject({ Type: 'Task', Resource: functionArn('releaseInventory'), Next: 'PublishOrderCancelled' });
    expect(state('PublishOrderCancelled')).toMatchObject({
      Resource: 'arn:aws:states:::events:putEvents',
      Parameters: { Entries: [{ DetailType: 'OrderCancelled', Source: 'shop.orders', EventBusName: fakeArn('AWS::Events::EventBus', synthesized.busId) }] },
      End: true,
    });
    expect(JSON.stringify(state('PublishOrderCancelled').Parameters)).toContain('"reason.$":"$.cancellation.reason"');
    expect(Object.values(definition.States).filter((candidate) => candidate.Type === 'Pass').length).toBe(3);
  });

  it("retries its compensations as the saga does and sends one that keeps failing to CompensationFailed", () => {
    for (const name of ['CancelShipment', 'RefundPayment', 'ReleaseInventory']) {
      expect(state(name).Retry).toEqual([
        { ErrorEquals: ['States.ALL'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 20, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
      ]);
      expect(state(name).Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: `${name}Failed`, ResultPath: '$.compensationError' }]);
      expect(state(`${name}Failed`)).toMatchObject({ Type: 'Pass', Result: { step: name }, Next: 'PublishCompensationFailed' });
    }
    expect(state('PublishCompensationFailed').Next).toBe('CompensationFailed');
    expect(state('CompensationFailed').Type).toBe('Fail');
  });

  it('is a traced Standard state machine that logs errors without data and times out after an hour', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ERROR', IncludeExecutionData: false }),
    });
    expect(definition.TimeoutSeconds).toBe(3600);
  });

  it('lets its role invoke exactly the cancel-shipment, refund and release functions (unqualified) and put events on the shop bus', () => {
    const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: synthesized.stateMachineRoleId }]) } });
    const statements = Object.values(policies).flatMap((policy) => resolve(policy.Properties.PolicyDocument.Statement) as unknown as Statement[]);
    const business = statements
      .filter((statement) => !asList(statement.Action).every((action) => /^(xray|logs):/.test(action)))
      .flatMap((statement) => asList(statement.Action).flatMap((action) => asList(statement.Resource).map((resource) => `${statement.Effect} ${action} ${String(resource)}`)));
    expect(business.sort()).toEqual(
      [...CANCELLATION_FUNCTIONS.map((name) => `Allow lambda:InvokeFunction ${functionArn(name)}`), `Allow events:PutEvents ${fakeArn('AWS::Events::EventBus', synthesized.busId)}`].sort(),
    );
  });

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut'])('alarms on %s to the alarm topic', (metricName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: synthesized.stateMachineId } }],
      Threshold: 0,
      AlarmActions: [{ Ref: synthesized.topicId }],
    });
  });
});

describe('customer cancellation in the shop', () => {
  const functions = () => resourcesOf('AWS::Lambda::Function');
  const idOf = (prefix: string): string => {
    const ids = Object.keys(functions()).filter((id) => id.startsWith(prefix));
    if (ids.length !== 1) throw new Error(`expected one function ${prefix}…, found ${ids.join(', ')}`);
    return ids[0] as string;
  };
  const stateMachineId = (prefix: string): string => Object.keys(resourcesOf('AWS::StepFunctions::StateMachine')).find((id) => id.startsWith(prefix)) ?? '';
  /** Every "action → referenced ids" of the statements attached to a function's role. */
  const grantsOf = (functionId: string): Array<[string, string[]]> => {
    const [roleId] = [...referencedIds(functions()[functionId]?.Properties?.Role)];
    return Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((policy: CfnResource) => referencedIds(policy.Properties?.Roles).has(roleId ?? ''))
      .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
      .flatMap((statement) => asList(statement.Action).map((action): [string, string[]] => [action, [...referencedIds(statement.Resource)]]));
  };

  it('lets the orders API record the request, invoke CancelShipment and start the cancellation, and tells it their names', () => {
    // Prepare
    const api = idOf('OrdersApi');
    const cancelShipment = idOf('ShippingCancelShipment');
    const cancellation = stateMachineId('OrderCancellation');

    // Assess
    expect(grantsOf(api)).toEqual(
      expect.arrayContaining([
        ['dynamodb:UpdateItem', [expect.stringMatching(/^OrdersTable/)]],
        ['lambda:InvokeFunction', expect.arrayContaining([cancelShipment])],
        ['states:StartExecution', [cancellation]],
      ]),
    );
    expect(functions()[api]?.Properties?.Environment).toMatchObject({
      Variables: { SHIPMENTS_CANCEL_FUNCTION: { Ref: cancelShipment }, CANCELLATION_STATE_MACHINE_ARN: { Ref: cancellation } },
    });
  });

  it("lets shipping's CancelShipment write the cancelled stand-in of a shipment not created yet", () => {
    expect(grantsOf(idOf('ShippingCancelShipment')).filter(([action]) => action.startsWith('dynamodb:')).map(([action]) => action).sort()).toEqual(
      ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
    );
  });

  it('compensates with the same cancel-shipment, refund and release functions as the saga', () => {
    const invoked = (prefix: string) =>
      new Set(
        Object.values(resourcesOf('AWS::IAM::Policy'))
          .filter((policy) => [...referencedIds(policy.Properties?.Roles)].some((id) => id.startsWith(prefix)))
          .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Statement[] }).Statement)
          .filter((statement) => asList(statement.Action).includes('lambda:InvokeFunction'))
          .flatMap((statement) => [...referencedIds(statement.Resource)]),
      );
    const cancellation = invoked('OrderCancellationStateMachineRole');
    expect([...cancellation].sort()).toEqual([idOf('ShippingCancelShipment'), idOf('PaymentsRefundPayment'), idOf('InventoryReleaseInventory')].sort());
    for (const id of cancellation) expect(invoked('OrderSagaStateMachineRole').has(id)).toBe(true);
  });

  it('moves orders to SHIPPED on OrderShipped: the status consumer listens for it', () => {
    const patterns = Object.values(resourcesOf('AWS::Events::Rule')).map((rule) => rule.Properties?.EventPattern as { source?: string[]; 'detail-type'?: string[] } | undefined);
    const status = patterns.find((pattern) => pattern?.['detail-type']?.includes('OrderShipped'));
    expect([...(status?.['detail-type'] ?? [])].sort()).toEqual(['OrderCancelled', 'OrderConfirmed', 'OrderShipped', 'ShipmentDelivered']);
    expect([...(status?.source ?? [])].sort()).toEqual(['shop.orders', 'shop.shipping']);
  });
});
