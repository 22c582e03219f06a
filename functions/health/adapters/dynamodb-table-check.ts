import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { READY_PROBE_KEY } from '../probe-key';
import type { DependencyCheck } from '../ports/dependency-check';

/** How to read the probe's key in one table. */
export interface TableProbe {
  readonly tableName: string;
  readonly partitionKey: string;
  /** @default the table has no sort key */
  readonly sortKey?: string;
}

/**
 * Ready when the table serves reads: a GetItem of {@link READY_PROBE_KEY},
 * which no item has. DescribeTable would answer from the control plane
 * even while the table's reads fail (throttled, say); this read goes where
 * the shop's reads go, for the smallest read there is (an eventually
 * consistent read of nothing: 0.5 read request unit).
 */
export const dynamoDbTableCheck =
  (table: TableProbe, client: Pick<DynamoDBDocumentClient, 'send'> = dynamoDb()): DependencyCheck =>
  async (abortSignal) => {
    const key: Record<string, string> = { [table.partitionKey]: READY_PROBE_KEY };
    if (table.sortKey !== undefined) key[table.sortKey] = READY_PROBE_KEY;
    await client.send(new GetCommand({ TableName: table.tableName, Key: key }), { abortSignal });
  };
