import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunctions } from '../lib/constructs/esbuild-bundler';
import { FUNCTIONS_DIR } from '../lib/constructs/shop-function';
import { readCloudAssembly } from '../local/assembly/cloud-assembly';
import { resolveIntrinsics, type JsonValue } from '../local/cloudformation/intrinsics';
import { synthesize } from '../local/synthesize';
import { median } from './stats';

/**
 * `npm run bench:cold-start [-- --pairs 10] [--assembly cdk.out]`: for every
 * function of the app, what its bundle carries and what loading it costs.
 *
 * - bundle size, and the packages that make it up (an esbuild metafile of the
 *   same build; the bench checks that its bundles are byte for byte the ones
 *   the synthesized assets hold);
 * - module init: the wall time of a fresh `node` that imports the bundle (as
 *   Lambda's runtime does at init) and exits, against a bare `node -e 0`,
 *   run pair by pair — same binary, same minimal environment — so the ratio
 *   holds on a busy machine. The environment is what Lambda gives the
 *   function: its own variables from the template (intrinsics replaced by
 *   placeholders) and Lambda's runtime variables, nothing inherited — no
 *   NODE_EXTRA_CA_CERTS, and no NODE_OPTIONS (the template's
 *   `--enable-source-maps` is left out, as the targets are stated without it).
 *
 * It synthesizes the app itself into a temporary directory (about 10 s), so
 * it runs from a fresh clone; `--assembly` measures an existing `cdk.out`.
 * Run it with the Node the template names (nodejs24.x): the figures are the
 * node binary that runs this script.
 */

/** The targets of issue 11. */
const TARGET_KB = 250;
const TARGET_RATIO = 2.5;

interface FunctionUnderTest {
  readonly name: string;
  readonly bundle: string;
  readonly environment: Readonly<Record<string, string>>;
}

interface Row {
  readonly name: string;
  readonly kb: number;
  readonly packages: string;
  readonly bareMs: number;
  readonly initMs: number;
  readonly ratio: number;
}

const root = path.resolve(__dirname, '..');

/** Placeholders for what CloudFormation would fill in: names and ARNs only have to look like them. */
const placeholderContext = {
  pseudoParameters: { region: 'us-east-1', accountId: '000000000000', stackName: 'bench' },
  lookups: {
    ref: (logicalId: string): JsonValue => logicalId,
    getAtt: (logicalId: string, attribute: string): JsonValue => `arn:aws:bench:us-east-1:000000000000:${logicalId}/${attribute}`,
  },
};

/** A value another stack exports is a placeholder too (the resolver refuses `Fn::ImportValue`). */
const withoutImports = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withoutImports);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if ('Fn::ImportValue' in record) return `imported-${JSON.stringify(record['Fn::ImportValue']).replace(/\W+/g, '-')}`;
  return Object.fromEntries(Object.entries(record).map(([key, inner]) => [key, withoutImports(inner)]));
};

interface FunctionProperties {
  readonly Handler?: string;
  readonly Runtime?: string;
  readonly MemorySize?: number;
  readonly Environment?: { readonly Variables?: Record<string, unknown> };
  readonly LoggingConfig?: { readonly LogFormat?: string; readonly ApplicationLogLevel?: string };
}

/** Lambda's runtime variables (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime) and the template's own. */
const lambdaEnvironment = (name: string, codeDir: string, p: FunctionProperties): Record<string, string> => {
  const own = resolveIntrinsics(withoutImports(p.Environment?.Variables ?? {}), placeholderContext) as Record<string, JsonValue>;
  const { NODE_OPTIONS: _left, ...variables } = Object.fromEntries(Object.entries(own).map(([key, value]) => [key, String(value)]));
  return {
    _HANDLER: p.Handler ?? 'index.handler',
    AWS_EXECUTION_ENV: `AWS_Lambda_${p.Runtime ?? 'nodejs24.x'}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(p.MemorySize ?? 128),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/01/01/[$LATEST]bench',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'ASIABENCH',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
    LAMBDA_TASK_ROOT: codeDir,
    LANG: 'en_US.UTF-8',
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    TZ: ':UTC',
    ...(p.LoggingConfig?.LogFormat === 'JSON'
      ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', ...(p.LoggingConfig.ApplicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: p.LoggingConfig.ApplicationLogLevel } : {}) }
      : {}),
    ...variables,
  };
};

const functionsOf = (assemblyDir: string): FunctionUnderTest[] =>
  readCloudAssembly(assemblyDir).flatMap((stack) =>
    Object.entries(stack.template.Resources).flatMap(([logicalId, resource]) => {
      const codeDir = resource.Type === 'AWS::Lambda::Function' ? stack.assetPath(logicalId) : undefined;
      if (!codeDir) return [];
      const properties = (resource.Properties ?? {}) as FunctionProperties;
      const handlerFile = (properties.Handler ?? 'index.handler').replace(/\.[^.]+$/, '');
      const bundle = ['.mjs', '.js', '.cjs'].map((ext) => path.join(codeDir, `${handlerFile}${ext}`)).find((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
      if (!bundle) throw new Error(`${logicalId}: no ${handlerFile}.mjs in ${codeDir}`);
      return [{ name: logicalId, bundle, environment: lambdaEnvironment(logicalId, codeDir, properties) }];
    }),
  );

/** Bytes of a bundle by package (node_modules), with the shop's own code as `(shop code)`. */
const packagesOf = (inputs: Readonly<Record<string, { readonly bytesInOutput: number }>>): Map<string, number> => {
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(inputs)) {
    const inPackage = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const key = inPackage ?? (input.includes('functions/') ? '(shop code)' : '(other)');
    sizes.set(key, (sizes.get(key) ?? 0) + bytesInOutput);
  }
  return sizes;
};

/** How many ms one fresh `node` takes with `args`; fails if it does. */
const timeNode = (args: readonly string[], env: Readonly<Record<string, string>>): number => {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed (${String(result.status)}):\n${result.stderr}`);
  return ms;
};

