import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { setTimeout as sleep } from 'node:timers/promises';
import { priceUsage, type BillLine } from '../../local/cost/bill';
import { usageBetween } from '../../local/cost/meter';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb/dynamodb-local';
import type { FaultConfig } from '../../local/faults';
import { startFreshLocalCloud } from '../../local/fresh-local-cloud';
import type { LocalCloud } from '../../local/local-cloud';
import { HopLog } from '../../local/log';
import { LOCAL_REGION } from '../../local/resources';
import { MAX_SEED } from '../../local/support/random';
import { SynthError } from '../../local/synthesize';
import type { SagaType } from '../../lib/config/saga-type';
import { percentile } from '../stats';
import { DEFAULT_SOAK_FAULTS } from './faults';
import { checkInvariants, soakOrders, type InvariantResult } from './invariants';
import { describeReply, OrderDriver, type OrderRun } from './order-driver';
import { DEFAULT_MIX, planSoak, type MixRates, type PlannedOrder, type SoakProduct } from './order-mix';
import { seededRandom } from './random';
import {
  cancellationArnOf,
  expressLogGroupOf,
  readExecutionTraces,
  readExpressTraces,
  runningExecutions,
  runningExpressExecutions,
  sagaArnOf,
  type ExecutionTrace,
} from './saga-history';
import { ShopHttp, type HttpCounters } from './shop-http';
import { readSnapshot, readStock, sagaClaimsTableOf, scanAll, soakTablesOf, type TableSnapshot } from './table-snapshot';
import { ownedDocumentClient } from '../../local/support/document-client';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** Orders to place. @default 1000 */
  readonly orders?: number;
  /** Orders in flight at once, each from its POST until its status is terminal. @default 25 */
  readonly concurrency?: number;
  /** Distinct shoppers placing them. @default 8 */
  readonly users?: number;
  /** Products in the catalog. @default 8 */
  readonly products?: number;
  /**
   * Orders placed first, without faults and outside the figures, to start
   * the functions (see `SoakPlan.warmup`); 0 for none.
   * @default the concurrency, at most 10
   */
  readonly warmup?: number;
  /**
   * What the local cloud breaks on purpose while the orders run; `false` for
   * nothing. Its `seed` defaults to the soak's seed.
   * @default {@link DEFAULT_SOAK_FAULTS}
   */
  readonly faults?: FaultConfig | false;
  /** Seed of the order mix (and of the faults). @default a random one, in the report */
  readonly seed?: number;
  /** An already synthesized cloud assembly (its saga type is the one it has). @default a fresh `cdk synth` into a temporary directory */
  readonly assemblyDir?: string;
  /** The saga type to synthesize (`-c saga=…`) when no assembly is given. @default the app's default */
  readonly saga?: SagaType;
  /** Shares of each input in the mix. @default {@link DEFAULT_MIX} */
  readonly mix?: Partial<MixRates>;
  /**
   * How long after the last request an order may take to become terminal:
   * enough for a stuck order to be found and driven on by the reconciler.
   * @default 120 000 ms
   */
  readonly settleMs?: number;
  /** Scales the local cloud's retry delays (EventBridge, pipes, saga retries). @default 0.05 */
  readonly retryDelayScale?: number;
  /** Client pace of `POST /orders`, just under the stage's 10/s throttle. @default 9.5 */
  readonly postRatePerSecond?: number;
  /** Client pace of the other routes (polling), under their 50/s throttle. @default 45 */
  readonly pollRatePerSecond?: number;
  /** Hears how the run is going, at most every 100 ms and at each phase. */
  readonly progress?: (progress: SoakProgress) => void;
  /** Every line of the local cloud's hop log, as it is written. @default kept in memory only, for diagnostics */
  readonly onLogLine?: (line: string) => void;
}

/** Where a run is. */
export type SoakPhase = 'synthesizing' | 'starting' | 'seeding' | 'ordering' | 'settling' | 'checking' | 'stopping' | 'done';

