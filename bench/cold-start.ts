import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundleFunctionsToTemp, findEntries, functionBundle } from '../lib/constructs/esbuild-bundler';
import { FUNCTIONS_DIR } from '../lib/constructs/shop-function';
import { readCloudAssembly } from '../local/assembly/cloud-assembly';
import { combineStacks } from '../local/assembly/combined-stacks';
import { resolveIntrinsics, type JsonValue } from '../local/cloudformation/intrinsics';
import { synthesize } from '../local/synthesize';
import { median } from './stats';

/**
 * `npm run bench:cold-start [-- --pairs 10] [--assembly cdk.out]`: for every
 * function of the app, what its bundle carries and what loading it costs.
 *
 * - bundle size: what module init loads (the entry and the chunks it imports
 *   statically; the target is on this), what the asset ships (also the
 *   chunks only a dynamic `import()` loads), and the packages init loads (an
 *   esbuild metafile of the same build; the bench checks that its entries
 *   are byte for byte the ones the synthesized assets hold);
 * - module init: the wall time of a fresh `node` that imports the bundle (as
 *   Lambda's runtime does at init) and exits, against a bare `node -e 0`,
 *   run pair by pair — same binary, same minimal environment — so the ratio
 *   holds on a busy machine. The environment is what Lambda gives the
 *   function: its own variables from the template (intrinsics replaced by
 *   placeholders) and Lambda's runtime variables, nothing inherited — no
 *   NODE_EXTRA_CA_CERTS, and no NODE_OPTIONS (the template's
 *   `--enable-source-maps` is left out, as the targets are stated without it).
 *   The same ratio of the children's CPU time is printed beside it: on a
 *   shared machine it moves less than wall time.
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
  /** The template's runtime, e.g. `nodejs24.x`. */
  readonly runtime: string;
  readonly bundle: string;
  readonly environment: Readonly<Record<string, string>>;
}

interface Row {
  readonly name: string;
  /** What module init loads: the entry and the chunks it imports statically. */
  readonly kb: number;
  /** Everything in the function's asset: also the chunks only a dynamic import() loads. */
  readonly shippedKb: number;
  readonly packages: string;
  readonly bareMs: number;
  readonly initMs: number;
  readonly ratio: number;
  /** The same ratio of CPU time (all the process's threads), which a busy machine disturbs less than wall time. */
  readonly cpuRatio: number;
}

