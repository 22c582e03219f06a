import { perMillion, priceUsage, totalOf } from '../../local/cost/bill';
import { CostMeter } from '../../local/cost/meter';
import { ordersIn } from '../../local/cost/run-cost';
import { costView, faultsView, type FaultsSource } from '../../local/console/ops-api';
import { FaultInjector, parseFaultConfig } from '../../local/fault-injection';
import type { FaultConfig } from '../../local/faults';

/*
 * The Faults-and-cost view's data: the faults as the injector applies them
 * right now (configured, overridden by withFaults, paused, an outage that
 * has a function down), and the run's bill priced by the bill's own code.
 */

const FUNCTIONS = ['PaymentsCharge1A2B3C4D', 'PaymentsRefund5E6F7A8B', 'OrdersApi9C0D1E2F'];

const sourceOf = (config: FaultConfig, options: { now?: () => number; file?: string; rates?: { eventBridge: number; pipes: number; expressStarts: number } } = {}) => {
  const injector = new FaultInjector(parseFaultConfig(config), 7, options.now);
  const source: FaultsSource = {
    injector,
    functionNames: FUNCTIONS,
    deliveryRates: () => options.rates ?? { eventBridge: 0, pipes: 0, expressStarts: 0 },
    ...(options.file !== undefined ? { file: options.file } : {}),
  };
  return { injector, source };
};

describe('faultsView', () => {
  it('shows nothing broken, with the seed, when no fault is configured', () => {
    // Act
    const view = faultsView(sourceOf({}).source);

    // Assess
    expect(view).toEqual({
      state: 'none',
      seed: 7,
      functions: [],
      deliveries: { eventBridgeDuplicateRate: 0, pipesDuplicateRate: 0, expressDuplicateStartRate: 0 },
      dynamodb: { transactionConflictRate: 0, throttleRate: 0, indexLagRate: 0, indexLagMs: 1000 },
      configured: [],
    });
  });

  it('shows the file, each pattern with the functions it governs and their rates, and the delivery rates the emulators apply now', () => {
    // Prepare
    const { source } = sourceOf(
      { functions: { 'Payments*': { errorRate: 0.1, latencyRate: 0.3, latencyMs: 800 }, '*': { crashRate: 0.05 } }, dynamodb: { throttleRate: 0.02 } },
      { file: '/tmp/faults.json', rates: { eventBridge: 0.2, pipes: 0, expressStarts: 0.1 } },
    );

    // Act
    const view = faultsView(source);

    // Assess
    expect(view).toMatchObject({
      state: 'configured',
      file: '/tmp/faults.json',
      functions: [
        { pattern: 'Payments*', functions: ['PaymentsCharge1A2B3C4D', 'PaymentsRefund5E6F7A8B'], errorRate: 0.1, latencyRate: 0.3, latencyMs: 800, timeoutRate: 0, crashRate: 0, downNow: [] },
        { pattern: '*', functions: ['OrdersApi9C0D1E2F'], errorRate: 0, latencyMs: 200, crashRate: 0.05, downNow: [] },
      ],
      deliveries: { eventBridgeDuplicateRate: 0.2, pipesDuplicateRate: 0, expressDuplicateStartRate: 0.1 },
      dynamodb: { throttleRate: 0.02, indexLagRate: 0 },
      configured: ['Payments* (PaymentsCharge1A2B3C4D, PaymentsRefund5E6F7A8B): error 10%, latency 30% (+800 ms)', '* (OrdersApi9C0D1E2F): crash 5%', 'DynamoDB: throttling 2%'],
    });
  });

  it('says which functions an outage has down right now, and only while it lasts', () => {
    // Prepare
    let now = 1_000_000;
    const { source } = sourceOf({ functions: { 'OrdersApi*': { outage: { everyMs: 10_000, forMs: 2_000 } } } }, { now: () => now });

    // Act
    const during = faultsView(source);
    now += 5_000;
    const after = faultsView(source);

    // Assess
    expect(during).toMatchObject({ functions: [{ pattern: 'OrdersApi*', outage: { everyMs: 10_000, forMs: 2_000, offsetMs: 0 }, downNow: ['OrdersApi9C0D1E2F'] }] });
    expect(after).toMatchObject({ functions: [{ downNow: [] }] });
  });

  it('shows the faults withFaults put in force while its work runs, and paused while the local cloud seeds', async () => {
    // Prepare
    const { injector, source } = sourceOf({ functions: { 'Payments*': { errorRate: 0.1 } } });

    // Act
    const overridden = await injector.overridden({ functions: { 'OrdersApi*': { errorRate: 1 } } }, async () => faultsView(source));
    const paused = await injector.paused(async () => faultsView(source));
    const afterwards = faultsView(source);

    // Assess
    expect(overridden).toMatchObject({ state: 'overridden', functions: [{ pattern: 'OrdersApi*', functions: ['OrdersApi9C0D1E2F'], errorRate: 1 }] });
    expect(paused).toMatchObject({ state: 'paused' });
    expect(afterwards).toMatchObject({ state: 'configured', functions: [{ pattern: 'Payments*' }] });
  });
});

describe('costView', () => {
  const meter = (): CostMeter =>
    new CostMeter({
      functions: new Map([['Charge', { memoryMb: 256, architecture: 'arm64' }]]),
      stateMachines: new Map([
        ['OrderSagaStateMachine15260A25', 'EXPRESS'],
        ['OrderCancellationE1F2A3B4', 'STANDARD'],
      ]),
      tracedStateMachines: new Set(),
    });

  it("prices the run with the bill's own lines, per million of the order saga's executions", () => {
    // Prepare
    const m = meter();
    for (let i = 0; i < 4; i += 1) {
      m.stateMachineStep('OrderSagaStateMachine15260A25', 'execution-started');
      m.stateMachineStep('OrderSagaStateMachine15260A25', 'execution-ended', 250);
      m.lambdaInvoked('Charge', 40);
      m.apiRequest('Charge');
    }
    m.stateMachineStep('OrderCancellationE1F2A3B4', 'execution-started');
    const usage = m.usage();
    const lines = priceUsage(usage, 4);

    // Act
    const view = costView(usage) as { orders: number; perMillion: number; totalUsd: number; lines: Array<{ component: string; perMillion: number; usd: number; detail: string }> };

    // Assess
    expect(ordersIn(usage)).toBe(4);
    expect(view.orders).toBe(4);
    expect(view.totalUsd).toBeCloseTo(totalOf(lines), 12);
    expect(view.perMillion).toBeCloseTo(perMillion(totalOf(lines), 4), 9);
    expect(view.perMillion).toBeGreaterThan(0);
    expect(view.lines.map((line) => [line.component, line.detail])).toEqual(lines.map((line) => [line.component, line.detail]));
    expect(view.lines.map((line) => line.perMillion)).toEqual(lines.map((line) => perMillion(line.usd, 4)));
  });

  it('prices a run without orders as a whole, with no figure per million', () => {
    // Prepare
    const m = meter();
    m.lambdaInvoked('Charge', 40);

    // Act
    const view = costView(m.usage()) as { orders: number; perMillion?: number; totalUsd: number; lines: Array<{ perMillion?: number; usd: number }> };

    // Assess
    expect(view.orders).toBe(0);
    expect(view.perMillion).toBeUndefined();
    expect(view.totalUsd).toBeGreaterThan(0);
    expect(view.lines.every((line) => line.perMillion === undefined)).toBe(true);
  });
});