/** A progress report. */
export interface SoakProgress {
  readonly phase: SoakPhase;
  /** Orders accepted (202) so far. */
  readonly placed: number;
  /** Orders seen in a terminal status so far. */
  readonly terminal: number;
  readonly total: number;
  readonly elapsedMs: number;
}

/** What a run measured and found. */
export interface SoakReport {
  readonly seed: number;
  /** The saga's workflow type in the template that ran. */
  readonly saga: SagaType;
  readonly orders: number;
  readonly concurrency: number;
  readonly users: number;
  /** Warm-up orders placed before the measured ones (checked, not measured). */
  readonly warmup: number;
  /** The faults the local cloud ran with, one line each; empty when none. */
  readonly faults: readonly string[];
  /** How many faults of each kind were injected (`functionError`, `transactionConflict`, ...). */
  readonly injected: Readonly<Record<string, number>>;
  /** What the reconciler's runs did, by action (`saga-started`, `confirmed`...), counting only actions taken. */
  readonly reconciled: Readonly<Record<string, number>>;
  /** First POST to the last order seen terminal. */
  readonly durationMs: number;
  /** Orders seen terminal per second of {@link durationMs}. */
  readonly throughput: number;
  /** From when an order's first POST left the client (after pacing) to the first poll that saw it terminal, over the orders that got there. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number; readonly samples: number };
  /** Soak orders (warm-up included) by final status (`CANCELLED(<reason>)` for cancellations), from the orders table. */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly http: Readonly<HttpCounters>;
  /** Saga executions by how they ended (their last state, or their status when they did not end in one). */
  readonly executions: Readonly<Record<string, number>>;
  /** Cancellation state machine executions, likewise. */
  readonly cancellationExecutions: Readonly<Record<string, number>>;
  /** The customers' cancellations the client sent, by moment and answer (`after 202`, `during 409`...). */
  readonly cancellations: Readonly<Record<string, number>>;
  readonly invariants: readonly InvariantResult[];
  /** How many invariants do not hold. */
  readonly violations: number;
  /** Things the client met that are not invariants but deserve a look (a delivery refused, say). */
  readonly notes: readonly string[];
  /** The local cloud's log lines of the orders named by a violated invariant (bounded). */
  readonly diagnostics: readonly string[];
  /** What AWS would bill for the run's orders (warm-up included, faults and retries included), per component. */
  readonly cost: readonly BillLine[];
}

/** The soak could not run (as opposed to: it ran and found violations). */
export class SoakSetupError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'SoakSetupError';
  }
}


/** The in-memory hop log, and the lines of one correlation id for diagnostics. */
class CollectedLog {
  private readonly lines: string[] = [];

  public constructor(private readonly onLine?: (line: string) => void) {}

  public readonly log = new HopLog({
    verbose: false,
    color: false,
    write: (text) => {
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        this.lines.push(line);
        this.onLine?.(line);
      }
    },
  });

  /** How many faults of each kind the run injected, from the hop log's FAULT lines. */
  public injected(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const line of this.lines) {
      if (!/ FAULT /.test(line)) continue;
      const kind = INJECTED_KINDS.find(([, pattern]) => pattern.test(line))?.[0] ?? 'other';
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    return counts;
  }

  public linesOf(correlationId: string): string[] {
    const tag = `[${correlationId.slice(0, 36)}]`;
    return this.lines.filter((line) => line.includes(tag));
  }
}

