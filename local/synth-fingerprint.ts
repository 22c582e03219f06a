import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * What feeds `cdk synth` of the shop, and whether the assembly already in
 * `cdk.out` was synthesized from exactly that: `npm start` reuses it when
 * it was (see {@link decideReuse}), and says what changed when it was not.
 *
 * Contents, not timestamps: a file touched but unchanged reuses, a file
 * changed back and forth re-synthesizes only if its content differs from the
 * synthesis. The record is written after a successful synthesis, of the
 * inputs read BEFORE it started, so an edit made while it ran is seen next
 * time; it also holds a digest of the assembly it produced, so an assembly
 * rewritten since by another `cdk synth` (other context, other app) is never
 * taken for it.
 */

/** Directories whose every file feeds the synthesis (the app, its constructs, the bundled sources). */
export const SYNTH_INPUT_DIRS: readonly string[] = ['bin', 'lib', 'functions'];
/**
 * Files that feed it: cdk's configuration and context, the dependencies, the
 * compiler settings, and package.json (the version /health reports is read
 * from it at synthesis).
 */
export const SYNTH_INPUT_FILES: readonly string[] = ['cdk.json', 'cdk.context.json', 'package-lock.json', 'package.json', 'tsconfig.json'];
/**
 * Variables the app reads (bin/shop.ts), and those the cdk CLI derives
 * CDK_DEFAULT_ACCOUNT/REGION from when they are not set.
 */
export const SYNTH_INPUT_ENV: readonly string[] = ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION', 'SHOP_VERSION', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION', 'CDK_CONTEXT_JSON'];

/** The file in the assembly directory that records what it was synthesized from. */
export const SYNTH_RECORD_FILE = 'shop-synth-inputs.json';

/** Everything that feeds one synthesis. */
export interface SynthInputs {
  /** sha256 of each input file, by path relative to the project root (`/`-separated). */
  readonly files: Readonly<Record<string, string>>;
  /** `--context` values. */
  readonly context: Readonly<Record<string, string>>;
  /** The variables of {@link SYNTH_INPUT_ENV} (null when unset). */
  readonly env: Readonly<Record<string, string | null>>;
  /** The version bin/shop.ts stamps on every function (`SHOP_VERSION`, else `git describe --tags --always --dirty`). */
  readonly version: string;
}

/** What {@link recordSynthesis} writes into the assembly directory. */
export interface SynthRecord {
  readonly inputs: SynthInputs;
  /** {@link assemblyDigest} of the assembly that synthesis wrote. */
  readonly assembly: string;
  /** When it finished, ISO 8601. */
  readonly synthesizedAt: string;
}

/** Whether to reuse the assembly: yes with when it was synthesized, or no with why (a few lines, most telling first). */
export type ReuseDecision = { readonly reuse: true; readonly synthesizedAt: Date } | { readonly reuse: false; readonly reasons: readonly string[] };

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

const walk = (root: string, dir: string, into: Record<string, string>): void => {
  let names: string[];
  try {
    names = readdirSync(path.join(root, dir));
  } catch {
    return;
  }
  for (const name of names.sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const relative = dir ? `${dir}/${name}` : name;
    const full = path.join(root, relative);
    let content: Buffer;
    try {
      content = readFileSync(full);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EISDIR') walk(root, relative, into);
      continue;
    }
    into[relative] = sha256(content);
  }
};

