import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startFreshLocalCloud } from '../local/fresh-local-cloud';
import { HopLog } from '../local/log';
import { stockProduct } from './shop-setup';
import { ShopHttp } from './soak/shop-http';
import { soakTablesOf } from './soak/table-snapshot';
import { formatMs, percentile } from './stats';

/**
 * `npm run bench:throughput [-- --concurrency 1,10,25,50 --seconds 10 --assembly cdk.out]`:
 * how many orders the local cloud confirms per second, and how long each
 * takes from `POST /orders` to CONFIRMED, with 1, 10, 25 and 50 shoppers
 * placing orders back to back (each places its next order once the last
 * confirmed). The API's throttles are raised through the documented CDK
 * context value `throttles` (README "Throttles"), so the local cloud, not
 * the throttle, is what is measured. An order's confirmation is seen on
 * the orders table's stream, as the write that takes it out of PENDING
 * lands: polling the API, or the table, would load the local cloud it
 * measures. First the whole local cloud warms up for `--warmup` seconds at
 * the highest concurrency (DynamoDB Local's JVM compiles its hot paths in
 * its first thousands of calls, which are 2–3× slower); then each level
 * runs a warm-up (cold starts excluded) and `--seconds` of measurement. Last,
 * the CPU the whole local cloud (this process, its workers, DynamoDB
 * Local) spends idle, right after the load and once it has settled. Ends
 * with `throughput: <n> orders/s at concurrency 25, p50 <x> ms, p99 <y> ms`.
 */

const USAGE = 'usage: npm run bench:throughput -- [--concurrency 1,10,25,50] [--seconds 10] [--warmup 10] [--assembly <cdk.out>]';

/** Throttles far above what one machine serves, so none answers 429 (`-c throttles=…`). */
export const RAISED_THROTTLES = JSON.stringify({
  default: { rateLimit: 10_000, burstLimit: 5_000 },
  routes: { 'POST /orders': { rateLimit: 10_000, burstLimit: 5_000 } },
});

/** The processes under `pid`, each child before its own (DynamoDB Local's JVM runs under a watchdog shell: a grandchild). */
const descendantsOf = (pid: number | 'self'): number[] => {
  const children: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${String(pid)}/task`);
  } catch {
    return children; // it exited meanwhile
  }
  for (const task of tasks) {
    try {
      children.push(...readFileSync(`/proc/${String(pid)}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // The thread exited meanwhile.
    }
  }
  return children.flatMap((child) => [child, ...descendantsOf(child)]);
};

