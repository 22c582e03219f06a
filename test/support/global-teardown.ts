import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { DynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { ASSEMBLY_CACHE_ENV } from '../../local/fresh-local-cloud';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __dynamoDbLocal?: DynamoDbLocal }).__dynamoDbLocal?.stop();
  const cache = process.env[ASSEMBLY_CACHE_ENV];
  // Only the cache this run made (under the temporary directory), never one a developer pointed it at.
  if (cache?.startsWith(`${tmpdir()}/shop-jest-assemblies-`)) rmSync(cache, { recursive: true, force: true });
}
