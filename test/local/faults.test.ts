/**
 * Fault injection in the local cloud: the seeded draws, the function-name
 * patterns, each Lambda fault as the runtime realises it (real workers), the
 * duplicate deliveries of the bus and the pipes, and the checks of a faults
 * file, down to the CLI's message.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventBridgeEmulator, type EventBridgeHop } from '../../local/eventbridge/event-bus';
import { FaultConfigError, FaultInjector, matchesFunctionPattern, parseFaultConfig, readFaultsFile } from '../../local/fault-injection';
import type { FaultConfig } from '../../local/faults';
import { LambdaRuntime, type InjectedFault, type InvocationFaults, type InvokeResult, type LocalFunctionSpec } from '../../local/lambda/lambda-runtime';
import { PipesEmulator, type DynamoDbStreamRecord, type PipeHop } from '../../local/pipes/pipes';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { mulberry32, seededRandom } from '../../local/support/random';
import { busArn, failureOf, queueArn, resource } from '../support/local-resources';

const root = path.resolve(__dirname, '..', '..');
const scratch = mkdtempSync(path.join(tmpdir(), 'faults-test-'));


describe('seeded random numbers', () => {
  it('repeats the same sequence for the same seed, in [0, 1)', () => {
    const first = mulberry32(42);
    const second = mulberry32(42);
    const a = Array.from({ length: 1000 }, () => first());
    const b = Array.from({ length: 1000 }, () => second());

    expect(a).toEqual(b);
    expect(a.every((value) => value >= 0 && value < 1)).toBe(true);
    expect(new Set(a).size).toBeGreaterThan(990);
    expect(a.slice(0, 5)).not.toEqual(Array.from({ length: 5 }, mulberry32(43)));
  });

  it('gives each named stream of a seed its own sequence', () => {
    const lambda = seededRandom(7, 'function:A');
    const bus = seededRandom(7, 'eventBridge');

    expect([lambda(), lambda()]).not.toEqual([bus(), bus()]);
    expect(seededRandom(7, 'eventBridge')()).toBe(seededRandom(7, 'eventBridge')());
  });
});

describe('FaultInjector', () => {
  const allFaults = { errorRate: 0.3, latencyRate: 0.5, latencyMs: 50, timeoutRate: 0.2, crashRate: 0.2 };
  const plans = (injector: FaultInjector, name: string, count: number): Array<InvocationFaults | undefined> =>
    Array.from({ length: count }, () => injector.planInvocation(name));

  it('matches logical ids with * patterns, and the first matching key wins', () => {
    const injector = new FaultInjector(
      parseFaultConfig({
        functions: {
          'Payments*': { errorRate: 1 },
          '*Reserve*': { crashRate: 1 },
          'Exactly.Me': { latencyRate: 1 },
          '*': { timeoutRate: 0.5 },
        },
      }),
      1,
    );

    expect(matchesFunctionPattern('Payments*', 'PaymentsChargePayment3FC11F09')).toBe(true);
    expect(matchesFunctionPattern('Payments*', 'OrdersPayments')).toBe(false);
    expect(matchesFunctionPattern('*Reserve*', 'InventoryReserveInventory62B1DC76')).toBe(true);
    expect(matchesFunctionPattern('Exactly.Me', 'ExactlyXMe')).toBe(false);
    expect(injector.functionFaults('PaymentsReserve')).toEqual({ errorRate: 1 });
    expect(injector.functionFaults('InventoryReserveInventory62B1DC76')).toEqual({ crashRate: 1 });
    expect(injector.functionFaults('Exactly.Me')).toEqual({ latencyRate: 1 });
    expect(injector.functionFaults('HealthFunction')).toEqual({ timeoutRate: 0.5 });
  });

  it('names the patterns that govern no function, including those an earlier pattern shadows', () => {
    const injector = new FaultInjector(parseFaultConfig({ functions: { 'Orders*': { errorRate: 1 }, 'OrdersApi*': { crashRate: 1 }, 'Typo*': { errorRate: 1 } } }), 1);

    expect(injector.unusedPatterns(['OrdersApiA821092D', 'CatalogApiA3A7D030'])).toEqual(['OrdersApi*', 'Typo*']);
  });

  it('draws the same faults for the same seed, and other faults for another seed', () => {
    const config = parseFaultConfig({ functions: { 'A*': allFaults } });

    const first = plans(new FaultInjector(config, 1234), 'Alpha', 200);
    const again = plans(new FaultInjector(config, 1234), 'Alpha', 200);
    const other = plans(new FaultInjector(config, 1235), 'Alpha', 200);

    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
    const errors = plans(new FaultInjector(config, 99), 'Alpha', 2000).filter((plan) => plan?.error).length;
    expect(errors / 2000).toBeGreaterThan(0.25);
    expect(errors / 2000).toBeLessThan(0.35);
  });

  it('takes a function down for forMs at the start of every everyMs, after its offset, without shifting its draws', () => {
    // Prepare
    let clock = 1_000;
    const config = parseFaultConfig({ functions: { 'Pay*': { errorRate: 0.2, outage: { everyMs: 10_000, forMs: 3_000, offsetMs: 5_000 } } } });
    const injector = new FaultInjector(config, 7, () => clock);
    const plain = new FaultInjector(parseFaultConfig({ functions: { 'Pay*': { errorRate: 0.2 } } }), 7, () => clock);
    const at = (elapsedMs: number) => {
      clock = 1_000 + elapsedMs;
      plain.planInvocation('Payments');
      return injector.planInvocation('Payments')?.outage === true;
    };

    // Act
    const down = [0, 4_999, 5_000, 7_999, 8_000, 14_999, 15_000, 17_999, 18_000].map(at);

    // Assess
    expect(down).toEqual([false, false, true, true, false, false, true, true, false]);
    clock = 1_000 + 20_000;
    expect(injector.planInvocation('Payments')).toEqual(plain.planInvocation('Payments'));
    expect(() => parseFaultConfig({ functions: { '*': { outage: { everyMs: 1000, forMs: 1000 } } } })).toThrow(/forMs must be shorter than everyMs/);
  });

  it("keeps each function's draws independent of how invocations of other functions interleave", () => {
    const config = parseFaultConfig({ functions: { '*': allFaults } });
    const alone = plans(new FaultInjector(config, 5), 'Alpha', 50);

    const interleaved = new FaultInjector(config, 5);
    const mixed = Array.from({ length: 50 }, () => {
      interleaved.planInvocation('Beta');
      return interleaved.planInvocation('Alpha');
    });

    expect(mixed).toEqual(alone);
  });

  it('applies latency alongside at most one of error, timeout and crash, in that order', () => {
    const plan = (faults: FaultConfig['functions']) => new FaultInjector(parseFaultConfig({ functions: faults }), 3).planInvocation('F');

    expect(plan({ F: { errorRate: 1, timeoutRate: 1, crashRate: 1, latencyRate: 1 } })).toEqual({ error: true, latencyMs: 200 });
    expect(plan({ F: { timeoutRate: 1, crashRate: 1 } })).toEqual({ timeout: true });
    expect(plan({ F: { crashRate: 1 } })).toEqual({ crashAt: expect.any(Number) });
    expect(plan({ F: { errorRate: 0, latencyRate: 0 } })).toBeUndefined();
    expect(plan({ G: { errorRate: 1 } })).toBeUndefined();
  });

  it('injects nothing while paused, and takes no draws meanwhile', async () => {
    const config = parseFaultConfig({ functions: { '*': allFaults } });
    const reference = plans(new FaultInjector(config, 8), 'Alpha', 10);
    const injector = new FaultInjector(config, 8);

    const during = await injector.paused(async () => plans(injector, 'Alpha', 10));
    const after = plans(injector, 'Alpha', 10);

    expect(during.every((plan) => plan === undefined)).toBe(true);
    expect(after).toEqual(reference);
  });

  it('describes the active faults for the banner, with the functions each pattern governs', () => {
    const injector = new FaultInjector(
      parseFaultConfig({ functions: { 'Payments*': { errorRate: 0.1, latencyRate: 0.25, latencyMs: 500 } }, eventBridge: { duplicateRate: 0.2 } }),
      1,
    );

    expect(injector.active).toBe(true);
    expect(injector.describe(['PaymentsCharge', 'OrdersApi'])).toEqual([
      'Payments* (PaymentsCharge): error 10%, latency 25% (+500 ms)',
      'event-bus targets: duplicate 20%',
    ]);
    expect(new FaultInjector({ functions: { '*': { errorRate: 0 } } }, 1).active).toBe(false);
  });
});

describe('LambdaRuntime with injected faults', () => {
  const code = path.join(scratch, 'code');
  const markers = path.join(scratch, 'markers');
  for (const dir of [code, markers]) mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(code, 'index.mjs'),
    `
import { writeFileSync } from 'node:fs';
let invocations = 0;
export const handler = async (event) => {
  invocations += 1;
  if (event.marker) writeFileSync(event.marker, String(invocations));
  if (event.ms) await new Promise((resolve) => setTimeout(resolve, event.ms));
  return { invocations };
};
`,
  );
  const spec = (name: string, timeoutSeconds: number): LocalFunctionSpec => ({
    name,
    arn: `arn:aws:lambda:us-east-1:000000000000:function:${name}`,
    codeDir: code,
    handler: 'index.handler',
    environment: {},
    timeoutSeconds,
    memoryMb: 128,
  });
  const injector = new FaultInjector(
    parseFaultConfig({
      functions: {
        'Failing*': { errorRate: 1 },
        Slow: { latencyRate: 1, latencyMs: 300 },
        TooSlow: { latencyRate: 1, latencyMs: 1500 },
        Hanging: { timeoutRate: 1 },
        Crashing: { crashRate: 1 },
      },
    }),
    11,
  );
  const faults: Array<{ readonly functionName: string; readonly fault: InjectedFault }> = [];
  const invoked: Array<{ readonly functionName: string; readonly result: InvokeResult }> = [];
  const runtime = new LambdaRuntime({
    faults: (functionName) => injector.planInvocation(functionName),
    onFault: (functionName, _requestId, fault) => faults.push({ functionName, fault }),
    onInvoked: (functionName, _requestId, result) => invoked.push({ functionName, result }),
  });
  for (const [name, timeout] of [['FailingOne', 5], ['Slow', 5], ['TooSlow', 1], ['Hanging', 1], ['Crashing', 10], ['Healthy', 5]] as const) {
    runtime.register(spec(name, timeout));
  }
  afterAll(() => runtime.stop());

  let markerCount = 0;
  const marker = (): string => {
    markerCount += 1;
    return path.join(markers, `marker-${String(markerCount)}`);
  };
  const faultsOf = (functionName: string) => faults.filter((entry) => entry.functionName === functionName).map((entry) => entry.fault);

  it('errorRate: fails with InjectedFault without running the handler', async () => {
    const file = marker();

    const result = await runtime.invoke('FailingOne', { marker: file });

    expect(result).toEqual({ ok: false, durationMs: expect.any(Number), error: { errorType: 'InjectedFault', errorMessage: 'Injected by the local cloud (errorRate)', trace: [] } });
    expect(existsSync(file)).toBe(false);
    expect(faultsOf('FailingOne')).toEqual([{ kind: 'error' }]);
    expect(invoked.find((entry) => entry.functionName === 'FailingOne')?.result).toBe(result);
  });

  it('latencyRate: waits latencyMs before the handler runs, and answers', async () => {
    const file = marker();
    const started = Date.now();

    const result = await runtime.invoke('Slow', { marker: file });

    expect(result).toMatchObject({ ok: true, payload: { invocations: 1 } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(result.durationMs).toBeGreaterThanOrEqual(300);
    expect(existsSync(file)).toBe(true);
    expect(faultsOf('Slow')).toEqual([{ kind: 'latency', delayMs: 300 }]);
  });

  it('latencyRate: latency counts against the timeout (more than the timeout: timed out, never run)', async () => {
    const file = marker();

    const result = await runtime.invoke('TooSlow', { marker: file });
    await new Promise((resolve) => setTimeout(resolve, 700));

    expect(result).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(existsSync(file)).toBe(false);
  });

  it('timeoutRate: the handler runs (its side effect happens) but the answer is withheld until Sandbox.Timedout; the environment is discarded', async () => {
    const first = marker();
    const second = marker();

    const result = await runtime.invoke('Hanging', { marker: first });
    const again = await runtime.invoke('Hanging', { marker: second });

    expect(result).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout', errorMessage: expect.stringMatching(/Task timed out after 1.00 seconds/) } });
    expect(result.durationMs).toBeGreaterThanOrEqual(950);
    expect(readFileSync(first, 'utf8')).toBe('1');
    expect(again).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' }, coldStartMs: expect.any(Number) });
    expect(readFileSync(second, 'utf8')).toBe('1');
    expect(faultsOf('Hanging')).toEqual([
      { kind: 'timeout', timeoutSeconds: 1 },
      { kind: 'timeout', timeoutSeconds: 1 },
    ]);
  });

  it('crashRate: the worker exits after the handler started, before it answers: Runtime.ExitError', async () => {
    const file = marker();

    const result = await runtime.invoke('Crashing', { marker: file, ms: 3000 });

    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' } });
    expect(result.durationMs).toBeLessThan(3000);
    expect(existsSync(file)).toBe(true);
    const [crash] = faultsOf('Crashing');
    expect(crash).toEqual({ kind: 'crash', afterMs: expect.any(Number) });
    expect(crash?.kind === 'crash' && crash.afterMs >= 0 && crash.afterMs <= runtime.typicalDurationMs('Crashing')).toBe(true);
  });

  it('crashRate: a handler that finishes before the crash point still never answers', async () => {
    const file = marker();

    const result = await runtime.invoke('Crashing', { marker: file });

    expect(result).toMatchObject({ ok: false, error: { errorType: 'Runtime.ExitError' }, coldStartMs: expect.any(Number) });
    expect(readFileSync(file, 'utf8')).toBe('1');
  });

  it('leaves other functions alone, and learns their typical duration (what crash points scale with)', async () => {
    expect(runtime.typicalDurationMs('Healthy')).toBe(100);

    const result = await runtime.invoke('Healthy', { ms: 250 });

    expect(result).toMatchObject({ ok: true });
    expect(faultsOf('Healthy')).toEqual([]);
    expect(runtime.typicalDurationMs('Healthy')).toBeGreaterThanOrEqual(250);
  });
});

// ---------------------------------------------------------------------------
// Duplicate deliveries: the bus and the pipes
// ---------------------------------------------------------------------------

const ACCOUNT = '000000000000';
const BUS = 'ShopBus';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders/stream/2025-01-01T00:00:00.000`;
const infrastructure: readonly LocalResource[] = [
  resource('Bus', 'AWS::Events::EventBus', { Name: BUS }, busArn(BUS)),
  resource('Copies', 'AWS::SQS::Queue', {}, queueArn('Copies')),
  resource('CopyAll', 'AWS::Events::Rule', { EventBusName: BUS, EventPattern: { account: [ACCOUNT] }, Targets: [{ Arn: queueArn('Copies'), Id: 'Copy' }] }),
];
const pipe = resource('Outbox', 'AWS::Pipes::Pipe', {
  RoleArn: `arn:aws:iam::${ACCOUNT}:role/OutboxRole`,
  Source: STREAM_ARN,
  SourceParameters: { DynamoDBStreamParameters: { StartingPosition: 'TRIM_HORIZON', BatchSize: 10 } },
  Target: busArn(BUS),
  TargetParameters: { EventBridgeEventBusParameters: { DetailType: 'OrderPlaced', Source: 'shop.orders' } },
});
const streamRecord = (orderId: string): DynamoDbStreamRecord => ({
  eventID: `event-${orderId}`,
  eventName: 'INSERT',
  dynamodb: { Keys: { pk: { S: orderId } }, NewImage: { pk: { S: orderId } }, SequenceNumber: orderId, StreamViewType: 'NEW_IMAGE' },
});

/** The bus (and a pipe onto it) as the local cloud wires them from a fault configuration. */
const world = (config: FaultConfig) => {
  const injector = new FaultInjector(parseFaultConfig(config), 21);
  const resources = [...infrastructure, pipe];
  const queues = SqsQueues.create(resources);
  const busHops: EventBridgeHop[] = [];
  const bus = EventBridgeEmulator.create(resources, {
    queues,
    invokeAsync: async () => undefined,
    startExecution: async () => ({}),
    duplicateRate: config.eventBridge?.duplicateRate ?? 0,
    random: injector.random('eventBridge'),
    onHop: (hop) => busHops.push(hop),
  });
  const pipeHops: PipeHop[] = [];
  const pipes = PipesEmulator.create(resources, {
    invokeFunction: async () => ({ ok: true, payload: null, durationMs: 1 }),
    eventBus: bus,
    queues,
    duplicateRate: config.pipes?.duplicateRate ?? 0,
    random: injector.random('pipes'),
    onHop: (hop) => pipeHops.push(hop),
  });
  const copies = async (): Promise<Array<{ readonly id: string; readonly detail: unknown }>> => {
    await bus.drain();
    return queues.receiveAll('Copies').map((message) => JSON.parse(message.body) as { id: string; detail: unknown });
  };
  return { bus, busHops, pipes, pipeHops, copies };
};

