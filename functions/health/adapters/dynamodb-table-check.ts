import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dynamoDb } from '../../shared/aws-clients';
import type { DependencyCheck } from '../ports/dependency-check';

/** Healthy when the table exists and is ACTIVE. */
export const dynamoDbTableCheck =
  (tableName: string, client: Pick<DynamoDBClient, 'send'> = dynamoDb()): DependencyCheck =>
  async () => {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus === 'ACTIVE' ? undefined : `table is ${Table?.TableStatus ?? 'missing'}`;
  };
