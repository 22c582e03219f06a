import type { App } from 'aws-cdk-lib';
import * as z from 'zod';
import { contextObject } from './context-json';
import { corsOriginsFromContext } from './cors';
import { observabilityFromContext } from './observability';
import { sagaTypeFromContext } from './saga-type';
import { throttlesFromContext } from './throttles';

/**
 * A stage: one deployment of the shop (`dev`, `prod`, a developer's own),
 * chosen with `-c stage=<name>` (default {@link DEFAULT_STAGE}) among the
 * stages cdk.json's `stages` context defines. It names the stacks
 * (`ServerlessShop-<stage>…`) and sets, per stage:
 * - `removal`: what `cdk destroy` does to the data (tables, the user pool,
 *   log groups): `destroy` deletes it with the stack (a dev stage), `retain`
 *   keeps it (prod: orders outlive a stack);
 * - `observability`, `throttles`, `saga`, `corsOrigins`: defaults for the
 *   context values of those names (lib/config/observability.ts,
 *   throttles.ts, saga-type.ts, cors.ts), in the same form; the context
 *   value itself, from cdk.json or `-c`, still wins;
 * - `alarmEmails`: who gets the alarms (an email subscription each, which
 *   the recipient confirms once);
 * All of it is checked at synth: a typo stops `cdk synth` with what is wrong.
 */

export const DEFAULT_STAGE = 'dev';

/** A stage name: it goes into stack names, so it stays short and plain. */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,19}$/;

const stageSchema = z
  .object({
    removal: z.enum(['destroy', 'retain']),
    observability: z.unknown().optional(),
    throttles: z.unknown().optional(),
    saga: z.unknown().optional(),
    alarmEmails: z.array(z.email()).optional(),
    corsOrigins: z.unknown().optional(),
  })
  .strict();

const stagesSchema = z.record(z.string().regex(STAGE_NAME, 'a stage name is a lowercase letter then up to 19 lowercase letters, digits or -'), stageSchema);

export interface StageConfig {
  readonly name: string;
  readonly removal: 'destroy' | 'retain';
  readonly alarmEmails: readonly string[];
  readonly corsOrigins: readonly string[];
  /** The stage's defaults for these context values (the values as cdk.json would hold them). */
  readonly contextDefaults: Readonly<Partial<Record<'observability' | 'throttles' | 'saga' | 'corsOrigins', unknown>>>;
}

/** The stage configuration is malformed or names no stage: synth stops with what is wrong. */
export class StageConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'StageConfigError';
  }
}

/** What a stage is when cdk.json defines none: a dev stage with every default. */
export const DEFAULT_STAGE_CONFIG: StageConfig = { name: DEFAULT_STAGE, removal: 'destroy', alarmEmails: [], corsOrigins: [], contextDefaults: {} };

/**
 * The stage `stage` names among `stages` (both CDK context values), checked.
 * @throws StageConfigError when the name is not a stage of `stages`, or a stage is malformed
 */
export const stageFromContext = (stage: unknown, stages: unknown): StageConfig => {
  const name = stage ?? DEFAULT_STAGE;
  if (typeof name !== 'string' || !STAGE_NAME.test(name)) throw new StageConfigError(`context 'stage' must be a stage name (a lowercase letter then up to 19 lowercase letters, digits or -), not ${JSON.stringify(name)}`);
  if (stages === undefined) {
    if (name === DEFAULT_STAGE) return DEFAULT_STAGE_CONFIG;
    throw new StageConfigError(`stage '${name}' is not defined: cdk.json's context has no 'stages'`);
  }
  const defined = contextObject('stages', stages, stagesSchema, (message) => new StageConfigError(message), { what: 'stage configuration' });
  const config = defined[name];
  if (config === undefined) throw new StageConfigError(`stage '${name}' is not defined in cdk.json's 'stages' (defined: ${Object.keys(defined).sort().join(', ') || 'none'})`);
  // The stage's defaults must be what their own context values accept: checked now, with the stage named.
  const checked = <T>(key: string, value: unknown, parse: (value: unknown) => T): T | undefined => {
    if (value === undefined) return undefined;
    try {
      return parse(value);
    } catch (error) {
      throw new StageConfigError(`stage '${name}': ${key}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  checked('observability', config.observability, observabilityFromContext);
  checked('throttles', config.throttles, throttlesFromContext);
  checked('saga', config.saga, sagaTypeFromContext);
  const corsOrigins = checked('corsOrigins', config.corsOrigins, corsOriginsFromContext) ?? [];
  const defaults = { observability: config.observability, throttles: config.throttles, saga: config.saga, corsOrigins: config.corsOrigins };
  const contextDefaults = Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined));
  return { name, removal: config.removal, alarmEmails: config.alarmEmails ?? [], corsOrigins, contextDefaults };
};

/**
 * Reads the app's stage (`-c stage=…` among cdk.json's `stages`) and gives
 * the app the stage's defaults for the context values the constructs read
 * (`observability`, `throttles`, `saga`, `corsOrigins`), where neither cdk.json nor `-c`
 * set them. Call it before adding any stack: context is fixed once the app
 * has children.
 */
export const applyStage = (app: App): StageConfig => {
  const stage = stageFromContext(app.node.tryGetContext('stage'), app.node.tryGetContext('stages'));
  for (const [key, value] of Object.entries(stage.contextDefaults)) {
    if (app.node.tryGetContext(key) === undefined) app.node.setContext(key, value);
  }
  return stage;
};

/** The prefix of the names of a stage's stacks: `ServerlessShop-<stage>` (`ServerlessShop-dev-Orders`, ...). */
export const shopStackPrefix = (stage: Pick<StageConfig, 'name'>): string => `ServerlessShop-${stage.name}`;