/** Imports the bundle as Lambda's runtime does at init, checks it exports its handler, and exits. */
const importArgs = (bundle: string, handler: string): string[] => [
  '--input-type=module',
  '-e',
  `const m = await import(${JSON.stringify(`file://${bundle}`)}); if (typeof m[${JSON.stringify(handler)}] !== 'function') throw new Error('no handler'); process.exit(0);`,
];

const measure = (fn: FunctionUnderTest, pairs: number): Pick<Row, 'bareMs' | 'initMs' | 'ratio'> => {
  const handler = (fn.environment._HANDLER ?? 'index.handler').split('.').pop() ?? 'handler';
  const args = importArgs(fn.bundle, handler);
  // One unrecorded pair: the first read of a file comes from disk.
  timeNode(['-e', '0'], fn.environment);
  timeNode(args, fn.environment);
  const bare: number[] = [];
  const init: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < pairs; i += 1) {
    const b = timeNode(['-e', '0'], fn.environment);
    const m = timeNode(args, fn.environment);
    bare.push(b);
    init.push(m);
    ratios.push(m / b);
  }
  return { bareMs: median(bare), initMs: median(init), ratio: median(ratios) };
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { pairs: { type: 'string', default: '10' }, assembly: { type: 'string' } } });
  const pairs = Number(values.pairs);
  const work = mkdtempSync(path.join(tmpdir(), 'bench-cold-start-'));
  try {
    let assemblyDir = values.assembly ? path.resolve(values.assembly) : undefined;
    if (!assemblyDir) {
      assemblyDir = path.join(work, 'cdk.out');
      process.stdout.write('synthesizing the app…\n');
      await synthesize(assemblyDir);
    }
    const built = bundleFunctions(FUNCTIONS_DIR, path.join(work, 'bundles'), { metafile: true });
    const outputs = Object.entries(built.metafile?.outputs ?? {}).filter(([file]) => file.endsWith('.mjs'));
    const functions = functionsOf(assemblyDir);
    process.stdout.write(`node ${process.version} (${process.execPath}), ${functions.length} functions, ${pairs} pairs each\n`);
    const rows: Row[] = [];
    for (const fn of functions) {
      const code = readFileSync(fn.bundle);
      const match = outputs.find(([file]) => readFileSync(path.resolve(root, file)).equals(code));
      if (!match) throw new Error(`${fn.name}: its bundle is none of the ones esbuild builds from functions/ now; synthesize again`);
      const kb = code.length / 1024;
      const packages = [...packagesOf(match[1].inputs)]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)}`)
        .join(', ');
      rows.push({ name: fn.name, kb, packages, ...measure(fn, pairs) });
      process.stdout.write('.');
    }
    process.stdout.write(`\n\n${'function'.padEnd(40)} ${'bundle'.padStart(8)} ${'node -e 0'.padStart(10)} ${'init'.padStart(8)} ${'ratio'.padStart(6)}   top packages (KB)\n`);
    for (const row of [...rows].sort((a, b) => b.ratio - a.ratio)) {
      process.stdout.write(
        `${row.name.padEnd(40)} ${`${row.kb.toFixed(0)} KB`.padStart(8)} ${`${row.bareMs.toFixed(1)} ms`.padStart(10)} ${`${row.initMs.toFixed(1)} ms`.padStart(8)} ${`${row.ratio.toFixed(2)}×`.padStart(6)}   ${row.packages}\n`,
      );
    }
    const worstRatio = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const worstSize = rows.reduce((a, b) => (b.kb > a.kb ? b : a));
    const met = worstRatio.ratio <= TARGET_RATIO && worstSize.kb <= TARGET_KB;
    process.stdout.write(
      `\nmedian over functions: bundle ${median(rows.map((r) => r.kb)).toFixed(0)} KB, init ${median(rows.map((r) => r.ratio)).toFixed(2)}× node -e 0\n` +
        `cold start: worst init ${worstRatio.name} ${worstRatio.ratio.toFixed(2)}× node -e 0 (target ≤ ${TARGET_RATIO}×), ` +
        `largest bundle ${worstSize.name} ${worstSize.kb.toFixed(0)} KB (target ≤ ${TARGET_KB} KB): targets ${met ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