/** The kinds of injected fault the report counts, by the hop log line that announces each. */
const INJECTED_KINDS: ReadonlyArray<readonly [string, RegExp]> = [
  ['functionError', /injected error/],
  ['functionOutage', /injected outage/],
  ['functionLatency', /injected latency/],
  ['functionTimeout', /injected timeout/],
  ['functionCrash', /injected crash/],
  ['duplicateDelivery', /injected duplicate|again \(injected/],
  ['transactionConflict', /injected TransactionConflict/],
  ['dynamoDbThrottling', /injected throttling/],
  ['indexLag', /injected index lag/],
];

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const MAX_DIAGNOSTIC_ORDERS = 5;
const STOCK_SAMPLE_INTERVAL_MS = 250;

/**
 * Runs the chaos soak: starts the local cloud in this process (synthesizing
 * first unless given an assembly), stocks a catalog short of demand, places
 * the planned orders over HTTP from several users at bounded concurrency —
 * declining cards, an unserved country, requests sent twice with the same
 * Idempotency-Key, cancellations before, during and after the saga, some
 * shipments and deliveries — with the faults switched on, polls each
 * order to a terminal status (for at most `settleMs` after the last request),
 * then reads every table and every saga execution's history and checks the
 * invariants (see `./invariants`). Stops everything it started, also on
 * failure.
 *
 * @throws SoakSetupError when the soak cannot run (synth fails, the template lacks a table...)
 */
export const runSoak = async (options: SoakOptions = {}): Promise<SoakReport> => {
  const orders = options.orders ?? 1000;
  const concurrency = options.concurrency ?? 25;
  const users = options.users ?? 8;
  const productCount = options.products ?? 8;
  const settleMs = options.settleMs ?? 120_000;
  const scale = options.retryDelayScale ?? 0.05;
  const warmupOrders = options.warmup ?? Math.min(concurrency, 10);
  const seed = options.seed ?? Math.floor(Math.random() * MAX_SEED);
  for (const [name, value] of Object.entries({ orders, concurrency, users, products: productCount })) {
    if (!Number.isInteger(value) || value < 1) throw new SoakSetupError(`${name} must be a positive integer, not ${String(value)}`);
  }
  if (!Number.isInteger(warmupOrders) || warmupOrders < 0) throw new SoakSetupError(`warmup must be a non-negative integer, not ${String(warmupOrders)}`);
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) throw new SoakSetupError(`seed must be an integer from 0 to ${MAX_SEED}, not ${seed}`);
  const faults = options.faults === false ? undefined : { seed, ...(options.faults ?? DEFAULT_SOAK_FAULTS) };

  const started = Date.now();
  let phase: SoakPhase = 'synthesizing';
  let placed = 0;
  let terminal = 0;
  let lastProgressAt = 0;
  const notify = (force = false) => {
    const now = Date.now();
    if (!options.progress || (!force && now - lastProgressAt < 100)) return;
    lastProgressAt = now;
    options.progress({ phase, placed, terminal, total: orders, elapsedMs: now - started });
  };
  const enter = (next: SoakPhase) => {
    phase = next;
    notify(true);
  };

  const plan = planSoak(seededRandom(seed), {
    orders,
    users,
    products: productCount,
    warmupOrders,
    runId: seed.toString(36),
    rates: { ...DEFAULT_MIX, ...options.mix },
  });

  notify(true);
  const collected = new CollectedLog(options.onLogLine);
  const fresh = await startFreshLocalCloud({
    // The full observability profile: an Express saga's steps are in its execution logs only at level ALL.
    ...(options.assemblyDir ? { assemblyDir: options.assemblyDir } : { context: { observability: 'full', ...(options.saga ? { saga: options.saga } : {}) } }),
    log: collected.log,
    retryDelayScale: scale,
    // The reconciler's schedule carries AWS's figures (orders over 10 min); the soak runs it itself on its compressed clock.
    scheduleScale: 0,
    ...(faults ? { faults } : {}),
    onSynthesized: () => enter('starting'),
  }).catch((error: unknown) => {
    // A synth that fails means the soak cannot run, not that an invariant broke.
    throw error instanceof SynthError ? new SoakSetupError(error.message, { cause: error }) : error;
  });
  const { cloud } = fresh;
  let sagaType: SagaType = 'standard';

  const dynamo = ownedDocumentClient(new DynamoDBClient({ endpoint: cloud.dynamoDbEndpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS }));
  const sfn = new SFNClient({ endpoint: cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  const logs = new CloudWatchLogsClient({ endpoint: cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const tables = soakTablesOf(cloud.tables);
    const stateMachineArn = await sagaArnOf(sfn);
    const cancellationArn = await cancellationArnOf(sfn);
    // An Express saga has no history: its executions are read from their logs, each one's order from its claim.
    const express = (await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).type === 'EXPRESS';
    sagaType = express ? 'express' : 'standard';
    // Checked before any order: an Express saga's steps must be in its execution logs.
    const logGroup = express
      ? await expressLogGroupOf(sfn, stateMachineArn).catch((error: unknown) => {
          throw new SoakSetupError(error instanceof Error ? error.message : String(error), { cause: error });
        })
      : undefined;
    const runningSagas = () => (logGroup ? runningExpressExecutions(logs, logGroup) : runningExecutions(sfn, stateMachineArn));
    const readSagaTraces = async (): Promise<ExecutionTrace[]> => {
      if (!logGroup) return readExecutionTraces(sfn, stateMachineArn);
      const claims = new Map((await scanAll(dynamo, sagaClaimsTableOf(cloud.tables))).map((claim) => [String(claim.executionId), String(claim.pk)]));
      return readExpressTraces(logs, logGroup, (executionArn) => claims.get(executionArn));
    };
    const http = new ShopHttp(cloud.apiUrl);
    const admin = cloud.issuer.mint({ username: 'soak-admin', groups: ['admin'] }).token;
    const shoppers = Array.from({ length: users }, (_, i) => cloud.issuer.mint({ username: `soak-user-${i + 1}` }));

    enter('seeding');
    await cloud.withoutFaults(() => seedCatalog(http, admin, plan.products));
    // What AWS would bill from here on is the orders' (the catalog's seeding is left out).
    const meteredFrom = cloud.meter.usage();

    const minObservedStock = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          for (const item of await readStock(dynamo, tables.inventory)) {
            minObservedStock.set(item.productId, Math.min(minObservedStock.get(item.productId) ?? Number.POSITIVE_INFINITY, item.stock));
          }
        } catch {
          // A missed sample only makes the "ever below zero" check coarser.
        }
        await sleep(STOCK_SAMPLE_INTERVAL_MS);
      }
    })();

    const driver = new OrderDriver({
      http,
      adminToken: admin,
      settleMs,
      postRatePerSecond: options.postRatePerSecond ?? 9.5,
      pollRatePerSecond: options.pollRatePerSecond ?? 45,
      onPlaced: (run) => {
        if (!run.warmup) placed += 1;
      },
      onTerminal: (run) => {
        if (!run.warmup) terminal += 1;
        notify();
      },
    });
    const toRun = (planned: PlannedOrder, warmup: boolean): OrderRun => ({ planned, token: shoppers[planned.user].token, warmup });
    const warmups = plan.warmup.map((planned) => toRun(planned, true));
    const runs = plan.orders.map((planned) => toRun(planned, false));
    if (warmups.length > 0) await cloud.withoutFaults(() => driver.runBatch(warmups, warmups.length));

    enter('ordering');
    const reconciling = reconcileWhileRunning(cloud, scale);
    await driver.runBatch(runs, concurrency).finally(() => reconciling.stop());
    if (reconciling.failures.length > 0) driver.notes.push(...reconciling.failures);
    const finishedAt = Math.max(...runs.map((run) => run.terminalAt ?? 0), started);

    enter('settling');
    let quiet = 0;
    const settleDeadline = driver.lastRequestAt + settleMs;
    while (quiet < 2 && Date.now() < settleDeadline) {
      const running = (await runningSagas()) + (await runningExecutions(sfn, cancellationArn));
      quiet = running === 0 ? quiet + 1 : 0;
      await sleep(500);
    }
    sampling = false;
    await sampler;

    enter('checking');
    const snapshot = await readSnapshot(dynamo, tables);
    const traces = await readSagaTraces();
    const cancellationTraces = await readExecutionTraces(sfn, cancellationArn);
    const userIds = new Set(shoppers.map((shopper) => shopper.sub));
    const invariants = checkInvariants({
      products: plan.products.map((product) => ({ id: product.id, initialStock: product.initialStock })),
      minObservedStock,
      snapshot,
      traces,
      cancellationTraces,
      userIds,
      client: {
        plannedOrders: orders + warmups.length,
        idempotencyMismatches: driver.idempotencyMismatches,
        placementFailures: driver.placementFailures,
        cancellations: driver.cancellations,
      },
    });

    const firstPost = Math.min(...runs.map((run) => run.postedAt ?? Number.POSITIVE_INFINITY));
    const latencies = runs.flatMap((run) => (run.terminalAt !== undefined && run.postedAt !== undefined ? [run.terminalAt - run.postedAt] : []));
    const durationMs = Math.max(1, finishedAt - firstPost);
    return {
      seed,
      saga: sagaType,
      orders,
      concurrency,
      users,
      warmup: warmups.length,
      faults: cloud.activeFaults,
      injected: collected.injected(),
      reconciled: reconciling.actions,
      durationMs,
      throughput: latencies.length / (durationMs / 1000),
      latency: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(0, ...latencies), samples: latencies.length },
      outcomes: outcomesOf(snapshot, userIds),
      http: { ...http.counters },
      executions: executionEndings(traces),
      cancellationExecutions: executionEndings(cancellationTraces),
      cancellations: countBy(driver.cancellations.map((seen) => `${seen.moment} ${seen.answer}`)),
      invariants,
      violations: invariants.filter((invariant) => !invariant.ok).length,
      notes: driver.notes,
      diagnostics: diagnosticsOf(invariants, snapshot, [...traces, ...cancellationTraces], collected),
      cost: priceUsage(usageBetween(meteredFrom, cloud.meter.usage()), orders + warmups.length),
    };
  } finally {
    enter('stopping');
    dynamo.destroy();
    sfn.destroy();
    logs.destroy();
    try {
      await fresh.stop();
    } finally {
      enter('done');
    }
  }
};

