import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { cancellationReasonSchema } from '../../functions/shared/contracts/common';
import type { ShopApi } from '../constructs/shop-api';
import type { ShopBus } from '../constructs/shop-bus';
import { METRICS_NAMESPACE, ShopFunction } from '../constructs/shop-function';
import type { OrdersService } from '../services/orders';

/** Props of {@link ShopDashboard}. */
export interface ShopDashboardProps {
  /** Where the per-service Lambda alarms are sent. */
  readonly alarmTopic: ITopic;
  /** The HTTP API: its 4xx, 5xx and latency. */
  readonly api: ShopApi;
  /** The bus: every dead-letter queue it made. */
  readonly bus: ShopBus;
  /** The orders service: the business metrics (`OrdersPlaced`, `OrdersConfirmed`, `OrdersCancelled`, `SagaDuration`) are its functions'. */
  readonly orders: OrdersService;
  /** The state machines whose executions are graphed (the order saga, the cancellation), by title. */
  readonly stateMachines: Readonly<Record<string, StateMachine>>;
  /**
   * Every function of the shop, grouped on the dashboard and in the alarms by
   * {@link ShopFunction.service}. Synth fails if the stack has one that is
   * not listed, so the dashboard cannot drift from the stack.
   */
  readonly functions: readonly ShopFunction[];
  /**
   * The circuit breakers, by the service whose functions hold them: each
   * gets an alarm when it opens (its `CircuitBreakerTransitions` into `OPEN`).
   */
  readonly breakers: Readonly<Record<string, readonly string[]>>;
  /** Period of the graphs and of the Lambda alarms. @default Duration.minutes(5) */
  readonly period?: Duration;
}

/** Most metrics a CloudWatch alarm may read (PutMetricAlarm: 10 MetricStat queries). */
const MAX_ALARM_METRICS = 10;

/**
 * The shop's CloudWatch dashboard, and the alarms on what only it groups:
 * Lambda errors and throttles per service.
 *
 * Every widget is built from the constructs themselves (functions, queues,
 * state machines, the API), never from names, so it follows the stack:
 * business metrics (orders placed, confirmed, cancelled by reason, saga
 * duration, compensations, circuit breakers, API latency and requests by
 * outcome); the state machines' executions and duration; every dead-letter
 * queue's depth; per service, its functions' errors, throttles and p99
 * duration; the HTTP API's 4xx, 5xx and latency.
 *
 * Alarms are per service, not per function: each is $0.10 a month, and a
 * service's alarm names the service while the dashboard shows which
 * function. Errors leave out saga tasks: a declined card is a function error
 * there, and a task's real failures are retried by the saga and alarm as
 * failed executions. Throttles count every function: a throttled function
 * is short of concurrency, whatever it does.
 */
export class ShopDashboard extends Construct {
  public readonly dashboard: Dashboard;

