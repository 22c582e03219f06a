import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableV2, type GlobalSecondaryIndexPropsV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/** Props of {@link ServiceTable}. */
export interface ServiceTableProps {
  /** Whether items have a sort key `sk`. @default false */
  readonly sortKey?: boolean;
  /** Secondary indexes. @default none */
  readonly globalSecondaryIndexes?: GlobalSecondaryIndexPropsV2[];
  /** Stream for an outbox. @default no stream */
  readonly stream?: StreamViewType;
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes expired items. @default no TTL */
  readonly timeToLiveAttribute?: string;
  /** @default RemovalPolicy.RETAIN — order data outlives a stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The one table a service owns: partition key `pk` (and `sk` when asked),
 * on-demand, point-in-time recovery, encrypted, no physical name.
 */
export class ServiceTable extends Construct {
  public readonly table: TableV2;

  public constructor(scope: Construct, id: string, props: ServiceTableProps = {}) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      ...(props.sortKey ? { sortKey: { name: 'sk', type: AttributeType.STRING } } : {}),
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      globalSecondaryIndexes: props.globalSecondaryIndexes,
      dynamoStream: props.stream,
      timeToLiveAttribute: props.timeToLiveAttribute,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