/**
 * The reconciler, as its schedule runs it on AWS (every 5 minutes, for orders
 * PENDING over 10 minutes) on the soak's compressed clock: at 0.05, every
 * 15 s for orders PENDING over 30 s. It is invoked directly, with those
 * figures, rather than through its rule, whose input carries AWS's.
 */
const reconcileWhileRunning = (cloud: LocalCloud, scale: number): { stop: () => Promise<void>; readonly failures: string[]; readonly actions: Record<string, number> } => {
  const reconciler = cloud.runtime.functions().find((fn) => /Reconciler/.test(fn.name));
  const failures: string[] = [];
  const actions: Record<string, number> = {};
  if (!reconciler) return { stop: async () => undefined, failures: ['no reconciler function in the template: stuck orders stay stuck'], actions };
  const everyMs = Math.max(1000, 300_000 * scale);
  const input = { olderThanSeconds: Math.max(1, Math.round(600 * scale)), limit: 200 };
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      await sleep(everyMs, undefined, { signal: stopped.signal }).catch(() => undefined);
      if (stopped.signal.aborted) break;
      const result = await cloud.runtime.invoke(reconciler.arn, input).catch((error: unknown) => ({ ok: false as const, error: { errorType: 'Refused', errorMessage: String(error) } }));
      if (!result.ok) failures.push(`reconciler run failed: ${result.error.errorType}: ${result.error.errorMessage}`);
      else countActions(result.payload, actions);
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
    },
    failures,
    actions,
  };
};

