/**
 * Prices a {@link Usage} at the list prices of `./prices`, one line per
 * component, with what was counted per order.
 *
 * X-Ray is priced from two counts of the meter: the trace roots Lambda
 * records at its fixed sampling (× `tracesSampled`), and the traced state
 * machines' executions by sampling rule. For the latter the meter counts each
 * execution at its rule's FixedRate; the bill adds the rule's reservoir
 * (ReservoirSize traces a second, recorded before the fixed rate applies),
 * counted per second at the month's volume: the run's executions per order ×
 * `ordersPerMonth`, spread evenly over the 2,592,000 seconds of a 30-day
 * month, fill the reservoir up to ReservoirSize a second and the rest is
 * sampled at FixedRate. Below ReservoirSize executions a second every
 * execution is recorded; bursts, which leave part of the reservoir unused in
 * quiet seconds, would record fewer.
 */
import { dollars, PRICES, PRICES_AS_OF, PRICES_REGION } from './prices';
import type { RuleSampledTraces, Usage } from './meter';

/** What the bill assumes about things a run cannot show. */
export interface BillAssumptions {
  /**
   * Orders a month: custom metrics are billed per metric per month, so
   * their share of an order depends on the volume. @default 1,000,000
   */
  readonly ordersPerMonth?: number;
  /**
   * The share of the trace roots Lambda starts (functions with Active
   * tracing) that X-Ray records. Lambda's own sampling records the first
   * request each second and 5 % of the rest: below about one order a second
   * (2.6 million a month) that is nearly every trace. Traces of state
   * machines' executions follow their sampling rules instead (see the module
   * comment). @default 1
   */
  readonly tracesSampled?: number;
}

/** Seconds in the 30-day month a sampling rule's reservoir is counted over. */
export const SECONDS_PER_MONTH = 30 * 24 * 60 * 60;

/**
 * The traces X-Ray records per order of one sampling rule's executions, at
 * `ordersPerMonth` spread evenly over the month: the reservoir (up to
 * ReservoirSize a second) first, then FixedRate of the rest.
 */
export const ruleTracesPerOrder = (rule: RuleSampledTraces, orders: number, ordersPerMonth: number): number => {
  if (orders <= 0 || rule.executions <= 0) return rule.traces;
  const executionsPerOrder = rule.executions / orders;
  const perSecond = (executionsPerOrder * ordersPerMonth) / SECONDS_PER_MONTH;
  if (perSecond <= 0) return 0;
  const recordedPerSecond = Math.min(perSecond, rule.reservoirSize) + rule.fixedRate * Math.max(0, perSecond - rule.reservoirSize);
  return executionsPerOrder * (recordedPerSecond / perSecond);
};

const percent = (rate: number): string => `${String(Number((rate * 100).toFixed(2)))} %`;

/** One line of a bill. */
export interface BillLine {
  /** e.g. `Step Functions`. */
  readonly component: string;
  readonly usd: number;
  /** What was counted per order, e.g. `14 transitions`. */
  readonly detail: string;
}

const GB = 1024 ** 3;
const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
const count = (n: number, unit: string): string => `${Number.isInteger(n) ? n : n < 10 ? n.toFixed(2) : n.toFixed(0)} ${unit}`;

/**
 * Prices a usage at the list prices of {@link PRICES}: one line per
 * component, every component listed even at $0, largest first.
 */