/** CPU seconds (user + system) this process and every process under it (DynamoDB Local's JVM) have used. */
const cpuSeconds = (): number => {
  const own = process.cpuUsage();
  const ticks = Number(process.env.CLK_TCK ?? 100);
  let descendants = 0;
  for (const pid of descendantsOf('self')) {
    try {
      // utime and stime are fields 14 and 15; the command (field 2) may hold spaces, so count after its ')'.
      const fields = readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      descendants += (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      // The process exited meanwhile.
    }
  }
  return (own.user + own.system) / 1e6 + descendants;
};

interface LevelResult {
  readonly concurrency: number;
  readonly confirmed: number;
  readonly cancelled: number;
  readonly seconds: number;
  readonly latencies: number[];
  readonly cpuCores: number;
}

const main = async (): Promise<number> => {
  const { values } = parseArgs({ options: { concurrency: { type: 'string' }, seconds: { type: 'string' }, warmup: { type: 'string' }, assembly: { type: 'string' }, help: { type: 'boolean' } }, strict: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const levels = (values.concurrency ?? '1,10,25,50').split(',').map((raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 200) throw new Error(`--concurrency takes whole numbers from 1 to 200, not '${raw}'\n${USAGE}`);
    return n;
  });
  const seconds = Number(values.seconds ?? 10);
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > 600) throw new Error(`--seconds must be from 1 to 600, not '${values.seconds ?? ''}'\n${USAGE}`);
  const warmup = Number(values.warmup ?? 10);
  if (!Number.isFinite(warmup) || warmup < 0 || warmup > 600) throw new Error(`--warmup must be from 0 to 600, not '${values.warmup ?? ''}'\n${USAGE}`);
  const progress = (line: string) => process.stderr.write(`throughput: ${line}\n`);

  progress(values.assembly ? `starting the local cloud from ${values.assembly}` : `synthesizing with -c throttles='${RAISED_THROTTLES}' and starting the local cloud`);
  const fresh = await startFreshLocalCloud({
    log: new HopLog({ verbose: false, color: false, write: () => undefined }),
    scheduleScale: 0,
    ...(values.assembly ? { assemblyDir: values.assembly } : { context: { throttles: RAISED_THROTTLES } }),
  });
  const { cloud } = fresh;
  try {
    const ordersTable = soakTablesOf(cloud.tables).orders;
    const http = new ShopHttp(cloud.apiUrl);
    const admin = cloud.issuer.mint({ username: 'bench-admin', groups: ['admin'] }).token;
    const product = `bench-${randomUUID().slice(0, 8)}`;
    await stockProduct(http, admin, product, 1_000_000);
    const shoppers = Array.from({ length: Math.max(...levels) }, (_, i) => cloud.issuer.mint({ username: `bench-shopper-${i + 1}` }).token);

    /** Orders placed and not yet seen leaving PENDING: id → what waits for it. */
    const waiting = new Map<string, (status: string) => void>();
    cloud.watchStream(ordersTable, async (records) => {
      for (const record of records) {
        const image = record.dynamodb.NewImage as { pk?: { S?: string }; status?: { S?: string } } | undefined;
        const status = image?.status?.S;
        if (!image?.pk?.S?.startsWith('ORDER#') || !status || status === 'PENDING') continue;
        const id = image.pk.S.slice('ORDER#'.length);
        waiting.get(id)?.(status);
        waiting.delete(id);
      }
    });

    /** Places one order and waits until it leaves PENDING: its status and the time from POST to then. */
    const placeAndWait = async (token: string): Promise<{ status: string; ms: number }> => {
      const posted = performance.now();
      const reply = await http.callWithRetries('POST', '/orders', {
        token,
        headers: { 'idempotency-key': randomUUID() },
        json: { items: [{ productId: product, quantity: 1 }], paymentToken: 'tok_visa', shippingAddress: { name: 'Bench', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } },
      });
      const orderId = (reply.body as { orderId?: string } | undefined)?.orderId;
      if (reply.status !== 202 || !orderId) throw new Error(`POST /orders answered ${reply.status}: ${JSON.stringify(reply.body)}`);
      // The deadline's timer goes with the order: thousands of orders must not leave a minute-long timer each.
      const deadline = new AbortController();
      try {
        const status = await Promise.race([
          new Promise<string>((resolve) => waiting.set(orderId, resolve)),
          sleep(60_000, undefined, { signal: deadline.signal }).then(() => {
            throw new Error(`order ${orderId} still PENDING after 60 s`);
          }),
        ]);
        return { status, ms: performance.now() - posted };
      } finally {
        deadline.abort();
      }
    };

    /** `concurrency` shoppers each placing orders back to back until `until` (performance.now() ms). */
    const shopUntil = (concurrency: number, until: number, onOrder: (placed: { status: string; ms: number }) => void = () => undefined): Promise<void[]> =>
      Promise.all(shoppers.slice(0, concurrency).map(async (token) => {
        while (performance.now() < until) onOrder(await placeAndWait(token));
      }));

    const runLevel = async (concurrency: number): Promise<LevelResult> => {
      // Warm-up: enough orders that every function has as many warm environments as the level needs.
      progress(`concurrency ${concurrency}: warming up`);
      await Promise.all(shoppers.slice(0, concurrency).map(async (token) => {
        for (let i = 0; i < 3; i += 1) await placeAndWait(token);
      }));
      progress(`concurrency ${concurrency}: measuring for ${seconds} s`);
      const latencies: number[] = [];
      let confirmed = 0;
      let cancelled = 0;
      const cpuBefore = cpuSeconds();
      const started = performance.now();
      const deadline = started + seconds * 1000;
      await shopUntil(concurrency, deadline, ({ status, ms }) => {
        if (status === 'CONFIRMED') {
          confirmed += 1;
          latencies.push(ms);
        } else cancelled += 1;
      });
      const elapsed = (performance.now() - started) / 1000;
      return { concurrency, confirmed, cancelled, seconds: elapsed, latencies, cpuCores: (cpuSeconds() - cpuBefore) / elapsed };
    };

    if (warmup > 0) {
      const concurrency = Math.max(...levels);
      progress(`warming up the local cloud for ${warmup} s at concurrency ${concurrency}`);
      await shopUntil(concurrency, performance.now() + warmup * 1000);
    }

    const results: LevelResult[] = [];
    for (const concurrency of levels) {
      const result = await runLevel(concurrency);
      results.push(result);
      const ms = (q: number) => formatMs(percentile(result.latencies, q));
      console.log(
        `concurrency ${String(concurrency).padStart(3)}: ${(result.confirmed / result.seconds).toFixed(1).padStart(6)} orders/s confirmed` +
          ` (${result.confirmed} in ${result.seconds.toFixed(1)} s${result.cancelled > 0 ? `, ${result.cancelled} cancelled` : ''}),` +
          ` POST→CONFIRMED p50 ${ms(50)}, p95 ${ms(95)}, p99 ${ms(99)}; CPU ${result.cpuCores.toFixed(2)} cores`,
      );
    }

    // Two windows: the first still has the load's aftermath (DynamoDB Local's JVM collecting and compiling,
    // the stream poller's fallback reads not yet thinned out); the second is the local cloud left alone.
    progress('measuring idle CPU: 2-12 s and 20-30 s after the last order');
    const idleShare = async (fromS: number, toS: number, since: number): Promise<number> => {
      await sleep(since + fromS * 1000 - performance.now());
      const before = cpuSeconds();
      await sleep(since + toS * 1000 - performance.now());
      return (cpuSeconds() - before) / (toS - fromS);
    };
    const lastOrder = performance.now();
    const afterLoad = await idleShare(2, 12, lastOrder);
    const settled = await idleShare(20, 30, lastOrder);
    const percent = (share: number) => `${(share * 100).toFixed(1)} %`;
    console.log(`idle: ${percent(settled)} of a core left alone (20-30 s after the last order; ${percent(afterLoad)} 2-12 s after it), this process, its workers and DynamoDB Local`);

    const reference = results.find((r) => r.concurrency === 25) ?? results[results.length - 1];
    if (reference) {
      console.log(
        `throughput: ${(reference.confirmed / reference.seconds).toFixed(1)} orders/s at concurrency ${reference.concurrency}, p50 ${Math.round(percentile(reference.latencies, 50))} ms, p99 ${Math.round(percentile(reference.latencies, 99))} ms`,
      );
    }
    return 0;
  } finally {
    await fresh.stop().catch((error: unknown) => progress(`stopping: ${error instanceof Error ? error.message : String(error)}`));
  }
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`throughput: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