/** bin/shop.ts's version: `SHOP_VERSION`, else `git describe` of the checkout (as it runs it), else 'unknown'. */
const appVersion = (root: string, env: NodeJS.ProcessEnv): string => {
  if (env.SHOP_VERSION !== undefined) return env.SHOP_VERSION;
  try {
    return execFileSync('git', ['describe', '--tags', '--always', '--dirty'], { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
};

/** Reads everything that feeds a synthesis of the app at `root` with this context and environment. */
export const readSynthInputs = (root: string, context: Readonly<Record<string, string>>, env: NodeJS.ProcessEnv = process.env): SynthInputs => {
  const files: Record<string, string> = {};
  for (const dir of SYNTH_INPUT_DIRS) walk(root, dir, files);
  for (const file of SYNTH_INPUT_FILES) {
    const full = path.join(root, file);
    if (existsSync(full)) files[file] = sha256(readFileSync(full));
  }
  return {
    files,
    context: Object.fromEntries(Object.entries(context).sort(([a], [b]) => a.localeCompare(b))),
    env: Object.fromEntries(SYNTH_INPUT_ENV.map((name) => [name, env[name] ?? null])),
    version: appVersion(root, env),
  };
};

/**
 * A digest of an assembly: its manifest and every template (which name each
 * bundle's asset directory by the hash of its content), or undefined when
 * there is no assembly or a bundle directory its templates name is missing.
 */
export const assemblyDigest = (outDir: string): string | undefined => {
  const manifest = path.join(outDir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const hash = createHash('sha256').update(readFileSync(manifest));
  for (const name of readdirSync(outDir).filter((file) => file.endsWith('.template.json')).sort()) {
    const text = readFileSync(path.join(outDir, name), 'utf8');
    for (const [, assetPath] of text.matchAll(/"aws:asset:path":\s*"([^"]+)"/g)) if (!existsSync(path.resolve(outDir, assetPath))) return undefined;
    hash.update(name).update(text);
  }
  return hash.digest('hex');
};

/** Writes the record of a synthesis that succeeded from `inputs` (read before it started) into the assembly directory. */
export const recordSynthesis = (outDir: string, inputs: SynthInputs, now = new Date()): void => {
  const assembly = assemblyDigest(outDir);
  if (assembly === undefined) return;
  const record: SynthRecord = { inputs, assembly, synthesizedAt: now.toISOString() };
  writeFileSync(path.join(outDir, SYNTH_RECORD_FILE), `${JSON.stringify(record, null, 1)}\n`);
};

const readRecord = (outDir: string): SynthRecord | undefined => {
  try {
    const record = JSON.parse(readFileSync(path.join(outDir, SYNTH_RECORD_FILE), 'utf8')) as Partial<SynthRecord>;
    const inputs = record.inputs;
    if (typeof record.assembly !== 'string' || typeof record.synthesizedAt !== 'string' || typeof inputs !== 'object' || typeof inputs.files !== 'object') return undefined;
    return record as SynthRecord;
  } catch {
    return undefined;
  }
};

/** How many changed paths a reason names before "and N more". */
const SHOWN_PATHS = 3;

const describeValues = (values: Readonly<Record<string, string | null>>): string =>
  Object.entries(values)
    .filter(([, value]) => value !== null)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join(', ') || 'none';

/** What differs between the recorded inputs and these, one reason per kind, most telling first. */
export const inputChanges = (before: SynthInputs, now: SynthInputs): string[] => {
  const reasons: string[] = [];
  const changed = [...new Set([...Object.keys(before.files), ...Object.keys(now.files)])]
    .sort()
    .flatMap((file) => {
      const was = before.files[file];
      const is = now.files[file];
      if (was === is) return [];
      return [was === undefined ? `${file} (new)` : is === undefined ? `${file} (deleted)` : file];
    });
  if (changed.length > 0) {
    const more = changed.length > SHOWN_PATHS ? ` and ${changed.length - SHOWN_PATHS} more` : '';
    reasons.push(`changed: ${changed.slice(0, SHOWN_PATHS).join(', ')}${more}`);
  }
  if (JSON.stringify(before.context) !== JSON.stringify(now.context)) reasons.push(`context ${describeValues(now.context)} (was ${describeValues(before.context)})`);
  const env = SYNTH_INPUT_ENV.filter((name) => (before.env[name] ?? null) !== (now.env[name] ?? null));
  if (env.length > 0) reasons.push(`environment: ${env.map((name) => `${name}=${now.env[name] ?? '(unset)'} (was ${before.env[name] ?? 'unset'})`).join(', ')}`);
  if (before.version !== now.version) reasons.push(`version ${now.version} (was ${before.version})`);
  return reasons;
};

/**
 * Whether the assembly in `outDir` was synthesized from exactly `inputs`
 * and is still what that synthesis wrote.
 */
export const decideReuse = (outDir: string, inputs: SynthInputs): ReuseDecision => {
  const record = readRecord(outDir);
  if (!record) return { reuse: false, reasons: [existsSync(path.join(outDir, 'manifest.json')) ? `no record of what ${path.basename(outDir)} was synthesized from` : `no assembly in ${path.basename(outDir)}`] };
  const reasons = inputChanges(record.inputs, inputs);
  if (reasons.length > 0) return { reuse: false, reasons };
  const digest = assemblyDigest(outDir);
  if (digest === undefined) return { reuse: false, reasons: [`${path.basename(outDir)} is incomplete (its manifest or a bundle it names is gone)`] };
  if (digest !== record.assembly) return { reuse: false, reasons: [`${path.basename(outDir)} was rewritten since (another cdk synth?)`] };
  return { reuse: true, synthesizedAt: new Date(record.synthesizedAt) };
};
