import { priceUsage, ruleTracesPerOrder, SECONDS_PER_MONTH, totalOf } from '../../local/cost/bill';
import { CostMeter, EXPRESS_BILLED_MEMORY_MB, emfSeries, expressBilledMs, LOG_EVENT_OVERHEAD_BYTES, usageBetween, type FunctionProfile } from '../../local/cost/meter';
import type { LambdaLogging } from '../../local/lambda/log-controls';
import type { SamplingRule } from '../../local/xray/sampling-rules';
import { samplingRule } from '../fixtures/sampling-rules';

/*
 * The cost meter's arithmetic: what it counts for each billable thing, and
 * the dollars the bill puts on it at the price table's list prices.
 */

const meter = (): CostMeter =>
  new CostMeter({
    functions: new Map([
      ['Charge', { memoryMb: 256, architecture: 'arm64', tracing: 'Active' }],
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

  it("counts states entered and retries as transitions, and a traced execution at X-Ray's Default rule (5 %) when no rule matches", () => {
    const m = meter();

    m.stateMachineStep('Saga', 'execution-started');
    for (let i = 0; i < 4; i += 1) m.stateMachineStep('Saga', 'state-entered');
    m.stateMachineStep('Saga', 'state-retried');
    m.stateMachineStep('Saga', 'execution-ended', 1234);

    expect(m.usage().stateMachines.Saga).toEqual({ type: 'STANDARD', executions: 1, transitions: 5, billedMs: 0, gbSeconds: 0, logBytes: 0 });
    expect(m.usage().traces).toBe(0);
    expect(m.usage().sampledTraces).toEqual({ Default: { executions: 1, traces: 0.05, fixedRate: 0.05, reservoirSize: 1 } });
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
    m.apiRequest('Charge');
    const before = m.usage();

    m.lambdaInvoked('Charge', 7);
    m.lambdaInvoked('Legacy', 2);
    m.apiRequest();
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
    for (let i = 0; i < 10; i += 1) m.apiRequest('Charge');

    const bill = priceUsage(m.usage(), 10, { ordersPerMonth: 100, tracesSampled: 0.5 });

    // One series at $0.30 a month, 10 of the month's 100 orders.
    expect(line(bill, 'CloudWatch metrics')?.usd).toBeCloseTo(0.03, 10);
    // Ten traces, half recorded, at $5 per million.
    expect(line(bill, 'X-Ray')?.usd).toBeCloseTo(0.000025, 12);
  });
});

describe("a function's log bytes under Lambda's log controls", () => {
  const json = (applicationLogLevel: 'DEBUG' | 'INFO' | 'WARN', systemLogLevel: 'DEBUG' | 'INFO' | 'WARN'): LambdaLogging => ({ format: 'JSON', applicationLogLevel, systemLogLevel, logGroup: '/aws/lambda/Json' });
  const profiles: Record<string, FunctionProfile> = {
    Plain: { memoryMb: 128, architecture: 'x86_64' },
    Traced: { memoryMb: 128, architecture: 'x86_64', tracing: 'Active', runtime: 'nodejs22.x' },
    Json: { memoryMb: 256, architecture: 'arm64', logging: json('INFO', 'INFO'), tracing: 'PassThrough', runtime: 'nodejs22.x' },
    JsonTraced: { memoryMb: 256, architecture: 'arm64', logging: json('INFO', 'INFO'), tracing: 'Active', runtime: 'nodejs22.x', arn: 'arn:aws:lambda:us-east-1:000000000000:function:Json' },
    Quiet: { memoryMb: 256, architecture: 'arm64', logging: json('WARN', 'WARN'), tracing: 'Active' },
    Chatty: { memoryMb: 256, architecture: 'arm64', logging: json('DEBUG', 'DEBUG'), arn: 'arn:aws:lambda:us-east-1:000000000000:function:Json' },
  };
  const logMeter = (): CostMeter => new CostMeter({ functions: new Map(Object.entries(profiles)), stateMachines: new Map(), tracedStateMachines: new Set() });
  const bytesOf = (m: CostMeter, fn: string): number => m.usage().functions[fn]?.logBytes ?? 0;
  /** CloudWatch Logs' count of events: each line's bytes and 26 bytes of metadata. */
  const ingested = (...lines: string[]): number => lines.reduce((sum, line) => sum + Buffer.byteLength(line) + 26, 0);
  const ID = '00000000-0000-0000-0000-000000000000';
  const T = '2026-01-01T00:00:00.000Z';
  const TRACING = '"tracing":{"spanId":"0000000000000000","type":"X-Amzn-Trace-Id","value":"Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1"}';

  it('Text, PassThrough, warm: START, END and REPORT without an XRAY part (70 + 51 + 138 bytes + 3 × 26 = 337)', () => {
    const m = logMeter();

    m.lambdaInvoked('Plain', 5);

    const lines = [`START RequestId: ${ID} Version: $LATEST`, `END RequestId: ${ID}`, `REPORT RequestId: ${ID}\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 128 MB\tMax Memory Used: 51 MB\t`];
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([70, 51, 138]);
    expect(bytesOf(m, 'Plain')).toBe(337);
    expect(bytesOf(m, 'Plain')).toBe(ingested(...lines));
  });

  it('Text, Active, cold: INIT_START, Init Duration and the XRAY part too (171 + 70 + 51 + 258 bytes + 4 × 26 = 654)', () => {
    const m = logMeter();

    m.lambdaInvoked('Traced', 5, 121.5);

    const lines = [
      `INIT_START Runtime Version: nodejs:22.mainline.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:${'0'.repeat(64)}`,
      `START RequestId: ${ID} Version: $LATEST`,
      `END RequestId: ${ID}`,
      `REPORT RequestId: ${ID}\tDuration: 5.00 ms\tBilled Duration: 127 ms\tMemory Size: 128 MB\tMax Memory Used: 51 MB\tInit Duration: 121.50 ms\t\nXRAY TraceId: 1-00000000-000000000000000000000000\tSegmentId: 0000000000000000\tSampled: true\t`,
    ];
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([171, 70, 51, 258]);
    expect(bytesOf(m, 'Traced')).toBe(654);
    expect(bytesOf(m, 'Traced')).toBe(ingested(...lines));
  });

  it('JSON at SystemLogLevel INFO, warm: a platform.start and a platform.report record, no END (209 + 234 bytes + 2 × 26 = 495)', () => {
    const m = logMeter();

    m.lambdaInvoked('Json', 5);

    const lines = [
      `{"time":"${T}","type":"platform.start","record":{"requestId":"${ID}","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:Json","version":"$LATEST"}}`,
      `{"time":"${T}","type":"platform.report","record":{"requestId":"${ID}","metrics":{"durationMs":5.000,"billedDurationMs":5,"memorySizeMB":256,"maxMemoryUsedMB":102},"status":"success"}}`,
    ];
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([209, 234]);
    expect(bytesOf(m, 'Json')).toBe(495);
    expect(bytesOf(m, 'Json')).toBe(ingested(...lines));
  });

  it('JSON at INFO, Active, cold: platform.initStart, and the tracing context on start and report (450 + 359 + 411 bytes + 3 × 26 = 1298)', () => {
    const m = logMeter();

    m.lambdaInvoked('JsonTraced', 5, 121.5);

    const lines = [
      `{"time":"${T}","type":"platform.initStart","record":{"initializationType":"on-demand","phase":"init","runtimeVersion":"nodejs:22.mainline.v100","runtimeVersionArn":"arn:aws:lambda:us-east-1::runtime:${'0'.repeat(64)}","functionName":"JsonTraced","functionVersion":"$LATEST","instanceId":"2026/01/01/JsonTraced[$LATEST]${'0'.repeat(32)}","instanceMaxMemory":268435456}}`,
      `{"time":"${T}","type":"platform.start","record":{"requestId":"${ID}","functionArn":"arn:aws:lambda:us-east-1:000000000000:function:Json","version":"$LATEST",${TRACING}}}`,
      `{"time":"${T}","type":"platform.report","record":{"requestId":"${ID}","metrics":{"durationMs":5.000,"billedDurationMs":127,"memorySizeMB":256,"maxMemoryUsedMB":102,"initDurationMs":121.500},${TRACING},"status":"success"}}`,
    ];
    expect(lines.map((line) => Buffer.byteLength(line))).toEqual([450, 359, 411]);
    expect(bytesOf(m, 'JsonTraced')).toBe(1298);
    expect(bytesOf(m, 'JsonTraced')).toBe(ingested(...lines));
  });

  it('JSON at SystemLogLevel WARN: no platform bytes at all, cold or warm', () => {
    const m = logMeter();

    m.lambdaInvoked('Quiet', 5, 121.5);
    m.lambdaInvoked('Quiet', 7);

    expect(m.usage().functions.Quiet).toMatchObject({ invocations: 2, logBytes: 0 });
  });

  it('JSON at SystemLogLevel DEBUG: a platform.runtimeDone record between start and report (209 + 195 + 234 bytes + 3 × 26 = 716)', () => {
    const m = logMeter();

    m.lambdaInvoked('Chatty', 5);

    const runtimeDone = `{"time":"${T}","type":"platform.runtimeDone","record":{"requestId":"${ID}","status":"success","metrics":{"durationMs":5.000,"producedBytes":0}}}`;
    expect(Buffer.byteLength(runtimeDone)).toBe(195);
    expect(bytesOf(m, 'Chatty')).toBe(716);
  });

  it('a timed-out invocation and a crashed one say so in their REPORT line (Text) and platform.report (JSON)', () => {
    const m = logMeter();

    m.lambdaInvoked('Plain', 3000, undefined, { status: 'timeout' });
    const timedOut = bytesOf(m, 'Plain');
    m.lambdaInvoked('Json', 5, undefined, { status: 'error', errorType: 'Runtime.ExitError' });

    // 'Status: timeout\t' (16 bytes) on the REPORT of a 3000 ms invocation: 3 more digits of duration, 3 of billed duration.
    expect(timedOut).toBe(337 + 16 + 3 + 3);
    // '"status":"error","errorType":"Runtime.ExitError"' instead of '"status":"success"'.
    expect(bytesOf(m, 'Json')).toBe(495 - Buffer.byteLength('"status":"success"') + Buffer.byteLength('"status":"error","errorType":"Runtime.ExitError"'));
  });

  it('JSON at ApplicationLogLevel INFO: a DEBUG line is not ingested, WARN and INFO are; a line without a valid timestamp or level is INFO', () => {
    const m = logMeter();
    const debug = JSON.stringify({ level: 'DEBUG', message: 'cache miss', timestamp: '2026-01-01T00:00:00.000Z' });
    const warn = JSON.stringify({ level: 'WARN', message: 'retrying', timestamp: '2026-01-01T00:00:00.000Z' });
    const debugWithoutTimestamp = JSON.stringify({ level: 'DEBUG', message: 'no time' });
    const plain = 'plain text';

    const kept = [debug, warn, debugWithoutTimestamp, plain].map((line) => m.lambdaLogLine('Json', line));

    expect(kept).toEqual([false, true, true, true]);
    expect(bytesOf(m, 'Json')).toBe(ingested(warn, debugWithoutTimestamp, plain));
    expect(bytesOf(m, 'Json')).toBe(Buffer.byteLength(warn) + 37 + 10 + 3 * 26);
  });

  it('JSON at ApplicationLogLevel WARN: INFO lines and EMF documents (no level: INFO) are dropped, and the dropped EMF publishes no series', () => {
    const m = logMeter();
    const emf = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'Shop', Dimensions: [[]], Metrics: [{ Name: 'Orders' }] }] }, Orders: 1 });
    const error = JSON.stringify({ level: 'ERROR', message: 'boom', timestamp: '2026-01-01T00:00:00.000+02:00' });
    const info = JSON.stringify({ level: 'info', message: 'fine', timestamp: '2026-01-01T00:00:00Z' });

    const kept = [emf, error, info].map((line) => m.lambdaLogLine('Quiet', line));

    expect(kept).toEqual([false, true, false]);
    expect(bytesOf(m, 'Quiet')).toBe(ingested(error));
    expect(m.usage().metricSeries).toEqual([]);
  });

  it('Text: every line is ingested, whatever its level', () => {
    const m = logMeter();
    const debug = JSON.stringify({ level: 'DEBUG', message: 'cache miss', timestamp: '2026-01-01T00:00:00.000Z' });

    expect(m.lambdaLogLine('Plain', debug)).toBe(true);
    expect(bytesOf(m, 'Plain')).toBe(ingested(debug));
  });
});