describe('duplicate deliveries', () => {
  it('eventBridge.duplicateRate 1: every rule target gets the same event twice, the copy marked', async () => {
    const { bus, busHops, copies } = world({ eventBridge: { duplicateRate: 1 } });

    const result = bus.putEvents([{ Source: 'shop.orders', DetailType: 'OrderConfirmed', Detail: '{"orderId":"o-1"}', EventBusName: BUS }]);
    const delivered = await copies();

    expect(result.FailedEntryCount).toBe(0);
    expect(delivered).toHaveLength(2);
    expect(delivered[1]?.id).toBe(delivered[0]?.id);
    expect(busHops.flatMap((hop) => (hop.kind === 'target' ? [hop.duplicate] : []))).toEqual([false, true]);
  });

  it('pipes.duplicateRate 1: each element is put on the bus twice (new event id, same detail, in a later call as a redelivery), the copies reported', async () => {
    const { pipes, pipeHops, copies } = world({ pipes: { duplicateRate: 1 } });
    const outbox = pipes.get('Outbox');
    if (!outbox) throw new Error('no pipe');

    const result = await outbox.deliver([streamRecord('o-1'), streamRecord('o-2')]);
    const delivered = await copies();

    expect(result).toMatchObject({ published: 2, deadLettered: 0 });
    const keys = delivered.map((event) => JSON.stringify(event.detail)).map((detail) => (detail.includes('o-1') ? 'o-1' : 'o-2'));
    expect(keys).toEqual(['o-1', 'o-2', 'o-1', 'o-2']);
    expect(new Set(delivered.map((event) => event.id)).size).toBe(4);
    const target = pipeHops.find((hop) => hop.kind === 'target');
    const duplicate = pipeHops.find((hop) => hop.kind === 'duplicate');
    const targetIds = target?.kind === 'target' ? target.eventIds : [];
    const duplicateIds = duplicate?.kind === 'duplicate' ? duplicate.eventIds : [];
    expect(targetIds).toHaveLength(2);
    expect(duplicateIds).toHaveLength(2);
    expect([...targetIds, ...duplicateIds].sort()).toEqual(delivered.map((event) => event.id).sort());
  });

  it('makes no duplicates at rate 0, and refuses a rate outside 0..1', async () => {
    const { bus, pipes, pipeHops, copies } = world({});
    const outbox = pipes.get('Outbox');
    if (!outbox) throw new Error('no pipe');

    await outbox.deliver([streamRecord('o-3')]);

    expect(await copies()).toHaveLength(1);
    expect(pipeHops.some((hop) => hop.kind === 'duplicate')).toBe(false);
    expect(failureOf(() => (pipes.duplicateRate = 1.5))).toBeInstanceOf(RangeError);
    expect(failureOf(() => (bus.duplicateRate = -0.1))).toBeInstanceOf(RangeError);
  });
});

