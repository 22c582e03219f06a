import { CloudWatchLogsClient, FilterLogEventsCommand, GetLogEventsCommand, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { CloudWatchLogs } from '../../local/cloudwatch/logs';
import { UnsupportedFeatureError } from '../../local/errors';
import { FaultInjector, parseFaultConfig } from '../../local/fault-injection';
import { jsonApiAuthorizations } from '../../local/iam/api-actions';
import { LocalIam } from '../../local/iam/local-iam';
import type { LocalResource } from '../../local/resources';
import { StepFunctionsEngine, type FunctionInvocation } from '../../local/stepfunctions/engine';
import {
  EXPRESS_EXECUTIONS_KEPT,
  EXPRESS_MAX_SECONDS,
  StepFunctionsEmulator,
  expressTimeoutSeconds,
  type ExecutionLogRecord,
  type StepFunctionsDeps,
  type StepFunctionsHop,
  type StepFunctionsOptions,
} from '../../local/stepfunctions/state-machines';

/*
 * Express workflows on the local Step Functions: asynchronous starts with
 * Express execution ARNs and no name deduplication, at-least-once starts
 * (the duplicate-start fault), the 5-minute limit, no history, the execution
 * logs written to the local CloudWatch Logs (and read over the AWS protocol),
 * and the states:startExecution integration.
 */

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/StatesRole`;
const machineArn = (id: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
const functionArn = (id: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const expressArn = (machine: string, name: string): RegExp => new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:${machine}:${name}:${UUID}$`);

