import { Duration, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Errors,
  Fail,
  IntegrationPattern,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  Result,
  Succeed,
  TaskInput,
  type IChainable,
  type INextable,
  type RetryProps,
  type StateMachine,
} from 'aws-cdk-lib/aws-stepfunctions';
import { DynamoAttributeValue, DynamoPutItem, DynamoUpdateItem, StepFunctionsStartExecution } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { CfnSamplingRule } from 'aws-cdk-lib/aws-xray';
import { Construct } from 'constructs';
import { SAGA_CLAIM_OUTCOMES } from '../../functions/shared/contracts/saga-claims';
import { observabilityFromContext } from '../config/observability';
import type { SagaType } from '../config/saga-type';
import { ServiceTable } from '../constructs/service-table';
import type { CancellationReason } from '../../functions/shared/contracts/common';
import { OrderConfirmed, OrderPlaced } from '../../functions/shared/contracts/events';
import { SagaErrors } from '../../functions/shared/contracts/saga';
import type { ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';
import {
  CompensationStates,
  compensatingStateMachine,
  compensationChain,
  compensationRetryOf,
  CORRELATION_ID,
  invokeTask,
  ORDER_ID,
  publishTask,
  type CompensationRetryProps,
} from './compensations';

export type { CompensationRetryProps } from './compensations';

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
  outOfStock: 'OutOfStock',
  alreadyHandled: 'AlreadyHandled',
  reserveFailed: 'ReserveFailed',
  paymentDeclined: 'PaymentDeclined',
  chargeFailed: 'ChargeFailed',
  shippingUnavailable: 'ShippingUnavailable',
  cancelledByCustomer: 'CancelledByCustomer',
  shipmentFailed: 'ShipmentFailed',
  confirmFailed: 'ConfirmFailed',
  ...CompensationStates,
} as const;

/**
 * The states only the Express saga has: the claim that makes one execution
 * per order, the outcome it records on the claim, and the hand-over of a
 * compensation that outlasts its retries to the durable (Standard) repair.
 */
export const ExpressSagaStates = {
  claimOrder: 'ClaimOrder',
  claimFailed: 'ClaimFailed',
  recordConfirmed: 'RecordConfirmed',
  recordCancelled: 'RecordCancelled',
  handToRepair: 'HandToRepair',
  recordRepair: 'RecordRepair',
} as const;

/** The longest an Express execution may run: AWS ends it there. */
export const EXPRESS_MAX_DURATION = Duration.minutes(5);

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

/** Props of {@link OrderSaga}. */
export interface OrderSagaProps {
  /** The `shop` bus: OrderPlaced starts the saga; its outcome events are published here. */
  readonly bus: ShopBus;
  /** Version of the starter function's code. @default 'unknown' */
  readonly version?: string;
  /** Where the saga's alarms (failed or timed-out executions) are sent. */
  readonly alarmTopic: ITopic;
  /**
   * The workflow type (see {@link OrderSaga}).
   * @default 'standard'
   */
  readonly type?: SagaType;
  /**
   * The durable repair an Express saga hands an order to when a compensation
   * (or OrderCancelled) still fails after the Express retries: the Standard
   * cancellation state machine, started named after the order with the
   * order's reason. Required for `type: 'express'`.
   */
  readonly repair?: StateMachine;
  /** Reserves stock for every line in one transaction; throws OutOfStockError or DuplicateSagaError. */
  readonly reserveInventory: IFunction;
  /** Releases the order's reservation; a no-op when nothing is reserved. */
  readonly releaseInventory: IFunction;
  /** Captures the order total; throws PaymentDeclinedError. */
  readonly chargePayment: IFunction;
  /** Refunds the order's payment; a no-op when nothing was captured. */
  readonly refundPayment: IFunction;
  /** Creates the shipment; throws ShippingUnavailableError, or ShipmentCancelledError when the order's owner cancelled it first. */
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
   * @default Duration.hours(1) (Standard), 5 minutes (Express, its most)
   */
  readonly timeout?: Duration;
  /**
   * The p99 execution time over which the saga is slow (`SlowAlarm`: three
   * 5-minute periods in a row). A healthy order takes seconds; a p99 this long
   * means orders keep waiting on retries (a provider slow or down), well before
   * executions fail or time out.
   * @default 5 minutes (Standard: a fraction of its hour, below the ~15 minutes
   *   of a compensation riding out an outage); 1 minute (Express: a fifth of
   *   the 5 minutes AWS allows it)
   */
  readonly slowAfter?: Duration;
  /** How long the execution logs are kept. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * Which execution events are logged. Execution data is never logged: the
   * input carries the payment token and the shipping address.
   * @default LogLevel.ERROR (Standard: its history has the rest); Express: the context's `observability.sagaLogLevel`
   *   (ERROR in the lean profile: the claims hold each order's outcome; ALL in the full one: every step, the only history)
   */
  readonly logLevel?: LogLevel;
}