// ---------------------------------------------------------------------------
// The faults file and the CLI
// ---------------------------------------------------------------------------

describe('faults file', () => {
  const file = (name: string, text: string): string => {
    const at = path.join(scratch, name);
    writeFileSync(at, text);
    return at;
  };
  const messageOf = (run: () => unknown): string => {
    const error = failureOf(run);
    expect(error).toBeInstanceOf(FaultConfigError);
    return error instanceof Error ? error.message : '';
  };

  it('reads the example committed at local/faults.example.json', () => {
    const config = readFaultsFile(path.join(root, 'local', 'faults.example.json'));

    expect(config.seed).toBe(42);
    expect(Object.keys(config.functions ?? {}).length).toBeGreaterThan(0);
    expect(config.eventBridge?.duplicateRate).toBeGreaterThan(0);
    expect(config.pipes?.duplicateRate).toBeGreaterThan(0);
  });

  it('names the bad field: a rate above 1, an unknown field, a negative latency, a fractional seed', () => {
    expect(messageOf(() => readFaultsFile(file('rate.json', '{"functions":{"Payments*":{"errorRate":1.5}}}')))).toMatch(/^Invalid faults file .*rate\.json: functions\["Payments\*"\]\.errorRate: /);
    expect(messageOf(() => parseFaultConfig({ functions: { '*': { errorRat: 0.1 } } }))).toContain(`functions["*"]: unknown field 'errorRat'`);
    expect(messageOf(() => parseFaultConfig({ eventbridge: { duplicateRate: 0.1 } }))).toContain(`(top level): unknown field 'eventbridge'`);
    expect(messageOf(() => parseFaultConfig({ functions: { A: { latencyMs: -1 } } }))).toContain('functions.A.latencyMs');
    expect(messageOf(() => parseFaultConfig({ seed: 1.5 }))).toContain('seed');
    expect(messageOf(() => parseFaultConfig({ pipes: { duplicateRate: '0.1' } }))).toContain('pipes.duplicateRate');
  });

  it('says when the file is not JSON or cannot be read', () => {
    expect(messageOf(() => readFaultsFile(file('broken.json', '{"functions": ')))).toMatch(/broken\.json is not JSON/);
    expect(messageOf(() => readFaultsFile(path.join(scratch, 'missing.json')))).toMatch(/Cannot read the faults file .*missing\.json/);
  });

  const cli = (...args: string[]): Promise<{ readonly code: number | null; readonly stderr: string }> =>
    new Promise((resolve) => {
      const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
      execFile(tsx, [path.join(root, 'local', 'cli.ts'), '--no-synth', '--port', '0', ...args], { cwd: scratch, timeout: 60_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
      );
    });

  it('npm start --faults FILE refuses a bad file before starting anything, naming the field', async () => {
    const bad = file('cli-bad.json', '{"functions":{"Orders*":{"crashRate":2}}}');

    const [badFile, badSeed] = await Promise.all([cli('--faults', bad), cli('--fault-seed', 'soon')]);

    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toContain('functions["Orders*"].crashRate');
    expect(badFile.stderr).not.toContain('could not start');
    expect(badSeed.code).toBe(1);
    expect(badSeed.stderr).toContain("--fault-seed must be a whole number from 0 to 4294967295, not 'soon'");
  });
});
