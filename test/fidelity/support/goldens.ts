import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Json } from './normalize';

/** Where the goldens and the drift list live. */
export const FIDELITY_DIR = path.join(__dirname, '..');
export const GOLDENS_DIR = path.join(FIDELITY_DIR, 'goldens');
export const KNOWN_DRIFT_FILE = path.join(FIDELITY_DIR, 'known-drift.json');

const jsonSchema: z.ZodType<Json> = z.lazy(() => z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(jsonSchema), z.record(z.string(), jsonSchema)]));

/**
 * Where a golden's truth comes from: a run of the probe on AWS (recorded
 * with FIDELITY_RECORD=1), or the AWS documentation it was written from,
 * each page with the sentence relied on, and what the pages do not pin
 * (left out of the observation rather than invented).
 */
const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('aws-run'), date: z.string().min(1), region: z.string().min(1) }),
  z.object({
    kind: z.literal('aws-documentation'),
    pages: z.array(z.object({ url: z.string().url(), reliedOn: z.string().min(1) })).min(1),
    notPinned: z.string().min(1).optional(),
  }),
]);
export type GoldenSource = z.infer<typeof sourceSchema>;

const goldenSchema = z.object({ scenario: z.string().min(1), source: sourceSchema, observation: jsonSchema });
export type Golden = z.infer<typeof goldenSchema>;

/**
 * An accepted difference between the local cloud and a golden: the path in
 * the observation, the value the local cloud shows there, and why it is
 * accepted. An entry that no longer differs fails the suite.
 */
const driftSchema = z.object({ scenario: z.string().min(1), path: z.string().startsWith('$'), local: jsonSchema, reason: z.string().min(20) });
export type KnownDrift = z.infer<typeof driftSchema>;

/** A golden or the drift list is missing or malformed. */
export class GoldenFileError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'GoldenFileError';
  }
}

export const goldenFile = (scenario: string): string => path.join(GOLDENS_DIR, `${scenario}.json`);

export const readGolden = (scenario: string): Golden => {
  const file = goldenFile(scenario);
  if (!existsSync(file)) throw new GoldenFileError(`No golden for scenario '${scenario}' (${path.relative(process.cwd(), file)}): write it from the AWS docs or record it (FIDELITY_TARGET=aws FIDELITY_RECORD=1).`);
  const parsed = goldenSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new GoldenFileError(`${file} is not a golden: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if (parsed.data.scenario !== scenario) throw new GoldenFileError(`${file} says it is the golden of '${parsed.data.scenario}', not '${scenario}'.`);
  return parsed.data;
};

/** Writes a golden recorded from AWS (never from the local cloud: the suite refuses that before it starts). */
export const writeRecordedGolden = (scenario: string, observation: Json, region: string, now = new Date()): void => {
  const golden: Golden = { scenario, source: { kind: 'aws-run', date: now.toISOString().slice(0, 10), region }, observation };
  writeFileSync(goldenFile(scenario), `${JSON.stringify(golden, null, 2)}\n`);
};

export const readKnownDrift = (): KnownDrift[] => {
  const parsed = z.array(driftSchema).safeParse(JSON.parse(readFileSync(KNOWN_DRIFT_FILE, 'utf8')));
  if (!parsed.success) throw new GoldenFileError(`${KNOWN_DRIFT_FILE}: ${parsed.error.issues.map((i) => `[${i.path.join('.')}] ${i.message}`).join('; ')}`);
  return parsed.data;
};

/** One place where an observation and its golden disagree. */
export interface Difference {
  /** JSONPath-like: `$.payload.errorType`, `$.events[3]`. */
  readonly path: string;
  /** `undefined` where the golden has nothing. */
  readonly golden: Json | undefined;
  /** `undefined` where the observation has nothing. */
  readonly observed: Json | undefined;
}

const isObject = (value: Json | undefined): value is { readonly [key: string]: Json } => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every place where `observed` differs from `golden`, as deep as both are
 * objects; arrays are compared whole (an event order is one fact).
 */
export const differences = (golden: Json | undefined, observed: Json | undefined, at = '$'): Difference[] => {
  if (isObject(golden) && isObject(observed)) {
    const keys = [...new Set([...Object.keys(golden), ...Object.keys(observed)])].sort();
    return keys.flatMap((key) => differences(golden[key], observed[key], `${at}.${key}`));
  }
  return JSON.stringify(golden) === JSON.stringify(observed) ? [] : [{ path: at, golden, observed }];
};

/** How an observation of the local cloud stands against its golden and the accepted drift. */
export interface Verdict {
  /** Differences no drift entry accepts: the local cloud is wrong, or the golden is. */
  readonly unexplained: readonly Difference[];
  /** Drift entries of this scenario that match no difference any more (the list must not rot). */
  readonly stale: readonly KnownDrift[];
  /** Differences accepted by a drift entry. */
  readonly accepted: readonly Difference[];
}

/**
 * Judges a local observation: each difference must be an accepted drift
 * (same path, the local value the entry names), and each drift entry of the
 * scenario must still be a difference.
 */
export const judge = (scenario: string, golden: Json, observed: Json, drift: readonly KnownDrift[]): Verdict => {
  const found = differences(golden, observed);
  const entries = drift.filter((entry) => entry.scenario === scenario);
  const matches = (entry: KnownDrift, difference: Difference): boolean =>
    entry.path === difference.path && JSON.stringify(entry.local) === JSON.stringify(difference.observed ?? null);
  return {
    unexplained: found.filter((difference) => !entries.some((entry) => matches(entry, difference))),
    accepted: found.filter((difference) => entries.some((entry) => matches(entry, difference))),
    stale: entries.filter((entry) => !found.some((difference) => matches(entry, difference))),
  };
};

/** A readable account of a verdict, for a failing test. */
export const describeVerdict = (scenario: string, verdict: Verdict): string => {
  const show = (value: Json | undefined) => (value === undefined ? '(nothing)' : JSON.stringify(value));
  return [
    ...verdict.unexplained.map((d) => `${scenario} ${d.path}: golden ${show(d.golden)}, observed ${show(d.observed)}`),
    ...verdict.stale.map((entry) => `${scenario} ${entry.path}: known-drift.json accepts ${show(entry.local)} here, but the local cloud no longer differs from the golden there — remove the entry`),
  ].join('\n');
};
