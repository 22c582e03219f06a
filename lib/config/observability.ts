import * as z from 'zod';
import { contextObject } from './context-json';

/**
 * What the shop records about itself, and so what it pays for it: the
 * functions' log levels (Lambda's advanced logging controls), the share of
 * saga executions X-Ray records, and what the saga writes to its execution
 * logs. Two profiles, chosen with the CDK context value `observability`:
 *
 * - `lean` (the default, what `cdk deploy` ships): functions log INFO and
 *   above; Lambda's own START/END/REPORT lines are dropped (system level
 *   WARN); 5 % of saga executions are traced, one trace per order, sampled by
 *   an X-Ray rule; the saga logs only errors (ERROR) to its execution logs.
 * - `full`: DEBUG and Lambda's platform lines, every saga execution traced,
 *   every execution event logged (ALL): for a stage where a person reads
 *   what happened, and for the chaos soak, which checks an Express saga's
 *   steps in its execution logs.
 *
 * Either can be adjusted field by field: `-c observability='{"profile":"lean","traceSampleRate":0.2}'`.
 */

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
const SYSTEM_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN'] as const;
const EXECUTION_LOG_LEVELS = ['ALL', 'ERROR', 'FATAL', 'OFF'] as const;

export type ApplicationLogLevelName = (typeof LOG_LEVELS)[number];
export type SystemLogLevelName = (typeof SYSTEM_LOG_LEVELS)[number];
export type ExecutionLogLevelName = (typeof EXECUTION_LOG_LEVELS)[number];

export interface Observability {
  /** The profile these settings started from. */
  readonly profile: 'lean' | 'full';
  /** The functions' application log level (`ApplicationLogLevel`; Powertools Logger follows it). */
  readonly logLevel: ApplicationLogLevelName;
  /** Lambda's platform lines (`SystemLogLevel`): START/END/REPORT are INFO, so WARN drops them. */
  readonly systemLogLevel: SystemLogLevelName;
  /** The share of saga executions X-Ray records (its sampling rule's fixed rate, no reservoir). */
  readonly traceSampleRate: number;
  /** What the order saga writes to its execution logs (an Express saga's only record of its steps). */
  readonly sagaLogLevel: ExecutionLogLevelName;
}

export const OBSERVABILITY_PROFILES: Readonly<Record<Observability['profile'], Observability>> = {
  lean: { profile: 'lean', logLevel: 'INFO', systemLogLevel: 'WARN', traceSampleRate: 0.05, sagaLogLevel: 'ERROR' },
  full: { profile: 'full', logLevel: 'DEBUG', systemLogLevel: 'INFO', traceSampleRate: 1, sagaLogLevel: 'ALL' },
};

const observabilitySchema = z
  .object({
    profile: z.enum(['lean', 'full']).optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    systemLogLevel: z.enum(SYSTEM_LOG_LEVELS).optional(),
    traceSampleRate: z.number().min(0).max(1).optional(),
    sagaLogLevel: z.enum(EXECUTION_LOG_LEVELS).optional(),
  })
  .strict();

/** The `observability` context value is malformed: synth stops with what is wrong. */
export class ObservabilityConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ObservabilityConfigError';
  }
}

/**
 * The observability settings from the CDK context value `observability`: a
 * profile name (`lean`, `full`), or an object (in cdk.json, or JSON on the
 * command line) of a `profile` and fields that replace its values.
 * @throws ObservabilityConfigError when it is neither
 */
export const observabilityFromContext = (value: unknown): Observability => {
  if (value === undefined) return OBSERVABILITY_PROFILES.lean;
  if (value === 'lean' || value === 'full') return OBSERVABILITY_PROFILES[value];
  const parsed = contextObject('observability', value, observabilitySchema, (message) => new ObservabilityConfigError(message), {
    what: 'configuration',
    notJson: (text) => `context 'observability' must be lean, full or a JSON object, not ${JSON.stringify(text)}`,
  });
  const { profile = 'lean', ...fields } = parsed;
  return { ...OBSERVABILITY_PROFILES[profile], ...fields, profile };
};
