import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { cancellationReasonSchema } from '../../../functions/shared/contracts/common';
import type { SagaType } from '../../../lib/config/saga-type';
import { ShopFunction } from '../../../lib/constructs/shop-function';
import { ShopStacks } from '../../../lib/shop-stacks';
import { shopTemplate, TEST_ENV, type CfnResource } from '../support/template';
import { testAppContext } from '../../support/cdk-context';

/** A metric line of a dashboard widget: namespace, name, dimension pairs, then (optionally) its options. */
type MetricLine = Array<string | Record<string, unknown>>;
interface Widget {
  readonly type: string;
  readonly properties: { readonly title?: string; readonly metrics?: MetricLine[] };
}

/**
 * The dashboard's body as CloudWatch reads it: the template's `Fn::Join`
 * with each reference written as `<Ref:Id>` or `<GetAtt:Id.Attr>`, so a
 * metric's dimension names the very resource it watches.
 */
const dashboardOf = (template: Template): Widget[] => {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard')) as CfnResource[];
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]?.Properties?.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref.Ref) return `<Ref:${ref.Ref}>`;
      if (ref['Fn::GetAtt']) return `<GetAtt:${ref['Fn::GetAtt'].join('.')}>`;
      throw new Error(`Unexpected part of the dashboard body: ${JSON.stringify(part)}`);
    })
    .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
};

/** `[namespace, metric name, {dimension: value}, statistic]` of every metric line of a widget (a line with '.' repeats the previous one's). */
const metricsOf = (widget: Widget): Array<{ namespace: string; name: string; dimensions: Record<string, string>; stat?: string; expression?: string }> => {
  let previous: string[] = [];
  return (widget.properties.metrics ?? []).map((line) => {
    const options = (typeof line.at(-1) === 'object' ? line.at(-1) : {}) as { stat?: string; expression?: string };
    if (options.expression) return { namespace: '', name: '', dimensions: {}, expression: options.expression };
    const parts = (typeof line.at(-1) === 'object' ? line.slice(0, -1) : line) as string[];
    const resolved = parts.map((part, i) => (part === '.' ? (previous[i] ?? '') : part));
    previous = resolved;
    const [namespace = '', name = '', ...pairs] = resolved;
    const dimensions: Record<string, string> = {};
    for (let i = 0; i < pairs.length; i += 2) dimensions[pairs[i] ?? ''] = pairs[i + 1] ?? '';
    return { namespace, name, dimensions, ...(options.stat ? { stat: options.stat } : {}) };
  });
};

const widgetTitled = (widgets: Widget[], title: string): Widget => {
  const widget = widgets.find((w) => w.properties.title === title);
  if (!widget) throw new Error(`No widget titled '${title}'; there are ${widgets.map((w) => w.properties.title).join(', ')}`);
  return widget;
};

const resourcesOf = (template: Template, type: string): Record<string, CfnResource> => template.findResources(type) as Record<string, CfnResource>;
const serviceOfFunction = (fn: CfnResource): string =>
  String((fn.Properties?.Environment as { Variables?: Record<string, string> } | undefined)?.Variables?.POWERTOOLS_SERVICE_NAME ?? '');
const topicId = (template: Template): string => Object.keys(resourcesOf(template, 'AWS::SNS::Topic'))[0] ?? 'missing';
const sagaIds = (template: Template) => {
  const machines = Object.entries(resourcesOf(template, 'AWS::StepFunctions::StateMachine'));
  const idOf = (prefix: string) => machines.find(([id]) => id.startsWith(prefix))?.[0] ?? `missing ${prefix}`;
  return { saga: idOf('OrderSaga'), cancellation: idOf('OrderCancellation') };
};

