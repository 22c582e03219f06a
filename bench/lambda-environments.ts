import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readCloudAssembly } from '../local/assembly/cloud-assembly';
import { combineStacks } from '../local/assembly/combined-stacks';
import { LambdaRuntime, type LocalFunctionSpec } from '../local/lambda/lambda-runtime';
import { defaultNodeSearch, majorOf, resolveNode } from '../local/lambda/node-binary';
import { formatMs, median } from './stats';

/**
 * `npm run bench:lambda-environments [-- --samples 5]`: what running a
 * function's environments as child processes (the mode for a template whose
 * Node major is not the running one) costs against worker threads, on the
 * orders API bundle of the synthesized app (run `npm run synth` first):
 * cold start (spawn to bundle loaded), first invocation, a warm invocation,
 * and the memory one environment adds (medians of N fresh environments).
 */
const root = path.resolve(__dirname, '..');

interface Mode {
  readonly label: string;
  readonly nodeExecutable?: string;
}

interface Sample {
  readonly coldStartMs: number;
  readonly firstMs: number;
  readonly warmMs: number;
  readonly rssMb: number;
}

/** Resident memory of a process, in MB (Linux /proc; the whole process for a thread). */
const rssOf = (pid: number): number => {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
};

const sample = async (spec: LocalFunctionSpec, mode: Mode): Promise<Sample> => {
  const runtime = new LambdaRuntime();
  runtime.register({ ...spec, ...(mode.nodeExecutable ? { nodeExecutable: mode.nodeExecutable } : {}) });
  const event = { routeKey: 'GET /bench-unknown', rawPath: '/bench-unknown', headers: {}, requestContext: { requestId: 'bench', http: { method: 'GET', path: '/bench-unknown' } } };
  const before = rssOf(process.pid);
  const first = await runtime.invoke(spec.name, event);
  const warm = await runtime.invoke(spec.name, event);
  // A thread's memory is what the local cloud grows by; a process's is its own.
  const rssMb = mode.nodeExecutable ? childRss() : rssOf(process.pid) - before;
  await runtime.stop(0);
  return { coldStartMs: first.coldStartMs ?? Number.NaN, firstMs: first.durationMs, warmMs: warm.durationMs, rssMb };
};

/** The RSS of this process's largest child (the one environment a sample runs). */
const childRss = (): number => {
  const children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return children.length ? Math.max(...children.map(rssOf)) : Number.NaN;
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { samples: { type: 'string', default: '5' } } });
  const samples = Number(values.samples);
  const stack = combineStacks(readCloudAssembly(path.join(root, 'cdk.out')));
  const [logicalId, resource] = Object.entries(stack.template.Resources).find(([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith('OrdersApi')) ?? [];
  const codeDir = logicalId ? stack.assetPath(logicalId) : undefined;
  if (!logicalId || !resource || !codeDir) throw new Error('No OrdersApi function in cdk.out: run `npm run synth` first');
  const runtimeName = String((resource.Properties as { Runtime?: string }).Runtime);
  const spec: LocalFunctionSpec = {
    name: logicalId,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`,
    codeDir,
    handler: 'index.handler',
    environment: { AWS_REGION: 'us-east-1', TABLE_NAME: 'bench', CATALOG_PRICES_FUNCTION: 'x', PAYMENTS_QUERY_FUNCTION: 'x', SHIPMENTS_QUERY_FUNCTION: 'x', POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', NODE_OPTIONS: '--enable-source-maps' },
    timeoutSeconds: 10,
    memoryMb: 256,
  };
  const templateMajor = Number(/nodejs(\d+)/.exec(runtimeName)?.[1]);
  const modes: Mode[] = [{ label: `worker thread (this Node ${process.version})` }, { label: `child process of this Node ${process.version}`, nodeExecutable: process.execPath }];
  if (templateMajor !== majorOf(process.version)) {
    const choice = resolveNode(templateMajor, defaultNodeSearch());
    if (choice.kind === 'child-process') modes.push({ label: `child process of Node ${choice.version} (${runtimeName})`, nodeExecutable: choice.executable });
  }
  process.stdout.write(`${logicalId} (${runtimeName}), ${samples} fresh environments per mode (medians)\n\n`);
  process.stdout.write(`${'mode'.padEnd(48)} ${'cold start'.padStart(10)} ${'1st invoke'.padStart(10)} ${'warm'.padStart(8)} ${'memory'.padStart(9)}\n`);
  for (const mode of modes) {
    const results: Sample[] = [];
    for (let i = 0; i < samples; i += 1) results.push(await sample(spec, mode));
    const m = (pick: (s: Sample) => number) => median(results.map(pick));
    process.stdout.write(
      `${mode.label.padEnd(48)} ${formatMs(m((s) => s.coldStartMs)).padStart(10)} ${formatMs(m((s) => s.firstMs)).padStart(10)} ${formatMs(m((s) => s.warmMs)).padStart(8)} ${`${m((s) => s.rssMb).toFixed(0)} MB`.padStart(9)}\n`,
    );
  }
  process.stdout.write('\ncold start: spawn to bundle loaded; 1st invoke: includes the cold start; memory: RSS the local cloud grows by (thread) or the child process has (process).\n');
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
