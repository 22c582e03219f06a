import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb/dynamodb-local';
import type { IamDenial } from './iam/authorizer';
import { LocalCloud, type LocalCloudOptions } from './local-cloud';
import { synthesize } from './synthesize';

/** Options of {@link startFreshLocalCloud}: the local cloud's, less what this function provides. */
export interface FreshLocalCloudOptions extends Omit<LocalCloudOptions, 'assemblyDir' | 'dynamoDb' | 'persistDir'> {
  /** An already synthesized assembly to run. @default a fresh `cdk synth` into a temporary directory */
  readonly assemblyDir?: string;
  /** The CDK app to synthesize when no assembly is given (e.g. `tsx bin/fidelity-probe.ts`). @default cdk.json's */
  readonly app?: string;
  /** CDK context for that synthesis (e.g. `{ saga: 'express' }`). @default none */
  readonly context?: Readonly<Record<string, string>>;
  /** Called once the assembly is ready, before the local cloud starts (for progress displays). */
  readonly onSynthesized?: () => void;
  /**
   * Make `stop()` fail when IAM denied anything during the run (AWS would
   * have failed those calls): what every suite that drives the shop wants.
   * @default true
   */
  readonly failOnDenials?: boolean;
}

/** IAM denied calls while the local cloud ran: on AWS those calls would fail. */
export class IamDenialsError extends Error {
  public constructor(denials: readonly IamDenial[]) {
    const lines = [...new Set(denials.map((denial) => `- ${denial.hop ?? denial.principalLabel}: ${denial.message}`))];
    super(`IAM denied ${String(denials.length)} call(s) during the run; AWS would deny them too:\n${lines.join('\n')}`);
    this.name = 'IamDenialsError';
  }
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
  const { assemblyDir: given, app, context, onSynthesized, failOnDenials = true, ...cloudOptions } = options;
  const assemblyDir = given ? path.resolve(given) : mkdtempSync(path.join(tmpdir(), 'shop-cdk-out-'));
  const removeAssembly = () => {
    if (!given) rmSync(assemblyDir, { recursive: true, force: true });
  };
  const dynamoDb: Promise<DynamoDbLocal> = startDynamoDbLocal();
  dynamoDb.catch(() => undefined);
  let cloud: LocalCloud;
  try {
    if (!given) await synthesize(assemblyDir, { ...(app ? { app } : {}), ...(context ? { context } : {}) });
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
      if (failOnDenials && cloud.iam.authorizer.denials.length > 0) throw new IamDenialsError(cloud.iam.authorizer.denials);
    },
  };
};