/**
 * The order saga: `ReserveInventory → ChargePayment → CreateShipment →
 * PublishOrderConfirmed`, and on a failure the compensations of the steps
 * that may have run, newest first (`CancelShipment → RefundPayment →
 * ReleaseInventory`), then `OrderCancelled` with a reason.
 *
 * CreateShipment finding the shipment already cancelled (its owner cancelled
 * the order before the saga got there: shipping wrote a cancelled shipment in
 * its place) is a cancellation with reason CUSTOMER_REQUEST: refund, release,
 * OrderCancelled. The happy path has no state for it: a customer's
 * cancellation costs nothing on orders nobody cancels.
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
 *
 * **Express** (`type: 'express'`) runs the same steps, billed by duration
 * instead of by transition, with what Express workflows change:
 * - Starts are at least once and names are not deduplicated, so the rule on
 *   `OrderPlaced` starts the state machine itself (no starter function) and
 *   the first state, `ClaimOrder`, writes the order's claim to the saga's
 *   claims table before any side effect, conditionally: absent, or this
 *   execution's own (a retry after a lost answer). Any other execution's
 *   claim ends this one at `AlreadyHandled`. The claim is its own write, not
 *   part of the reservation's transaction, which an out-of-stock order rolls
 *   back.
 * - There is no execution history, so the saga records its outcome on the
 *   claim (`RecordConfirmed`, `RecordCancelled`, `RecordRepair`): the
 *   reconciler reads it where it would describe a Standard execution. The
 *   execution logs (level ALL, no data) keep the states each ran through.
 * - An execution ends at 5 minutes, so compensations retry briefly and one
 *   that still fails (or an OrderCancelled that cannot be published) is
 *   handed to the durable repair — the Standard cancellation state machine,
 *   started named after the order with the saga's reason, which retries for
 *   as long as a Standard saga's compensations would and alarms when it
 *   still fails. Nothing is dropped: a hand-over that fails publishes
 *   CompensationFailed and fails the execution, which alarms.
 */