export const priceUsage = (usage: Usage, orders: number, assumptions: BillAssumptions = {}): BillLine[] => {
  const ordersPerMonth = assumptions.ordersPerMonth ?? 1_000_000;
  const sampled = assumptions.tracesSampled ?? 1;
  const functions = Object.values(usage.functions);
  const machines = Object.values(usage.stateMachines);
  const tables = Object.values(usage.tables);
  const invocations = sum(functions.map((f) => f.invocations));
  const armGbS = sum(functions.filter((f) => f.architecture === 'arm64').map((f) => f.gbSeconds));
  const x86GbS = sum(functions.filter((f) => f.architecture !== 'arm64').map((f) => f.gbSeconds));
  const transitions = sum(machines.filter((m) => m.type === 'STANDARD').map((m) => m.transitions));
  const express = machines.filter((m) => m.type === 'EXPRESS');
  const expressRequests = sum(express.map((m) => m.executions));
  // Billed duration × billed memory (64 MB chunks; see EXPRESS_BILLED_MEMORY_MB), counted by the meter.
  const expressGbS = sum(express.map((m) => m.gbSeconds));
  const readUnits = sum(tables.map((t) => t.readUnits));
  const writeUnits = sum(tables.map((t) => t.writeUnits));
  // Functions' logs, the HTTP API's access logs, and state machines' execution logs (vended logs, same rate in us-east-1).
  const logBytes = sum(functions.map((f) => f.logBytes)) + usage.accessLogBytes + sum(machines.map((m) => m.logBytes));
  const metricShare = orders / ordersPerMonth;
  /** Quantities in the details are per order. */
  const each = (n: number): number => (orders > 0 ? n / orders : n);
  // X-Ray: Lambda's roots at its fixed sampling, and each sampling rule's share of the traced executions.
  const rules = Object.entries(usage.sampledTraces ?? {}).filter(([, rule]) => rule.executions > 0);
  const ruleTraces = rules.map(([name, rule]) => ({ name, rule, perOrder: ruleTracesPerOrder(rule, orders, ordersPerMonth) }));
  const xrayTraces = usage.traces * sampled + sum(ruleTraces.map((r) => (orders > 0 ? r.perOrder * orders : r.perOrder)));
  const xrayDetail =
    [
      usage.traces > 0 || ruleTraces.length === 0 ? `${count(each(usage.traces), 'traces')}${sampled < 1 ? ` × ${sampled} sampled` : ''}` : '',
      ...ruleTraces.map(({ name, rule, perOrder }) => {
        const reservoir = perOrder - each(rule.traces);
        return `${count(perOrder, 'traces')} (sampling rule ${ruleTraces.length > 1 ? `${name} ` : ''}${percent(rule.fixedRate)}${
          reservoir > 0.005 ? `, ${count(reservoir, 'of them')} within its reservoir of ${String(rule.reservoirSize)}/s at ${ordersPerMonth.toLocaleString('en-US')} orders a month` : ''
        })`;
      }),
    ]
      .filter(Boolean)
      .join('; ');
  const lines: BillLine[] = [
    { component: 'Lambda requests', usd: dollars('lambdaRequests', invocations), detail: count(each(invocations), 'invocations') },
    { component: 'Lambda compute', usd: dollars('lambdaGbSecondArm', armGbS) + dollars('lambdaGbSecondX86', x86GbS), detail: count(each(armGbS + x86GbS), 'GB-s') },
    {
      component: 'Step Functions',
      usd: dollars('standardTransitions', transitions) + dollars('expressRequests', expressRequests) + dollars('expressGbSecond', expressGbS),
      detail:
        [
          transitions > 0 ? count(each(transitions), 'transitions') : '',
          expressRequests > 0 ? count(each(expressRequests), 'Express executions') : '',
          expressGbS > 0 ? count(each(expressGbS), 'Express GB-s') : '',
        ]
          .filter(Boolean)
          .join(', ') || 'none',
    },
    { component: 'DynamoDB writes', usd: dollars('dynamoDbWriteUnits', writeUnits), detail: count(each(writeUnits), 'WRU') },
    { component: 'DynamoDB reads', usd: dollars('dynamoDbReadUnits', readUnits), detail: count(each(readUnits), 'RRU') },
    { component: 'EventBridge events', usd: dollars('eventBridgeEvents', usage.events), detail: count(each(usage.events), 'events') },
    { component: 'EventBridge archive', usd: dollars('eventBridgeArchiveGb', usage.archivedBytes / GB), detail: count(each(usage.archivedBytes), 'bytes') },
    { component: 'EventBridge Pipes', usd: dollars('pipesRequests', usage.pipeRequests), detail: count(each(usage.pipeRequests), 'requests') },
    { component: 'API Gateway', usd: dollars('httpApiRequests', usage.apiRequests), detail: count(each(usage.apiRequests), 'requests') },
    { component: 'SQS', usd: dollars('sqsRequests', usage.sqsRequests), detail: count(each(usage.sqsRequests), 'requests') },
    { component: 'CloudWatch Logs', usd: dollars('logsIngestedGb', logBytes / GB), detail: count(each(logBytes), 'bytes') },
    { component: 'X-Ray', usd: dollars('xrayTraces', xrayTraces), detail: xrayDetail },
    {
      component: 'CloudWatch metrics',
      usd: dollars('metricMonth', usage.metricSeries.length * metricShare),
      detail: `${usage.metricSeries.length} series at ${ordersPerMonth.toLocaleString('en-US')} orders a month`,
    },
  ];
  return lines.sort((a, b) => b.usd - a.usd);
};

/** Dollars per million orders, from the dollars of `orders` orders. */
export const perMillion = (usd: number, orders: number): number => (orders > 0 ? (usd / orders) * 1_000_000 : 0);

/** The total of a bill. */
export const totalOf = (lines: readonly BillLine[]): number => sum(lines.map((line) => line.usd));

const money = (usd: number): string => `$${usd >= 100 ? usd.toFixed(0) : usd >= 10 ? usd.toFixed(1) : usd.toFixed(2)}`;

/** A bill as text: dollars per million orders per component, what was counted per order, and the prices' date. */
export const formatBill = (title: string, lines: readonly BillLine[], orders: number): string => {
  const width = Math.max(...lines.map((line) => line.component.length));
  const rows = lines.map((line) => `  ${line.component.padEnd(width)}  ${money(perMillion(line.usd, orders)).padStart(8)}  ${line.detail}`);
  return [
    `${title}: ${money(perMillion(totalOf(lines), orders))} per million orders (${orders} order${orders === 1 ? '' : 's'} measured; counts per order)`,
    ...rows,
    `  prices: ${PRICES_REGION} list prices as of ${PRICES_AS_OF} (local/cost/prices.ts)`,
  ].join('\n');
};

export { PRICES };
