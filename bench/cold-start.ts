import { buildSync } from 'esbuild';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLE_OPTIONS } from '../lib/constructs/esbuild-bundler';
import { readCloudAssembly } from '../local/assembly/cloud-assembly';
import { combineStacks } from '../local/assembly/combined-stacks';
import { LambdaRuntime } from '../local/lambda/lambda-runtime';
import { formatMs, median } from './stats';

/**
 * `npm run bench:cold-start [-- --samples 7]`: for every function of the
 * synthesized app (run `npm run synth` first), the bundle size and the cold
 * start — a fresh execution environment loading the bundle — as the local
 * Lambda runtime measures it (median of N fresh environments). Also builds
 * one entry as CommonJS to show what the ESM output saves.
 */
const root = path.resolve(__dirname, '..');

const coldStart = async (codeDir: string, handler: string, samples: number): Promise<number> => {
  const times: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const runtime = new LambdaRuntime();
    runtime.register({
      name: 'bench',
      arn: 'arn:aws:lambda:us-east-1:000000000000:function:bench',
      codeDir,
      handler,
      environment: { AWS_REGION: 'us-east-1', TABLE_NAME: 'bench', EVENT_BUS_NAME: 'bench', READY_CHECKS: '{}', CATALOG_PRICES_FUNCTION: 'x', PAYMENTS_QUERY_FUNCTION: 'x', SHIPMENTS_QUERY_FUNCTION: 'x', POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' },
      timeoutSeconds: 10,
      memoryMb: 256,
    });
    const result = await runtime.invoke('bench', { routeKey: 'GET /bench-unknown', requestContext: { requestId: 'bench' } });
    if (result.coldStartMs !== undefined) times.push(result.coldStartMs);
    await runtime.stop(0);
  }
  return median(times);
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '7' } } });
  const samples = Number(values.samples);
  const stack = combineStacks(readCloudAssembly(path.join(root, 'cdk.out')));
  const rows: Array<{ name: string; kb: number; ms: number }> = [];
  for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const codeDir = stack.assetPath(logicalId);
    if (!codeDir) continue;
    const kb = statSync(path.join(codeDir, 'index.mjs')).size / 1024;
    rows.push({ name: logicalId, kb, ms: await coldStart(codeDir, 'index.handler', samples) });
    process.stdout.write('.');
  }
  process.stdout.write('\n\nfunction                                   bundle     cold start (median)\n');
  for (const row of rows.sort((a, b) => b.ms - a.ms)) {
    process.stdout.write(`${row.name.padEnd(42)} ${`${row.kb.toFixed(0)} KB`.padStart(8)}   ${formatMs(row.ms).padStart(8)}\n`);
  }
  process.stdout.write(`\nmedian over functions: ${formatMs(median(rows.map((r) => r.ms)))}, bundle ${median(rows.map((r) => r.kb)).toFixed(0)} KB\n`);

  const entry = path.join(root, 'functions', 'orders', 'entries', 'api.ts');
  const cjsDir = mkdtempSync(path.join(tmpdir(), 'bench-cjs-'));
  buildSync({ ...BUNDLE_OPTIONS, format: 'cjs', banner: {}, outExtension: { '.js': '.js' }, mainFields: ['main', 'module'], entryPoints: { index: entry }, outdir: cjsDir });
  const esmDir = mkdtempSync(path.join(tmpdir(), 'bench-esm-'));
  buildSync({ ...BUNDLE_OPTIONS, entryPoints: { index: entry }, outdir: esmDir });
  const size = (file: string) => readFileSync(file).length / 1024;
  const [esmMs, cjsMs] = [await coldStart(esmDir, 'index.handler', samples), await coldStart(cjsDir, 'index.handler', samples)];
  process.stdout.write(
    `\norders API as shipped (ESM): ${size(path.join(esmDir, 'index.mjs')).toFixed(0)} KB, cold start ${formatMs(esmMs)}\n` +
      `orders API as CommonJS:      ${size(path.join(cjsDir, 'index.js')).toFixed(0)} KB, cold start ${formatMs(cjsMs)}\n`,
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
