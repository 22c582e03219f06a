import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb/dynamodb-local';
import { LocalCloud, type LocalCloudOptions } from './local-cloud';
import { synthesize } from './synthesize';

/** Options of {@link startFreshLocalCloud}: the local cloud's, less what this function provides. */
export interface FreshLocalCloudOptions extends Omit<LocalCloudOptions, 'assemblyDir' | 'dynamoDb' | 'persistDir'> {
  /** An already synthesized assembly to run. @default a fresh `cdk synth` into a temporary directory */
  readonly assemblyDir?: string;
  /** Called once the assembly is ready, before the local cloud starts (for progress displays). */
  readonly onSynthesized?: () => void;
}

/** A local cloud started by {@link startFreshLocalCloud}. */
export interface FreshLocalCloud {
  readonly cloud: LocalCloud;
  /** The assembly it runs. */
  readonly assemblyDir: string;
  /** Stops the cloud and removes the temporary assembly, if one was made. */
  stop(): Promise<void>;
}

/**
 * The local cloud as tests, the fuzzer and the soak use it: synthesized into
 * a temporary directory (the developer's cdk.out is left alone) while
 * DynamoDB Local warms up, in memory, on a free port unless told otherwise.
 * Nothing is left behind on failure or after `stop()`.
 */
export const startFreshLocalCloud = async (options: FreshLocalCloudOptions): Promise<FreshLocalCloud> => {
  const { assemblyDir: given, onSynthesized, ...cloudOptions } = options;
  const assemblyDir = given ? path.resolve(given) : mkdtempSync(path.join(tmpdir(), 'shop-cdk-out-'));
  const removeAssembly = () => {
    if (!given) rmSync(assemblyDir, { recursive: true, force: true });
  };
  const dynamoDb: Promise<DynamoDbLocal> = startDynamoDbLocal();
  dynamoDb.catch(() => undefined);
  let cloud: LocalCloud;
  try {
    if (!given) await synthesize(assemblyDir);
    onSynthesized?.();
    cloud = await LocalCloud.start({ apiPort: 0, ...cloudOptions, assemblyDir, dynamoDb });
  } catch (error) {
    await (await dynamoDb.catch(() => undefined))?.stop();
    removeAssembly();
    throw error;
  }
  return {
    cloud,
    assemblyDir,
    stop: async () => {
      try {
        await cloud.stop();
      } finally {
        removeAssembly();
      }
    },
  };
};