/** Adds a reconciler report's action counts (`{actions: {...}}`) to `into`, leaving out the zeros. */
const countActions = (payload: unknown, into: Record<string, number>): void => {
  const actions = typeof payload === 'object' && payload !== null && 'actions' in payload ? payload.actions : undefined;
  if (typeof actions !== 'object' || actions === null) return;
  for (const [action, count] of Object.entries(actions)) if (typeof count === 'number' && count > 0) into[action] = (into[action] ?? 0) + count;
};

/** Creates the products and sets their stock, retrying what faults or throttling refuse. */
const seedCatalog = async (http: ShopHttp, admin: string, products: readonly SoakProduct[]): Promise<void> => {
  for (const product of products) {
    let attempts = 0;
    const created = await http.callWithRetries('POST', '/products', {
      token: admin,
      json: { id: product.id, name: product.name, category: 'soak', price: product.price },
      onRetry: () => (attempts += 1),
    });
    // A retried create whose earlier attempt was written but answered 5xx (a deadline passed after the write) finds its product: that is success.
    const alreadyMade = created.status === 409 && attempts > 0;
    if (created.status !== 201 && !alreadyMade) throw new SoakSetupError(`creating product ${product.id}: ${describeReply(created)}`);
    const stocked = await http.callWithRetries('PUT', `/inventory/${product.id}`, { token: admin, json: { stock: product.initialStock } });
    if (stocked.status !== 200) throw new SoakSetupError(`stocking product ${product.id}: ${describeReply(stocked)}`);
  }
};

