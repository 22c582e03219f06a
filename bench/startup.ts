import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { readState } from '../local/state-file';
import { SYNTH_INPUT_ENV } from '../local/synth-fingerprint';
import { formatMs, median } from './stats';

/**
 * `npm run bench:startup [-- --runs 5 --saves 5 --no-synth --no-watch]`:
 * starts the local cloud as a user does (`npm start`, in a minimal
 * environment), with nothing changed since the last synthesis (a priming
 * start synthesizes first if anything did; each run must then say it reused
 * cdk.out), measures the time until it prints "Ready", places one order with
 * the printed recipe and measures POST → CONFIRMED, then stops it with
 * SIGINT and checks it exits. Then `npm start -- --watch`: the time from
 * saving a handler to the first request answered by the new code. Prints
 * each run and the medians.
 */
const root = path.resolve(__dirname, '..');
const ORDER = {
  items: [{ productId: 'p-mug', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Bench', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
};

const waitForReady = (child: ChildProcess, timeoutMs: number): Promise<number> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    let output = '';
    const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready in/.test(output)) {
        clearTimeout(timer);
        resolve(Date.now() - started);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${output}`)));
  });

const orderLatency = async (): Promise<number> => {
  const state = readState();
  if (!state) throw new Error('no .local-cloud/state.json');
  const tokenResponse = await fetch(`${state.controlUrl}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench' }) });
  const { token } = (await tokenResponse.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  let started = Date.now();
  let placed = await fetch(`${state.apiUrl}/orders`, { method: 'POST', headers, body: JSON.stringify(ORDER) });
  // On a loaded machine a cold dependency can miss its deadline (503 DEPENDENCY_UNAVAILABLE): the order is placed again, once.
  if (placed.status === 503) {
    process.stdout.write(`  POST /orders answered 503 (${((await placed.json()) as { detail?: string }).detail ?? ''}); placing it again\n`);
    started = Date.now();
    placed = await fetch(`${state.apiUrl}/orders`, { method: 'POST', headers, body: JSON.stringify(ORDER) });
  }
  if (placed.status !== 202) throw new Error(`POST /orders answered ${placed.status}: ${await placed.text()}`);
  const { orderId } = (await placed.json()) as { orderId: string };
  for (;;) {
    const order = (await (await fetch(`${state.apiUrl}/orders/${orderId}`, { headers })).json()) as { status: string };
    if (order.status === 'CONFIRMED') return Date.now() - started;
    if (order.status !== 'PENDING') throw new Error(`order ended ${order.status}`);
    if (Date.now() - started > 30_000) throw new Error('order not confirmed within 30 s');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * The variables the local cloud is started with: a minimal environment (as
 * the README's figures are measured: an inherited NODE_EXTRA_CA_CERTS alone
 * adds ~40 ms to every node start), plus what the synthesis reads, so the
 * reuse decision is the one a developer's `npm start` makes.
 */
const childEnv = (): NodeJS.ProcessEnv =>
  Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'JAVA_HOME', ...SYNTH_INPUT_ENV].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]]])));

/** Starts `npm start` with these options; resolves once it printed "Ready", with how long that took and what it printed. */
const startCloud = async (options: readonly string[]): Promise<{ child: ChildProcess; readyMs: number; output: () => string }> => {
  const args = ['--import', 'tsx', path.join(root, 'local', 'cli.ts'), '--port', '0', ...options];
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    return { child, readyMs: await waitForReady(child, 180_000), output: () => output };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
};

/** Stops it as a user does (SIGINT), resolving with how long it took. */
const stopCloud = async (child: ChildProcess): Promise<number> => {
  const stopAt = Date.now();
  if (child.exitCode !== null || child.signalCode !== null) return 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('did not stop within 15 s')), 15_000))]);
  return Date.now() - stopAt;
};

/** The handler the --watch measurement edits (and puts back): what `GET /health` answers. */
const WATCHED_FILE = path.join(root, 'functions', 'health', 'handlers', 'probes.ts');
const WATCHED_LINE = "const body: HealthBody = { status: 'ok', version: deps.version, build: deps.build };";

/**
 * `npm start -- --watch`, then `saves` edits of the health handler (each a
 * new build string), each timed from the write to the first `GET /health`
 * that answers with it (polled every 10 ms). The file is put back after.
 */
