import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local';

/**
 * One DynamoDB Local for the whole jest run. Its endpoint reaches the test
 * workers through SHOP_TEST_DYNAMODB_ENDPOINT; each adapter test creates its
 * own uniquely named tables in it.
 */
export default async function globalSetup(): Promise<void> {
  const instance = await startDynamoDbLocal();
  process.env.SHOP_TEST_DYNAMODB_ENDPOINT = instance.endpoint;
  (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal = instance;
}
