import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readState } from '../local/state-file';
import { formatMs, median } from './stats';

/**
 * `npm run bench:startup [-- --runs 5 --no-synth]`: starts the local cloud as a
 * user does (`npm start`), measures the time until it prints "Ready", places
 * one order with the printed recipe and measures POST → CONFIRMED, then stops
 * it with SIGINT and checks it exits. Prints each run and the medians.
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
  const started = Date.now();
  const placed = await fetch(`${state.apiUrl}/orders`, { method: 'POST', headers, body: JSON.stringify(ORDER) });
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

const main = async (): Promise<void> => {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'no-synth': { type: 'boolean', default: false } } });
  const runs = Number(values.runs);
  const ready: number[] = [];
  const latency: number[] = [];
  const stopping: number[] = [];
  for (let run = 1; run <= runs; run += 1) {
    const args = ['--import', 'tsx', path.join(root, 'local', 'cli.ts'), '--port', '0', ...(values['no-synth'] ? ['--no-synth'] : [])];
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      ready.push(await waitForReady(child, 60_000));
      latency.push(await orderLatency());
    } finally {
      const stopAt = Date.now();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGINT');
      await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error('did not stop within 15 s')), 15_000))]);
      stopping.push(Date.now() - stopAt);
    }
    process.stdout.write(`run ${run}: ready ${formatMs(ready[run - 1])}, order POST→CONFIRMED ${formatMs(latency[run - 1])}, stopped in ${formatMs(stopping[run - 1])}\n`);
  }
  process.stdout.write(
    `\nmedian of ${runs}${values['no-synth'] ? ' (no synth)' : ' (with cdk synth)'}: ready ${formatMs(median(ready))}, ` +
      `first order POST→CONFIRMED ${formatMs(median(latency))} (cold functions), stop ${formatMs(median(stopping))}\n`,
  );
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
