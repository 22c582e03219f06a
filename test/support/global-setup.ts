import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { ASSEMBLY_CACHE_ENV } from '../../local/fresh-local-cloud';

/**
 * One DynamoDB Local for the whole jest run. Its endpoint reaches the test
 * workers through SHOP_TEST_DYNAMODB_ENDPOINT; each adapter test creates its
 * own uniquely named tables in it. And one assembly cache for the run: the
 * suites that start a fresh local cloud synthesize each app and context once
 * between them, not once each (see ASSEMBLY_CACHE_ENV).
 */
export default async function globalSetup(): Promise<void> {
  process.env[ASSEMBLY_CACHE_ENV] ??= mkdtempSync(path.join(tmpdir(), 'shop-jest-assemblies-'));
  const instance = await startDynamoDbLocal();
  process.env.SHOP_TEST_DYNAMODB_ENDPOINT = instance.endpoint;
  (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal = instance;
}