/** Placeholders for what CloudFormation would fill in: names and ARNs only have to look like them. */
const placeholderContext = {
  pseudoParameters: { region: 'us-east-1', accountId: '000000000000', stackName: 'bench' },
  lookups: {
    ref: (logicalId: string): JsonValue => logicalId,
    getAtt: (logicalId: string, attribute: string): JsonValue => `arn:aws:bench:us-east-1:000000000000:${logicalId}/${attribute}`,
  },
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
  const own = resolveIntrinsics(p.Environment?.Variables ?? {}, placeholderContext) as Record<string, JsonValue>;
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

/** The functions of every stack, with references between stacks resolved as a deployment would (the local cloud's combination). */
const functionsOf = (assemblyDir: string): FunctionUnderTest[] =>
  [combineStacks(readCloudAssembly(assemblyDir))].flatMap((stack) =>
    Object.entries(stack.template.Resources).flatMap(([logicalId, resource]) => {
      const codeDir = resource.Type === 'AWS::Lambda::Function' ? stack.assetPath(logicalId) : undefined;
      if (!codeDir) return [];
      const properties = (resource.Properties ?? {}) as FunctionProperties;
      const handlerFile = (properties.Handler ?? 'index.handler').replace(/\.[^.]+$/, '');
      const bundle = ['.mjs', '.js', '.cjs'].map((ext) => path.join(codeDir, `${handlerFile}${ext}`)).find((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
      if (!bundle) throw new Error(`${logicalId}: no ${handlerFile}.mjs in ${codeDir}`);
      return [{ name: logicalId, runtime: properties.Runtime ?? 'unknown', bundle, environment: lambdaEnvironment(logicalId, codeDir, properties) }];
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

/** What the child prints last: its own CPU time so far. */
const PRINT_CPU = "const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));";

/** Wall time of one fresh `node` with `args` (ms), and the CPU time it reports; fails if it does. */
const timeNode = (args: readonly string[], env: Readonly<Record<string, string>>): { wallMs: number; cpuMs: number } => {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed (${String(result.status)}):\n${result.stderr}`);
  return { wallMs, cpuMs: Number(result.stdout) };
};

/** A bare node: `node -e 0`, plus printing its CPU time. */
const BARE_ARGS = ['-e', `0; ${PRINT_CPU}`];

/** Imports the bundle as Lambda's runtime does at init, checks it exports its handler, and exits. */
const importArgs = (bundle: string, handler: string): string[] => [
  '--input-type=module',
  '-e',
  `const m = await import(${JSON.stringify(`file://${bundle}`)}); if (typeof m[${JSON.stringify(handler)}] !== 'function') throw new Error('no handler'); ${PRINT_CPU} process.exit(0);`,
];

const measure = (fn: FunctionUnderTest, pairs: number): Pick<Row, 'bareMs' | 'initMs' | 'ratio' | 'cpuRatio'> => {
  const handler = (fn.environment._HANDLER ?? 'index.handler').split('.').pop() ?? 'handler';
  const args = importArgs(fn.bundle, handler);
  // One unrecorded pair: the first read of a file comes from disk.
  timeNode(BARE_ARGS, fn.environment);
  timeNode(args, fn.environment);
  const bare: number[] = [];
  const init: number[] = [];
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let i = 0; i < pairs; i += 1) {
    const b = timeNode(BARE_ARGS, fn.environment);
    const m = timeNode(args, fn.environment);
    bare.push(b.wallMs);
    init.push(m.wallMs);
    ratios.push(m.wallMs / b.wallMs);
    cpuRatios.push(m.cpuMs / b.cpuMs);
  }
  return { bareMs: median(bare), initMs: median(init), ratio: median(ratios), cpuRatio: median(cpuRatios) };
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
    const { metafile } = bundleFunctionsToTemp(FUNCTIONS_DIR);
    const bundles = findEntries(FUNCTIONS_DIR).map((entry) => functionBundle(metafile, FUNCTIONS_DIR, entry));
    const inputsOf = (file: string) => Object.entries(metafile.outputs).find(([output]) => path.resolve(path.dirname(FUNCTIONS_DIR), output) === file)?.[1].inputs ?? {};
    const kbOf = (files: readonly string[]): number => files.reduce((sum, file) => sum + statSync(file).size, 0) / 1024;
    const functions = functionsOf(assemblyDir);
    process.stdout.write(`node ${process.version} (${process.execPath}), ${functions.length} functions, ${pairs} pairs each, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
    const runtimes = [...new Set(functions.map((fn) => fn.runtime))];
    if (runtimes.some((runtime) => runtime !== `nodejs${process.versions.node.split('.')[0]}.x`)) {
      process.stdout.write(`warning: the template's runtime is ${runtimes.join(', ')} and this is node ${process.version}: run the bench with that Node for figures that hold\n`);
    }
    const rows: Row[] = [];
    for (const fn of functions) {
      const code = readFileSync(fn.bundle);
      const bundle = bundles.find((b) => readFileSync(b.entry).equals(code));
      if (!bundle) throw new Error(`${fn.name}: its bundle is none of the ones esbuild builds from functions/ now; synthesize again`);
      const loaded = [bundle.entry, ...bundle.loadedChunks];
      const sizes = new Map<string, number>();
      for (const file of loaded) for (const [name, bytes] of packagesOf(inputsOf(file))) sizes.set(name, (sizes.get(name) ?? 0) + bytes);
      const packages = [...sizes]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 4)
        .map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)}`)
        .join(', ');
      rows.push({ name: fn.name, kb: kbOf(loaded), shippedKb: kbOf([...loaded, ...bundle.deferredChunks]), packages, ...measure(fn, pairs) });
      process.stdout.write('.');
    }
    process.stdout.write(
      `\n\n${'function'.padEnd(40)} ${'loaded'.padStart(7)} ${'shipped'.padStart(8)} ${'node -e 0'.padStart(10)} ${'init'.padStart(9)} ${'ratio'.padStart(6)} ${'cpu'.padStart(6)}   top packages loaded (KB)\n`,
    );
    for (const row of [...rows].sort((a, b) => b.ratio - a.ratio)) {
      process.stdout.write(
        `${row.name.padEnd(40)} ${`${row.kb.toFixed(0)} KB`.padStart(7)} ${`${row.shippedKb.toFixed(0)} KB`.padStart(8)} ${`${row.bareMs.toFixed(1)} ms`.padStart(10)} ${`${row.initMs.toFixed(1)} ms`.padStart(9)} ${`${row.ratio.toFixed(2)}×`.padStart(6)} ${`${row.cpuRatio.toFixed(2)}×`.padStart(6)}   ${row.packages}\n`,
      );
    }
    process.stdout.write(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}: wall-time ratios are only as good as the machine is quiet; the cpu column is the ratio of CPU times, pair by pair the same way\n`);
    const worstRatio = rows.reduce((a, b) => (b.ratio > a.ratio ? b : a));
    const worstSize = rows.reduce((a, b) => (b.kb > a.kb ? b : a));
    const met = worstRatio.ratio <= TARGET_RATIO && worstSize.kb <= TARGET_KB;
    process.stdout.write(
      `\nmedian over functions: loaded ${median(rows.map((r) => r.kb)).toFixed(0)} KB (shipped ${median(rows.map((r) => r.shippedKb)).toFixed(0)} KB), init ${median(rows.map((r) => r.ratio)).toFixed(2)}× node -e 0 (cpu ${median(rows.map((r) => r.cpuRatio)).toFixed(2)}×)\n` +
        `cold start: worst init ${worstRatio.name} ${worstRatio.ratio.toFixed(2)}× node -e 0 (target ≤ ${TARGET_RATIO}×), ` +
        `largest loaded bundle ${worstSize.name} ${worstSize.kb.toFixed(0)} KB (target ≤ ${TARGET_KB} KB): targets ${met ? 'met' : 'NOT met'}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
