/**
 * The console's Faults and cost view: the fault configuration as the local
 * cloud applies it right now, and what the run has cost so far by the cost
 * meter, priced by the bill's own code (`../cost/run-cost`). Pure functions
 * of the local cloud's state, so the server stays a thin router.
 */
import type { JsonValue } from '../cloudformation/intrinsics';
import { perMillion, totalOf } from '../cost/bill';
import type { Usage } from '../cost/meter';
import { runBill } from '../cost/run-cost';
import { PRICES_AS_OF, PRICES_REGION } from '../cost/prices';
import { DEFAULT_INDEX_LAG_MS, DEFAULT_LATENCY_MS, type FaultInjector } from '../fault-injection';

/** What the faults view reads. */
export interface FaultsSource {
  readonly injector: Pick<FaultInjector, 'seed' | 'inForce' | 'functionFaults' | 'downNow' | 'describe'>;
  /** The file given to `npm start --faults`, if one was. */
  readonly file?: string;
  /** The template's functions, by the names fault patterns match. */
  readonly functionNames: readonly string[];
  /** The duplicate rates the emulators apply now (`withoutFaults` turns them off while it runs). */
  readonly deliveryRates: () => { readonly eventBridge: number; readonly pipes: number; readonly expressStarts: number };
}

/** The view's state: nothing configured, the configuration, another set by `withFaults`, or every fault off for a while. */
export type FaultsState = 'none' | 'configured' | 'overridden' | 'paused';

/**
 * The faults in force, as JSON for the page: where they came from (file and
 * seed), each function pattern with the functions it governs, their rates
 * and whether an outage has a function down right now, the duplicate rates
 * of the bus, the pipes and Express starts, DynamoDB's faults, and the
 * banner's lines.
 */
export const faultsView = (source: FaultsSource): JsonValue => {
  const { injector, functionNames } = source;
  const { config, overridden, paused } = injector.inForce();
  const rates = source.deliveryRates();
  const functions = Object.entries(config.functions ?? {}).map(([pattern, faults]) => {
    const governed = functionNames.filter((name) => injector.functionFaults(name) === faults);
    return {
      pattern,
      functions: governed,
      errorRate: faults.errorRate ?? 0,
      latencyRate: faults.latencyRate ?? 0,
      latencyMs: faults.latencyMs ?? DEFAULT_LATENCY_MS,
      timeoutRate: faults.timeoutRate ?? 0,
      crashRate: faults.crashRate ?? 0,
      ...(faults.outage ? { outage: { everyMs: faults.outage.everyMs, forMs: faults.outage.forMs, offsetMs: faults.outage.offsetMs ?? 0 } } : {}),
      downNow: governed.filter((name) => injector.downNow(name)),
    };
  });
  const dynamodb = config.dynamodb;
  const anything = functions.length > 0 || [rates.eventBridge, rates.pipes, rates.expressStarts, dynamodb?.transactionConflictRate, dynamodb?.throttleRate, dynamodb?.indexLagRate].some((rate) => (rate ?? 0) > 0);
  const state: FaultsState = paused ? 'paused' : overridden ? 'overridden' : anything ? 'configured' : 'none';
  return {
    state,
    seed: injector.seed,
    ...(source.file !== undefined ? { file: source.file } : {}),
    functions,
    deliveries: { eventBridgeDuplicateRate: rates.eventBridge, pipesDuplicateRate: rates.pipes, expressDuplicateStartRate: rates.expressStarts },
    dynamodb: {
      transactionConflictRate: dynamodb?.transactionConflictRate ?? 0,
      throttleRate: dynamodb?.throttleRate ?? 0,
      indexLagRate: dynamodb?.indexLagRate ?? 0,
      indexLagMs: dynamodb?.indexLagMs ?? DEFAULT_INDEX_LAG_MS,
    },
    configured: injector.describe(functionNames),
  };
};

/**
 * The run's bill so far, as JSON for the page: the orders counted, each
 * component's dollars for the whole run and, once there are orders, per
 * million orders, with what was counted per order; the total; the prices' date.
 */
export const costView = (usage: Usage): JsonValue => {
  const { orders, lines } = runBill(usage);
  const total = totalOf(lines);
  return {
    orders,
    ...(orders > 0 ? { perMillion: perMillion(total, orders) } : {}),
    totalUsd: total,
    lines: lines.map((line) => ({
      component: line.component,
      ...(orders > 0 ? { perMillion: perMillion(line.usd, orders) } : {}),
      usd: line.usd,
      detail: line.detail,
    })),
    prices: `${PRICES_REGION} list prices as of ${PRICES_AS_OF}`,
  };
};
