import { priceUsage, totalOf } from '../../local/cost/bill';
import { CostMeter, EXPRESS_BILLED_MEMORY_MB, emfSeries, expressBilledMs, LOG_EVENT_OVERHEAD_BYTES, usageBetween } from '../../local/cost/meter';

/*
 * The cost meter's arithmetic: what it counts for each billable thing, and
 * the dollars the bill puts on it at the price table's list prices.
 */

const meter = (): CostMeter =>
  new CostMeter({
    functions: new Map([
      ['Charge', { memoryMb: 256, architecture: 'arm64' }],
      ['Legacy', { memoryMb: 1024, architecture: 'x86_64' }],
    ]),
    stateMachines: new Map([['Saga', 'STANDARD']]),
    tracedStateMachines: new Set(['Saga']),
  });

const line = (usage: ReturnType<typeof priceUsage>, component: string) => usage.find((l) => l.component === component);

describe('the cost meter', () => {
  it('bills a Lambda invocation its duration rounded up to the ms, its init phase included, times its memory', () => {
    const m = meter();

    m.lambdaInvoked('Charge', 10.2);
    m.lambdaInvoked('Charge', 3.5, 200.1);

    const usage = m.usage().functions.Charge;
    expect(usage).toMatchObject({ invocations: 2, billedMs: 11 + 4 + 201, architecture: 'arm64' });
    expect(usage?.gbSeconds).toBeCloseTo((216 / 1000) * 0.25, 10);
  });

  it("counts a function's log bytes as CloudWatch ingests them: its lines and Lambda's START/END/REPORT, each with 26 bytes of metadata", () => {
    const m = meter();
    m.lambdaInvoked('Charge', 5);
    const platform = m.usage().functions.Charge?.logBytes ?? 0;

    m.lambdaLogLine('Charge', '{"level":"INFO","message":"charged"}');

    expect(platform).toBeGreaterThan(3 * (LOG_EVENT_OVERHEAD_BYTES + 40));
    expect((m.usage().functions.Charge?.logBytes ?? 0) - platform).toBe(36 + LOG_EVENT_OVERHEAD_BYTES);
  });

  it('collects the distinct metric series of EMF documents: one per namespace, metric and dimension values', () => {
    const emf = (route: string) =>
      JSON.stringify({
        _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [['service', 'route']], Metrics: [{ Name: 'Requests' }, { Name: 'Latency' }] }] },
        service: 'orders',
        route,
        Requests: 1,
        Latency: 12,
      });
    const m = meter();

    m.lambdaLogLine('Charge', emf('POST /orders'));
    m.lambdaLogLine('Charge', emf('POST /orders'));
    m.lambdaLogLine('Charge', emf('GET /orders'));

    expect(m.usage().metricSeries).toEqual([
      'Shop|Latency|service=orders,route=GET /orders',
      'Shop|Latency|service=orders,route=POST /orders',
      'Shop|Requests|service=orders,route=GET /orders',
      'Shop|Requests|service=orders,route=POST /orders',
    ]);
    expect(emfSeries({ message: 'not EMF' })).toEqual([]);
  });

  it('counts states entered and retries as transitions, and a traced execution as a trace', () => {
    const m = meter();

    m.stateMachineStep('Saga', 'execution-started');
    for (let i = 0; i < 4; i += 1) m.stateMachineStep('Saga', 'state-entered');
    m.stateMachineStep('Saga', 'state-retried');
    m.stateMachineStep('Saga', 'execution-ended', 1234);

    expect(m.usage().stateMachines.Saga).toEqual({ type: 'STANDARD', executions: 1, transitions: 5, billedMs: 0, gbSeconds: 0, logBytes: 0 });
    expect(m.usage().traces).toBe(1);
  });

  it("adds up DynamoDB's consumed capacity per table, reads and writes apart", () => {
    const m = meter();

    m.dynamoDbConsumed('write', [{ TableName: 'orders', CapacityUnits: 2 }, { TableName: 'inventory', CapacityUnits: 4 }]);
    m.dynamoDbConsumed('read', [{ TableName: 'orders', CapacityUnits: 0.5 }]);

    expect(m.usage().tables).toEqual({ orders: { readUnits: 0.5, writeUnits: 2 }, inventory: { readUnits: 0, writeUnits: 4 } });
  });

  it('counts an event over 64 KB as one event per 64 KB chunk, and the bytes each archive keeps', () => {
    const m = meter();

    m.eventPut(1000, 1);
    m.eventPut(70 * 1024, 0);

    expect(m.usage()).toMatchObject({ events: 3, archivedBytes: 1000 });
  });

  it('subtracts two snapshots, so a run can be priced per order', () => {
    const m = meter();
    m.lambdaInvoked('Charge', 5);
    m.apiRequest(true);
    const before = m.usage();

    m.lambdaInvoked('Charge', 7);
    m.lambdaInvoked('Legacy', 2);
    m.apiRequest(false);
    const between = usageBetween(before, m.usage());

    expect(between.functions.Charge).toMatchObject({ invocations: 1, billedMs: 7 });
    expect(between.functions.Legacy).toMatchObject({ invocations: 1, billedMs: 2 });
    expect(between).toMatchObject({ apiRequests: 1, traces: 0 });
  });
});