const LOG_GROUP = '/local/ExecutionLogs';
const LOG_GROUP_ARN = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}:*`;
const logGroup: LocalResource = { logicalId: 'ExecutionLogs', type: 'AWS::Logs::LogGroup', properties: { RetentionInDays: 30 }, ref: LOG_GROUP, arn: LOG_GROUP_ARN };
const logging = (Level: string, IncludeExecutionData: boolean) => ({ Level, IncludeExecutionData, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: LOG_GROUP_ARN } }] });

const stateMachine = (logicalId: string, definition: unknown, properties: Record<string, unknown> = {}): LocalResource => ({
  logicalId,
  type: 'AWS::StepFunctions::StateMachine',
  properties: { DefinitionString: JSON.stringify(definition), RoleArn: ROLE_ARN, ...properties },
  ref: machineArn(logicalId),
  arn: machineArn(logicalId),
});
const express = (logicalId: string, definition: unknown, properties: Record<string, unknown> = {}): LocalResource =>
  stateMachine(logicalId, definition, { StateMachineType: 'EXPRESS', ...properties });

const pass = { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } };
const charge = { StartAt: 'Prepare', States: { Prepare: { Type: 'Pass', Next: 'Charge' }, Charge: { Type: 'Task', Resource: functionArn('Charge'), End: true } } };
const startTask = (target: string, parameters: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::states:startExecution',
  Parameters: { StateMachineArn: machineArn(target), ...parameters },
});
const parent = (target: string, parameters: Record<string, unknown> = {}) => ({
  StartAt: 'StartChild',
  States: {
    StartChild: { ...startTask(target, parameters), Catch: [{ ErrorEquals: ['StepFunctions.ExecutionAlreadyExistsException'], ResultPath: '$.error', Next: 'Taken' }], End: true },
    Taken: { Type: 'Pass', End: true },
  },
});

const resources: readonly LocalResource[] = [
  logGroup,
  express('Fast', charge, { LoggingConfiguration: logging('ALL', true) }),
  express('Quiet', charge, { LoggingConfiguration: logging('ERROR', false) }),
  express('Fatal', charge, { LoggingConfiguration: logging('FATAL', false) }),
  express('Slow', { TimeoutSeconds: 1, StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 5, End: true } } }, { LoggingConfiguration: logging('ALL', false) }),
  express('Long', { TimeoutSeconds: 1000, ...pass }),
  express('Plain', pass),
  stateMachine('Child', pass, { LoggingConfiguration: logging('ALL', true) }),
  stateMachine('Parent', parent('Child', { 'Name.$': '$.childName', Input: { 'parent.$': '$$.Execution.Id', note: 'hi' } })),
  stateMachine('ParentOfExpress', parent('Fast', { Input: '{"orderId":"o-9"}' })),
];

const succeed = (payload: unknown): FunctionInvocation => ({ ok: true, payload });
const functionError = (errorType: string, errorMessage: string): FunctionInvocation => ({ ok: false, error: { errorType, errorMessage, trace: [] } });

/** A promise a test resolves when it wants a task to finish. */
const gate = (): { readonly opened: Promise<void>; readonly open: () => void } => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

const until = async (condition: () => boolean, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => promise.then(() => new Error('expected a rejection'), (error: unknown) => error);

interface Served {
  readonly sfn: SFNClient;
  readonly logs: CloudWatchLogsClient;
  readonly emulator: StepFunctionsEmulator;
  readonly hops: StepFunctionsHop[];
  readonly invoked: Array<{ readonly name: string; readonly payload: unknown }>;
  /** What the Charge function answers next (default: success). */
  script: (payload: unknown) => Promise<FunctionInvocation>;
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** The emulator and its CloudWatch Logs behind a real AwsEndpoint, with SDK clients pointed at it. */
const serve = async (options: StepFunctionsOptions = {}, extraDeps: Partial<StepFunctionsDeps> = {}, served: readonly LocalResource[] = resources): Promise<Served> => {
  const hops: StepFunctionsHop[] = [];
  const invoked: Array<{ readonly name: string; readonly payload: unknown }> = [];
  const world: { script: Served['script'] } = { script: async () => succeed({ charged: true }) };
  const emulator = StepFunctionsEmulator.create(
    served,
    {
      invokeFunction: async (name, payload) => {
        invoked.push({ name, payload });
        return world.script(payload);
      },
      ...extraDeps,
    },
    { retryIntervalScale: 0, onHop: (hop) => hops.push(hop), ...options },
  );
  const endpoint = new AwsEndpoint();
  emulator.registerOn(endpoint);
  emulator.logs.registerOn(endpoint);
  const url = await endpoint.listen();
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const sfn = new SFNClient({ endpoint: url, region: REGION, credentials });
  const logs = new CloudWatchLogsClient({ endpoint: url, region: REGION, credentials });
  closers.push(async () => {
    sfn.destroy();
    logs.destroy();
    await emulator.close();
    await endpoint.close();
  });
  return {
    sfn,
    logs,
    emulator,
    hops,
    invoked,
    get script() {
      return world.script;
    },
    set script(script) {
      world.script = script;
    },
  };
};

const start = async (served: Served, machine: string, input: unknown, name?: string) =>
  served.sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn(machine), input: JSON.stringify(input), ...(name !== undefined ? { name } : {}) }));

const recordsOf = (served: Served, machine: string, executionArn: string): ExecutionLogRecord[] =>
  served.emulator.executionLogRecords(machineArn(machine)).filter((record) => record.execution_arn === executionArn);

const endOf = (served: Served, executionArn: string): StepFunctionsHop | undefined =>
  served.hops.find((hop) => hop.executionArn === executionArn && hop.kind.startsWith('execution-') && hop.kind !== 'execution-started');

describe('Express executions', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve();
  });

  beforeEach(() => {
    served.hops.length = 0;
    served.invoked.length = 0;
    served.script = async () => succeed({ charged: true });
  });

  it('answers StartExecution at once with an Express execution ARN, while the execution runs on', async () => {
    // Prepare
    const held = gate();
    served.script = async () => {
      await held.opened;
      return succeed({ charged: true });
    };

    // Act
    const answer = await start(served, 'Fast', { orderId: 'o-1' }, 'order-1');
    await until(() => served.invoked.length === 1);
    const whileRunning = endOf(served, answer.executionArn ?? '');
    held.open();
    expect(await served.emulator.drain(5000)).toBe(true);

    // Assess
    expect(answer.executionArn).toMatch(expressArn('Fast', 'order-1'));
    expect(answer.executionArn?.split(':')).toHaveLength(9);
    expect(answer.startDate).toBeInstanceOf(Date);
    expect(whileRunning).toBeUndefined();
    expect(endOf(served, answer.executionArn ?? '')).toMatchObject({ kind: 'execution-succeeded', stateMachine: 'Fast', stateMachineArn: machineArn('Fast'), executionName: 'order-1' });
    expect(served.emulator.execution(answer.executionArn ?? '')).toBeUndefined();
  });

  it('names an execution started without a name with a UUID', async () => {
    // Act
    const answer = await start(served, 'Plain', {});
    await served.emulator.drain(5000);

    // Assess
    expect(answer.executionArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:Plain:${UUID}:${UUID}$`));
  });

  it('runs two executions when the same name is started twice (Express does not deduplicate)', async () => {
    // Act
    const first = await start(served, 'Fast', { orderId: 'o-2' }, 'same');
    const second = await start(served, 'Fast', { orderId: 'o-2' }, 'same');
    await served.emulator.drain(5000);

    // Assess
    expect(first.executionArn).toMatch(expressArn('Fast', 'same'));
    expect(second.executionArn).toMatch(expressArn('Fast', 'same'));
    expect(second.executionArn).not.toBe(first.executionArn);
    expect(served.invoked).toHaveLength(2);
    expect(served.hops.filter((hop) => hop.kind === 'execution-succeeded').map((hop) => hop.executionArn).sort()).toEqual([first.executionArn, second.executionArn].sort());
  });

  it('remembers the newest executions of each Express state machine for the console, while the API knows none of them', async () => {
    // Prepare
    const own = await serve();
    const started: string[] = [];
    for (let i = 0; i < EXPRESS_EXECUTIONS_KEPT + 2; i += 1) started.push((await start(own, 'Plain', { orderId: `o-${i}` }, `run-${i}`)).executionArn ?? '');
    await own.emulator.drain(5000);
    const newest = started.at(-1) ?? '';

    // Act
    const listed = own.emulator.executions(machineArn('Plain'), 3);
    const all = own.emulator.executions(machineArn('Plain'), 1000);

    // Assess
    expect(listed.total).toBe(EXPRESS_EXECUTIONS_KEPT + 2);
    expect(listed.executions.map((execution) => execution.name)).toEqual([`run-${EXPRESS_EXECUTIONS_KEPT + 1}`, `run-${EXPRESS_EXECUTIONS_KEPT}`, `run-${EXPRESS_EXECUTIONS_KEPT - 1}`]);
    expect(all.executions).toHaveLength(EXPRESS_EXECUTIONS_KEPT);
    expect(own.emulator.expressExecution(newest)).toMatchObject({ executionArn: newest, status: 'SUCCEEDED', input: { orderId: `o-${EXPRESS_EXECUTIONS_KEPT + 1}` } });
    expect(own.emulator.expressExecution(started[0] ?? '')).toBeUndefined();
    expect(own.emulator.execution(newest)).toBeUndefined();
    expect(own.emulator.executions(machineArn('Fast')).total).toBe(0);
    await expect(rejection(own.sfn.send(new DescribeExecutionCommand({ executionArn: newest })))).resolves.toMatchObject({ name: 'InvalidArn' });
  });

  it('reports what each state machine writes to its execution logs', () => {
    // Act
    const machines = new Map(served.emulator.stateMachines().map((machine) => [machine.name, machine]));

    // Assess
    expect(machines.get('Fast')).toMatchObject({ logLevel: 'ALL', includeExecutionData: true });
    expect(machines.get('Quiet')).toMatchObject({ logLevel: 'ERROR', includeExecutionData: false });
    expect(machines.get('Plain')).toMatchObject({ logLevel: 'OFF', includeExecutionData: false });
  });

  it('answers DescribeExecution, GetExecutionHistory and StopExecution with InvalidArn, and ListExecutions with StateMachineTypeNotSupported', async () => {
    // Prepare
    const { executionArn = '' } = await start(served, 'Plain', {}, 'no-history');
    await served.emulator.drain(5000);
    const invalidArn = { name: 'InvalidArn', message: "Invalid Arn: 'Resource type not valid in this context: express'" };

    // Act
    const described = await rejection(served.sfn.send(new DescribeExecutionCommand({ executionArn })));
    const history = await rejection(served.sfn.send(new GetExecutionHistoryCommand({ executionArn })));
    const stopped = await rejection(served.sfn.send(new StopExecutionCommand({ executionArn })));
    const listed = await rejection(served.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Plain') })));
    const standard = await served.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Child') }));

    // Assess
    expect(described).toMatchObject(invalidArn);
    expect(history).toMatchObject(invalidArn);
    expect(stopped).toMatchObject(invalidArn);
    expect(listed).toMatchObject({ name: 'StateMachineTypeNotSupported', message: 'This operation is not supported by this type of state machine' });
    expect(standard.executions).toBeDefined();
  });

  it('reports the type EXPRESS in DescribeStateMachine and ListStateMachines', async () => {
    // Act
    const described = await served.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: machineArn('Fast') }));
    const listed = await served.sfn.send(new ListStateMachinesCommand({}));

    // Assess
    expect(described).toMatchObject({ name: 'Fast', type: 'EXPRESS', loggingConfiguration: { level: 'ALL', includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: LOG_GROUP_ARN } }] } });
    const types = Object.fromEntries((listed.stateMachines ?? []).map((machine) => [machine.name, machine.type]));
    expect(types).toMatchObject({ Fast: 'EXPRESS', Plain: 'EXPRESS', Child: 'STANDARD', Parent: 'STANDARD' });
  });

  it('times an execution out at its TimeoutSeconds: TIMED_OUT, States.Timeout, in its hops and its logs', async () => {
    // Act
    const { executionArn = '' } = await start(served, 'Slow', {}, 'too-slow');
    await served.emulator.drain(6000);

    // Assess
    const end = endOf(served, executionArn);
    expect(end).toMatchObject({ kind: 'execution-timed-out', error: 'States.Timeout' });
    expect(end?.durationMs).toBeGreaterThanOrEqual(900);
    expect(end?.durationMs).toBeLessThan(4000);
    const records = recordsOf(served, 'Slow', executionArn);
    expect(records.map((record) => record.type)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    expect(records.at(-1)?.details).toMatchObject({ error: 'States.Timeout' });
  });
});

