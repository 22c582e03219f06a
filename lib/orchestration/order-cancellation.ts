import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Errors, JitterType, Pass, Result, type LogLevel, type RetryProps, type StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { CancellationReason } from '../../functions/shared/contracts/common';
import type { ShopBus } from '../constructs/shop-bus';
import { CompensationStates, compensatingStateMachine, compensationChain, compensationRetryOf, type CompensationRetryProps } from './compensations';

/** Names of the cancellation state machine's states: the compensation chain's, after the state that records the reason. */
export const OrderCancellationStates = {
  customerRequest: 'CustomerRequest',
  ...CompensationStates,
} as const;

/** Props of {@link OrderCancellation}. */
export interface OrderCancellationProps {
  /** Where OrderCancelled (and CompensationFailed) are published. */
  readonly bus: ShopBus;
  /** Where the alarms (failed or timed-out executions) are sent. */
  readonly alarmTopic: ITopic;
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
 * Undoes a confirmed (or confirming) order its owner cancelled: `RefundPayment
 * → ReleaseInventory → PublishOrderCancelled(CUSTOMER_REQUEST)`, the saga's
 * own compensation chain with the saga's retries, and `CompensationFailed` +
 * a failed execution (which alarms) when a compensation still fails.
 *
 * The orders service starts it, named after the order (a second start finds
 * the name taken), once shipping has cancelled the order's shipment. That
 * order matters: a saga that has not created the shipment yet never will (it
 * fails at CreateShipment and compensates itself), and one that has created
 * it had already reserved and charged, so these compensations find what they
 * must undo. Input: `{data: {orderId, userId}, metadata: {correlationId}}`.
 *
 * A Standard state machine, like the saga: it runs only when someone cancels,
 * and then a handful of transitions.
 */
export class OrderCancellation extends Construct {
  public readonly stateMachine: StateMachine;

  public constructor(scope: Construct, id: string, props: OrderCancellationProps) {
    super(scope, id);
    const retry = compensationRetryOf(this, props.compensationRetry);
    const publishRetry: RetryProps = { errors: [Errors.ALL], interval: Duration.seconds(1), backoffRate: 2, maxAttempts: 3, jitterStrategy: JitterType.FULL };
    const { refundPayment } = compensationChain(this, {
      bus: props.bus.bus,
      refundPayment: props.refundPayment,
      releaseInventory: props.releaseInventory,
      retry,
      publishRetry,
    });
    const reason: CancellationReason = 'CUSTOMER_REQUEST';
    const customerRequest = Pass.jsonPath(this, OrderCancellationStates.customerRequest, {
      result: Result.fromObject({ reason }),
      resultPath: '$.cancellation',
    }).next(refundPayment);

    this.stateMachine = compensatingStateMachine(this, {
      comment: 'Order cancellation by its owner: refund, release, publish OrderCancelled(CUSTOMER_REQUEST). Started by the orders service.',
      definition: customerRequest,
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
