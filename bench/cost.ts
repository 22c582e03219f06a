import { parseArgs } from 'node:util';
import { DEFAULT_SAGA_TYPE, sagaTypeOf } from '../lib/config/saga-type';
import { formatBill } from '../local/cost/bill';
import { PRICES_AS_OF, PRICES_REGION } from '../local/cost/prices';
import { runCost } from './cost/run-cost';

/**
 * `npm run cost [-- --saga express|standard --orders 5 --orders-per-month 1000000 --traces-sampled 1 --assembly cdk.out]`:
 * what an order costs on AWS, measured by the local cloud. Starts a fresh
 * local cloud without faults, drives each saga path's orders through it one
 * at a time, prices what they made it do (local/cost/prices.ts), and prints
 * dollars per million orders per path and per component, blended over the
 * mix; the last line is `cost: $<x> per million orders (<saga>)`. The saga
 * type is synthesized as `--saga` says (`-c saga=…`), or is the given
 * assembly's.
 */

const USAGE = 'usage: npm run cost -- [--saga express|standard] [--orders 5] [--orders-per-month 1000000] [--traces-sampled 1] [--assembly <cdk.out>]';

const positive = (name: string, raw: string | undefined, integer: boolean, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) throw new Error(`--${name} must be a positive ${integer ? 'integer' : 'number'}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ''}, not '${raw}'\n${USAGE}`);
  return value;
};

const main = async (): Promise<number> => {
  const { values } = parseArgs({
    options: {
      saga: { type: 'string' },
      orders: { type: 'string' },
      'orders-per-month': { type: 'string' },
      'traces-sampled': { type: 'string' },
      assembly: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const saga = sagaTypeOf(values.saga, '--saga');
  if (saga !== undefined && values.assembly) throw new Error(`--saga and --assembly cannot go together: an assembly's saga type is the one it was synthesized with\n${USAGE}`);
  const ordersPerPath = positive('orders', values.orders, true, 200);
  const ordersPerMonth = positive('orders-per-month', values['orders-per-month'], false);
  const tracesSampled = positive('traces-sampled', values['traces-sampled'], false, 1);
  const started = Date.now();
  const run = await runCost({
    ...(ordersPerPath ? { ordersPerPath } : {}),
    ...(values.assembly ? { assemblyDir: values.assembly } : { saga: saga ?? DEFAULT_SAGA_TYPE }),
    assumptions: { ...(ordersPerMonth ? { ordersPerMonth } : {}), ...(tracesSampled ? { tracesSampled } : {}) },
    progress: (line) => process.stderr.write(`cost: ${line} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`),
  });
  for (const path of run.paths) {
    console.log(formatBill(`${path.path.name} (${Math.round(path.path.share * 100)} % of orders, ends ${path.path.outcome})`, path.bill, path.orders));
    console.log('');
  }
  const width = Math.max(...run.blendedLines.map((line) => line.component.length));
  console.log(`blended over the mix (${run.paths.map((p) => `${Math.round(p.path.share * 100)} % ${p.path.name}`).join(', ')}), dollars per million orders:`);
  for (const line of run.blendedLines) console.log(`  ${line.component.padEnd(width)}  $${line.usd.toFixed(2).padStart(7)}`);
  console.log(`  (${PRICES_REGION} list prices as of ${PRICES_AS_OF}; Lambda durations measured on this machine; see "What it costs" in README.md)`);
  console.log(`cost: $${run.blended.toFixed(2)} per million orders (${run.saga})`);
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cost: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