describe('the 5-minute limit of Express workflows', () => {
  it('caps the time an execution may run at 300 s, whatever TimeoutSeconds says', () => {
    expect(EXPRESS_MAX_SECONDS).toBe(300);
    expect(expressTimeoutSeconds(undefined)).toBe(300);
    expect(expressTimeoutSeconds(1000)).toBe(300);
    expect(expressTimeoutSeconds(300)).toBe(300);
    expect(expressTimeoutSeconds(1)).toBe(1);
  });

  it('gives each state machine its limit, and says at start-up that an Express TimeoutSeconds over 300 is cut to 300', () => {
    // Act
    const emulator = StepFunctionsEmulator.create(resources, { invokeFunction: async () => succeed({}) });

    // Assess
    const limits = Object.fromEntries(emulator.stateMachines().map((machine) => [machine.logicalId, machine.timeoutSeconds]));
    expect(limits).toMatchObject({ Plain: 300, Long: 300, Slow: 1, Child: undefined });
    expect(emulator.notEnforced).toEqual([expect.stringMatching(/^Long \(AWS::StepFunctions::StateMachine\): TimeoutSeconds 1000 on an EXPRESS state machine — its executions time out at 300 s/)]);
  });

  it('times an execution out at the engine limit when the definition has no TimeoutSeconds', async () => {
    // Prepare
    const engine = new StepFunctionsEngine({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3, End: true } } }, {}, { stateMachineArn: machineArn('Capped'), maxExecutionSeconds: 1 });
    const started = Date.now();

    // Act
    const outcome = await engine.start({}).outcome;

    // Assess
    expect(outcome).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(Date.now() - started).toBeLessThan(2500);
    expect(() => new StepFunctionsEngine(pass, {}, { stateMachineArn: machineArn('Bad'), maxExecutionSeconds: 0 })).toThrow(RangeError);
  });
});