describe('X-Ray traces as X-Ray records them', () => {
  const rule = (overrides: Partial<SamplingRule>): SamplingRule => samplingRule(overrides);
  const traceMeter = (samplingRules: readonly SamplingRule[] = []): CostMeter =>
    new CostMeter({
      functions: new Map<string, FunctionProfile>([
        ['Active', { memoryMb: 128, architecture: 'arm64', tracing: 'Active' }],
        ['Passive', { memoryMb: 128, architecture: 'arm64', tracing: 'PassThrough' }],
        ['Unset', { memoryMb: 128, architecture: 'arm64' }],
      ]),
      stateMachines: new Map([['OrderSaga', 'STANDARD'], ['Untraced', 'STANDARD']]),
      tracedStateMachines: new Set(['OrderSaga']),
      samplingRules,
    });

  it('an HTTP request to a PassThrough function (or one without TracingConfig) starts no trace; one to an Active function does', () => {
    const m = traceMeter();

    m.apiRequest('Passive');
    m.apiRequest('Unset');
    m.apiRequest();
    expect(m.usage()).toMatchObject({ apiRequests: 3, traces: 0 });

    m.apiRequest('Active');
    expect(m.usage()).toMatchObject({ apiRequests: 4, traces: 1 });
  });

  it("asynchronous invocations, queue batches and pipe enrichments are roots only for Active functions; a pipe without enrichment starts none", () => {
    const m = traceMeter();

    m.traceRoot('Passive');
    m.traceRoot('Active');
    m.pipeEvents(2, 'Passive');
    m.pipeEvents(2, 'Active');
    m.pipeEvents(2);
    m.pipeEvents(0, 'Active');

    expect(m.usage()).toMatchObject({ traces: 2, pipeRequests: 6 });
  });

  it("a traced state machine's execution adds its matching rule's FixedRate; an untraced one adds nothing", () => {
    const m = traceMeter([rule({ fixedRate: 0.05 })]);

    m.stateMachineStep('OrderSaga', 'execution-started');
    m.stateMachineStep('OrderSaga', 'execution-started');
    m.stateMachineStep('Untraced', 'execution-started');

    expect(m.usage().traces).toBe(0);
    expect(m.usage().sampledTraces).toEqual({ Saga: { executions: 2, traces: 0.1, fixedRate: 0.05, reservoirSize: 0 } });
  });

  it('picks the lowest Priority among the rules that match the state machine (its name, its type), else Default', () => {
    const rules = [rule({ ruleName: 'Lambdas', priority: 1, serviceType: 'AWS::Lambda::Function', fixedRate: 1 }), rule({ ruleName: 'Other', priority: 2, serviceName: 'Billing*', fixedRate: 1 }), rule({ ruleName: 'Orders', priority: 3, serviceName: 'order*', fixedRate: 0.25 }), rule({ ruleName: 'All', priority: 4, fixedRate: 0.5 })];
    const m = traceMeter(rules);

    m.stateMachineStep('OrderSaga', 'execution-started');

    expect(m.usage().sampledTraces).toEqual({ Orders: { executions: 1, traces: 0.25, fixedRate: 0.25, reservoirSize: 0 } });
  });

  it("prices a rule's traces at the fixed rate when the reservoir is 0: '0.05 traces (sampling rule 5 %)', $5 per million", () => {
    const m = traceMeter([rule({ fixedRate: 0.05, reservoirSize: 0 })]);
    for (let i = 0; i < 10; i += 1) m.stateMachineStep('OrderSaga', 'execution-started');

    const bill = priceUsage(m.usage(), 10);

    expect(line(bill, 'X-Ray')?.detail).toBe('0.05 traces (sampling rule 5 %)');
    expect(line(bill, 'X-Ray')?.usd).toBeCloseTo(10 * 0.05 * 0.000005, 15);
  });

  it("counts a rule's reservoir per second at the month's volume: every execution below ReservoirSize a second, the fixed rate above", () => {
    const m = traceMeter([rule({ fixedRate: 0.05, reservoirSize: 1 })]);
    m.stateMachineStep('OrderSaga', 'execution-started');
    const usage = m.usage();
    const saga = usage.sampledTraces.Saga;
    if (!saga) throw new Error('no Saga rule counted');

    // 1,000,000 orders a month, one execution each: 0.39 a second, all within a reservoir of 1 a second.
    expect(ruleTracesPerOrder(saga, 1, 1_000_000)).toBeCloseTo(1, 12);
    // 10 executions a second: 1 from the reservoir, 5 % of the other 9.
    expect(ruleTracesPerOrder(saga, 1, 10 * SECONDS_PER_MONTH)).toBeCloseTo((1 + 0.05 * 9) / 10, 12);
    const bill = priceUsage(usage, 1, { ordersPerMonth: 1_000_000 });
    expect(line(bill, 'X-Ray')?.detail).toBe('1 traces (sampling rule 5 %, 0.95 of them within its reservoir of 1/s at 1,000,000 orders a month)');
    expect(line(bill, 'X-Ray')?.usd).toBeCloseTo(0.000005, 15);
  });

  it('prices Lambda roots × tracesSampled and rule traces apart, on one X-Ray line', () => {
    const m = traceMeter([rule({ fixedRate: 0.1 })]);
    m.apiRequest('Active');
    m.apiRequest('Active');
    m.stateMachineStep('OrderSaga', 'execution-started');

    const bill = priceUsage(m.usage(), 1, { tracesSampled: 0.5 });

    expect(line(bill, 'X-Ray')?.detail).toBe('2 traces × 0.5 sampled; 0.10 traces (sampling rule 10 %)');
    expect(line(bill, 'X-Ray')?.usd).toBeCloseTo((2 * 0.5 + 0.1) * 0.000005, 15);
  });

  it('subtracts two snapshots of rule-sampled traces, keeping the rule', () => {
    const m = traceMeter([rule({ fixedRate: 0.05 })]);
    m.stateMachineStep('OrderSaga', 'execution-started');
    const before = m.usage();
    m.stateMachineStep('OrderSaga', 'execution-started');

    expect(usageBetween(before, m.usage()).sampledTraces).toEqual({ Saga: { executions: 1, traces: 0.05, fixedRate: 0.05, reservoirSize: 0 } });
  });
});
