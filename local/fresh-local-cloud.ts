import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
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

/**
 * Where a run of many local clouds (the test suite) keeps the assemblies it
 * synthesized, one per app and context: when the environment variable is
 * set (the jest global setup sets it to a fresh directory for the run), a
 * fresh local cloud that would synthesize reuses the assembly synthesized
 * for the same app and context earlier in the run, in this process or
 * another (a lock directory makes one synthesize while the others wait).
 * Assemblies are only read, never written, by a local cloud.
 */
export const ASSEMBLY_CACHE_ENV = 'SHOP_ASSEMBLY_CACHE_DIR';

/** How long a process waits for another to finish synthesizing an assembly it needs. */
const CACHE_WAIT_MS = 300_000;

const cachedAssembly = async (cacheDir: string, app: string | undefined, context: Readonly<Record<string, string>> | undefined): Promise<string> => {
  const sortedContext = Object.fromEntries(Object.entries(context ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  const key = createHash('sha256').update(JSON.stringify({ app: app ?? '', context: sortedContext })).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, key);
  const done = path.join(dir, '.synthesized');
  const lock = `${dir}.lock`;
  const deadline = Date.now() + CACHE_WAIT_MS;
  for (;;) {
    if (existsSync(done)) return dir;
    try {
      mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (Date.now() > deadline) throw new Error(`Waited ${CACHE_WAIT_MS / 1000} s for another process to synthesize ${dir} (remove ${lock} if none is).`);
      await sleep(250);
      continue;
    }
    try {
      if (!existsSync(done)) {
        rmSync(dir, { recursive: true, force: true });
        await synthesize(dir, { ...(app ? { app } : {}), ...(context ? { context } : {}) });
        writeFileSync(done, '');
      }
      return dir;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
};

/** An assembly of the shop's app, from {@link synthesizedAssembly}. */
export interface SynthesizedAssembly {
  readonly dir: string;
  /** Removes it, unless it belongs to the run's assembly cache. */
  remove(): void;
}

/**
 * The shop's app synthesized with `context` (cdk.json's app), for a test
 * that reads or copies it: the run's cached assembly when there is a cache
 * ({@link ASSEMBLY_CACHE_ENV}), which must then be left unchanged, else a
 * fresh synthesis into a temporary directory.
 */
export const synthesizedAssembly = async (context?: Readonly<Record<string, string>>): Promise<SynthesizedAssembly> => {
  const cacheDir = process.env[ASSEMBLY_CACHE_ENV]?.trim() || undefined;
  if (cacheDir) return { dir: await cachedAssembly(cacheDir, undefined, context), remove: () => undefined };
  const dir = mkdtempSync(path.join(tmpdir(), 'shop-cdk-out-'));
  try {
    await synthesize(dir, context ? { context } : {});
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

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
 * a temporary directory (the developer's cdk.out is left alone), or taken
 * from the run's assembly cache ({@link ASSEMBLY_CACHE_ENV}), while
 * DynamoDB Local warms up, in memory, on a free port unless told otherwise.
 * Nothing is left behind on failure or after `stop()`.
 */
export const startFreshLocalCloud = async (options: FreshLocalCloudOptions): Promise<FreshLocalCloud> => {
  const { assemblyDir: given, app, context, onSynthesized, failOnDenials = true, ...cloudOptions } = options;
  const cacheDir = given ? undefined : process.env[ASSEMBLY_CACHE_ENV]?.trim() || undefined;
  const temporary = !given && !cacheDir;
  const assemblyDir = given ? path.resolve(given) : cacheDir ? undefined : mkdtempSync(path.join(tmpdir(), 'shop-cdk-out-'));
  let running = assemblyDir ?? '';
  const removeAssembly = () => {
    if (temporary) rmSync(running, { recursive: true, force: true });
  };
  const dynamoDb: Promise<DynamoDbLocal> = startDynamoDbLocal();
  dynamoDb.catch(() => undefined);
  let cloud: LocalCloud;
  try {
    if (cacheDir) running = await cachedAssembly(cacheDir, app, context);
    else if (temporary) await synthesize(running, { ...(app ? { app } : {}), ...(context ? { context } : {}) });
    onSynthesized?.();
    cloud = await LocalCloud.start({ apiPort: 0, ...cloudOptions, assemblyDir: running, dynamoDb });
  } catch (error) {
    await (await dynamoDb.catch(() => undefined))?.stop();
    removeAssembly();
    throw error;
  }
  return {
    cloud,
    assemblyDir: running,
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