describe.each<SagaType>(['standard', 'express'])('the dashboard (%s saga)', (sagaType) => {
  const template = shopTemplate(sagaType);
  const widgets = dashboardOf(template);
  const functions = resourcesOf(template, 'AWS::Lambda::Function');

  it("graphs every function's errors, throttles and p99 duration under its own service", () => {
    expect(Object.keys(functions).length).toBeGreaterThanOrEqual(18);
    for (const [id, fn] of Object.entries(functions)) {
      const service = serviceOfFunction(fn);
      const watched = (title: string) => metricsOf(widgetTitled(widgets, `${service}: ${title}`)).filter((m) => m.dimensions.FunctionName === `<Ref:${id}>`);
      expect(watched('errors')).toEqual([expect.objectContaining({ namespace: 'AWS/Lambda', name: 'Errors' })]);
      expect(watched('throttles')).toEqual([expect.objectContaining({ namespace: 'AWS/Lambda', name: 'Throttles' })]);
      expect(watched('duration p99')).toEqual([expect.objectContaining({ namespace: 'AWS/Lambda', name: 'Duration', stat: 'p99' })]);
    }
  });

  it("graphs every dead-letter queue's depth (each queue no other queue's redrive policy points past)", () => {
    const queues = Object.entries(resourcesOf(template, 'AWS::SQS::Queue'));
    const deadLetterQueues = queues.filter(([, queue]) => queue.Properties?.RedrivePolicy === undefined).map(([id]) => `<GetAtt:${id}.QueueName>`);
    const graphed = metricsOf(widgetTitled(widgets, 'Dead-letter queues: messages waiting'))
      .filter((m) => m.namespace === 'AWS/SQS' && m.name === 'ApproximateNumberOfMessagesVisible')
      .map((m) => m.dimensions.QueueName);

    expect(deadLetterQueues.length).toBeGreaterThanOrEqual(8);
    expect(graphed.sort()).toEqual(deadLetterQueues.sort());
  });

  it("graphs the saga's and the cancellation's executions started, succeeded, failed and timed out, and their duration", () => {
    const { saga, cancellation } = sagaIds(template);
    for (const [title, id] of [['Order saga', saga], ['Order cancellation', cancellation]] as const) {
      const executions = metricsOf(widgetTitled(widgets, `${title}: executions`));
      expect(executions.map((m) => [m.namespace, m.name, m.dimensions.StateMachineArn])).toEqual(
        ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut'].map((name) => ['AWS/States', name, `<Ref:${id}>`]),
      );
      expect(metricsOf(widgetTitled(widgets, `${title}: execution time`))).toEqual(
        ['p50', 'p99'].map((stat) => ({ namespace: 'AWS/States', name: 'ExecutionTime', dimensions: { StateMachineArn: `<Ref:${id}>` }, stat })),
      );
    }
  });

  it("graphs the HTTP API's 4xx, 5xx and latency", () => {
    const [apiId] = Object.keys(resourcesOf(template, 'AWS::ApiGatewayV2::Api'));
    const errors = metricsOf(widgetTitled(widgets, 'HTTP API: 4xx and 5xx'));
    const latency = metricsOf(widgetTitled(widgets, 'HTTP API: latency'));
    expect(errors.map((m) => [m.namespace, m.name, m.dimensions.ApiId])).toEqual([
      ['AWS/ApiGateway', '4xx', `<Ref:${apiId}>`],
      ['AWS/ApiGateway', '5xx', `<Ref:${apiId}>`],
    ]);
    expect(latency.map((m) => [m.name, m.dimensions.ApiId, m.stat])).toEqual([
      ['Latency', `<Ref:${apiId}>`, 'p50'],
      ['Latency', `<Ref:${apiId}>`, 'p99'],
    ]);
  });

  it('graphs the business metrics as the orders functions emit them: placed, confirmed, cancelled by each reason, saga duration', () => {
    const orders = metricsOf(widgetTitled(widgets, 'Orders placed, confirmed, cancelled'));
    expect(orders.map((m) => [m.namespace, m.name, m.dimensions])).toEqual([
      ['ServerlessShop', 'OrdersPlaced', { service: 'orders' }],
      ['ServerlessShop', 'OrdersConfirmed', { service: 'orders' }],
      ...cancellationReasonSchema.options.map((reason) => ['ServerlessShop', 'OrdersCancelled', { service: 'orders', reason }]),
    ]);
    expect(metricsOf(widgetTitled(widgets, 'Order saga duration (creation to decision)')).map((m) => [m.name, m.dimensions, m.stat])).toEqual([
      ['SagaDuration', { service: 'orders' }, 'p50'],
      ['SagaDuration', { service: 'orders' }, 'p99'],
    ]);
    expect(metricsOf(widgetTitled(widgets, 'Requests by outcome (every service, ApiLatency SampleCount)'))).toEqual([
      expect.objectContaining({ expression: `SEARCH('{ServerlessShop,outcome,service} MetricName="ApiLatency"', 'SampleCount', 300)` }),
    ]);
    expect(metricsOf(widgetTitled(widgets, 'Circuit breakers: transitions (by state entered)'))).toEqual([
      expect.objectContaining({ expression: expect.stringContaining('{ServerlessShop,service,dependency,state} MetricName="CircuitBreakerTransitions"') }),
    ]);
  });
});

