import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { MAX_RECONCILE_BATCH } from '../../functions/orders/handlers/reconcile-orders';
import { PENDING_INDEX } from '../../functions/orders/table-layout';
import { iamWildcardResource } from '../constructs/nag';
import type { ShopBus } from '../constructs/shop-bus';
import { METRICS_NAMESPACE, ShopFunction } from '../constructs/shop-function';

/** Props of {@link OrderReconciler}. */
export interface OrderReconcilerProps {
  /** The orders table, with its `pendingByAge` index. */
  readonly ordersTable: ITableV2;
  /** The order saga: a Standard one's executions are named after their orders. */
  readonly stateMachine: StateMachine;
  /**
   * An Express saga's claims table (see OrderSaga): where the reconciler
   * learns what an order's saga did, since Express executions cannot be
   * described. @default none: the saga is Standard, its executions are described
   */
  readonly sagaClaims?: ITableV2;
  /** The cancellation state machine, whose executions are named after their orders too. */
  readonly cancellationStateMachine: StateMachine;
  /** Shipping's CancelShipment, to finish a cancellation that was interrupted. */
  readonly shipmentCancelFunction: IFunction;
  /** For the schedule target's dead-letter queue and its alarm. */
  readonly bus: ShopBus;
  /** Where the alarm on orders needing a person goes. */
  readonly alarmTopic: ITopic;
  /** How often it runs. @default Schedule.rate(Duration.minutes(5)) */
  readonly schedule?: Schedule;
  /**
   * A period without a single run after which an alarm says the reconciler
   * stopped running: longer than the schedule's period. From 5 minutes to a day.
   * @default Duration.minutes(30)
   */
  readonly notRunningAlarmAfter?: Duration;
  /**
   * How long an order may stay PENDING before it is looked at: longer than a
   * healthy order takes (seconds) and than the hops' own retries (Lambda's
   * asynchronous retries give up after about 3 minutes).
   * @default Duration.minutes(10)
   */
  readonly stuckAfter?: Duration;
  /** Most orders one run looks at (the next run takes the rest). @default 100 */
  readonly batchSize?: number;
  /** @default 'unknown' */
  readonly version?: string;
}

/**
 * Recovery of orders left behind: a function run on a schedule that finds
 * orders PENDING for longer than {@link OrderReconcilerProps.stuckAfter} and
 * drives each to the outcome the system already decided (starts a saga that
 * never started, applies a saga's outcome the order never heard of, leaves a
 * running saga alone, and reports a failed one to a person through an alarm),
 * and finishes customers' cancellations requested longer ago than that and
 * not carried through.
 *
 * Its grants are the calls it makes: a query of the pending index, reading
 * and moving one order, describing executions of the saga and of the
 * cancellation state machine and starting one, and shipping's CancelShipment.
 */
export class OrderReconciler extends Construct {
  public readonly function: ShopFunction;
  public readonly schedule: Rule;

  public constructor(scope: Construct, id: string, props: OrderReconcilerProps) {
    super(scope, id);
    const stuckAfter = props.stuckAfter ?? Duration.minutes(10);
    const batchSize = props.batchSize ?? 100;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_RECONCILE_BATCH) {
      throw new Error(`OrderReconciler '${id}': batchSize must be a whole number from 1 to ${MAX_RECONCILE_BATCH}, not ${batchSize}.`);
    }
    const notRunningAfter = props.notRunningAlarmAfter ?? Duration.minutes(30);
    if (notRunningAfter.toSeconds() < 300 || notRunningAfter.toSeconds() > 86_400 || notRunningAfter.toSeconds() % 60 !== 0) {
      throw new Error(`OrderReconciler '${id}': notRunningAlarmAfter must be whole minutes from 5 minutes to a day, not ${notRunningAfter.toHumanString()}.`);
    }
    if (stuckAfter.toSeconds() < 60) throw new Error(`OrderReconciler '${id}': stuckAfter must be at least a minute, not ${stuckAfter.toHumanString()}.`);

