import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SAGA_TYPES, type SagaType } from '../../lib/config/saga-type';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb/dynamodb-local';
import { startFreshLocalCloud } from '../../local/fresh-local-cloud';
import { HopLog } from '../../local/log';
import { LOCAL_REGION } from '../../local/resources';
import { priceUsage, totalOf, type BillAssumptions, type BillLine } from '../../local/cost/bill';
import { usageBetween, type CostMeter, type Usage } from '../../local/cost/meter';
import { sagaArnOf } from '../soak/saga-history';
import { stockProduct } from '../shop-setup';
import { ShopHttp } from '../soak/shop-http';
import { soakTablesOf } from '../soak/table-snapshot';
import { ownedDocumentClient } from '../../local/support/document-client';

/** A saga path an order can take, and how a customer's order is made to take it. */
export interface SagaPath {
  readonly name: string;
  /** Its share of the blended mix. */
  readonly share: number;
  /** The order's status at the end. */
  readonly outcome: string;
  /** Its `cancellationReason`, for a cancelled order. */
  readonly reason?: string;
  /** The order, given the product in stock and one with none. */
  readonly request: (products: { readonly stocked: string; readonly empty: string }) => Record<string, unknown>;
}

const address = (country = 'US') => ({ name: 'Cost Meter', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country });
const order = (productId: string, overrides: Record<string, unknown> = {}) => ({
  items: [{ productId, quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: address(),
  ...overrides,
});

/**
 * The mix the cost is blended over (issue 9's: 90 % confirmed, 3 % out of
 * stock, 4 % declined, 2 % unserved, 1 % technical), each path made the way
 * a customer makes it, with no faults injected.
 */
export const SAGA_PATHS: readonly SagaPath[] = [
  { name: 'confirmed', share: 0.9, outcome: 'CONFIRMED', request: (p) => order(p.stocked) },
  { name: 'out of stock', share: 0.03, outcome: 'CANCELLED', reason: 'OUT_OF_STOCK', request: (p) => order(p.empty) },
  { name: 'declined', share: 0.04, outcome: 'CANCELLED', reason: 'PAYMENT_DECLINED', request: (p) => order(p.stocked, { paymentToken: 'tok_decline' }) },
  { name: 'unserved', share: 0.02, outcome: 'CANCELLED', reason: 'SHIPPING_UNAVAILABLE', request: (p) => order(p.stocked, { shippingAddress: address('AQ') }) },
  // Last: the provider's failures open its circuit breaker, which the other paths must not meet.
  { name: 'technical', share: 0.01, outcome: 'CANCELLED', reason: 'TECHNICAL', request: (p) => order(p.stocked, { paymentToken: 'tok_unavailable' }) },
];

/** What one path cost: the usage of its orders and the bill of that usage. */
export interface PathCost {
  readonly path: SagaPath;
  readonly orders: number;
  readonly usage: Usage;
  readonly bill: BillLine[];
  /** Dollars per million orders of this path. */
  readonly perMillion: number;
}

export interface CostRun {
  /** The saga's workflow type, as the running template has it. */
  readonly saga: SagaType;
  readonly paths: PathCost[];
  /** Dollars per million orders, blended by each path's share. */
  readonly blended: number;
  /** Per component, blended. */
  readonly blendedLines: BillLine[];
  /** The metric series the run emitted, each billed per month. */
  readonly metricSeries: readonly string[];
}

export interface CostRunOptions {
  /** Orders measured per path. @default 5 */
  readonly ordersPerPath?: number;
  readonly assumptions?: BillAssumptions;
  /** A line per step, for a progress display. */
  readonly progress?: (line: string) => void;
  /** An already synthesized assembly (its saga type is what it has). @default a fresh synth */
  readonly assemblyDir?: string;
  /** The saga type to synthesize (`-c saga=…`) when no assembly is given. @default the app's default */
  readonly saga?: SagaType;
  /** The paths to measure (the blend is over their shares). @default {@link SAGA_PATHS} */
  readonly paths?: readonly SagaPath[];
}

/** Waits until the meter has counted nothing for `quietMs` (the saga's last states, catalog's availability update...). */
const quiet = async (meter: CostMeter, quietMs = 1500, timeoutMs = 60_000): Promise<void> => {
  const started = Date.now();
  while (Date.now() - meter.lastActivityAt < quietMs) {
    if (Date.now() - started > timeoutMs) throw new Error(`the local cloud did not go quiet within ${timeoutMs} ms`);
    await sleep(100);
  }
};

/**
 * Drives each saga path's orders, one at a time, through a fresh local cloud
 * without faults, and prices what each path's orders made the cloud do: one
 * `POST /orders` and one `GET /orders/{id}` per order (the customer looking
 * once), the saga, the events and every consumer. Setup (the catalog, the
 * stock) and one warm-up order per path are left out, so cold starts are not
 * charged to orders (on AWS, at volume, they are rare).
 */
export const runCost = async (options: CostRunOptions = {}): Promise<CostRun> => {
  const perPath = options.ordersPerPath ?? 5;
  const sagaPaths = options.paths ?? SAGA_PATHS;
  const progress = options.progress ?? (() => undefined);
  const log = new HopLog({ verbose: false, color: false, write: () => undefined });
  progress(options.assemblyDir ? `starting the local cloud from ${options.assemblyDir}` : `synthesizing (${options.saga ?? 'default'} saga) and starting the local cloud`);
  const fresh = await startFreshLocalCloud({
    log,
    retryDelayScale: 0.05,
    scheduleScale: 0,
    ...(options.assemblyDir ? { assemblyDir: options.assemblyDir } : options.saga ? { context: { saga: options.saga } } : {}),
  });
  const { cloud } = fresh;
  const dynamo = ownedDocumentClient(new DynamoDBClient({ endpoint: cloud.dynamoDbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  const sfn = new SFNClient({ endpoint: cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: await sagaArnOf(sfn) }));
    const saga = SAGA_TYPES.find((type) => type.toUpperCase() === described.type);
    if (saga === undefined) throw new Error(`the saga's state machine is of type ${String(described.type)}`);
    const ordersTable = soakTablesOf(cloud.tables).orders;
    const http = new ShopHttp(cloud.apiUrl);
    const admin = cloud.issuer.mint({ username: 'cost-admin', groups: ['admin'] }).token;
    const customer = cloud.issuer.mint({ username: 'cost-customer@example.com' }).token;
    const run = randomUUID().slice(0, 8);
    const products = { stocked: `cost-${run}-mug`, empty: `cost-${run}-gone` };
    progress('stocking the catalog');
    for (const [id, stock] of [[products.stocked, 100_000], [products.empty, 0]] as const) await stockProduct(http, admin, id, stock, `Cost ${id}`);

    const placeAndFinish = async (path: SagaPath): Promise<void> => {
      const placed = await http.callWithRetries('POST', '/orders', { token: customer, json: path.request(products), headers: { 'idempotency-key': randomUUID() } });
      const orderId = (placed.body as { orderId?: string } | undefined)?.orderId;
      if (placed.status !== 202 || !orderId) throw new Error(`POST /orders (${path.name}) answered ${placed.status}: ${JSON.stringify(placed.body)}`);
      // Waits on the table itself, which the meter does not see: polling the API would be billed to the order.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const item = await dynamo.send(new GetCommand({ TableName: ordersTable, Key: { pk: `ORDER#${orderId}` }, ConsistentRead: true }));
        const { status, cancellationReason } = (item.Item ?? {}) as { status?: string; cancellationReason?: string };
        if (status === path.outcome && cancellationReason === path.reason) break;
        if (status === path.outcome) throw new Error(`order ${orderId} (${path.name}) was cancelled ${cancellationReason ?? 'without a reason'}, not ${path.reason ?? 'at all'}`);
        if (status !== undefined && status !== 'PENDING') throw new Error(`order ${orderId} (${path.name}) ended ${status}, not ${path.outcome}`);
        if (Date.now() > deadline) throw new Error(`order ${orderId} (${path.name}) is still ${status ?? 'missing'} after 60 s`);
        await sleep(50);
      }
      const looked = await http.call('GET', `/orders/${orderId}`, { token: customer });
      if (looked.status !== 200) throw new Error(`GET /orders/${orderId} answered ${looked.status}`);
      await quiet(cloud.meter);
    };

    progress('warming up: one order per path');
    for (const path of sagaPaths) await placeAndFinish(path);
    await quiet(cloud.meter);

    const paths: PathCost[] = [];
    for (const path of sagaPaths) {
      progress(`measuring ${perPath} ${path.name} order${perPath === 1 ? '' : 's'}`);
      const before = cloud.meter.usage();
      for (let i = 0; i < perPath; i += 1) await placeAndFinish(path);
      const usage = usageBetween(before, cloud.meter.usage());
      // Metric series are billed per month whatever the orders: the run's whole set, not only those first seen here.
      const bill = priceUsage({ ...usage, metricSeries: cloud.meter.usage().metricSeries }, perPath, options.assumptions);
      paths.push({ path, orders: perPath, usage, bill, perMillion: (totalOf(bill) / perPath) * 1_000_000 });
    }
    const components = new Map<string, { usd: number; detail: string }>();
    for (const { path, bill, orders } of paths) {
      for (const line of bill) {
        const entry = components.get(line.component) ?? { usd: 0, detail: '' };
        entry.usd += (line.usd / orders) * path.share * 1_000_000;
        components.set(line.component, entry);
      }
    }
    const confirmed = paths[0];
    const blendedLines = [...components].map(([component, { usd }]) => ({
      component,
      usd,
      detail: confirmed?.bill.find((line) => line.component === component)?.detail ?? '',
    }));
    blendedLines.sort((a, b) => b.usd - a.usd);
    return { saga, paths, blended: totalOf(blendedLines), blendedLines, metricSeries: cloud.meter.usage().metricSeries };
  } finally {
    dynamo.destroy();
    sfn.destroy();
    await fresh.stop();
  }
};