  public constructor(scope: Construct, id: string, props: ShopDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(5);
    const byService = groupByService(props.functions);

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# serverless-shop\nBusiness metrics (namespace `ServerlessShop`), the sagas, dead letters, each service\'s functions, the HTTP API.',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(...businessWidgets(props.orders, period));
    this.dashboard.addWidgets(...stateMachineWidgets(props.stateMachines, period));
    this.dashboard.addWidgets(
      graph('Dead-letter queues: messages waiting', props.bus.deadLetterQueues.map((queue) => queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum', label: queue.node.id })), 24),
    );
    for (const [service, functions] of byService) {
      this.dashboard.addWidgets(
        graph(`${service}: errors`, functions.map((fn) => fn.metricErrors({ period, label: fn.node.id }))),
        graph(`${service}: throttles`, functions.map((fn) => fn.metricThrottles({ period, label: fn.node.id }))),
        graph(`${service}: duration p99`, functions.map((fn) => fn.metricDuration({ period, statistic: 'p99', label: fn.node.id }))),
      );
    }
    const http = props.api.httpApi;
    this.dashboard.addWidgets(
      graph('HTTP API: 4xx and 5xx', [http.metricClientError({ period, label: '4xx' }), http.metricServerError({ period, label: '5xx' })]),
      graph('HTTP API: latency', [http.metricLatency({ period, statistic: 'p50', label: 'p50' }), http.metricLatency({ period, statistic: 'p99', label: 'p99' })]),
      graph('HTTP API: requests', [http.metricCount({ period, label: 'requests' })]),
    );

    for (const [service, functions] of byService) this.alarmOn(service, functions, period, props.alarmTopic);
    for (const [service, dependencies] of Object.entries(props.breakers)) {
      for (const dependency of dependencies) {
        // An open breaker answers at once instead of calling: orders fail fast (503, or TECHNICAL) until its probe succeeds.
        new Alarm(this, `${pascal(service)}${pascal(dependency)}BreakerOpen`, {
          alarmDescription: `The ${service} circuit breaker for ${dependency} opened: it keeps failing, and calls to it are refused until a probe succeeds`,
          metric: new Metric({ namespace: METRICS_NAMESPACE, metricName: 'CircuitBreakerTransitions', dimensionsMap: { service, dependency, state: 'OPEN' }, statistic: 'Sum', period: Duration.minutes(1) }),
          threshold: 0,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }).addAlarmAction(new SnsAction(props.alarmTopic));
      }
    }

    this.node.addValidation({
      validate: () => {
        const listed = new Set<ShopFunction>(props.functions);
        // Every stack of the app: the services' functions live in their own stacks.
        return this.node.root.node
          .findAll()
          .filter((construct): construct is ShopFunction => construct instanceof ShopFunction && !listed.has(construct))
          .map((fn) => `ShopDashboard '${id}': function ${fn.node.path} is not on the dashboard nor in its service's alarms; add it to props.functions.`);
      },
    });
  }

  private alarmOn(service: string, functions: readonly ShopFunction[], period: Duration, topic: ITopic): void {
    const failing = functions.filter((fn) => !fn.sagaTask);
    const alarms: Array<[string, string, readonly ShopFunction[], (fn: ShopFunction) => IMetric]> = [
      ['Errors', `a ${service} function failed (crashed, timed out or threw outside a saga)`, failing, (fn) => fn.metricErrors({ period })],
      ['Throttles', `a ${service} function was throttled (short of concurrency)`, functions, (fn) => fn.metricThrottles({ period })],
    ];
    for (const [metricName, what, watched, metricOf] of alarms) {
      if (watched.length === 0) continue;
      if (watched.length > MAX_ALARM_METRICS) {
        throw new Error(`ShopDashboard: service '${service}' has ${watched.length} functions; an alarm reads at most ${MAX_ALARM_METRICS} metrics. Split the service's alarm.`);
      }
      new Alarm(this, `${pascal(service)}Lambda${metricName}`, {
        alarmDescription: `Lambda ${metricName} in ${service}: ${what}; the dashboard shows which function`,
        metric: new MathExpression({
          expression: 'SUM(FILL(METRICS(), 0))',
          usingMetrics: Object.fromEntries(watched.map((fn, i) => [`m${i}`, metricOf(fn)])),
          label: `${service} ${metricName}`,
          period,
        }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }).addAlarmAction(new SnsAction(topic));
    }
  }
}

const graph = (title: string, metrics: readonly IMetric[], width = 8): GraphWidget => new GraphWidget({ title, left: [...metrics], width, height: 6 });

const pascal = (name: string): string => name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _sep: string, c: string) => c.toUpperCase());

/** The functions by service, in the order the services first appear. */
const groupByService = (functions: readonly ShopFunction[]): Map<string, ShopFunction[]> => {
  const groups = new Map<string, ShopFunction[]>();
  for (const fn of functions) groups.set(fn.service, [...(groups.get(fn.service) ?? []), fn]);
  return groups;
};

const shopMetric = (metricName: string, service: string, period: Duration, extra: Record<string, string> = {}, statistic = 'Sum'): Metric =>
  new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service, ...extra }, period, statistic, label: Object.values(extra)[0] ?? metricName });

/** A SEARCH over one of the shop's metrics, for those whose dimension values are the functions' own (services, dependencies). */
const shopSearch = (metricName: string, dimensions: readonly string[], statistic: string, period: Duration): MathExpression =>
  new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dimensions.join(',')}} MetricName="${metricName}"', '${statistic}', ${period.toSeconds()})`,
    period,
  });

const businessWidgets = (orders: OrdersService, period: Duration): IWidget[] => {
  const placedBy = orders.apiFunction.service;
  const decidedBy = orders.statusConsumer.service;
  return [
    graph('Orders placed, confirmed, cancelled', [shopMetric('OrdersPlaced', placedBy, period), shopMetric('OrdersConfirmed', decidedBy, period), ...cancelled(decidedBy, period)]),
    graph('Order saga duration (creation to decision)', [
      shopMetric('SagaDuration', decidedBy, period, {}, 'p50').with({ label: 'p50' }),
      shopMetric('SagaDuration', decidedBy, period, {}, 'p99').with({ label: 'p99' }),
    ]),
    graph('Compensations run', [shopSearch('CompensationsRun', ['service'], 'Sum', period)]),
    graph('Circuit breakers: transitions (by state entered)', [shopSearch('CircuitBreakerTransitions', ['service', 'dependency', 'state'], 'Sum', period)]),
    graph('Circuit breakers: calls refused', [shopSearch('CircuitBreakerRejections', ['service', 'dependency', 'state'], 'Sum', period)]),
    graph('Requests by outcome (every service, ApiLatency SampleCount)', [shopSearch('ApiLatency', ['outcome', 'service'], 'SampleCount', period)]),
    graph('Function latency p99 by outcome (ApiLatency)', [shopSearch('ApiLatency', ['outcome', 'service'], 'p99', period)]),
  ];
};

const cancelled = (service: string, period: Duration): Metric[] =>
  cancellationReasonSchema.options.map((reason) => shopMetric('OrdersCancelled', service, period, { reason }).with({ label: `cancelled ${reason}` }));

const stateMachineWidgets = (stateMachines: Readonly<Record<string, StateMachine>>, period: Duration): IWidget[] =>
  Object.entries(stateMachines).flatMap(([title, machine]) => [
    graph(`${title}: executions`, [
      machine.metricStarted({ period, label: 'started' }),
      machine.metricSucceeded({ period, label: 'succeeded' }),
      machine.metricFailed({ period, label: 'failed' }),
      machine.metricTimedOut({ period, label: 'timed out' }),
    ], 12),
    graph(`${title}: execution time`, [machine.metricTime({ period, statistic: 'p50', label: 'p50' }), machine.metricTime({ period, statistic: 'p99', label: 'p99' })], 12),
  ]);