describe.each<SagaType>(['standard', 'express'])('the Lambda alarms (%s saga)', (sagaType) => {
  const template = shopTemplate(sagaType);
  const functions = resourcesOf(template, 'AWS::Lambda::Function');
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  const services = [...new Set(Object.values(functions).map(serviceOfFunction))];

  /** The function ids an alarm on `metricName` for `service` reads. */
  const watchedBy = (service: string, metricName: string): string[] => {
    const found = alarms.filter((alarm) => String(alarm.Properties?.AlarmDescription ?? '').startsWith(`Lambda ${metricName} in ${service}:`));
    expect(found).toHaveLength(1);
    const alarm = found[0]?.Properties ?? {};
    expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1, AlarmActions: [{ Ref: topicId(template) }] });
    const queries = alarm.Metrics as Array<{ Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions: Array<{ Value: { Ref: string } }> }; Stat: string } }>;
    expect(queries.filter((q) => q.Expression)).toEqual([expect.objectContaining({ Expression: 'SUM(FILL(METRICS(), 0))' })]);
    return queries
      .filter((q) => q.MetricStat)
      .map((q) => {
        expect(q.MetricStat).toMatchObject({ Metric: { Namespace: 'AWS/Lambda', MetricName: metricName }, Stat: 'Sum' });
        return q.MetricStat?.Metric.Dimensions[0]?.Value.Ref ?? '';
      })
      .sort();
  };

  it('alarms once per service when any of its functions is throttled', () => {
    // The saga starter (service `orchestration`) exists only for a Standard saga: an Express one is started by its rule.
    expect(services.sort()).toEqual(['catalog', 'health', 'inventory', ...(sagaType === 'standard' ? ['orchestration'] : []), 'orders', 'payments', 'shipping']);
    for (const service of services) {
      const ofService = Object.entries(functions).filter(([, fn]) => serviceOfFunction(fn) === service).map(([id]) => id).sort();
      expect(watchedBy(service, 'Throttles')).toEqual(ofService);
    }
  });

  it("alarms once per service when a function fails, leaving out saga tasks, whose business errors are function errors (a declined card)", () => {
    const sagaTasks = Object.entries(functions).filter(([, fn]) => (fn.Properties?.TracingConfig as { Mode?: string } | undefined)?.Mode === 'PassThrough').map(([id]) => id);
    expect(sagaTasks).toHaveLength(6);
    for (const service of services) {
      const ofService = Object.entries(functions).filter(([id, fn]) => serviceOfFunction(fn) === service && !sagaTasks.includes(id)).map(([id]) => id).sort();
      expect(watchedBy(service, 'Errors')).toEqual(ofService);
    }
  });

  it('alarms when the saga is slow: p99 execution time over a threshold that fits the type (Standard 5 min of its hour, Express 1 min of its 5)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionTime',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: sagaIds(template).saga } }],
      ExtendedStatistic: 'p99',
      Period: 300,
      Threshold: sagaType === 'express' ? 60_000 : 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: topicId(template) }],
    });
  });

  it('alarms when a circuit breaker opens: the payment provider\'s, and each one the orders API calls its neighbours through', () => {
    const opened = alarms
      .filter((alarm) => alarm.Properties?.MetricName === 'CircuitBreakerTransitions')
      .map((alarm) => {
        expect(alarm.Properties).toMatchObject({ Namespace: 'ServerlessShop', Statistic: 'Sum', Period: 60, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [{ Ref: topicId(template) }] });
        const dimensions = Object.fromEntries((alarm.Properties?.Dimensions as Array<{ Name: string; Value: string }>).map((d) => [d.Name, d.Value]));
        expect(dimensions.state).toBe('OPEN');
        return `${dimensions.service}/${dimensions.dependency}`;
      });
    expect(opened.sort()).toEqual(['orders/catalog-get-prices', 'orders/payments-get-payment', 'orders/shipping-cancel-shipment', 'orders/shipping-get-shipment', 'payments/payment-provider']);
  });
});

describe('a function left off the dashboard', () => {
  it('fails synth, naming it, so the dashboard and the alarms cannot drift from the stack', () => {
    // Prepare
    const app = new App({ context: testAppContext() });
    const shop = new ShopStacks(app, 'Shop', { version: 'v-test', env: TEST_ENV });
    new ShopFunction(shop.stacks.Orders, 'Stray', { service: 'orders', entry: 'health/entries/health.ts', description: 'not listed' });

    // Act / Assess
    expect(() => app.synth()).toThrow(/function Shop-Orders\/Stray is not on the dashboard/);
  });
});

describe('the dashboard in the default template', () => {
  it('is a single dashboard without a physical name', () => {
    const resources = Object.values(shopTemplate().findResources('AWS::CloudWatch::Dashboard')) as CfnResource[];
    expect(resources).toHaveLength(1);
    expect(resources[0]?.Properties).not.toHaveProperty('DashboardName');
    shopTemplate().hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardBody: Match.anyValue() });
  });
});
