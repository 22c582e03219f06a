import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus, Rule, type EventPattern, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

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

/**
 * The `shop` event bus with an archive. Rules are added through
 * {@link ShopBus.addRule}, which gives every target a retry policy and its
 * own SQS dead-letter queue with a depth alarm: no target can be added
 * without them.
 */
export class ShopBus extends Construct {
  public readonly bus: EventBus;
  private readonly props: ShopBusProps;

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

  /** Adds a rule whose target has retries and a dead-letter queue. */
  public addRule(id: string, props: ShopRuleProps): Rule {
    const deadLetterQueue = this.deadLetterQueue(`${id}DeadLetters`, `Events ${id} could not deliver`);
    const rule = new Rule(this, id, { eventBus: this.bus, description: props.description, eventPattern: props.eventPattern });
    rule.addTarget(
      props.target({
        deadLetterQueue,
        retryAttempts: this.props.retryAttempts ?? 185,
        maxEventAge: this.props.maxEventAge ?? Duration.hours(24),
      }),
    );
    return rule;
  }

  /** An encrypted SQS dead-letter queue with an alarm on its depth. */
  public deadLetterQueue(id: string, what: string): Queue {
    const queue = new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        `This queue is itself a dead-letter queue (${what}), for a rule target, a pipe or a Lambda async invocation, which cdk-nag ` +
        'cannot see as it only recognises SQS redrive policies. A dead-letter queue of its own would only move the messages; they ' +
        'are kept 14 days and its depth alarms.',
    });
    new Alarm(this, `${id}Alarm`, {
      alarmDescription: `${what}: messages are waiting in a dead-letter queue`,
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(this.props.alarmTopic));
    return queue;
  }
}
