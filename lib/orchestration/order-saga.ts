import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Errors, JitterType, JsonPath, Pass, Result, Succeed, type LogLevel, type RetryProps, type StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
  invokeTask,
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

    const compensations = compensationChain(this, {
      bus,
      cancelShipment: props.cancelShipment,
      refundPayment: props.refundPayment,
      releaseInventory: props.releaseInventory,
      retry: compensationRetry,
      publishRetry,
      errorPath: '$.error.Error',
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
      // The last state: a Succeed after it would only cost a transition on every order.
      .addCatch(cancellation(names.confirmFailed, 'TECHNICAL').next(cancelShipment), catchInto);

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
      .addCatch(Succeed.jsonPath(this, names.alreadyHandled, { comment: 'Another execution handles this order' }), {
        ...catchInto,
        errors: [SagaErrors.duplicateSaga],
      })
      .addCatch(cancellation(names.reserveFailed, 'TECHNICAL').next(releaseInventory), catchInto)
      .next(chargePayment);

    this.stateMachine = compensatingStateMachine(this, {
      comment: `Order saga: reserve, charge, ship, confirm; compensate newest first. Started by ${OrderPlaced.detailType}.`,
      definition: reserveInventory,
      timeout,
      alarmTopic: props.alarmTopic,
      executions: 'order saga',
      failedMeans: 'a compensation or a publication needs a person',
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    });

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
}