describe('at-least-once Express starts (the duplicateExpressStartRate fault)', () => {
  it('runs one Express start twice, same name and input, the copy marked and the first ARN answered; never a Standard start', async () => {
    // Prepare
    const served = await serve({ duplicateExpressStartRate: 1, random: () => 0 });

    // Act
    const answer = await start(served, 'Fast', { orderId: 'o-dup' }, 'dup');
    const standard = await start(served, 'Child', {}, 'child-dup');
    await served.emulator.drain(5000);

    // Assess
    const started = served.hops.filter((hop) => hop.kind === 'execution-started' && hop.stateMachine === 'Fast');
    expect(started.map((hop) => [hop.executionName, hop.duplicate === true])).toEqual([
      ['dup', false],
      ['dup', true],
    ]);
    expect(started[0]?.executionArn).toBe(answer.executionArn);
    expect(started[1]?.executionArn).toMatch(expressArn('Fast', 'dup'));
    expect(started[1]?.executionArn).not.toBe(answer.executionArn);
    expect(served.invoked.map((call) => call.payload)).toEqual([{ orderId: 'o-dup' }, { orderId: 'o-dup' }]);
    expect(served.hops.filter((hop) => hop.kind === 'execution-started' && hop.stateMachine === 'Child').map((hop) => hop.executionArn)).toEqual([standard.executionArn]);
  });

  it('draws each start from the seeded generator, and can be turned off at run time', async () => {
    // Prepare
    const draws = [0.9, 0.1];
    const served = await serve({ duplicateExpressStartRate: 0.5, random: () => draws.shift() ?? 1 });

    // Act
    await start(served, 'Plain', {}, 'drawn-high');
    await start(served, 'Plain', {}, 'drawn-low');
    served.emulator.duplicateExpressStartRate = 0;
    await start(served, 'Plain', {}, 'fault-off');
    await served.emulator.drain(5000);

    // Assess
    expect(served.hops.filter((hop) => hop.kind === 'execution-started').map((hop) => hop.executionName).sort()).toEqual(['drawn-high', 'drawn-low', 'drawn-low', 'fault-off']);
    expect(draws).toEqual([]);
    expect(() => (served.emulator.duplicateExpressStartRate = 2)).toThrow(RangeError);
  });

  it('is a fault of the configuration, checked, described and active', () => {
    // Act
    const config = parseFaultConfig({ stepFunctions: { duplicateExpressStartRate: 0.25 } });
    const injector = new FaultInjector(config, 7);

    // Assess
    expect(injector.active).toBe(true);
    expect(injector.describe([])).toEqual(['Express executions: started twice 25%']);
    expect(() => parseFaultConfig({ stepFunctions: { duplicateExpressStartRate: 2 } })).toThrow(/stepFunctions\.duplicateExpressStartRate/);
    expect(() => parseFaultConfig({ stepFunctions: { duplicateRate: 0.1 } })).toThrow(/unknown field 'duplicateRate'/);
  });
});

