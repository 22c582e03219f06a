import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
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
  StateMachine,
  StateMachineType,
  TaskInput,
  Result,
  type IChainable,
  type RetryProps,
} from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { EventContract } from '../../functions/shared/contracts/envelope';
import { CompensationFailed, OrderCancelled } from '../../functions/shared/contracts/events';
import { iamWildcardResource, XRAY_WILDCARD_REASON } from '../constructs/nag';

/**
 * What the order saga and the cancellation state machine share: the
 * compensation chain (`CancelShipment → RefundPayment → ReleaseInventory →
 * PublishOrderCancelled`, each compensation retried on every error and, when
 * it still fails, `CompensationFailed` published and the execution failed),
 * the way tasks invoke functions and put events, and the state machine's
 * logging, nag acknowledgements and alarms. Both read the order from
 * `$.data.orderId`, `$.data.userId` and `$.metadata.correlationId`.
 */

/** Names of the compensation chain's states, the same in every state machine that has one. */
export const CompensationStates = {
  cancelShipment: 'CancelShipment',
  refundPayment: 'RefundPayment',
  releaseInventory: 'ReleaseInventory',
  publishOrderCancelled: 'PublishOrderCancelled',
  cancelShipmentFailed: 'CancelShipmentFailed',
  refundPaymentFailed: 'RefundPaymentFailed',
  releaseInventoryFailed: 'ReleaseInventoryFailed',
  publishCompensationFailed: 'PublishCompensationFailed',
  compensationFailed: 'CompensationFailed',
  cancellationNotPublished: 'CancellationNotPublished',
} as const;

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

