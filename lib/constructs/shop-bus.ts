import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule, type EventPattern, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { EventSourceMapping, type Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { mirrorScope } from './stack-scope';

/** Delivery settings every rule target gets. */
export interface TargetDelivery {
  readonly deadLetterQueue: IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/** Props of {@link ShopBus}. */
export interface ShopBusProps {
  /** Where alarms are sent. */
  readonly alarmTopic: ITopic;
  /** How long the archive keeps events for replay. @default Duration.days(30) */
  readonly archiveRetention?: Duration;
  /**
   * Retries of each rule target before its dead-letter queue. EventBridge
   * retries a target that refuses the event (a throttled or failing Lambda
   * service, not a function error: Lambda retries those itself), with
   * exponential backoff; its maximum, kept here, rides out an outage of hours.
   * @default 185
   */
  readonly retryAttempts?: number;
  /** Oldest event a target is still retried with. @default Duration.hours(24) */
  readonly maxEventAge?: Duration;
}

/** Props of {@link ShopBus.addRule}. */
export interface ShopRuleProps {
  readonly description: string;
  readonly eventPattern: EventPattern;
  /** Builds the target with the delivery settings (DLQ, retries) it must use. */
  readonly target: (delivery: TargetDelivery) => IRuleTarget;
}

/** Props of {@link ShopBus.addQueuedConsumer}. */
export interface QueuedConsumerProps {
  readonly description: string;
  readonly eventPattern: EventPattern;
  /** The function that drains the queue (its handler takes SQS batches and reports the events that failed). */
  readonly consumer: LambdaFunction;
  /** Id of the dead-letter queue an event goes to once it has failed `maxReceiveCount` times, and what it holds. */
  readonly deadLetters: { readonly id: string; readonly what: string };
  /**
   * Deliveries of one event before it is dead-lettered. Each failed one waits
   * the queue's visibility timeout (6 × the function's timeout, as Lambda
   * advises), so with a 10 s function the default rides out half an hour.
   * @default 30
   */
  readonly maxReceiveCount?: number;
  /** Most batches the event source mapping runs at once. @default 5 */
  readonly maxConcurrency?: number;
}

/** What {@link ShopBus.addQueuedConsumer} made. */
export interface QueuedConsumer {
  readonly rule: Rule;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * The `shop` event bus with an archive. Rules are added through
 * {@link ShopBus.addRule}, which gives every target a retry policy and its
 * own SQS dead-letter queue with a depth alarm: no target can be added
 * without them.
 */
export class ShopBus extends Construct {
  public readonly bus: EventBus;
  private readonly props: ShopBusProps;
  private readonly deadLetters: Queue[] = [];

  /** Every dead-letter queue made through {@link ShopBus.deadLetterQueue}, which every rule, consumer queue and pipe uses. */
  public get deadLetterQueues(): readonly Queue[] {
    return [...this.deadLetters];
  }

  public constructor(scope: Construct, id: string, props: ShopBusProps) {
    super(scope, id);
    this.props = props;
    this.bus = new EventBus(this, 'Bus', { description: 'serverless-shop order events' });
    this.bus.archive('Archive', {
      description: 'Every shop event, for replay',
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
  }

  /**
   * Adds a rule whose target has retries and a dead-letter queue. The rule
   * and its queues are made in `owner`'s stack (the service that consumes
   * the events), so that service deploys without the bus's stack.
   */
  public addRule(owner: Construct, id: string, props: ShopRuleProps): Rule {
    const deadLetterQueue = this.deadLetterQueue(owner, `${id}DeadLetters`, `Events ${id} could not deliver`);
    const rule = new Rule(mirrorScope(this, owner), id, { eventBus: this.bus, description: props.description, eventPattern: props.eventPattern });
    rule.addTarget(
      props.target({
        deadLetterQueue,
        retryAttempts: this.props.retryAttempts ?? 185,
        maxEventAge: this.props.maxEventAge ?? Duration.hours(24),
      }),
    );
    return rule;
  }

  /**
   * Adds a rule whose events a function consumes through an SQS queue: rule
   * → queue → Lambda event source mapping (batches of up to 10, only the
   * failed events delivered again) → after `maxReceiveCount` failures, the
   * queue's dead-letter queue. Where a rule invoking the function directly
   * leaves an event to Lambda's asynchronous retries (two, within about 3
   * minutes), the queue keeps retrying it for as long as its receive count
   * allows, so a dependency can be down for that long without an event
   * reaching a dead-letter queue. The function's role gets exactly the calls
   * the mapping makes with it; alarms fire on dead letters and on an event
   * waiting more than 10 minutes.
   */
  public addQueuedConsumer(owner: Construct, id: string, props: QueuedConsumerProps): QueuedConsumer {
    const maxReceiveCount = props.maxReceiveCount ?? 30;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(`ShopBus.addQueuedConsumer('${id}'): maxReceiveCount must be a whole number from 1 to 1000, not ${maxReceiveCount}.`);
    }
    const functionTimeout = props.consumer.timeout ?? Duration.seconds(3);
    const deadLetterQueue = this.deadLetterQueue(owner, props.deadLetters.id, props.deadLetters.what);
    const scope = mirrorScope(this, owner);
    const queue = new Queue(scope, `${id}Queue`, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Lambda's advice for an SQS event source: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(14),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount },
    });
    const rule = this.addRule(owner, id, { description: props.description, eventPattern: props.eventPattern, target: (delivery) => new SqsQueue(queue, delivery) });

    // Exactly what the mapping calls with the function's role; CloudFormation must see it before the mapping is created.
    const access = new Policy(scope, `${id}QueueAccess`, {
      statements: [new PolicyStatement({ actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], resources: [queue.queueArn] })],
    });
    if (props.consumer.role) access.attachToRole(props.consumer.role);
    const mapping = new EventSourceMapping(scope, `${id}Source`, {
      target: props.consumer,
      eventSourceArn: queue.queueArn,
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: props.maxConcurrency ?? 5,
    });
    mapping.node.addDependency(access);

    new Alarm(scope, `${id}BacklogAlarm`, {
      alarmDescription: `${props.description}: an event has waited over 10 minutes in its queue (the consumer keeps failing)`,
      metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 600,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.props.alarmTopic));
    return { rule, queue, deadLetterQueue };
  }

  /** An encrypted SQS dead-letter queue with an alarm on its depth, in `owner`'s stack. */
  public deadLetterQueue(owner: Construct, id: string, what: string): Queue {
    const scope = mirrorScope(this, owner);
    const queue = new Queue(scope, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        `This queue is itself a dead-letter queue (${what}), for a rule target, a pipe, a Lambda async invocation or another queue\'s ` +
        'redrive policy; cdk-nag only recognises the last. A dead-letter queue of its own would only move the messages; they ' +
        'are kept 14 days and its depth alarms.',
    });
    new Alarm(scope, `${id}Alarm`, {
      alarmDescription: `${what}: messages are waiting in a dead-letter queue`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.props.alarmTopic));
    this.deadLetters.push(queue);
    return queue;
  }
}
