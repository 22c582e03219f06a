import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  DefinitionBody,
  Errors,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  QueryLanguage,
  Result,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { CancellationReason } from '../../functions/shared/contracts/common';
import type { EventContract } from '../../functions/shared/contracts/envelope';
import { CompensationFailed, OrderCancelled, OrderConfirmed, OrderPlaced } from '../../functions/shared/contracts/events';
import { SagaErrors } from '../../functions/shared/contracts/saga';
import { iamWildcardResource, XRAY_WILDCARD_REASON } from '../constructs/nag';
import type { ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';

/**
 * Names of the saga's states. They are a contract: the saga tests and the
 * local cloud's Step Functions emulation find states by these names, and
 * execution histories in the console show them.
 */
export const OrderSagaStates = {
  reserveInventory: 'ReserveInventory',
  chargePayment: 'ChargePayment',
  createShipment: 'CreateShipment',
  publishOrderConfirmed: 'PublishOrderConfirmed',
  orderConfirmed: 'OrderConfirmed',
  outOfStock: 'OutOfStock',
  alreadyHandled: 'AlreadyHandled',
  reserveFailed: 'ReserveFailed',
  paymentDeclined: 'PaymentDeclined',
  chargeFailed: 'ChargeFailed',
  shippingUnavailable: 'ShippingUnavailable',
  shipmentFailed: 'ShipmentFailed',
  confirmFailed: 'ConfirmFailed',
  cancelShipment: 'CancelShipment',
  refundPayment: 'RefundPayment',
  releaseInventory: 'ReleaseInventory',
  publishOrderCancelled: 'PublishOrderCancelled',
  orderCancelled: 'OrderCancelled',
  cancelShipmentFailed: 'CancelShipmentFailed',
  refundPaymentFailed: 'RefundPaymentFailed',
  releaseInventoryFailed: 'ReleaseInventoryFailed',
  publishCompensationFailed: 'PublishCompensationFailed',
  compensationFailed: 'CompensationFailed',
  cancellationNotPublished: 'CancellationNotPublished',
} as const;

/**
 * Errors a forward step is retried on: ours ({@link SagaErrors.transient}),
 * the Lambda service's, and a function invocation that Lambda itself failed
 * (timed out, ran out of memory, lost its runtime). Every task is idempotent
 * per order, so running one again after an outcome we cannot know is safe. A
 * business error is never among them: retrying a declined card cannot change
 * the answer. `States.Runtime` and `States.DataLimitExceeded` could not be:
 * no retrier matches them, the execution fails.
 *
 * A failed invocation has two names, because AWS documents two: Lambda
 * answers `Sandbox.Timedout`, `Runtime.OutOfMemory` or `Runtime.ExitError` as
 * the `errorType` (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts),
 * which is what Step Functions reports when the error document carries one
 * (and what the local cloud reports), while the Step Functions guide says
 * "Unhandled errors in Lambda are reported as Lambda.Unknown ... These
 * include out-of-memory errors and function timeouts"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
 * Both are listed so the retry holds whichever one AWS reports.
 */
export const TRANSIENT_TASK_ERRORS: readonly string[] = [
  SagaErrors.transient,
  // The Lambda service's transient errors, as the Step Functions guide lists them (same page), and throttling.
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
  // The invocation failed in Lambda, as Lambda names it...
  'Sandbox.Timedout',
  'Runtime.OutOfMemory',
  'Runtime.ExitError',
  // ...and as the Step Functions guide names it.
  'Lambda.Unknown',
  Errors.TIMEOUT,
];

/** How a compensation is retried before a person is asked to look. */
export interface CompensationRetryProps {
  /** Attempts after the first one. @default 20 */
  readonly maxAttempts?: number;
  /** Wait before the first retry. @default Duration.seconds(1) */
  readonly interval?: Duration;
  /** Factor the wait grows by on each retry. @default 2 */
  readonly backoffRate?: number;
  /** Longest wait between two attempts (before jitter). @default Duration.seconds(60) */
  readonly maxDelay?: Duration;
}

/** Props of {@link OrderSaga}. */
export interface OrderSagaProps {
  /** The `shop` bus: OrderPlaced starts the saga; its outcome events are published here. */
  readonly bus: ShopBus;
  /** Version of the starter function's code. @default 'unknown' */
  readonly version?: string;
  /** Where the saga's alarms (failed or timed-out executions) are sent. */
  readonly alarmTopic: ITopic;
  /** Reserves stock for every line in one transaction; throws OutOfStockError or DuplicateSagaError. */
  readonly reserveInventory: IFunction;
  /** Releases the order's reservation; a no-op when nothing is reserved. */
  readonly releaseInventory: IFunction;
  /** Captures the order total; throws PaymentDeclinedError. */
  readonly chargePayment: IFunction;
  /** Refunds the order's payment; a no-op when nothing was captured. */
  readonly refundPayment: IFunction;
  /** Creates the shipment; throws ShippingUnavailableError. */
  readonly createShipment: IFunction;
  /** Cancels the order's shipment; a no-op when there is none. */
  readonly cancelShipment: IFunction;
  /**
   * Retries of each compensation (and of publishing OrderCancelled). They
   * are idempotent, so they are retried on every error, long enough to ride
   * out an outage of a dependency.
   * @default 20 attempts, 1 s growing ×2 up to 60 s, full jitter: up to about
   *   15 minutes, 7 on average, so a compensation outlasts an outage of minutes
   */
  readonly compensationRetry?: CompensationRetryProps;
  /**
   * Longest an execution may run; one that takes longer times out and alarms.
   * @default Duration.hours(1)
   */
  readonly timeout?: Duration;
  /** How long the execution logs are kept. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Which execution events are logged. Execution data is never logged: the
   * input carries the payment token and the shipping address.
   * @default LogLevel.ERROR
   */
  readonly logLevel?: LogLevel;
}

/**
 * The order saga: `ReserveInventory → ChargePayment → CreateShipment →
 * PublishOrderConfirmed`, and on a failure the compensations of the steps
 * that may have run, newest first (`CancelShipment → RefundPayment →
 * ReleaseInventory`), then `OrderCancelled` with a reason.
 *
 * A Standard state machine (exactly-once state transitions, an auditable
 * history) in JSONPath. Forward Lambda steps retry only transient errors,
 * with backoff and full jitter; business errors go straight to their Catch.
 * Events are put by the `events:putEvents` integration (no function); a put
 * has no business errors, so publish steps retry every error. A
 * technical failure enters the compensation chain at the step that failed,
 * because its outcome is unknown (a charge may have been captured before its
 * response was lost); every compensation is a no-op when there is nothing to
 * undo. Compensations retry every error; one that still fails publishes
 * `CompensationFailed` and fails the execution, which alarms.
 *
 * A rule on `OrderPlaced` invokes a thin starter function that names the
 * execution after the order id. EventBridge (and the outbox pipe) deliver at
 * least once, and Step Functions keeps a Standard execution's name for 90
 * days, so a redelivery can never start a second saga for an order. Idempotent
 * steps alone were not enough: the chaos soak showed that when one execution
 * failed to reserve (writing nothing) while a duplicate reserved, charged and
 * shipped, the first one's compensations undid the second's work. The cost is
 * one small invocation per order. `ReserveInventory` still refuses a
 * reservation owned by another execution (`DuplicateSagaError` →
 * `AlreadyHandled`) as a second line of defence.
 */
export class OrderSaga extends Construct {
  public readonly stateMachine: StateMachine;
  /** Starts one execution per order, named after it. */
  public readonly starter: ShopFunction;

  public constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    const compensationRetry = compensationRetryOf(this, props.compensationRetry);
    const timeout = props.timeout ?? Duration.hours(1);
    const bus = props.bus.bus;
    const names = OrderSagaStates;

    const orderId = JsonPath.stringAt('$.data.orderId');
    const correlationId = JsonPath.stringAt('$.metadata.correlationId');
    const forwardRetry: RetryProps = {
      errors: [...TRANSIENT_TASK_ERRORS],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: JitterType.FULL,
    };
    const publishRetry: RetryProps = { ...forwardRetry, errors: [Errors.ALL] };
    const catchInto = { resultPath: '$.error' };

    const invoke = (name: string, fn: IFunction, payload: Record<string, unknown>, resultPath: string) =>
      LambdaInvoke.jsonPath(this, name, {
        lambdaFunction: unqualified(fn),
        payload: TaskInput.fromObject({ orderId, correlationId, ...payload }),
        payloadResponseOnly: true,
        retryOnServiceExceptions: false,
        resultPath,
      });

    const publish = (name: string, contract: EventContract, data: Record<string, unknown>) =>
      EventBridgePutEvents.jsonPath(this, name, {
        entries: [
          {
            eventBus: bus,
            source: contract.source,
            detailType: contract.detailType,
            detail: TaskInput.fromObject({
              metadata: { eventId: JsonPath.uuid(), version: contract.version, occurredAt: JsonPath.stateEnteredTime, correlationId },
              data,
            }),
          },
        ],
        resultPath: JsonPath.DISCARD,
      });

    const cancellation = (name: string, reason: CancellationReason) =>
      Pass.jsonPath(this, name, { result: Result.fromObject({ reason }), resultPath: '$.cancellation' });

    const orderCancelled = Succeed.jsonPath(this, names.orderCancelled);
    const publishOrderCancelled = publish(names.publishOrderCancelled, OrderCancelled, {
      orderId,
      userId: JsonPath.stringAt('$.data.userId'),
      reason: JsonPath.stringAt('$.cancellation.reason'),
      error: JsonPath.stringAt('$.error.Error'),
    })
      .addRetry(compensationRetry)
      .addCatch(
        Fail.jsonPath(this, names.cancellationNotPublished, {
          error: 'CancellationNotPublished',
          cause: 'The order was compensated but OrderCancelled could not be published after all retries',
        }),
        { resultPath: '$.publishError' },
      )
      .next(orderCancelled);

    const publishCompensationFailed = publish(names.publishCompensationFailed, CompensationFailed, {
      orderId,
      step: JsonPath.stringAt('$.compensationFailure.step'),
      error: JsonPath.stringAt('$.compensationError.Error'),
      cause: JsonPath.stringAt('$.compensationError.Cause'),
    })
      .addRetry(publishRetry)
      .next(
        Fail.jsonPath(this, names.compensationFailed, {
          error: 'CompensationFailed',
          cause: 'A compensation still failed after all its retries; CompensationFailed was published',
        }),
      );

    const compensation = (name: string, failedName: string, fn: IFunction, resultKey: string) =>
      invoke(name, fn, {}, `$.compensations.${resultKey}`)
        .addRetry(compensationRetry)
        .addCatch(
          Pass.jsonPath(this, failedName, {
            result: Result.fromObject({ step: name }),
            resultPath: '$.compensationFailure',
          }).next(publishCompensationFailed),
          { resultPath: '$.compensationError' },
        );

    const releaseInventory = compensation(names.releaseInventory, names.releaseInventoryFailed, props.releaseInventory, 'releaseInventory').next(
      publishOrderCancelled,
    );
    const refundPayment = compensation(names.refundPayment, names.refundPaymentFailed, props.refundPayment, 'refundPayment').next(releaseInventory);
    const cancelShipment = compensation(names.cancelShipment, names.cancelShipmentFailed, props.cancelShipment, 'cancelShipment').next(refundPayment);

    const publishOrderConfirmed = publish(names.publishOrderConfirmed, OrderConfirmed, {
      orderId,
      userId: JsonPath.stringAt('$.data.userId'),
      total: JsonPath.objectAt('$.data.total'),
      paymentId: JsonPath.stringAt('$.results.payment.paymentId'),
      shipmentId: JsonPath.stringAt('$.results.shipment.shipmentId'),
    })
      .addRetry(publishRetry)
      .addCatch(cancellation(names.confirmFailed, 'TECHNICAL').next(cancelShipment), catchInto)
      .next(Succeed.jsonPath(this, names.orderConfirmed));

    const createShipment = invoke(
      names.createShipment,
      props.createShipment,
      { address: JsonPath.objectAt('$.data.shippingAddress'), items: JsonPath.listAt('$.data.items') },
      '$.results.shipment',
    )
      .addRetry(forwardRetry)
      .addCatch(cancellation(names.shippingUnavailable, 'SHIPPING_UNAVAILABLE').next(refundPayment), {
        ...catchInto,
        errors: [SagaErrors.shippingUnavailable],
      })
      .addCatch(cancellation(names.shipmentFailed, 'TECHNICAL').next(cancelShipment), catchInto)
      .next(publishOrderConfirmed);

    const chargePayment = invoke(
      names.chargePayment,
      props.chargePayment,
      { amount: JsonPath.objectAt('$.data.total'), paymentToken: JsonPath.stringAt('$.data.paymentToken') },
      '$.results.payment',
    )
      .addRetry(forwardRetry)
      .addCatch(cancellation(names.paymentDeclined, 'PAYMENT_DECLINED').next(releaseInventory), {
        ...catchInto,
        errors: [SagaErrors.paymentDeclined],
      })
      .addCatch(cancellation(names.chargeFailed, 'TECHNICAL').next(refundPayment), catchInto)
      .next(createShipment);

    const reserveInventory = invoke(
      names.reserveInventory,
      props.reserveInventory,
      { executionId: JsonPath.executionId, items: JsonPath.listAt('$.data.items') },
      '$.results.reservation',
    )
      .addRetry(forwardRetry)
      .addCatch(cancellation(names.outOfStock, 'OUT_OF_STOCK').next(publishOrderCancelled), {
        ...catchInto,
        errors: [SagaErrors.outOfStock],
      })
      .addCatch(Succeed.jsonPath(this, names.alreadyHandled, { comment: 'Another execution handles this order' }), {
        ...catchInto,
        errors: [SagaErrors.duplicateSaga],
      })
      .addCatch(cancellation(names.reserveFailed, 'TECHNICAL').next(releaseInventory), catchInto)
      .next(chargePayment);

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logLevel = props.logLevel ?? LogLevel.ERROR;
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      comment: `Order saga: reserve, charge, ship, confirm; compensate newest first. Started by ${OrderPlaced.detailType}.`,
      definitionBody: DefinitionBody.fromChainable(reserveInventory),
      stateMachineType: StateMachineType.STANDARD,
      queryLanguage: QueryLanguage.JSON_PATH,
      timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: logLevel, includeExecutionData: false },
    });
    this.acknowledgeNagFindings(logLevel);

    this.alarm('FailedAlarm', 'An order saga execution failed: a compensation or a publication needs a person', this.stateMachine.metricFailed(), props.alarmTopic);
    this.alarm('TimedOutAlarm', `An order saga execution ran longer than ${timeout.toHumanString()}`, this.stateMachine.metricTimedOut(), props.alarmTopic);

    this.starter = new ShopFunction(this, 'Starter', {
      service: 'orchestration',
      entry: 'orchestration/entries/start-order-saga.ts',
      description: 'Starts the order saga, one execution per order (named after it)',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      version: props.version,
    });
    this.stateMachine.grantStartExecution(this.starter);
    props.bus.addQueuedConsumer('StartOrderSaga', {
      description: `Starts the order saga for every ${OrderPlaced.detailType}`,
      eventPattern: { source: [OrderPlaced.source], detailType: [OrderPlaced.detailType] },
      consumer: this.starter,
      deadLetters: { id: 'StartOrderSagaStarterDeadLetters', what: 'OrderPlaced events the saga starter failed on' },
    });
  }

  /** What cdk-nag reports on the state machine that is so by design, each with why. */
  private acknowledgeNagFindings(logLevel: LogLevel): void {
    if (logLevel !== LogLevel.ALL) {
      Validations.of(this.stateMachine).acknowledge({
        id: 'AwsSolutions-SF1',
        reason:
          `Logs ${logLevel} events, not ALL: a Standard state machine already keeps every state transition in its execution history ` +
          '(90 days, GetExecutionHistory and the console), so ALL would copy each transition into CloudWatch Logs at ingestion cost ' +
          'and add nothing. Execution data is never logged: the input carries the payment token and the shipping address.',
      });
    }
    const role = this.stateMachine.role;
    Validations.of(role).acknowledge({
      id: iamWildcardResource(role, '*'),
      reason:
        `${XRAY_WILDCARD_REASON} Execution logging needs the CloudWatch Logs vended-delivery actions (logs:CreateLogDelivery, ` +
        'logs:PutResourcePolicy, logs:DescribeLogGroups...), which also accept only "*" (Step Functions guide, "IAM policies for ' +
        'logging to CloudWatch Logs").',
    });
  }

  private alarm(id: string, description: string, metric: IMetric, topic: ITopic): void {
    new Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(topic));
  }
}