/** Resolves the compensation retry defaults and rejects values Step Functions would refuse. */
export const compensationRetryOf = (scope: Construct, props: CompensationRetryProps = {}): RetryProps => {
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

/** Where a task finds the order it works on. */
export const ORDER_ID = JsonPath.stringAt('$.data.orderId');
export const CORRELATION_ID = JsonPath.stringAt('$.metadata.correlationId');

/**
 * A task that invokes `fn` synchronously with `{orderId, correlationId,
 * ...payload}` and keeps its answer at `resultPath`. Lambda service errors
 * are not retried behind the task's back: each state's Retry says what is.
 */
export const invokeTask = (scope: Construct, name: string, fn: IFunction, payload: Record<string, unknown>, resultPath: string) =>
  LambdaInvoke.jsonPath(scope, name, {
    lambdaFunction: unqualified(fn),
    payload: TaskInput.fromObject({ orderId: ORDER_ID, correlationId: CORRELATION_ID, ...payload }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath,
  });

/** A task that puts one event of `contract` on `bus` (the `events:putEvents` integration, no function), its result discarded. */
export const publishTask = (scope: Construct, name: string, bus: IEventBus, contract: EventContract, data: Record<string, unknown>) =>
  EventBridgePutEvents.jsonPath(scope, name, {
    entries: [
      {
        eventBus: bus,
        source: contract.source,
        detailType: contract.detailType,
        detail: TaskInput.fromObject({
          metadata: { eventId: JsonPath.uuid(), version: contract.version, occurredAt: JsonPath.stateEnteredTime, correlationId: CORRELATION_ID },
          data,
        }),
      },
    ],
    resultPath: JsonPath.DISCARD,
  });

/** Props of {@link compensationChain}. */
export interface CompensationChainProps {
  /** Where OrderCancelled and CompensationFailed are put. */
  readonly bus: IEventBus;
  readonly refundPayment: IFunction;
  readonly releaseInventory: IFunction;
  /** When given, the chain can be entered one step earlier, at CancelShipment. @default no CancelShipment state */
  readonly cancelShipment?: IFunction;
  /** Retries of each compensation and of publishing OrderCancelled (see {@link compensationRetryOf}). */
  readonly retry: RetryProps;
  /** Retries of publishing CompensationFailed. */
  readonly publishRetry: RetryProps;
  /**
   * JSONPath of the error OrderCancelled reports (`$.error.Error` in the
   * saga, where a failing step's Catch put it). @default none: the event has no `error`
   */
  readonly errorPath?: string;
  /**
   * Where a compensation that still fails after its retries goes (after its
   * `<Step>Failed` state records the step at `$.compensationFailure.step`,
   * the error at `$.compensationError`), and an OrderCancelled that cannot be
   * published (after `CancellationNotPublished` records it the same way):
   * given the chain that publishes CompensationFailed and fails, it returns
   * the state to enter. @default that chain, and a Fail for OrderCancelled
   */
  readonly whenExhausted?: (compensationFailed: IChainable) => IChainable;
  /** The state after PublishOrderCancelled. @default none: the execution succeeds there */
  readonly afterCancelled?: IChainable;
}

/** The entry points of a compensation chain: each runs itself and everything after it. */
export interface CompensationChain {
  readonly cancelShipment?: IChainable;
  readonly refundPayment: IChainable;
  readonly releaseInventory: IChainable;
  /** Publishes OrderCancelled with the reason at `$.cancellation.reason`: the execution succeeds there. */
  readonly publishOrderCancelled: IChainable;
}

/**
 * The compensations, newest first: `[CancelShipment →] RefundPayment →
 * ReleaseInventory → PublishOrderCancelled`, the last state. Each
 * compensation is idempotent (a no-op when there is nothing to undo), so it
 * retries every error; one that still fails publishes CompensationFailed and
 * fails the execution, which alarms. OrderCancelled that cannot be published
 * after all its retries fails the execution too.
 */
export const compensationChain = (scope: Construct, props: CompensationChainProps): CompensationChain => {
  const names = CompensationStates;
  const publishCompensationFailed = publishTask(scope, names.publishCompensationFailed, props.bus, CompensationFailed, {
    orderId: ORDER_ID,
    step: JsonPath.stringAt('$.compensationFailure.step'),
    error: JsonPath.stringAt('$.compensationError.Error'),
    cause: JsonPath.stringAt('$.compensationError.Cause'),
  })
    .addRetry(props.publishRetry)
    .next(
      Fail.jsonPath(scope, names.compensationFailed, {
        error: 'CompensationFailed',
        cause: 'A compensation still failed after all its retries; CompensationFailed was published',
      }),
    );

  const exhausted = props.whenExhausted ? props.whenExhausted(publishCompensationFailed) : publishCompensationFailed;
  const failure = { resultPath: '$.compensationError' };
  const publishOrderCancelled = publishTask(scope, names.publishOrderCancelled, props.bus, OrderCancelled, {
    orderId: ORDER_ID,
    userId: JsonPath.stringAt('$.data.userId'),
    reason: JsonPath.stringAt('$.cancellation.reason'),
    ...(props.errorPath !== undefined ? { error: JsonPath.stringAt(props.errorPath) } : {}),
  }).addRetry(props.retry);
  if (props.whenExhausted) {
    publishOrderCancelled.addCatch(
      Pass.jsonPath(scope, names.cancellationNotPublished, { result: Result.fromObject({ step: names.publishOrderCancelled }), resultPath: '$.compensationFailure' }).next(exhausted),
      failure,
    );
  } else {
    publishOrderCancelled.addCatch(
      Fail.jsonPath(scope, names.cancellationNotPublished, {
        error: 'CancellationNotPublished',
        cause: 'The order was compensated but OrderCancelled could not be published after all retries',
      }),
      // The last state: a Succeed after it would only cost a transition on every cancelled order.
      { resultPath: '$.publishError' },
    );
  }
  if (props.afterCancelled) publishOrderCancelled.next(props.afterCancelled);

  const compensation = (name: string, failedName: string, fn: IFunction, resultKey: string) =>
    invokeTask(scope, name, fn, {}, `$.compensations.${resultKey}`)
      .addRetry(props.retry)
      .addCatch(
        Pass.jsonPath(scope, failedName, { result: Result.fromObject({ step: name }), resultPath: '$.compensationFailure' }).next(exhausted),
        failure,
      );

  const releaseInventory = compensation(names.releaseInventory, names.releaseInventoryFailed, props.releaseInventory, 'releaseInventory').next(publishOrderCancelled);
  const refundPayment = compensation(names.refundPayment, names.refundPaymentFailed, props.refundPayment, 'refundPayment').next(releaseInventory);
  const cancelShipment =
    props.cancelShipment === undefined
      ? undefined
      : compensation(names.cancelShipment, names.cancelShipmentFailed, props.cancelShipment, 'cancelShipment').next(refundPayment);
  return { ...(cancelShipment ? { cancelShipment } : {}), refundPayment, releaseInventory, publishOrderCancelled };
};

/** How a compensating state machine is run and watched. */
export interface CompensatingStateMachineProps {
  readonly comment: string;
  readonly definition: IChainable;
  /** @default 'standard' */
  readonly type?: 'standard' | 'express';
  /** Longest an execution may run. */
  readonly timeout: Duration;
  readonly alarmTopic: ITopic;
  /** What its executions are called in alarm descriptions: `An ${executions} execution failed...`. */
  readonly executions: string;
  /** What a failed execution means, for the alarm's description. */
  readonly failedMeans: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default LogLevel.ERROR */
  readonly logLevel?: LogLevel;
}

/**
 * A state machine in JSONPath — Standard (exactly-once state transitions, an
 * auditable history) unless told Express — traced, logging without execution
 * data (the input may carry a payment token and an address), with alarms on
 * failed and timed-out executions.
 */
export const compensatingStateMachine = (scope: Construct, props: CompensatingStateMachineProps): StateMachine => {
  const logGroup = new LogGroup(scope, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  const logLevel = props.logLevel ?? LogLevel.ERROR;
  const stateMachine = new StateMachine(scope, 'StateMachine', {
    comment: props.comment,
    definitionBody: DefinitionBody.fromChainable(props.definition),
    stateMachineType: props.type === 'express' ? StateMachineType.EXPRESS : StateMachineType.STANDARD,
    queryLanguage: QueryLanguage.JSON_PATH,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: logLevel, includeExecutionData: false },
  });
  acknowledgeNagFindings(stateMachine, logLevel, props.type ?? 'standard');
  alarm(scope, 'FailedAlarm', `An ${props.executions} execution failed: ${props.failedMeans}`, stateMachine.metricFailed(), props.alarmTopic);
  alarm(scope, 'TimedOutAlarm', `An ${props.executions} execution ran longer than ${props.timeout.toHumanString()}`, stateMachine.metricTimedOut(), props.alarmTopic);
  return stateMachine;
};

/** What cdk-nag reports on such a state machine that is so by design, each with why. */
const acknowledgeNagFindings = (stateMachine: StateMachine, logLevel: LogLevel, type: 'standard' | 'express'): void => {
  if (logLevel !== LogLevel.ALL) {
    Validations.of(stateMachine).acknowledge({
      id: 'AwsSolutions-SF1',
      reason:
        type === 'standard'
          ? `Logs ${logLevel} events, not ALL: a Standard state machine already keeps every state transition in its execution history ` +
            '(90 days, GetExecutionHistory and the console), so ALL would copy each transition into CloudWatch Logs at ingestion cost ' +
            'and add nothing. Execution data is never logged: the input carries the payment token and the shipping address.'
          : `Logs ${logLevel} events, not ALL (the observability profile's choice): every step of every order would cost about 10 KB ` +
            'of ingestion, more than the rest of the saga; each order\'s claim records its outcome, and failures are logged. ' +
            'The full profile (-c observability=full) logs ALL.',
    });
  }
  const role = stateMachine.role;
  Validations.of(role).acknowledge({
    id: iamWildcardResource(role, '*'),
    reason:
      `${XRAY_WILDCARD_REASON} Execution logging needs the CloudWatch Logs vended-delivery actions (logs:CreateLogDelivery, ` +
      'logs:PutResourcePolicy, logs:DescribeLogGroups...), which also accept only "*" (Step Functions guide, "IAM policies for ' +
      'logging to CloudWatch Logs").',
  });
};

const alarm = (scope: Construct, id: string, description: string, metric: IMetric, topic: ITopic): void => {
  new Alarm(scope, id, {
    alarmDescription: description,
    metric,
    threshold: 0,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: TreatMissingData.NOT_BREACHING,
  }).addAlarmAction(new SnsAction(topic));
};

/**
 * The function as a task invokes it: by its unqualified ARN, so the task's
 * grant names that ARN only. `LambdaInvoke` grants `resourceArnsForGrantInvoke`,
 * which for a function adds `<arn>:*` (every version and alias) — a grant no
 * call of these state machines uses.
 */
export const unqualified = (fn: IFunction): IFunction =>
  new Proxy(fn, { get: (target, property) => (property === 'resourceArnsForGrantInvoke' ? [target.functionArn] : Reflect.get(target, property, target)) });