const outcomesOf = (snapshot: TableSnapshot, userIds: ReadonlySet<string>): Record<string, number> => {
  const outcomes: Record<string, number> = {};
  for (const order of soakOrders({ snapshot, userIds })) {
    const key = order.status === 'CANCELLED' ? `CANCELLED(${order.cancellationReason ?? '?'})` : order.status;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return outcomes;
};

const countBy = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
};

const executionEndings = (traces: readonly ExecutionTrace[]): Record<string, number> => {
  const endings: Record<string, number> = {};
  for (const trace of traces) {
    const entered = trace.steps.filter((step) => step.kind === 'entered');
    const last = entered[entered.length - 1];
    const key = trace.status === 'SUCCEEDED' && last?.kind === 'entered' ? last.state : trace.status;
    endings[key] = (endings[key] ?? 0) + 1;
  }
  return endings;
};

/**
 * For the first few orders a violated invariant names: each saga execution
 * of the order (its name, status and the states it entered, from its
 * history), then the order's hop-log lines.
 */
const diagnosticsOf = (invariants: readonly InvariantResult[], snapshot: TableSnapshot, traces: readonly ExecutionTrace[], collected: CollectedLog): string[] => {
  const named = new Set(invariants.filter((invariant) => !invariant.ok).flatMap((invariant) => invariant.examples.flatMap((example) => example.match(UUID) ?? [])));
  const byId = new Map(snapshot.orders.map((order) => [order.orderId, order]));
  const lines: string[] = [];
  for (const orderId of [...named].filter((id) => byId.has(id)).slice(0, MAX_DIAGNOSTIC_ORDERS)) {
    const order = byId.get(orderId);
    if (!order) continue;
    lines.push(`--- order ${orderId} ${order.status}${order.cancellationReason ? `(${order.cancellationReason})` : ''}, correlation id ${order.correlationId} ---`);
    for (const trace of traces.filter((t) => t.orderId === orderId)) {
      const states = trace.steps.flatMap((step) => (step.kind === 'entered' ? [step.state] : step.kind === 'task-failed' ? [`✗${step.error}`] : []));
      lines.push(`execution ${trace.executionArn.split(':').pop() ?? ''} ${trace.status}: ${states.join(' → ')}`);
    }
    lines.push(...collected.linesOf(order.correlationId));
  }
  return lines;
};