    this.function = new ShopFunction(this, 'Function', {
      service: 'orders',
      entry: 'orders/entries/reconcile-orders.ts',
      description: 'Drives orders stuck in PENDING to the outcome already decided',
      environment: {
        TABLE_NAME: props.ordersTable.tableName,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
        ...(props.sagaClaims ? { SAGA_CLAIMS_TABLE: props.sagaClaims.tableName } : {}),
        CANCELLATION_STATE_MACHINE_ARN: props.cancellationStateMachine.stateMachineArn,
        SHIPMENTS_CANCEL_FUNCTION: props.shipmentCancelFunction.functionName,
      },
      timeout: Duration.minutes(1),
      version: props.version,
    });
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${props.ordersTable.tableArn}/index/${PENDING_INDEX}`] }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [props.ordersTable.tableArn] }));
    // Executions are named after their orders, so any order's is addressed by pattern: these state machines' only.
    const executionsOf = (stateMachine: StateMachine) =>
      Stack.of(this).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    // An Express saga is read from its claims instead: its executions cannot be described.
    const executions = props.sagaClaims
      ? [executionsOf(props.cancellationStateMachine)]
      : [executionsOf(props.stateMachine), executionsOf(props.cancellationStateMachine)];
    if (props.sagaClaims) this.function.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem'], resources: [props.sagaClaims.tableArn] }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeExecution'], resources: executions }));
    props.stateMachine.grantStartExecution(this.function);
    props.cancellationStateMachine.grantStartExecution(this.function);
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.shipmentCancelFunction.functionArn] }));
    const role = this.function.role;
    if (role) {
      Validations.of(role).acknowledge(
        ...executions.map((pattern) => ({
          id: iamWildcardResource(role, pattern),
          reason:
            'The reconciler describes the saga (or cancellation) execution of whichever order it finds stuck; executions are named after ' +
            "orders, so they can only be granted by pattern. The pattern spans one state machine's executions, and DescribeExecution only reads.",
        })),
      );
    }

    const schedule = props.schedule ?? Schedule.rate(Duration.minutes(5));
    const deadLetterQueue = props.bus.deadLetterQueue(this, 'ReconcilerScheduleDeadLetters', 'Reconciler runs the schedule could not start');
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the order reconciler',
      schedule,
      targets: [
        new LambdaFunction(this.function, {
          event: RuleTargetInput.fromObject({ olderThanSeconds: stuckAfter.toSeconds(), limit: batchSize }),
          deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    /** An alarm that notifies the alarm topic; missing data means nothing happened unless said otherwise. */
    const alarm = (id: string, alarmDescription: string, metric: IMetric, over: { threshold: number; evaluationPeriods?: number; below?: boolean; missingIsBreach?: boolean }) =>
      new Alarm(this, id, {
        alarmDescription,
        metric,
        threshold: over.threshold,
        comparisonOperator: over.below ? ComparisonOperator.LESS_THAN_THRESHOLD : ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: over.evaluationPeriods ?? 1,
        treatMissingData: over.missingIsBreach ? TreatMissingData.BREACHING : TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(props.alarmTopic));
    const ordersMetric = (metricName: string, statistic: string) =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: 'orders' }, statistic, period: Duration.minutes(5) });

    alarm(
      'RecoveredOrdersAlarm',
      'The reconciler recovered orders some hop had given up on: the customers are served, but look at the dead-letter queues for the cause (see the runbook in README)',
      ordersMetric('OrdersRecovered', 'Sum'),
      { threshold: 0 },
    );
    // Recovery that silently stops is worse than none: alarm when it keeps failing, and when it stops running at all.
    alarm(
      'FailingAlarm',
      'The order reconciler failed in every run for 15 minutes: stuck orders are not being recovered (see the runbook in README)',
      this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      { threshold: 0, evaluationPeriods: 3 },
    );
    alarm(
      'NotRunningAlarm',
      `The order reconciler has not run for ${notRunningAfter.toHumanString()} (its schedule: ${schedule.expressionString}): is its rule disabled or its function gone?`,
      this.function.metricInvocations({ period: notRunningAfter, statistic: 'Sum' }),
      { threshold: 1, below: true, missingIsBreach: true },
    );
    alarm(
      'NeedsAttentionAlarm',
      'The reconciler found orders whose saga stopped without an outcome: a person must decide (see the runbook in README)',
      ordersMetric('OrdersNeedingAttention', 'Maximum'),
      { threshold: 0 },
    );
  }
}
