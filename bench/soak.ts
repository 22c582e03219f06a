import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readFaultsFile } from '../local/fault-injection';
import { synthesize } from '../local/synthesize';
import { sagaTypeOf } from '../lib/config/saga-type';
import { harshSoakFaults } from './soak/faults';
import type { InvariantResult } from './soak/invariants';
import { runSoak, type SoakOptions, type SoakProgress, type SoakReport } from './soak/run-soak';
import { formatMs } from './stats';
import { formatBill } from '../local/cost/bill';

/**
 * `npm run soak [-- --orders 1000 --concurrency 25 --users 8 --seed N --no-faults]`:
 * the chaos soak. Starts the local cloud in this process with faults on,
 * places the orders, then checks every invariant against the tables and the
 * saga histories. A progress bar goes to stderr; the figures to stdout. Exits
 * 1 on any violation (2 when the soak could not run).
 *
 * Other flags: `--products 8`, `--faults default|harsh|<file.json>` (the
 * default profile, the harsh one with outages, or any faults in the local
 * cloud's `--faults` format), `--seeds N` (N runs with random seeds, a fresh
 * local cloud each, one synth for all), `--assembly cdk.out` (skip the synth),
 * `--log soak.log` (the local cloud's hop log, every line).
 */

const USAGE =
  'usage: npm run soak -- [--orders 1000] [--concurrency 25] [--users 8] [--products 8] [--seed N | --seeds N] [--no-faults | --faults default|harsh|<file.json>] [--saga express|standard | --assembly <cdk.out>] [--log <file>]';

const positiveInt = (name: string, raw: string | undefined): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < (name === 'seed' ? 0 : 1)) throw new Error(`--${name} must be a ${name === 'seed' ? 'non-negative' : 'positive'} integer, not '${raw}'\n${USAGE}`);
  return value;
};

const PHASE_LABELS: Readonly<Record<SoakProgress['phase'], string>> = {
  synthesizing: 'synthesizing (cdk synth)',
  starting: 'starting the local cloud',
  seeding: 'stocking the catalog',
  ordering: 'ordering',
  settling: 'waiting for the saga to go quiet',
  checking: 'reading tables and histories',
  stopping: 'stopping',
  done: 'done',
};

const BAR_WIDTH = 30;