export class OrderSaga extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly type: SagaType;
  /** Starts one execution per order, named after it (Standard only: an Express saga is started by its rule). */
  public readonly starter?: ShopFunction;
  /** One item per order: the execution that claimed it and its outcome (Express only). */
  public readonly claims?: ITableV2;

  public constructor(scope: Construct, id: string, props: OrderSagaProps) {
    super(scope, id);
    this.type = props.type ?? 'standard';
    const express = this.type === 'express';
    if (express && props.repair === undefined) throw new Error(`OrderSaga '${id}': an Express saga needs its durable repair (props.repair).`);
    const timeout = props.timeout ?? (express ? EXPRESS_MAX_DURATION : Duration.hours(1));
    const observability = observabilityFromContext(this.node.tryGetContext('observability'));
    if (express && timeout.toSeconds() > EXPRESS_MAX_DURATION.toSeconds()) {
      throw new Error(`OrderSaga '${id}': an Express execution runs at most 5 minutes; timeout ${timeout.toHumanString()} is longer.`);
    }
    // Express: a few quick retries, then the repair; Standard: the retries ride out an outage themselves.
    const compensationRetry = compensationRetryOf(this, props.compensationRetry ?? (express ? EXPRESS_COMPENSATION_RETRY : undefined));
    const bus = props.bus.bus;
    const names = OrderSagaStates;

    const forwardRetry: RetryProps = {
      errors: [...TRANSIENT_TASK_ERRORS],
      interval: Duration.seconds(1),
      backoffRate: 2,
      maxAttempts: 3,
      jitterStrategy: JitterType.FULL,
    };
    const publishRetry: RetryProps = { ...forwardRetry, errors: [Errors.ALL] };
    const catchInto = { resultPath: '$.error' };

    const cancellation = (name: string, reason: CancellationReason) =>
      Pass.jsonPath(this, name, { result: Result.fromObject({ reason }), resultPath: '$.cancellation' });

    const claims = express ? new ServiceTable(this, 'Claims').table : undefined;
    this.claims = claims;
    const record = (name: string, outcome: keyof typeof SAGA_CLAIM_OUTCOMES, reasonPath?: string) =>
      DynamoUpdateItem.jsonPath(this, name, {
        table: claimsOf(claims),
        key: { pk: DynamoAttributeValue.fromString(ORDER_ID) },
        updateExpression: reasonPath === undefined ? 'SET outcome = :outcome, endedAt = :at' : 'SET outcome = :outcome, reason = :reason, endedAt = :at',
        expressionAttributeValues: {
          ':outcome': DynamoAttributeValue.fromString(SAGA_CLAIM_OUTCOMES[outcome]),
          ':at': DynamoAttributeValue.fromString(JsonPath.stateEnteredTime),
          ...(reasonPath === undefined ? {} : { ':reason': DynamoAttributeValue.fromString(JsonPath.stringAt(reasonPath)) }),
        },
        resultPath: JsonPath.DISCARD,
      }).addRetry({ ...publishRetry });


    const compensations = compensationChain(this, {
      bus,
      cancelShipment: props.cancelShipment,
      refundPayment: props.refundPayment,
      releaseInventory: props.releaseInventory,
      retry: compensationRetry,
      publishRetry,
      errorPath: '$.error.Error',
      // Express: a compensation, or OrderCancelled, that still fails goes to the durable repair.
      ...(express
        ? {
            whenExhausted: (compensationFailed: IChainable) => this.handToRepair(props, publishRetry, record, compensationFailed),
            afterCancelled: record(ExpressSagaStates.recordCancelled, 'cancelled', '$.cancellation.reason'),
          }
        : {}),
    });
    const { refundPayment, releaseInventory, publishOrderCancelled } = compensations;
    const cancelShipment = compensations.cancelShipment ?? refundPayment;

    const publishOrderConfirmed = publishTask(this, names.publishOrderConfirmed, bus, OrderConfirmed, {
      orderId: JsonPath.stringAt('$.data.orderId'),
      userId: JsonPath.stringAt('$.data.userId'),
      total: JsonPath.objectAt('$.data.total'),
      paymentId: JsonPath.stringAt('$.results.payment.paymentId'),
      shipmentId: JsonPath.stringAt('$.results.shipment.shipmentId'),
    })
      .addRetry(publishRetry)
      // The last state (Standard): a Succeed after it would only cost a transition on every order.
      .addCatch(cancellation(names.confirmFailed, 'TECHNICAL').next(cancelShipment), catchInto);
    if (express) publishOrderConfirmed.next(record(ExpressSagaStates.recordConfirmed, 'confirmed'));

    const createShipment = invokeTask(
      this,
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
      // Nothing was shipped, nor will be: the shipment stands cancelled. Undo the charge and the reservation.
      .addCatch(cancellation(names.cancelledByCustomer, 'CUSTOMER_REQUEST').next(refundPayment), {
        ...catchInto,
        errors: [SagaErrors.shipmentCancelled],
      })
      .addCatch(cancellation(names.shipmentFailed, 'TECHNICAL').next(cancelShipment), catchInto)
      .next(publishOrderConfirmed);

    const chargePayment = invokeTask(
      this,
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

    const alreadyHandled = Succeed.jsonPath(this, names.alreadyHandled, { comment: 'Another execution handles this order' });
    const reserveInventory = invokeTask(
      this,
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
      .addCatch(alreadyHandled, { ...catchInto, errors: [SagaErrors.duplicateSaga] })
      .addCatch(cancellation(names.reserveFailed, 'TECHNICAL').next(releaseInventory), catchInto)
      .next(chargePayment);

    const definition = claims ? this.claimOrder(claims, alreadyHandled, publishRetry).next(reserveInventory) : reserveInventory;

    this.stateMachine = compensatingStateMachine(this, {
      comment: `Order saga (${this.type}): ${express ? 'claim, ' : ''}reserve, charge, ship, confirm; compensate newest first. Started by ${OrderPlaced.detailType}.`,
      definition,
      type: this.type,
      timeout,
      alarmTopic: props.alarmTopic,
      executions: 'order saga',
      failedMeans: express ? 'a claim, an outcome or a hand-over to the repair needs a person' : 'a compensation or a publication needs a person',
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      logLevel: props.logLevel ?? (express ? LogLevel[observability.sagaLogLevel] : LogLevel.ERROR),
    });

    const slowAfter = props.slowAfter ?? (express ? Duration.minutes(1) : Duration.minutes(5));
    if (slowAfter.toMilliseconds() <= 0 || slowAfter.toMilliseconds() >= timeout.toMilliseconds()) {
      throw new Error(`OrderSaga '${id}': slowAfter (${slowAfter.toHumanString()}) must be longer than 0 and shorter than the timeout (${timeout.toHumanString()}): an execution that long times out instead.`);
    }
    new Alarm(this, 'SlowAlarm', {
      alarmDescription: `Order saga executions are slow: p99 execution time over ${slowAfter.toHumanString()} for 15 minutes (orders wait on retries)`,
      metric: this.stateMachine.metricTime({ statistic: 'p99', period: Duration.minutes(5) }),
      threshold: slowAfter.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));

    // One trace per order, and only a share of them: X-Ray records the saga's executions at the sampling rule's rate
    // (its functions trace only inside a sampled execution: they are PassThrough). Step Functions honours sampling rules.
    const stackName = Stack.of(this).stackName;
    new CfnSamplingRule(this, 'TraceSampling', {
      samplingRule: {
        ruleName: `${stackName.slice(0, 26)}-sagas`,
        priority: 100,
        fixedRate: observability.traceSampleRate,
        reservoirSize: 0,
        serviceName: this.stateMachine.stateMachineName,
        serviceType: 'AWS::StepFunctions::StateMachine',
        host: '*',
        httpMethod: '*',
        urlPath: '*',
        resourceArn: '*',
        version: 1,
      },
    });

    if (claims) {
      // At-least-once starts are safe behind the claim: the rule starts executions itself, with the OrderPlaced detail as input.
      props.bus.addRule(this, 'StartOrderSaga', {
        description: `Starts the order saga for every ${OrderPlaced.detailType}`,
        eventPattern: { source: [OrderPlaced.source], detailType: [OrderPlaced.detailType] },
        target: (delivery) => new SfnStateMachine(this.stateMachine, { input: RuleTargetInput.fromEventPath('$.detail'), ...delivery }),
      });
      return;
    }
    this.starter = new ShopFunction(this, 'Starter', {
      service: 'orchestration',
      entry: 'orchestration/entries/start-order-saga.ts',
      description: 'Starts the order saga, one execution per order (named after it)',
      environment: { STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      version: props.version,
    });
    this.stateMachine.grantStartExecution(this.starter);
    props.bus.addQueuedConsumer(this, 'StartOrderSaga', {
      description: `Starts the order saga for every ${OrderPlaced.detailType}`,
      eventPattern: { source: [OrderPlaced.source], detailType: [OrderPlaced.detailType] },
      consumer: this.starter,
      deadLetters: { id: 'StartOrderSagaStarterDeadLetters', what: 'OrderPlaced events the saga starter failed on' },
    });
  }

  /**
   * `ClaimOrder`: the order's claim, written before any side effect, if no
   * other execution holds it. Only this execution's own claim may already be
   * there (a retried write whose answer was lost). Anyone else's ends the
   * execution at `AlreadyHandled`; a claim that cannot be written fails it
   * (which alarms) before anything was done, and the reconciler starts the
   * saga again later.
   */
  private claimOrder(claims: ITableV2, alreadyHandled: Succeed, publishRetry: RetryProps): INextable & IChainable {
    return DynamoPutItem.jsonPath(this, ExpressSagaStates.claimOrder, {
      table: claims,
      item: {
        pk: DynamoAttributeValue.fromString(ORDER_ID),
        executionId: DynamoAttributeValue.fromString(JsonPath.executionId),
        claimedAt: DynamoAttributeValue.fromString(JsonPath.executionStartTime),
      },
      conditionExpression: 'attribute_not_exists(pk) OR executionId = :me',
      expressionAttributeValues: { ':me': DynamoAttributeValue.fromString(JsonPath.executionId) },
      resultPath: JsonPath.DISCARD,
    })
      .addRetry({ errors: [CLAIM_TAKEN], maxAttempts: 0 })
      .addRetry(publishRetry)
      .addCatch(alreadyHandled, { errors: [CLAIM_TAKEN], resultPath: '$.error' })
      .addCatch(new Fail(this, ExpressSagaStates.claimFailed, { error: 'ClaimFailed', cause: 'The order could not be claimed; nothing was done' }), {
        resultPath: '$.error',
      });
  }

  /**
   * `HandToRepair → RecordRepair`: starts the repair named after the order
   * with the order and the saga's reason; a repair already under way for the
   * order (`ExecutionAlreadyExists`) has it in hand just as well. A
   * hand-over that still fails publishes CompensationFailed and fails.
   */
  private handToRepair(
    props: OrderSagaProps,
    publishRetry: RetryProps,
    record: (name: string, outcome: keyof typeof SAGA_CLAIM_OUTCOMES) => INextable & IChainable,
    compensationFailed: IChainable,
  ): IChainable {
    const repair = props.repair;
    if (repair === undefined) throw new Error('unreachable: checked in the constructor');
    const recordRepair = record(ExpressSagaStates.recordRepair, 'repair');
    return StepFunctionsStartExecution.jsonPath(this, ExpressSagaStates.handToRepair, {
      stateMachine: repair,
      integrationPattern: IntegrationPattern.REQUEST_RESPONSE,
      name: ORDER_ID,
      associateWithParent: false,
      input: TaskInput.fromObject({
        data: { orderId: ORDER_ID, userId: JsonPath.stringAt('$.data.userId') },
        metadata: { correlationId: CORRELATION_ID },
        cancellation: { reason: JsonPath.stringAt('$.cancellation.reason') },
      }),
      resultPath: JsonPath.DISCARD,
    })
      .addRetry({ errors: [REPAIR_TAKEN], maxAttempts: 0 })
      .addRetry(publishRetry)
      .addCatch(recordRepair, { errors: [REPAIR_TAKEN], resultPath: '$.repairError' })
      .addCatch(compensationFailed, { resultPath: '$.compensationError' })
      .next(recordRepair);
  }
}

/** What DynamoDB answers a claim held by another execution. */
const CLAIM_TAKEN = 'DynamoDB.ConditionalCheckFailedException';
/** What Step Functions answers a start whose name an execution already has. */
const REPAIR_TAKEN = 'StepFunctions.ExecutionAlreadyExistsException';

/**
 * Retries of an Express saga's compensations before the repair takes over:
 * 3 attempts after the first, 1 s growing ×2 up to 4 s with full jitter —
 * seconds, well inside the 5-minute limit even with slow functions.
 */
const EXPRESS_COMPENSATION_RETRY: CompensationRetryProps = { maxAttempts: 3, interval: Duration.seconds(1), backoffRate: 2, maxDelay: Duration.seconds(4) };

const claimsOf = (claims: ITableV2 | undefined): ITableV2 => {
  if (claims === undefined) throw new Error('unreachable: only an Express saga records outcomes');
  return claims;
};
