import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools';

/**
 * SDK clients, created once per process and traced. Endpoints are never set
 * here: the SDK reads `AWS_ENDPOINT_URL_*`, which is how the same bundle talks
 * to AWS, LocalStack or the local cloud.
 */
let documentClient: DynamoDBDocumentClient | undefined;
let eventBridgeClient: EventBridgeClient | undefined;
let lambdaClient: LambdaClient | undefined;
let sfnClient: SFNClient | undefined;

/** DynamoDB document client; `undefined` attributes are dropped on write. */
export const dynamoDb = (): DynamoDBDocumentClient => {
  documentClient ??= DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
};

export const eventBridge = (): EventBridgeClient => {
  eventBridgeClient ??= tracer.captureAWSv3Client(new EventBridgeClient({}));
  return eventBridgeClient;
};

export const lambda = (): LambdaClient => {
  lambdaClient ??= tracer.captureAWSv3Client(new LambdaClient({}));
  return lambdaClient;
};

export const stepFunctions = (): SFNClient => {
  sfnClient ??= tracer.captureAWSv3Client(new SFNClient({}));
  return sfnClient;
};
