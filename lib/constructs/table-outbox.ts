import { Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventContract } from '../../functions/shared/contracts/envelope';
import { iamWildcardResource } from './nag';
import type { ShopBus } from './shop-bus';

/** Props of {@link TableOutbox}. */
export interface TableOutboxProps {
  /** The table whose stream is the outbox; it must have a stream. */
  readonly table: ITableV2;
  readonly bus: ShopBus;
  /** The event the pipe publishes: its detail type and source. */
  readonly event: Pick<EventContract, 'detailType' | 'source'>;
  /** Turns a batch of stream records into event details (one per change; fewer to skip records). */
  readonly enrichment: IFunction;
  /**
   * EventBridge patterns over the stream records: only records one of them
   * matches reach the enrichment, and the pipe bills none of the others.
   */
  readonly filters: readonly object[];
  /** Id of the dead-letter queue of batches the pipe gave up on, and what it holds. */
  readonly deadLetters: { readonly id: string; readonly what: string };
  readonly description: string;
  /**
   * Retries of a failing batch before it is parked in the dead-letter queue.
   * Each retry holds the shard (later records wait), so the budget is
   * minutes, not the stream's 24 hours.
   * @default 20
   */
  readonly retryAttempts?: number;
}

/**
 * A transactional outbox: the table's stream read by an EventBridge Pipe,
 * filtered, enriched into event details and put on the shop bus. The
 * service writes only its table; the event follows from the write, so the
 * two cannot disagree. The pipe's role may do exactly what the pipe does.
 */
export class TableOutbox extends Construct {
  public readonly pipe: CfnPipe;
  /** Where the pipe parks batches it could not publish (pointers to stream records). */
  public readonly deadLetterQueue: IQueue;

  public constructor(scope: Construct, id: string, props: TableOutboxProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 20;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(`TableOutbox '${id}': retryAttempts must be an integer from 0 to 185; got ${retryAttempts}.`);
    }
    if (props.filters.length === 0) throw new Error(`TableOutbox '${id}': give at least one filter, or every write of the table is published.`);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error(`TableOutbox '${id}': the table has no stream to read.`);

    this.deadLetterQueue = props.bus.deadLetterQueue(this, props.deadLetters.id, props.deadLetters.what);
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('pipes.amazonaws.com'), description: props.description });
    // What the Pipes guide lists for a DynamoDB stream source: the stream actions on the stream, ListStreams on "*"
    // (it has no resource type). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [streamArn] }));
    role.addToPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: iamWildcardResource(role, '*'),
      reason:
        'dynamodb:ListStreams supports no resource-level permissions (Service Authorization Reference, Amazon DynamoDB), and the ' +
        'Pipes guide lists it for a DynamoDB stream source; it lists stream ARNs and reads no data.',
    });
    role.addToPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.enrichment.functionArn] }));
    props.bus.bus.grantPutEventsTo(role);
    role.addToPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));

    this.pipe = new CfnPipe(this, 'Pipe', {
      description: props.description,
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumRetryAttempts: retryAttempts,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: props.filters.map((pattern) => ({ pattern: JSON.stringify(pattern) })) },
      },
      enrichment: props.enrichment.functionArn,
      target: props.bus.bus.eventBusArn,
      targetParameters: { eventBridgeEventBusParameters: { detailType: props.event.detailType, source: props.event.source } },
    });
    this.pipe.node.addDependency(role);
  }
}
