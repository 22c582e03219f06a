import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Errors, JitterType, type LogLevel, type RetryProps, type StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ShopBus } from '../constructs/shop-bus';
import { CompensationStates, compensatingStateMachine, compensationChain, compensationRetryOf, type CompensationRetryProps } from './compensations';

/** Names of the cancellation state machine's states: the compensation chain's. */
export const OrderCancellationStates = CompensationStates;

/** Props of {@link OrderCancellation}. */
export interface OrderCancellationProps {
  /** Where OrderCancelled (and CompensationFailed) are published. */
  readonly bus: ShopBus;
  /** Where the alarms (failed or timed-out executions) are sent. */
  readonly alarmTopic: ITopic;
  /** Cancels the order's shipment; a no-op when there is none or it is cancelled already. */
  readonly cancelShipment: IFunction;
  /** Refunds the order's payment; a no-op when nothing was captured. */
  readonly refundPayment: IFunction;
  /** Releases the order's reservation; a no-op when nothing is reserved. */
  readonly releaseInventory: IFunction;
  /**
   * Retries of each compensation and of publishing OrderCancelled, as the
   * saga's (they must finish, so they wait longest).
   * @default 20 attempts, 1 s growing ×2 up to 60 s, full jitter
   */
  readonly compensationRetry?: CompensationRetryProps;
  /** Longest an execution may run. @default Duration.hours(1) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default LogLevel.ERROR */
  readonly logLevel?: LogLevel;
}

/**
 * Undoes an order: `CancelShipment → RefundPayment → ReleaseInventory →
 * PublishOrderCancelled(reason)`, the saga's own compensation chain with the
 * Standard saga's retries, and `CompensationFailed` + a failed execution
 * (which alarms) when a compensation still fails. Input:
 * `{data: {orderId, userId}, metadata: {correlationId}, cancellation: {reason}}`.
 * It is started named after the order (a second start finds the name taken) by:
 * - the orders service, when an order's owner cancels a confirmed (or
 *   confirming) order (reason CUSTOMER_REQUEST), once shipping has cancelled
 *   its shipment — so CancelShipment finds it cancelled already. That order
 *   matters: a saga that has not created the shipment yet never will (it
 *   fails at CreateShipment and compensates itself), and one that has
 *   created it had already reserved and charged, so these compensations find
 *   what they must undo;
 * - an Express saga, as its durable repair: a compensation that outlasted the
 *   Express retries (an Express execution ends at 5 minutes) is finished here,
 *   with the saga's reason.
 *
 * A Standard state machine: it runs only when someone cancels or a
 * compensation keeps failing, and then a handful of transitions.
 */
export class OrderCancellation extends Construct {
  public readonly stateMachine: StateMachine;

  public constructor(scope: Construct, id: string, props: OrderCancellationProps) {
    super(scope, id);
    const retry = compensationRetryOf(this, props.compensationRetry);
    const publishRetry: RetryProps = { errors: [Errors.ALL], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, jitterStrategy: JitterType.FULL };
    const { cancelShipment } = compensationChain(this, {
      bus: props.bus.bus,
      cancelShipment: props.cancelShipment,
      refundPayment: props.refundPayment,
      releaseInventory: props.releaseInventory,
      retry,
      publishRetry,
    });
    if (cancelShipment === undefined) throw new Error('unreachable: the chain was given CancelShipment');

    this.stateMachine = compensatingStateMachine(this, {
      comment: 'Order cancellation: cancel the shipment, refund, release, publish OrderCancelled(reason). Started by the orders service and by an Express saga.',
      definition: cancelShipment,
      timeout: props.timeout ?? Duration.hours(1),
      alarmTopic: props.alarmTopic,
      executions: 'order cancellation',
      failedMeans: 'a refund, a release or a publication needs a person',
      ...(props.logRetention !== undefined ? { logRetention: props.logRetention } : {}),
      ...(props.logLevel !== undefined ? { logLevel: props.logLevel } : {}),
    });
  }

  /** Lets `grantee` start executions (and nothing else). */
  public grantStart(grantee: IGrantable): void {
    this.stateMachine.grantStartExecution(grantee);
  }
}
