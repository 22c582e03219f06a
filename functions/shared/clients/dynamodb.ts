import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { awsCallSettings, withCallDeadline } from '../aws-clients';
import { loadDeadlines } from '../deadlines';
import { tracer } from '../powertools';

let documentClient: DynamoDBDocumentClient | undefined;

/** DynamoDB document client; `undefined` attributes are dropped on write. */
export const dynamoDb = (): DynamoDBDocumentClient => {
  documentClient ??= withCallDeadline(
    DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient(awsCallSettings())), { marshallOptions: { removeUndefinedValues: true } }),
    'A DynamoDB call',
    loadDeadlines().awsMs,
  );
  return documentClient;
};