/**
 * The function as a task invokes it: by its unqualified ARN, so the task's
 * grant names that ARN only. `LambdaInvoke` grants `resourceArnsForGrantInvoke`,
 * which for a function adds `<arn>:*` (every version and alias) — a grant no
 * call of this saga uses.
 */
const unqualified = (fn: IFunction): IFunction =>
  new Proxy(fn, { get: (target, property) => (property === 'resourceArnsForGrantInvoke' ? [target.functionArn] : Reflect.get(target, property, target)) });

/** Resolves the compensation retry defaults and rejects values Step Functions would refuse. */
const compensationRetryOf = (scope: Construct, props: CompensationRetryProps = {}): RetryProps => {
  const maxAttempts = props.maxAttempts ?? 20;
  const interval = props.interval ?? Duration.seconds(1);
  const backoffRate = props.backoffRate ?? 2;
  const maxDelay = props.maxDelay ?? Duration.seconds(60);
  const fail = (what: string): never => {
    throw new Error(`${scope.node.path}: compensationRetry.${what}`);
  };
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) fail(`maxAttempts must be an integer of at least 1 (got ${maxAttempts})`);
  if (!Number.isFinite(backoffRate) || backoffRate < 1) fail(`backoffRate must be at least 1 (got ${backoffRate})`);
  const intervalSeconds = interval.toSeconds({ integral: false });
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1) fail(`interval must be a whole number of seconds, at least 1 (got ${interval.toHumanString()})`);
  if (maxDelay.toSeconds({ integral: false }) < intervalSeconds) fail(`maxDelay must not be shorter than interval (got ${maxDelay.toHumanString()})`);
  return { errors: [Errors.ALL], maxAttempts, interval, backoffRate, maxDelay, jitterStrategy: JitterType.FULL };
};