/** The progress display: one redrawn line on a terminal, a line per phase and per 10 % otherwise. */
const progressDisplay = (stream: NodeJS.WriteStream): { update: (p: SoakProgress) => void; end: () => void } => {
  let lastPhase: SoakProgress['phase'] | undefined;
  let lastDecile = -1;
  let drawn = false;
  return {
    update: (p) => {
      const share = p.total === 0 ? 0 : p.terminal / p.total;
      const filled = Math.round(share * BAR_WIDTH);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  placed ${p.placed}/${p.total}  terminal ${p.terminal}  ${formatMs(p.elapsedMs)}  ${PHASE_LABELS[p.phase]}`;
      if (stream.isTTY) {
        stream.write(`\r\u001b[2K${line.slice(0, (stream.columns || 120) - 1)}`);
        drawn = true;
        return;
      }
      const decile = Math.floor(share * 10);
      if (p.phase !== lastPhase || (p.phase === 'ordering' && decile !== lastDecile)) stream.write(`${line}\n`);
      lastPhase = p.phase;
      lastDecile = decile;
    },
    end: () => {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
};

const figure = (invariant: InvariantResult): string => {
  const mark = invariant.ok ? 'ok  ' : 'FAIL';
  const breakdown = invariant.breakdown ? `  (${invariant.breakdown})` : '';
  return `${mark} ${invariant.title}: ${invariant.value} ${invariant.unit}${breakdown}`;
};

const printReport = (report: SoakReport, write: (text: string) => void): void => {
  write(`\nChaos soak (${report.saga} saga): ${report.orders} orders, concurrency ${report.concurrency}, ${report.users} users, seed ${report.seed}\n`);
  write(report.faults.length > 0 ? `faults:\n${report.faults.map((line) => `  ${line}`).join('\n')}\n` : 'faults: none\n');
  const injected = Object.entries(report.injected);
  if (injected.length > 0) write(`injected: ${injected.map(([kind, count]) => `${kind} ${String(count)}`).join(', ')}\n`);
  write(`\noutcomes${report.warmup > 0 ? ` (with ${report.warmup} warm-up orders)` : ''}: ${Object.entries(report.outcomes).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  const reconciled = Object.entries(report.reconciled);
  write(`reconciler: ${reconciled.length > 0 ? reconciled.map(([action, count]) => `${action} ${String(count)}`).join(', ') : 'found nothing to do'}\n`);
  write(`saga executions: ${Object.entries(report.executions).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  const listed = (counts: Readonly<Record<string, number>>): string => {
    const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b));
    return entries.length > 0 ? entries.map(([k, v]) => `${k} ${v}`).join(', ') : 'none';
  };
  write(`cancellations (moment answer): ${listed(report.cancellations)}; their executions: ${listed(report.cancellationExecutions)}\n`);
  const h = report.http;
  write(`http: ${h.requests} requests, ${h.retries} retries (${h.throttled} × 429, ${h.serverErrors} × 5xx, ${h.noAnswer} unanswered)\n`);
  write('\ninvariants:\n');
  for (const invariant of report.invariants) {
    write(`  ${figure(invariant)}\n`);
    if (!invariant.ok) for (const example of invariant.examples) write(`        ${example}\n`);
  }
  if (report.notes.length > 0) write(`\nnotes:\n${report.notes.slice(0, 20).map((note) => `  ${note}`).join('\n')}\n`);
  if (report.diagnostics.length > 0) write(`\nlocal cloud log of offending orders:\n${report.diagnostics.join('\n')}\n`);
  write(
    `\nthroughput: ${report.throughput.toFixed(2)} orders/s (${report.latency.samples} terminal orders in ${formatMs(report.durationMs)})\n` +
      `latency POST → terminal: p50 ${formatMs(report.latency.p50)}, p99 ${formatMs(report.latency.p99)}, max ${formatMs(report.latency.max)}\n`,
  );
  write(`\n${formatBill('cost of this run on AWS, faults and retries included', report.cost, report.orders + report.warmup)}\n`);
  write(report.violations === 0 ? '\nall invariants hold\n' : `\n${report.violations} invariant(s) violated\n`);
};

/** The faults a `--faults` value names: a profile, or a file in the local cloud's format. */
const faultsOption = (value: string | undefined, noFaults: boolean): SoakOptions['faults'] | undefined => {
  if (noFaults && value !== undefined) throw new Error(`--no-faults and --faults exclude each other\n${USAGE}`);
  if (noFaults) return false;
  if (value === undefined || value === 'default') return undefined;
  if (value === 'harsh') return harshSoakFaults();
  return readFaultsFile(value);
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      orders: { type: 'string' },
      concurrency: { type: 'string' },
      users: { type: 'string' },
      products: { type: 'string' },
      seed: { type: 'string' },
      seeds: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      faults: { type: 'string' },
      assembly: { type: 'string' },
      saga: { type: 'string' },
      log: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let logFile: WriteStream | undefined;
  if (values.log) logFile = createWriteStream(values.log);
  const display = progressDisplay(process.stderr);
  let synthesized: string | undefined;
  try {
    const orders = positiveInt('orders', values.orders);
    const concurrency = positiveInt('concurrency', values.concurrency);
    const users = positiveInt('users', values.users);
    const products = positiveInt('products', values.products);
    const seed = positiveInt('seed', values.seed);
    const seeds = positiveInt('seeds', values.seeds);
    if (seed !== undefined && seeds !== undefined) throw new Error(`--seed and --seeds exclude each other\n${USAGE}`);
    const faults = faultsOption(values.faults, values['no-faults']);
    const saga = sagaTypeOf(values.saga, '--saga');
    if (saga !== undefined && values.assembly) throw new Error(`--saga and --assembly exclude each other: an assembly's saga type is the one it was synthesized with\n${USAGE}`);
    const runs = seeds ?? 1;
    // Several seeds run the same app: synthesize it once.
    let assemblyDir = values.assembly;
    if (!assemblyDir && runs > 1) {
      synthesized = mkdtempSync(path.join(tmpdir(), 'shop-soak-cdk-out-'));
      process.stderr.write('synthesizing once for every seed (cdk synth)…\n');
      await synthesize(synthesized, { context: { observability: 'full', ...(saga ? { saga } : {}) } });
      assemblyDir = synthesized;
    }
    const results: SoakReport[] = [];
    for (let i = 0; i < runs; i += 1) {
      if (runs > 1) process.stderr.write(`\nseed ${String(i + 1)} of ${String(runs)}\n`);
      const report = await runSoak({
        ...(orders !== undefined ? { orders } : {}),
        ...(concurrency !== undefined ? { concurrency } : {}),
        ...(users !== undefined ? { users } : {}),
        ...(products !== undefined ? { products } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(faults !== undefined ? { faults } : {}),
        ...(assemblyDir ? { assemblyDir } : saga ? { saga } : {}),
        progress: display.update,
        ...(logFile ? { onLogLine: (line: string) => void logFile?.write(`${line}\n`) } : {}),
      });
      display.end();
      printReport(report, (text) => void process.stdout.write(text));
      results.push(report);
    }
    if (runs > 1) {
      process.stdout.write(`\n${String(runs)} seeds:\n`);
      for (const report of results) {
        const failed = report.invariants.filter((invariant) => !invariant.ok).map((invariant) => invariant.id);
        process.stdout.write(`  seed ${String(report.seed).padEnd(10)} ${failed.length === 0 ? 'every invariant 0' : `VIOLATED: ${failed.join(', ')}`}  (${report.throughput.toFixed(2)} orders/s, p99 ${formatMs(report.latency.p99)})\n`);
      }
    }
    return results.every((report) => report.violations === 0) ? 0 : 1;
  } finally {
    display.end();
    logFile?.end();
    if (synthesized) rmSync(synthesized, { recursive: true, force: true });
  }
};

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`\nsoak could not run: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