const measureWatch = async (saves: number): Promise<{ readyMs: number; latencies: number[]; builds: string[] }> => {
  const original = readFileSync(WATCHED_FILE, 'utf8');
  if (!original.includes(WATCHED_LINE)) throw new Error(`${path.relative(root, WATCHED_FILE)} no longer has the line this benchmark edits: update WATCHED_LINE`);
  const restore = () => writeFileSync(WATCHED_FILE, original);
  process.once('SIGINT', () => {
    restore();
    process.exit(130);
  });
  // As a developer who was just editing this handler: its sources are the newest, so --watch builds it ahead.
  utimesSync(WATCHED_FILE, new Date(), new Date());
  const { child, readyMs, output } = await startCloud(['--watch', '--no-seed']);
  try {
    const state = readState();
    if (!state) throw new Error('no .local-cloud/state.json');
    const deadline = Date.now() + 120_000;
    while (!/built ahead/.test(output())) {
      if (Date.now() > deadline) throw new Error(`--watch built nothing ahead within 120 s:\n${output()}`);
      await sleep(20);
    }
    process.stdout.write(`  ${/--watch: \S.*built ahead[^\n]*/.exec(output())?.[0] ?? ''}\n`);
    await fetch(`${state.apiUrl}/health`);
    const latencies: number[] = [];
    for (let save = 1; save <= saves; save += 1) {
      const marker = `bench-watch-${process.pid}-${save}`;
      const savedAt = Date.now();
      writeFileSync(WATCHED_FILE, original.replace(WATCHED_LINE, WATCHED_LINE.replace('build: deps.build', `build: '${marker}'`)));
      for (;;) {
        const body = await (await fetch(`${state.apiUrl}/health`)).text();
        if (body.includes(marker)) break;
        if (Date.now() - savedAt > 60_000) throw new Error(`GET /health still answers the old code 60 s after the save:\n${output().slice(-3000)}`);
        await sleep(10);
      }
      latencies.push(Date.now() - savedAt);
      process.stdout.write(`  save ${save}: new code served ${formatMs(latencies[save - 1])} after the save\n`);
    }
    const builds = [...output().matchAll(/reload \([^)]*built in (\d+) ms\)/g)].map((match) => `${match[1]} ms`);
    return { readyMs, latencies, builds };
  } finally {
    restore();
    await stopCloud(child);
  }
};

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: { runs: { type: 'string', default: '5' }, 'no-synth': { type: 'boolean', default: false }, saves: { type: 'string', default: '5' }, 'no-watch': { type: 'boolean', default: false } },
  });
  const runs = Number(values.runs);
  const noSynth = values['no-synth'];
  const [load1] = loadavg();
  process.stdout.write(`${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${load1.toFixed(1)} at the start\n`);
  if (!noSynth) {
    // The runs measure a start with nothing changed: this one synthesizes first if anything did.
    const { child, readyMs, output } = await startCloud([]);
    await stopCloud(child);
    const synthLine = /… (reusing cdk\.out|synthesizing)[^\n]*/.exec(output())?.[0] ?? '';
    process.stdout.write(`priming start: ready ${formatMs(readyMs)} (${synthLine.replace(/^… /, '').replace(/ \(\d+\.\d s\)$/, '')})\n`);
  }
  const ready: number[] = [];
  const latency: number[] = [];
  const stopping: number[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const { child, readyMs, output } = await startCloud(noSynth ? ['--no-synth'] : []);
    try {
      if (!noSynth && !output().includes('reusing cdk.out')) throw new Error(`run ${run} synthesized though nothing changed since the priming start:\n${output()}`);
      ready.push(readyMs);
      latency.push(await orderLatency());
    } finally {
      stopping.push(await stopCloud(child));
    }
    process.stdout.write(`run ${run}: ready ${formatMs(ready[run - 1])}, order POST→CONFIRMED ${formatMs(latency[run - 1])}, stopped in ${formatMs(stopping[run - 1])}\n`);
  }
  process.stdout.write(
    `\nmedian of ${runs}${noSynth ? ' (--no-synth)' : ' (nothing changed: cdk.out reused)'}: ready ${formatMs(median(ready))}, ` +
      `first order POST→CONFIRMED ${formatMs(median(latency))} (cold functions), stop ${formatMs(median(stopping))}\n`,
  );
  if (values['no-watch']) return;
  const saves = Number(values.saves);
  process.stdout.write(`\n--watch: ${saves} saves of ${path.relative(root, WATCHED_FILE)}, each timed to the first GET /health answered by the new code\n`);
  const watch = await measureWatch(saves);
  process.stdout.write(
    `--watch: save → new code served: median ${formatMs(median(watch.latencies))} of ${watch.latencies.length} (first save ${formatMs(watch.latencies[0])}, max ${formatMs(Math.max(...watch.latencies))}); ` +
      `esbuild builds ${watch.builds.join(', ')}\n`,
  );
  process.stdout.write(`\nstartup: ready ${formatMs(median(ready))} with nothing changed (median of ${runs}); --watch reload ${formatMs(median(watch.latencies))} (median save → new code served); load average ${loadavg()[0].toFixed(1)} at the end\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