describe('execution logs', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve();
  });

  beforeEach(() => {
    served.script = async () => succeed({ charged: true });
  });

  it('writes every history event at level ALL, with inputs and outputs when IncludeExecutionData is true', async () => {
    // Prepare
    const before = Date.now();

    // Act
    const { executionArn = '' } = await start(served, 'Fast', { orderId: 'o-log' }, 'logged');
    await served.emulator.drain(5000);

    // Assess
    const records = recordsOf(served, 'Fast', executionArn);
    expect(records.map((record) => record.type)).toEqual([
      'ExecutionStarted',
      'PassStateEntered',
      'PassStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(records.map((record) => [record.id, record.previous_event_id])).toEqual(records.map((_, i) => [String(i + 1), String(i)]));
    for (const record of records) {
      expect(Object.keys(record)).toEqual(['id', 'type', 'details', 'previous_event_id', 'event_timestamp', 'execution_arn']);
      expect(record.event_timestamp).toMatch(/^\d{13}$/);
      expect(Number(record.event_timestamp)).toBeGreaterThanOrEqual(before);
    }
    expect(records[0]?.details).toEqual({ input: JSON.stringify({ orderId: 'o-log' }), inputDetails: { truncated: false }, roleArn: ROLE_ARN });
    expect(records[4]?.details).toMatchObject({ resource: functionArn('Charge'), input: JSON.stringify({ orderId: 'o-log' }) });
    expect(records[5]?.details).toEqual({});
    expect(records.at(-1)?.details).toEqual({ output: JSON.stringify({ charged: true }), outputDetails: { truncated: false } });
  });

  it('writes only error events at level ERROR, only execution failures at FATAL, and no data without IncludeExecutionData', async () => {
    // Prepare
    served.script = async () => functionError('CardDeclined', 'The card was declined');

    // Act
    const quiet = await start(served, 'Quiet', { orderId: 'o-err' }, 'declined');
    const fatal = await start(served, 'Fatal', { orderId: 'o-err' }, 'declined');
    await served.emulator.drain(5000);
    served.script = async () => succeed({ charged: true });
    const fine = await start(served, 'Quiet', { orderId: 'o-ok' }, 'fine');
    await served.emulator.drain(5000);

    // Assess
    const errors = recordsOf(served, 'Quiet', quiet.executionArn ?? '');
    expect(errors.map((record) => [record.id, record.type])).toEqual([
      ['7', 'LambdaFunctionFailed'],
      ['8', 'ExecutionFailed'],
    ]);
    expect(errors[0]?.details).toEqual({ error: 'CardDeclined', cause: JSON.stringify({ errorType: 'CardDeclined', errorMessage: 'The card was declined', trace: [] }) });
    expect(JSON.stringify(errors)).not.toContain('o-err');
    expect(recordsOf(served, 'Fatal', fatal.executionArn ?? '').map((record) => record.type)).toEqual(['ExecutionFailed']);
    expect(recordsOf(served, 'Quiet', fine.executionArn ?? '')).toEqual([]);
  });

  it('leaves the data out at level ALL without IncludeExecutionData, and logs Standard executions too', async () => {
    // Act
    const slow = await start(served, 'Slow', { secret: 's-1' }, 'no-data');
    const child = await start(served, 'Child', { secret: 's-2' }, 'standard-logged');
    await served.emulator.drain(6000);

    // Assess
    expect(recordsOf(served, 'Slow', slow.executionArn ?? '')[0]?.details).toEqual({ roleArn: ROLE_ARN });
    const standard = recordsOf(served, 'Child', child.executionArn ?? '');
    expect(child.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:Child:standard-logged`);
    expect(standard.map((record) => record.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    expect(JSON.stringify(recordsOf(served, 'Slow', slow.executionArn ?? ''))).not.toContain('s-1');
  });

  it('reads them back over the AWS protocol: FilterLogEvents (streams, pages) and GetLogEvents', async () => {
    // Prepare
    const first = await start(served, 'Fast', { orderId: 'o-f1' }, 'filtered-1');
    const second = await start(served, 'Fast', { orderId: 'o-f2' }, 'filtered-2');
    await served.emulator.drain(5000);
    const all: FilteredLogEvent[] = [];
    let nextToken: string | undefined;
    let pages = 0;

    // Act
    do {
      const page = await served.logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP, limit: 5, nextToken }));
      all.push(...(page.events ?? []));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken !== undefined);
    const ofFirst = all.filter((event) => (JSON.parse(event.message ?? '{}') as ExecutionLogRecord).execution_arn === first.executionArn);
    const stream = ofFirst[0]?.logStreamName ?? '';
    const byStream = await served.logs.send(new FilterLogEventsCommand({ logGroupIdentifier: LOG_GROUP_ARN, logStreamNames: [stream] }));
    const head = await served.logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream, startFromHead: true, limit: 2 }));
    const next = await served.logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: stream, nextToken: head.nextForwardToken, limit: 2 }));

    // Assess
    expect(all).toHaveLength(served.emulator.logs.events(LOG_GROUP).length);
    expect(pages).toBe(Math.ceil(all.length / 5));
    expect(ofFirst.map((event) => JSON.parse(event.message ?? '{}') as unknown)).toEqual(recordsOf(served, 'Fast', first.executionArn ?? ''));
    expect(stream).toMatch(/^states\/Fast\/\d{4}-\d\d-\d\d-\d\d-\d\d\/[0-9a-f]{8}$/);
    expect(byStream.events?.map((event) => event.message)).toEqual(ofFirst.map((event) => event.message));
    expect(byStream.events?.every((event) => event.timestamp === Number((JSON.parse(event.message ?? '{}') as ExecutionLogRecord).event_timestamp))).toBe(true);
    expect(JSON.stringify(byStream.events)).not.toContain(second.executionArn ?? 'missing');
    expect(head.events?.map((event) => event.message)).toEqual(ofFirst.slice(0, 2).map((event) => event.message));
    expect(next.events?.map((event) => event.message)).toEqual(ofFirst.slice(2, 4).map((event) => event.message));
    expect(ofFirst.map((event) => (JSON.parse(event.message ?? '{}') as ExecutionLogRecord).type).slice(0, 2)).toEqual(['ExecutionStarted', 'PassStateEntered']);
  });

  it('answers ResourceNotFoundException for an unknown group or stream, and refuses a filter pattern it cannot match', async () => {
    // Act
    const group = await rejection(served.logs.send(new FilterLogEventsCommand({ logGroupName: '/local/Nowhere' })));
    const stream = await rejection(served.logs.send(new GetLogEventsCommand({ logGroupName: LOG_GROUP, logStreamName: 'states/Fast/nothing' })));
    const pattern = await rejection(served.logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP, filterPattern: '{ $.type = "ExecutionFailed" }' })));
    const empty = await served.logs.send(new FilterLogEventsCommand({ logGroupName: LOG_GROUP, filterPattern: '', limit: 1 }));

    // Assess
    expect(group).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
    expect(stream).toMatchObject({ name: 'ResourceNotFoundException', message: 'The specified log stream does not exist.' });
    expect(pattern).toMatchObject({ name: 'InvalidParameterException', message: expect.stringMatching(/does not emulate CloudWatch Logs filter patterns/) });
    expect(empty.events).toHaveLength(1);
  });

  it('maps the two operations to the IAM actions the Service Authorization Reference gives', () => {
    expect(jsonApiAuthorizations('Logs_20140328.FilterLogEvents', { logGroupName: LOG_GROUP })).toEqual([{ action: 'logs:FilterLogEvents', resource: LOG_GROUP_ARN }]);
    expect(jsonApiAuthorizations('Logs_20140328.FilterLogEvents', { logGroupIdentifier: LOG_GROUP_ARN })).toEqual([{ action: 'logs:FilterLogEvents', resource: LOG_GROUP_ARN }]);
    expect(jsonApiAuthorizations('Logs_20140328.GetLogEvents', { logGroupName: LOG_GROUP, logStreamName: 's/1' })).toEqual([
      { action: 'logs:GetLogEvents', resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${LOG_GROUP}:log-stream:s/1` },
    ]);
  });

  it('refuses at start-up a logging destination that is not a log group of the template, or an ARN without :*', () => {
    const attempt = (arn: string) => () =>
      StepFunctionsEmulator.create([logGroup, express('Lost', pass, { LoggingConfiguration: { Level: 'ALL', Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: arn } }] } })], {});
    const where = 'LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn';
    expect(attempt(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/local/Elsewhere:*`)).toThrow(expect.objectContaining({ property: where, message: expect.stringMatching(/is not a log group of this template/) }));
    expect(attempt(LOG_GROUP_ARN.slice(0, -2))).toThrow(expect.objectContaining({ property: where, message: expect.stringMatching(/must end with :\*/) }));
    expect(() => StepFunctionsEmulator.create([express('Loud', pass, { LoggingConfiguration: { Level: 'LOUD' } })], {})).toThrow(expect.objectContaining({ property: 'LoggingConfiguration.Level' }));
    expect(() => StepFunctionsEmulator.create([express('Nowhere', pass, { LoggingConfiguration: { Level: 'ERROR' } })], {})).toThrow(expect.objectContaining({ property: 'LoggingConfiguration.Destinations' }));
    expect(StepFunctionsEmulator.create([express('Off', pass, { LoggingConfiguration: { Level: 'OFF' } })], {}).stateMachines()).toEqual([expect.not.objectContaining({ logGroupName: expect.anything() })]);
  });
});

describe('the local CloudWatch Logs, kept with --persist', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const persistDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cloudwatch-logs-'));
    dirs.push(dir);
    return dir;
  };
  const DAY_MS = 24 * 60 * 60 * 1000;

  it('reads the events back after a restart, skips a line a crash cut short, and drops what the retention expired', () => {
    // Prepare
    const dir = persistDir();
    const now = Date.now();
    const first = CloudWatchLogs.create([logGroup], { persistDir: dir });
    first.putLogEvents(LOG_GROUP, 'states/Fast/a', [
      { timestamp: now - 31 * DAY_MS, message: 'expired' },
      { timestamp: now - 1000, message: 'kept-1' },
    ]);
    first.putLogEvents(LOG_GROUP, 'states/Fast/b', [{ timestamp: now, message: 'kept-2' }]);
    const [file = ''] = readdirSync(path.join(dir, 'cloudwatch-logs'));
    appendFileSync(path.join(dir, 'cloudwatch-logs', file), '{"s":"states/Fast/b","t":');

    // Act
    const second = CloudWatchLogs.create([logGroup], { persistDir: dir });
    const third = CloudWatchLogs.create([logGroup], { persistDir: dir });

    // Assess
    expect(first.events(LOG_GROUP).map((event) => event.message)).toEqual(['expired', 'kept-1', 'kept-2']);
    expect(second.events(LOG_GROUP).map((event) => [event.logStreamName, event.message])).toEqual([
      ['states/Fast/a', 'kept-1'],
      ['states/Fast/b', 'kept-2'],
    ]);
    expect(third.events(LOG_GROUP).map((event) => event.message)).toEqual(['kept-1', 'kept-2']);
    expect(new Set(second.events(LOG_GROUP).map((event) => event.eventId)).size).toBe(2);
    expect(() => second.putLogEvents('/local/Nowhere', 's', [{ timestamp: now, message: 'x' }])).toThrow(/No log group \/local\/Nowhere/);
  });

  it('keeps at most maxEventsPerGroup events in memory, the newest', () => {
    // Prepare
    const logs = CloudWatchLogs.create([logGroup], { maxEventsPerGroup: 2 });
    const warned = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);

    // Act
    logs.putLogEvents(LOG_GROUP, 's', [1, 2, 3].map((n) => ({ timestamp: n, message: String(n) })));
    logs.putLogEvents(LOG_GROUP, 's', [{ timestamp: 4, message: '4' }]);
    const warnings = warned.mock.calls.length;
    warned.mockRestore();

    // Assess
    expect(logs.events(LOG_GROUP).map((event) => event.message)).toEqual(['3', '4']);
    expect(warnings).toBe(1);
  });
});

describe('the states:startExecution integration', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve();
  });

  const outputOf = async (executionArn: string): Promise<Record<string, unknown>> => {
    const described = await served.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    return JSON.parse(described.output ?? '{}') as Record<string, unknown>;
  };

  it("starts the child and answers StartExecution's response as the Java SDK gives it", async () => {
    // Prepare
    const before = Date.now();

    // Act
    const { executionArn = '' } = await start(served, 'Parent', { childName: 'child-1' }, 'parent-1');
    await served.emulator.drain(5000);

    // Assess
    const output = await outputOf(executionArn);
    const childArn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Child:child-1`;
    expect(output).toEqual({
      ExecutionArn: childArn,
      SdkHttpMetadata: expect.objectContaining({ HttpStatusCode: 200, HttpHeaders: expect.objectContaining({ 'Content-Type': 'application/x-amz-json-1.0' }) }),
      SdkResponseMetadata: { RequestId: expect.stringMatching(new RegExp(`^${UUID}$`)) },
      StartDate: expect.any(Number),
    });
    expect(output.StartDate).toBeGreaterThanOrEqual(before);
    const child = await served.sfn.send(new DescribeExecutionCommand({ executionArn: childArn }));
    expect(child).toMatchObject({ status: 'SUCCEEDED', input: JSON.stringify({ parent: executionArn, note: 'hi' }) });
    const history = (await served.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
    expect(history.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails).toMatchObject({ resourceType: 'states', resource: 'startExecution', region: REGION });
  });

  it('fails the task with StepFunctions.ExecutionAlreadyExistsException when the name is taken, which a Catch catches', async () => {
    // Prepare
    const first = await start(served, 'Parent', { childName: 'child-2' }, 'parent-2a');
    await served.emulator.drain(5000);

    // Act
    const second = await start(served, 'Parent', { childName: 'child-2' }, 'parent-2b');
    await served.emulator.drain(5000);

    // Assess
    expect((await outputOf(first.executionArn ?? '')).ExecutionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:Child:child-2`);
    const caught = await outputOf(second.executionArn ?? '');
    expect(caught).toEqual({
      childName: 'child-2',
      error: {
        Error: 'StepFunctions.ExecutionAlreadyExistsException',
        Cause: expect.stringMatching(/^Execution Already Exists: '.*:execution:Child:child-2' \(Service: AWSStepFunctions; Status Code: 400; Error Code: ExecutionAlreadyExists; Request ID: .*; Proxy: null\)$/),
      },
    });
  });

  it('starts an Express child asynchronously, from Input given as JSON text', async () => {
    // Act
    const { executionArn = '' } = await start(served, 'ParentOfExpress', {}, 'parent-3');
    await served.emulator.drain(5000);

    // Assess
    const output = await outputOf(executionArn);
    expect(output.ExecutionArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:Fast:${UUID}:${UUID}$`));
    expect(served.hops.find((hop) => hop.executionArn === output.ExecutionArn && hop.kind === 'execution-succeeded')).toBeDefined();
    expect(served.invoked.at(-1)?.payload).toEqual({ orderId: 'o-9' });
  });

  it("checks states:StartExecution on the target with the calling state machine's role, and fails the task on a denial", async () => {
    // Prepare
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/ParentRole`;
    const guarded: LocalResource[] = [
      {
        logicalId: 'ParentRole',
        type: 'AWS::IAM::Role',
        properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
        ref: 'ParentRole',
        arn: roleArn,
      },
      {
        logicalId: 'ParentPolicy',
        type: 'AWS::IAM::Policy',
        properties: { PolicyName: 'ParentPolicy', Roles: ['ParentRole'], PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'states:StartExecution', Resource: machineArn('Child') }] } },
        ref: 'ParentPolicy',
      },
      stateMachine('Child', pass, { RoleArn: roleArn }),
      stateMachine('Other', pass, { RoleArn: roleArn }),
      stateMachine('Allowed', parent('Child'), { RoleArn: roleArn }),
      stateMachine('Denied', parent('Other'), { RoleArn: roleArn }),
    ];
    const iam = LocalIam.create(guarded);
    const guardedServed = await serve({}, { iam }, guarded);

    // Act
    const allowed = await start(guardedServed, 'Allowed', {}, 'allowed');
    const denied = await start(guardedServed, 'Denied', {}, 'denied');
    await guardedServed.emulator.drain(5000);

    // Assess
    expect((await guardedServed.sfn.send(new DescribeExecutionCommand({ executionArn: allowed.executionArn }))).status).toBe('SUCCEEDED');
    const failed = await guardedServed.sfn.send(new DescribeExecutionCommand({ executionArn: denied.executionArn }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'StepFunctions.AWSStepFunctionsException' });
    expect(failed.cause).toMatch(
      new RegExp(`is not authorized to perform: states:StartExecution on resource: ${machineArn('Other')} .*\\(Service: AWSStepFunctions; Status Code: 400; Error Code: AccessDeniedException;`),
    );
    expect(guardedServed.hops.filter((hop) => hop.kind === 'execution-started').map((hop) => hop.stateMachine).sort()).toEqual(['Allowed', 'Child', 'Denied']);
  });

  it('refuses at start-up what it cannot run: no StateMachineArn, a parameter it does not pass, .sync, no startExecution in the engine', () => {
    const refused = (definition: unknown) => () => StepFunctionsEmulator.create([stateMachine('Refused', definition)], {});
    const one = (state: unknown) => ({ StartAt: 'Start', States: { Start: { ...(state as object), End: true } } });
    expect(refused(one({ Type: 'Task', Resource: 'arn:aws:states:::states:startExecution', Parameters: { Input: {} } }))).toThrow(
      expect.objectContaining({ property: 'DefinitionString.States.Start.Parameters.StateMachineArn' }),
    );
    expect(refused(one(startTask('Child', { TraceHeader: 'x' })))).toThrow(expect.objectContaining({ property: 'DefinitionString.States.Start.Parameters.TraceHeader' }));
    expect(refused(one({ ...startTask('Child'), Resource: 'arn:aws:states:::states:startExecution.sync' }))).toThrow(/the \.sync \(start and wait for the child execution\) pattern of states:startExecution is not emulated/);
    expect(() => new StepFunctionsEngine(one(startTask('Child')), {}, { stateMachineArn: machineArn('Bare') })).toThrow(UnsupportedFeatureError);
    expect(() => new StepFunctionsEngine(one(startTask('Child')), {}, { stateMachineArn: machineArn('Bare') })).toThrow(/a states:startExecution task, but the engine was given no startExecution/);
  });
});
