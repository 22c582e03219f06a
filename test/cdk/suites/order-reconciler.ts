import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Pass, StateMachine, DefinitionBody } from 'aws-cdk-lib/aws-stepfunctions';
import { PENDING_INDEX } from '../../../functions/orders/table-layout';
import { ServiceTable } from '../../../lib/constructs/service-table';
import { ShopBus } from '../../../lib/constructs/shop-bus';
import { OrderReconciler, type OrderReconcilerProps } from '../../../lib/services/order-reconciler';
import { pathOf, shopTemplate } from '../support/template';

/** The reconciler alone in a stack, with a table, two state machines, a function and a bus of its own. */
const synth = (props: Partial<OrderReconcilerProps> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const alarmTopic = new Topic(stack, 'Alarms');
  const ordersTable = new ServiceTable(stack, 'Orders').table;
  const stateMachine = new StateMachine(stack, 'Saga', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'P')) });
  const cancellationStateMachine = new StateMachine(stack, 'Cancellation', { definitionBody: DefinitionBody.fromChainable(new Pass(stack, 'C')) });
  const shipmentCancelFunction = new LambdaFunction(stack, 'CancelShipment', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({});') });
  const bus = new ShopBus(stack, 'Events', { alarmTopic });
  const reconciler = new OrderReconciler(stack, 'Reconciler', { ordersTable, stateMachine, cancellationStateMachine, shipmentCancelFunction, bus, alarmTopic, ...props });
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never);
  return {
    template,
    reconciler,
    ids: { table: id(ordersTable), stateMachine: id(stateMachine), cancellation: id(cancellationStateMachine), cancelShipment: id(shipmentCancelFunction), fn: id(reconciler.function) },
  };
};

describe('OrderReconciler', () => {
  const { template, ids } = synth();

  it('runs every 5 minutes on the default bus, for orders PENDING over 10 minutes, 100 a run, with retries and a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      EventBusName: Match.absent(),
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
          Input: JSON.stringify({ olderThanSeconds: 600, limit: 100 }),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 },
        }),
      ],
    });
  });

  it('may query the pending index, read and move an order, describe and start saga and cancellation executions, cancel a shipment: nothing else', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('ReconcilerFunctionServiceRole') }] } }));
    const business = (policy?.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter(
      (statement) => ![statement.Action].flat().every((action) => /^(xray|logs):/.test(action)),
    );

    const executionsOf = (stateMachineId: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':states:eu-west-1:123456789012:execution:', { 'Fn::GetAtt': [stateMachineId, 'Name'] }, ':*']],
    });
    expect(business).toEqual([
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [ids.table, 'Arn'] }, `/index/${PENDING_INDEX}`]] } }),
      expect.objectContaining({ Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [ids.table, 'Arn'] } }),
      expect.objectContaining({ Action: 'states:DescribeExecution', Resource: [executionsOf(ids.stateMachine), executionsOf(ids.cancellation)] }),
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: ids.stateMachine } }),
      expect.objectContaining({ Action: 'states:StartExecution', Resource: { Ref: ids.cancellation } }),
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [ids.cancelShipment, 'Arn'] } }),
    ]);
  });

  it('alarms as soon as one order needs a person, and when it recovered any', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OrdersRecovered',
      Namespace: 'ServerlessShop',
      Dimensions: [{ Name: 'service', Value: 'orders' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OrdersNeedingAttention',
      Namespace: 'ServerlessShop',
      Dimensions: [{ Name: 'service', Value: 'orders' }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when its runs keep failing for 15 minutes, and when it has not run for 30', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [Match.anyValue()],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocations',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
      Period: 1800,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [Match.anyValue()],
    });
  });

  it('takes another schedule, threshold and batch, and refuses ones that cannot work', () => {
    const custom = synth({ schedule: Schedule.rate(Duration.minutes(1)), stuckAfter: Duration.minutes(3), batchSize: 20 }).template;
    custom.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)', Targets: [Match.objectLike({ Input: JSON.stringify({ olderThanSeconds: 180, limit: 20 }) })] });
    expect(() => synth({ stuckAfter: Duration.seconds(30) })).toThrow(/stuckAfter must be at least a minute/);
    expect(() => synth({ batchSize: 500 })).toThrow(/batchSize must be a whole number from 1 to 200/);
    synth({ schedule: Schedule.rate(Duration.hours(1)), notRunningAlarmAfter: Duration.hours(3) }).template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocations', Period: 10_800 });
    expect(() => synth({ notRunningAlarmAfter: Duration.minutes(1) })).toThrow(/notRunningAlarmAfter must be whole minutes from 5 minutes to a day/);
  });

  it("belongs to the orders service in the shop, whose table has the keys-only pending index", () => {
    const shop = shopTemplate();
    const paths = Object.values(shop.findResources('AWS::Lambda::Function')).map((fn) => pathOf({ Type: 'AWS::Lambda::Function', ...fn }));
    expect(paths.filter((path) => path.includes('/Reconciler/'))).toEqual([expect.stringMatching(/^Shop-Orders\/Orders\/Reconciler\//)]);
    shop.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      GlobalSecondaryIndexes: Match.arrayWith([Match.objectLike({ IndexName: PENDING_INDEX, Projection: { ProjectionType: 'KEYS_ONLY' } })]),
    });
  });
});