describe('Express workflows on the meter', () => {
  const expressMeter = (): CostMeter =>
    new CostMeter({ functions: new Map(), stateMachines: new Map([['Fast', 'EXPRESS'], ['Saga', 'STANDARD']]), tracedStateMachines: new Set() });

  it('rounds an execution up to the next 100 ms, 100 ms at least', () => {
    expect(expressBilledMs(1230)).toBe(1300);
    expect(expressBilledMs(1200)).toBe(1200);
    expect(expressBilledMs(1201)).toBe(1300);
    expect(expressBilledMs(1)).toBe(100);
    expect(expressBilledMs(0)).toBe(100);
  });

  it('bills one 1.23 s Express execution 1.3 s × 64/1024 GB and one request; its states are no transitions on the bill', () => {
    // Prepare
    const m = expressMeter();

    // Act
    m.stateMachineStep('Fast', 'execution-started');
    for (let i = 0; i < 4; i += 1) m.stateMachineStep('Fast', 'state-entered');
    m.stateMachineStep('Fast', 'execution-ended', 1230);
    const bill = priceUsage(m.usage(), 1);

    // Assess
    expect(EXPRESS_BILLED_MEMORY_MB).toBe(64);
    expect(m.usage().stateMachines.Fast).toEqual({ type: 'EXPRESS', executions: 1, transitions: 4, billedMs: 1300, gbSeconds: 0.08125, logBytes: 0 });
    // $1.00 per million requests + 0.08125 GB-s at $0.00001667 per GB-s; no $0.025 per thousand transitions.
    expect(line(bill, 'Step Functions')?.usd).toBeCloseTo(0.000001 + 0.08125 * 0.00001667, 15);
    expect(line(bill, 'Step Functions')?.detail).toBe('1 Express executions, 0.08 Express GB-s');
  });

  it('bills a Standard execution per transition and none of its duration', () => {
    // Prepare
    const m = expressMeter();

    // Act
    m.stateMachineStep('Saga', 'execution-started');
    for (let i = 0; i < 4; i += 1) m.stateMachineStep('Saga', 'state-entered');
    m.stateMachineStep('Saga', 'execution-ended', 1230);

    // Assess
    expect(m.usage().stateMachines.Saga).toMatchObject({ billedMs: 0, gbSeconds: 0 });
    expect(line(priceUsage(m.usage(), 1), 'Step Functions')?.usd).toBeCloseTo(4 * 0.000025, 15);
  });

  it("counts a state machine's execution log records as CloudWatch Logs bytes, 26 bytes of metadata each", () => {
    // Prepare
    const m = expressMeter();
    const record = JSON.stringify({ id: '1', type: 'ExecutionStarted', details: {}, previous_event_id: '0', event_timestamp: '1764880000000', execution_arn: 'arn' });

    // Act
    m.stateMachineLogLine('Fast', record);
    m.stateMachineLogLine('Fast', record);
    const bill = priceUsage(m.usage(), 1);

    // Assess
    const bytes = 2 * (Buffer.byteLength(record) + LOG_EVENT_OVERHEAD_BYTES);
    expect(m.usage().stateMachines.Fast?.logBytes).toBe(bytes);
    expect(line(bill, 'CloudWatch Logs')?.usd).toBeCloseTo((bytes / 1024 ** 3) * 0.5, 15);
  });
});

describe('the bill', () => {
  it('prices each component at its list price', () => {
    const m = meter();
    for (let i = 0; i < 1000; i += 1) m.stateMachineStep('Saga', 'state-entered');
    m.lambdaInvoked('Legacy', 1000); // 1 s at 1 GB on x86
    m.dynamoDbConsumed('write', [{ TableName: 'orders', CapacityUnits: 1_000_000 }]);

    const bill = priceUsage(m.usage(), 1, { ordersPerMonth: 1_000_000 });

    expect(line(bill, 'Step Functions')?.usd).toBeCloseTo(0.025, 10);
    expect(line(bill, 'Lambda compute')?.usd).toBeCloseTo(0.0000166667, 12);
    expect(line(bill, 'Lambda requests')?.usd).toBeCloseTo(0.0000002, 12);
    expect(line(bill, 'DynamoDB writes')?.usd).toBeCloseTo(0.625, 10);
    expect(bill.map((l) => l.component)).toHaveLength(13);
    expect(totalOf(bill)).toBeCloseTo(bill.reduce((sum, l) => sum + l.usd, 0), 12);
  });

  it("puts a month's metric series on orders by the month's volume, and X-Ray's traces by the share sampled", () => {
    const m = meter();
    m.lambdaLogLine('Charge', JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [[]], Metrics: [{ Name: 'OrdersPlaced' }] }] }, OrdersPlaced: 1 }));
    for (let i = 0; i < 10; i += 1) m.apiRequest(true);

    const bill = priceUsage(m.usage(), 10, { ordersPerMonth: 100, tracesSampled: 0.5 });

    // One series at $0.30 a month, 10 of the month's 100 orders.
    expect(line(bill, 'CloudWatch metrics')?.usd).toBeCloseTo(0.03, 10);
    // Ten traces, half recorded, at $5 per million.
    expect(line(bill, 'X-Ray')?.usd).toBeCloseTo(0.000025, 12);
  });
});
