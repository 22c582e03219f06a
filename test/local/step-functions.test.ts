import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Template } from '../../local/assembly/cloud-assembly';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { UnsupportedFeatureError } from '../../local/errors';
import { FunctionNotFoundError } from '../../local/lambda/lambda-runtime';
import { LambdaThrottledError } from '../../local/lambda/limits';
import type { LocalResource } from '../../local/resources';
import type { EventEntry, FunctionInvocation } from '../../local/stepfunctions/engine';
import { PersistedExecutionError } from '../../local/stepfunctions/execution-store';
import { StepFunctionsEmulator, type StepFunctionsDeps, type StepFunctionsHop, type StepFunctionsOptions } from '../../local/stepfunctions/state-machines';
import { buildTemplateModel } from '../../local/template-model';
import { ORDER_ID, orderPlacedDetail } from '../fixtures/events';
import { synthesizeSagaStack, type SagaFunction } from '../saga/support/definition';
import { createTestTable, scanAll, testDocumentClient, testDynamoDbClient } from '../support/dynamodb';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/StatesRole`;
const machineArn = (id: string): string => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
const functionArn = (id: string): string => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`;
const ISO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A state machine resource as the template model hands it over (intrinsics resolved). */
const stateMachine = (logicalId: string, definition: unknown, properties: Record<string, unknown> = {}): LocalResource => ({
  logicalId,
  type: 'AWS::StepFunctions::StateMachine',
  properties: { DefinitionString: typeof definition === 'string' ? definition : JSON.stringify(definition), RoleArn: ROLE_ARN, ...properties },
  ref: machineArn(logicalId),
  arn: machineArn(logicalId),
});

const succeed = (payload: unknown): FunctionInvocation => ({ ok: true, payload });
const functionError = (errorType: string, errorMessage: string, trace: string[] = []): FunctionInvocation => ({ ok: false, error: { errorType, errorMessage, trace } });
const acceptAll = (entries: readonly EventEntry[]) => ({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `evt-${i}` })) });

/** A promise a test resolves when it wants a task to finish. */
const gate = (): { readonly opened: Promise<void>; readonly open: () => void } => {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
};

interface Served {
  readonly client: SFNClient;
  readonly emulator: StepFunctionsEmulator;
}

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

/** The emulator behind a real AwsEndpoint, with an SDK client pointed at it. */
const serve = async (resources: readonly LocalResource[], deps: StepFunctionsDeps, options: StepFunctionsOptions = {}): Promise<Served> => {
  const emulator = StepFunctionsEmulator.create(resources, deps, options);
  const endpoint = new AwsEndpoint();
  emulator.registerOn(endpoint);
  const client = new SFNClient({ endpoint: await endpoint.listen(), region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  closers.push(async () => {
    client.destroy();
    emulator.close();
    await emulator.drain(2000);
    await endpoint.close();
  });
  return { client, emulator };
};

const run = async ({ client, emulator }: Served, stateMachineArn: string, input: unknown, name?: string) => {
  const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), name }));
  expect(await emulator.drain(5000)).toBe(true);
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  return { ...described, executionArn: executionArn ?? '', result: described.output === undefined ? undefined : (JSON.parse(described.output) as unknown) };
};

const historyOf = async (client: SFNClient, executionArn: string): Promise<HistoryEvent[]> =>
  (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

const jsonOf = (text: string | undefined): unknown => JSON.parse(text ?? 'null');

/** Polls DescribeExecution until the execution has ended (its task calls may still be running). */
const ended = async (client: SFNClient, executionArn: string) => {
  for (let i = 0; i < 300; i += 1) {
    const described = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING') return described;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${executionArn} is still running`);
};

describe('the synthesized order saga on the local Step Functions', () => {
  const synthesized = synthesizeSagaStack();
  const model = buildTemplateModel('SagaTest', synthesized.template.toJSON() as Template, { apiUrl: 'http://127.0.0.1:1' });
  const sagaArn = machineArn(synthesized.stateMachineId);
  const functionOf = new Map(Object.entries(synthesized.functionIds).map(([saga, logicalId]) => [functionArn(logicalId), saga as SagaFunction]));
  const invocations: Array<{ readonly fn: SagaFunction; readonly payload: unknown }> = [];
  const published: EventEntry[] = [];
  const hops: StepFunctionsHop[] = [];
  let script: Partial<Record<SagaFunction, (attempt: number) => FunctionInvocation>> = {};
  let served: Served;

  beforeAll(async () => {
    served = await serve(
      model.resources,
      {
        invokeFunction: async (name, payload) => {
          const fn = functionOf.get(name);
          if (fn === undefined) throw new FunctionNotFoundError(name);
          invocations.push({ fn, payload });
          const attempt = invocations.filter((call) => call.fn === fn).length;
          return script[fn]?.(attempt) ?? succeed({ paymentId: 'pay-1', status: 'CAPTURED', shipmentId: 'shp-1', reservedAt: '2026-03-01T12:00:01.000Z' });
        },
        putEvents: (entries) => {
          published.push(...entries);
          return acceptAll(entries);
        },
      },
      { retryIntervalScale: 0.01, onHop: (hop) => hops.push(hop) },
    );
  });

  beforeEach(() => {
    invocations.length = 0;
    published.length = 0;
    hops.length = 0;
    script = {};
  });

  it('runs an execution started through the API, and describes it', async () => {
    // Act
    const execution = await run(served, sagaArn, orderPlacedDetail, 'order-1');

    // Assess
    expect(execution.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:${synthesized.stateMachineId}:order-1`);
    expect(execution).toMatchObject({ status: 'SUCCEEDED', name: 'order-1', stateMachineArn: sagaArn, input: JSON.stringify(orderPlacedDetail) });
    expect(execution.stopDate?.getTime()).toBeGreaterThanOrEqual(execution.startDate?.getTime() ?? Infinity);
    expect(execution.result).toMatchObject({ results: { payment: { paymentId: 'pay-1' }, shipment: { shipmentId: 'shp-1' } } });
    expect(invocations.map((call) => call.fn)).toEqual(['reserveInventory', 'chargePayment', 'createShipment']);
    expect(invocations[0]?.payload).toMatchObject({ orderId: ORDER_ID, executionId: execution.executionArn, correlationId: 'corr-1234' });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      Source: 'shop.orders',
      DetailType: 'OrderConfirmed',
      EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${String(model.resources.find((r) => r.logicalId === synthesized.busId)?.ref)}`,
      Resources: [execution.executionArn, sagaArn],
    });
    expect(JSON.parse(published[0]?.Detail ?? '')).toMatchObject({ metadata: { correlationId: 'corr-1234', occurredAt: expect.stringMatching(ISO_TIME) }, data: { orderId: ORDER_ID } });
  });

  it("gives the history in AWS's shape: Lambda function events, the putEvents task, ids in order", async () => {
    // Prepare
    const { executionArn } = await run(served, sagaArn, orderPlacedDetail, 'order-history');

    // Act
    const history = await historyOf(served.client, executionArn);

    // Assess
    const lambdaStep = ['TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited'];
    expect(history.map((event) => event.type)).toEqual([
      'ExecutionStarted',
      ...lambdaStep,
      ...lambdaStep,
      ...lambdaStep,
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history.map((event) => [event.id, event.previousEventId])).toEqual(history.map((_, i) => [i + 1, i]));
    expect(history[0]?.executionStartedEventDetails).toEqual({
      input: JSON.stringify(orderPlacedDetail),
      inputDetails: { truncated: false },
      roleArn: `arn:aws:iam::${ACCOUNT}:role/${synthesized.stateMachineRoleId}`,
    });
    expect(history[1]?.stateEnteredEventDetails?.name).toBe('ReserveInventory');
    expect(history[2]?.lambdaFunctionScheduledEventDetails).toMatchObject({ resource: functionArn(synthesized.functionIds.reserveInventory), inputDetails: { truncated: false } });
    expect(jsonOf(history[2]?.lambdaFunctionScheduledEventDetails?.input)).toMatchObject({ orderId: ORDER_ID, executionId: executionArn });
    const scheduled = history.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'events', resource: 'putEvents', region: REGION });
    expect(jsonOf(scheduled?.parameters)).toMatchObject({ Entries: [{ DetailType: 'OrderConfirmed', Detail: { data: { orderId: ORDER_ID } } }] });
    expect(jsonOf(history.find((event) => event.type === 'TaskSucceeded')?.taskSucceededEventDetails?.output)).toEqual({ Entries: [{ EventId: 'evt-0' }], FailedEntryCount: 0 });
    expect(history.every((event) => event.timestamp instanceof Date)).toBe(true);
  });

  it('shows a declined card as a failed function and the catch path, and marks the compensations on the hops', async () => {
    // Prepare
    script.chargePayment = () => functionError('PaymentDeclinedError', 'The card was declined');

    // Act
    const execution = await run(served, sagaArn, orderPlacedDetail, 'order-declined');
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const failed = history.findIndex((event) => event.type === 'LambdaFunctionFailed');
    expect(history[failed]?.lambdaFunctionFailedEventDetails).toEqual({
      error: 'PaymentDeclinedError',
      cause: JSON.stringify({ errorType: 'PaymentDeclinedError', errorMessage: 'The card was declined', trace: [] }),
    });
    expect(history[failed + 1]?.type).toBe('TaskStateExited');
    expect(history[failed + 2]).toMatchObject({ type: 'PassStateEntered', stateEnteredEventDetails: { name: 'PaymentDeclined' } });
    expect(hops.filter((hop) => hop.kind === 'state-entered').map((hop) => [hop.state, hop.compensating])).toEqual([
      ['ReserveInventory', false],
      ['ChargePayment', false],
      ['PaymentDeclined', true],
      ['ReleaseInventory', true],
      ['PublishOrderCancelled', true],
    ]);
    expect(hops.find((hop) => hop.kind === 'state-caught')).toMatchObject({ state: 'ChargePayment', error: 'PaymentDeclinedError', next: 'PaymentDeclined' });
    expect(hops.filter((hop) => hop.kind === 'state-succeeded').map((hop) => hop.state)).not.toContain('ChargePayment');
    expect(hops.map((hop) => hop.kind).at(0)).toBe('execution-started');
    expect(hops.map((hop) => hop.kind).at(-1)).toBe('execution-succeeded');
    expect(new Set(hops.map((hop) => hop.correlationId))).toEqual(new Set(['corr-1234']));
    expect(new Set(hops.map((hop) => hop.stateMachine))).toEqual(new Set([synthesized.stateMachineId]));
  });

  it('retries a transient failure after its backoff and shows every attempt', async () => {
    // Prepare
    script.reserveInventory = (attempt) => (attempt === 1 ? functionError('TransientError', 'inventory table throttled') : succeed({ reservedAt: '2026-03-01T12:00:01.000Z' }));

    // Act
    const execution = await run(served, sagaArn, orderPlacedDetail, 'order-retried');
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(history.slice(1, 8).map((event) => event.type)).toEqual([
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
    ]);
    expect(hops.filter((hop) => hop.state === 'ReserveInventory').map((hop) => [hop.kind, hop.error, hop.retryCount])).toEqual([
      ['state-entered', undefined, undefined],
      ['state-failed', 'TransientError', undefined],
      ['state-retried', 'TransientError', 1],
      ['state-succeeded', undefined, undefined],
    ]);
  });

  it('describes the state machine with its logging configuration (emulated) and tracing configuration (accepted, not emulated)', async () => {
    // Act
    const described = await served.client.send(new DescribeStateMachineCommand({ stateMachineArn: sagaArn }));

    // Assess
    expect(described).toMatchObject({ name: synthesized.stateMachineId, type: 'STANDARD', status: 'ACTIVE', tracingConfiguration: { enabled: true } });
    expect(described.loggingConfiguration).toMatchObject({ level: 'ERROR', includeExecutionData: false });
    expect(JSON.parse(described.definition ?? '{}')).toMatchObject({ StartAt: 'ReserveInventory' });
    expect(served.emulator.notEnforced).toEqual([expect.stringMatching(/TracingConfiguration accepted, not emulated/)]);
    expect(served.emulator.stateMachines()).toEqual([expect.objectContaining({ arn: sagaArn, type: 'STANDARD', logGroupName: expect.stringMatching(/^\/local\//) })]);
  });
});

describe('definitions the local Step Functions refuses', () => {
  const deps: StepFunctionsDeps = { invokeFunction: async () => succeed({}), putEvents: acceptAll };
  const task = (resource: string, extra: Record<string, unknown> = {}) => ({ Type: 'Task', Resource: resource, End: true, ...extra });
  const only = (name: string, state: unknown) => ({ StartAt: name, States: { [name]: state } });

  const cases: ReadonlyArray<readonly [string, unknown, string, RegExp]> = [
    [
      'QueryLanguage JSONata on the state machine',
      { QueryLanguage: 'JSONata', ...only('Start', { Type: 'Pass', End: true }) },
      'DefinitionString.QueryLanguage',
      /the state machine: QueryLanguage JSONata/,
    ],
    ['QueryLanguage JSONata on a state', only('Transform', { Type: 'Pass', QueryLanguage: 'JSONata', End: true }), 'DefinitionString.States.Transform.QueryLanguage', /state Transform: QueryLanguage JSONata/],
    ['JSONata Arguments', only('Call', task(functionArn('Fn'), { Arguments: { orderId: '{% $states.input.orderId %}' } })), 'DefinitionString.States.Call.Arguments', /state Call: JSONata \(Arguments\)/],
    ['JSONata Output', only('Shape', { Type: 'Pass', Output: '{% $states.input %}', End: true }), 'DefinitionString.States.Shape.Output', /state Shape: JSONata \(Output\)/],
    ['workflow variables', only('Remember', { Type: 'Pass', Assign: { orderId: '$.orderId' }, End: true }), 'DefinitionString.States.Remember.Assign', /state Remember: workflow variables/],
    [
      'an integration without a local adapter',
      only('Notify', task('arn:aws:states:::sqs:sendMessage', { Parameters: { QueueUrl: 'q', MessageBody: 'hi' } })),
      'DefinitionString.States.Notify.Resource',
      /state Notify: no local adapter for arn:aws:states:::sqs:sendMessage/,
    ],
    ['an AWS SDK integration', only('Fetch', task('arn:aws:states:::aws-sdk:s3:getObject', { Parameters: { Bucket: 'b', Key: 'k' } })), 'DefinitionString.States.Fetch.Resource', /state Fetch: AWS SDK integrations/],
    [
      'a callback task',
      only('Review', task('arn:aws:states:::lambda:invoke.waitForTaskToken', { Parameters: { FunctionName: functionArn('Fn'), Payload: { 'token.$': '$$.Task.Token' } } })),
      'DefinitionString.States.Review',
      /state Review: task tokens/,
    ],
    ['a .waitForTaskToken integration', only('Wait', task('arn:aws:states:::lambda:invoke.waitForTaskToken', { Parameters: { FunctionName: functionArn('Fn') } })), 'DefinitionString.States.Wait.Resource', /state Wait: .*waitForTaskToken/],
    ['a .sync integration', only('Child', task('arn:aws:states:::states:startExecution.sync:2', { Parameters: { StateMachineArn: machineArn('Child') } })), 'DefinitionString.States.Child.Resource', /state Child: the \.sync/],
    ['an activity', only('Approve', task(`arn:aws:states:${REGION}:${ACCOUNT}:activity:Approve`)), 'DefinitionString.States.Approve.Resource', /state Approve: activities are not emulated/],
    ['a heartbeat', only('Beat', task(functionArn('Fn'), { HeartbeatSeconds: 10 })), 'DefinitionString.States.Beat.HeartbeatSeconds', /state Beat: heartbeats/],
    [
      'a lambda:invoke parameter the adapter would ignore',
      only('Call', task('arn:aws:states:::lambda:invoke', { Parameters: { FunctionName: functionArn('Fn'), Qualifier: 'prod' } })),
      'DefinitionString.States.Call.Parameters.Qualifier',
      /state Call: not a parameter the local integration supports/,
    ],
    [
      'a distributed Map nested in a Parallel branch',
      only('Fan', {
        Type: 'Parallel',
        End: true,
        Branches: [
          only('Each', {
            Type: 'Map',
            End: true,
            ItemReader: { Resource: 'arn:aws:states:::s3:getObject', Parameters: { Bucket: 'b', Key: 'k' } },
            ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, ...only('Work', { Type: 'Pass', End: true }) },
          }),
        ],
      }),
      'DefinitionString.States.Fan.Branches[0].States.Each.ItemReader',
      /state Each: distributed Map \(ItemReader\)/,
    ],
    [
      'an unknown integration inside a Map iterator',
      only('Each', { Type: 'Map', End: true, ItemProcessor: only('Send', task('arn:aws:states:::sns:publish', { Parameters: { TopicArn: 't', Message: 'm' } })) }),
      'DefinitionString.States.Each.ItemProcessor.States.Send.Resource',
      /state Send: no local adapter/,
    ],
    [
      '$$.Execution.Input inside a Parallel branch',
      only('Fan', { Type: 'Parallel', End: true, Branches: [only('Copy', { Type: 'Pass', Parameters: { 'order.$': '$$.Execution.Input' }, End: true })] }),
      'DefinitionString.States.Fan.Branches[0].States.Copy',
      /state Copy: inside a Parallel branch or Map iterator/,
    ],
    ['a context field the engine does not give', only('Count', { Type: 'Pass', Parameters: { 'retries.$': '$$.State.RetryCount' }, End: true }), 'DefinitionString.States.Count', /state Count: \$\$\.State\.RetryCount is not provided/],
  ];

  it.each(cases)('refuses %s, naming the state', (_what, definition, property, message) => {
    // Act
    const attempt = () => StepFunctionsEmulator.create([stateMachine('Refused', definition)], deps);

    // Assess
    expect(attempt).toThrow(UnsupportedFeatureError);
    expect(attempt).toThrow(expect.objectContaining({ logicalId: 'Refused', resourceType: 'AWS::StepFunctions::StateMachine', property }));
    expect(attempt).toThrow(message);
  });

  it('refuses an unknown state machine type and definitions kept in S3', () => {
    const definition = only('Start', { Type: 'Pass', End: true });
    expect(() => StepFunctionsEmulator.create([stateMachine('Fast', definition, { StateMachineType: 'SPEEDY' })], deps)).toThrow(
      expect.objectContaining({ logicalId: 'Fast', property: 'StateMachineType', message: expect.stringMatching(/unknown type "SPEEDY"/) }),
    );
    expect(() => StepFunctionsEmulator.create([stateMachine('Remote', definition, { DefinitionS3Location: { Bucket: 'b', Key: 'k' } })], deps)).toThrow(
      expect.objectContaining({ logicalId: 'Remote', property: 'DefinitionS3Location' }),
    );
  });

  it('refuses a Lambda task when the local cloud gives no invoker', () => {
    expect(() => StepFunctionsEmulator.create([stateMachine('NoInvoker', only('Call', task(functionArn('Fn'))))], { putEvents: acceptAll })).toThrow(
      expect.objectContaining({ property: 'DefinitionString.States.Call.Resource', message: expect.stringMatching(/state Call: a Lambda task, but the engine was given no invokeFunction/) }),
    );
  });
});

describe('service integrations', () => {
  const invoked: Array<{ readonly name: string; readonly payload: unknown }> = [];
  let served: Served;
  const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }];
  const caught = { Type: 'Pass', End: true };

  beforeAll(async () => {
    served = await serve(
      [
        stateMachine('Invoke', {
          StartAt: 'Double',
          States: { Double: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: functionArn('Doubler'), 'Payload.$': '$' }, Catch: catchAll, End: true }, Caught: caught },
        }),
        stateMachine(
          'Substituted',
          '{"StartAt":"Double","States":{"Double":{"Type":"Task","Resource":"${DoublerArn}","End":true}}}',
          { DefinitionSubstitutions: { DoublerArn: functionArn('Doubler') } },
        ),
        stateMachine('Nested', {
          StartAt: 'Fan',
          States: {
            Fan: {
              Type: 'Parallel',
              End: true,
              Branches: [
                {
                  StartAt: 'DoubleOne',
                  States: {
                    DoubleOne: {
                      Type: 'Task',
                      Resource: 'arn:aws:states:::lambda:invoke',
                      Parameters: { FunctionName: functionArn('Doubler'), 'Payload.$': '$.single' },
                      ResultSelector: { 'doubled.$': '$.Payload.doubled' },
                      End: true,
                    },
                  },
                },
                {
                  StartAt: 'Each',
                  States: {
                    Each: {
                      Type: 'Map',
                      ItemsPath: '$.numbers',
                      ItemSelector: { 'n.$': '$$.Map.Item.Value' },
                      MaxConcurrency: 1,
                      ItemProcessor: { StartAt: 'DoubleEach', States: { DoubleEach: { Type: 'Task', Resource: functionArn('Doubler'), End: true } } },
                      End: true,
                    },
                  },
                },
              ],
            },
          },
        }),
        stateMachine('Ghost', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('Ghost'), Catch: catchAll, End: true }, Caught: caught } }),
        stateMachine('Context', {
          StartAt: 'Inspect',
          States: {
            Inspect: {
              Type: 'Pass',
              Parameters: {
                'id.$': '$$.Execution.Id',
                'name.$': '$$.Execution.Name',
                'role.$': '$$.Execution.RoleArn',
                'started.$': '$$.Execution.StartTime',
                'input.$': '$$.Execution.Input',
                'machine.$': '$$.StateMachine.Id',
                'machineName.$': '$$.StateMachine.Name',
                'state.$': '$$.State.Name',
                'entered.$': '$$.State.EnteredTime',
              },
              End: true,
            },
          },
        }),
      ],
      {
        invokeFunction: async (name, payload) => {
          invoked.push({ name, payload });
          if (name !== functionArn('Doubler')) throw new FunctionNotFoundError(name);
          if ((payload as { throttle?: boolean }).throttle === true) throw new LambdaThrottledError('Doubler', 'ReservedFunctionConcurrentInvocationLimitExceeded');
          const { n, fail } = payload as { n?: number; fail?: boolean };
          return fail === true ? functionError('TransientError', 'nope', ['at double (index.mjs:1)']) : succeed({ doubled: (n ?? 0) * 2 });
        },
      },
    );
  });

  beforeEach(() => {
    invoked.length = 0;
  });

  it("wraps a lambda:invoke result as AWS does and records the task in AWS's terms", async () => {
    // Act
    const execution = await run(served, machineArn('Invoke'), { n: 21 });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(invoked).toEqual([{ name: functionArn('Doubler'), payload: { n: 21 } }]);
    expect(execution.result).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { doubled: 42 },
      StatusCode: 200,
      SdkHttpMetadata: {
        HttpStatusCode: 200,
        HttpHeaders: expect.objectContaining({ 'X-Amz-Executed-Version': '$LATEST', 'Content-Type': 'application/json', 'Content-Length': String(JSON.stringify({ doubled: 42 }).length) }),
        AllHttpHeaders: expect.objectContaining({ 'X-Amz-Executed-Version': ['$LATEST'] }),
      },
      SdkResponseMetadata: { RequestId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const scheduled = history.find((event) => event.type === 'TaskScheduled')?.taskScheduledEventDetails;
    expect(scheduled).toMatchObject({ resourceType: 'lambda', resource: 'invoke', region: REGION });
    expect(jsonOf(scheduled?.parameters)).toEqual({ FunctionName: functionArn('Doubler'), Payload: { n: 21 } });
    expect(history.map((event) => event.type)).toContain('TaskSucceeded');
  });

  it('fails a lambda:invoke task with the function error type and its error document as the cause', async () => {
    // Act
    const execution = await run(served, machineArn('Invoke'), { fail: true });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    const cause = JSON.stringify({ errorType: 'TransientError', errorMessage: 'nope', trace: ['at double (index.mjs:1)'] });
    expect(execution.result).toMatchObject({ error: { Error: 'TransientError', Cause: cause } });
    expect(history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'TransientError', cause });
  });

  it('applies DefinitionSubstitutions and names a missing function Lambda.ResourceNotFoundException', async () => {
    // Act
    const substituted = await run(served, machineArn('Substituted'), { n: 5 });
    const missing = await run(served, machineArn('Ghost'), {});

    // Assess
    expect(substituted.result).toEqual({ doubled: 10 });
    expect(invoked.map((call) => call.name)).toEqual([functionArn('Doubler'), functionArn('Ghost')]);
    expect(missing.result).toMatchObject({
      error: {
        Error: 'Lambda.ResourceNotFoundException',
        Cause: expect.stringMatching(/^Function not found: arn:aws:lambda:.*:function:Ghost \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: .+; Proxy: null\)$/),
      },
    });
  });

  it('fails a lambda:invoke task that Lambda throttles with Lambda.TooManyRequestsException', async () => {
    const throttled = await run(served, machineArn('Invoke'), { throttle: true });
    expect(throttled.result).toMatchObject({
      error: {
        Error: 'Lambda.TooManyRequestsException',
        Cause: expect.stringMatching(/^Rate Exceeded\. \(Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: .+; Proxy: null\)$/),
      },
    });
  });

  it('runs the Task states of Parallel branches and Map iterations, and logs them in the history', async () => {
    // Act
    const execution = await run(served, machineArn('Nested'), { single: { n: 4 }, numbers: [1, 2, 3] });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution.result).toEqual([{ doubled: 8 }, [{ doubled: 2 }, { doubled: 4 }, { doubled: 6 }]]);
    expect(invoked.map((call) => call.payload)).toEqual(expect.arrayContaining([{ n: 4 }, { n: 1 }, { n: 2 }, { n: 3 }]));
    const types = history.map((event) => event.type);
    expect(types.slice(0, 3)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted']);
    expect(types.slice(-3)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'ExecutionSucceeded']);
    expect(types.filter((type) => type === 'MapIterationSucceeded')).toHaveLength(3);
    expect(types.filter((type) => type === 'LambdaFunctionSucceeded')).toHaveLength(3);
    expect(history.find((event) => event.type === 'MapIterationStarted')?.mapIterationStartedEventDetails).toEqual({ name: 'Each', index: 0 });
  });

  it('gives the context object: execution, state machine, state name and entered time', async () => {
    // Act
    const execution = await run(served, machineArn('Context'), { hello: 'world' }, 'ctx-1');

    // Assess
    expect(execution.result).toEqual({
      id: execution.executionArn,
      name: 'ctx-1',
      role: ROLE_ARN,
      started: expect.stringMatching(ISO_TIME),
      input: { hello: 'world' },
      machine: machineArn('Context'),
      machineName: 'Context',
      state: 'Inspect',
      entered: expect.stringMatching(ISO_TIME),
    });
    const { started, entered } = execution.result as { started: string; entered: string };
    expect(Date.parse(entered)).toBeGreaterThanOrEqual(Date.parse(started));
  });
});

describe('Lambda errors, named as Step Functions reports them', () => {
  let answer: () => Promise<FunctionInvocation> = async () => succeed({});
  let served: Served;
  const serviceError = (name: string, message: string, statusCode?: number): Error => Object.assign(new Error(message), { name, ...(statusCode !== undefined ? { statusCode } : {}) });
  const crash = (errorType: string, errorMessage: string): FunctionInvocation => ({ ok: false, error: { errorType, errorMessage, trace: [] } });

  beforeAll(async () => {
    served = await serve(
      [
        stateMachine('ByArn', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('Fn'), End: true } } }),
        stateMachine('ByInvoke', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: functionArn('Fn') }, End: true } } }),
      ],
      { invokeFunction: () => answer() },
    );
  });

  const timedOut = 'RequestId: 5f1c Error: Task timed out after 3.00 seconds';
  const cases: ReadonlyArray<readonly [string, string, () => Promise<FunctionInvocation>, string | RegExp]> = [
    ['a function error', 'PaymentDeclinedError', async () => functionError('PaymentDeclinedError', 'declined', ['at charge (index.mjs:3)']), JSON.stringify({ errorType: 'PaymentDeclinedError', errorMessage: 'declined', trace: ['at charge (index.mjs:3)'] })],
    ['a timeout', 'Sandbox.Timedout', async () => crash('Sandbox.Timedout', timedOut), JSON.stringify({ errorType: 'Sandbox.Timedout', errorMessage: timedOut })],
    ['an out-of-memory kill', 'Runtime.OutOfMemory', async () => crash('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed'), JSON.stringify({ errorType: 'Runtime.OutOfMemory', errorMessage: 'Runtime exited with error: signal: killed' })],
    ['a crashed runtime', 'Runtime.ExitError', async () => crash('Runtime.ExitError', 'Runtime exited with error: exit status 137'), JSON.stringify({ errorType: 'Runtime.ExitError', errorMessage: 'Runtime exited with error: exit status 137' })],
    ['an error document without an errorType', 'Lambda.Unknown', async () => crash('', 'something went wrong'), JSON.stringify({ errorMessage: 'something went wrong' })],
    ["Lambda's internal error", 'Lambda.ServiceException', async () => Promise.reject(serviceError('ServiceException', 'Internal error')), /^Internal error \(Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: .+; Proxy: null\)$/],
    ['throttling', 'Lambda.TooManyRequestsException', async () => Promise.reject(serviceError('TooManyRequestsException', 'Rate Exceeded.')), /^Rate Exceeded\. \(Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException;/],
    ['an error code Lambda does not model', 'Lambda.AWSLambdaException', async () => Promise.reject(serviceError('ThisIsNewException', 'new', 502)), /^new \(Service: AWSLambda; Status Code: 502; Error Code: ThisIsNewException;/],
    ['Lambda out of reach', 'Lambda.SdkClientException', async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9001')), 'Unable to execute HTTP request: connect ECONNREFUSED 127.0.0.1:9001'],
    ['a call that timed out on the client side', 'Lambda.ClientExecutionTimeoutException', async () => Promise.reject(serviceError('TimeoutError', 'The operation was aborted due to timeout')), /^Client execution did not complete before the specified timeout configuration/],
  ];

  it.each(cases)('reports %s as %s, for a function ARN and for lambda:invoke alike', async (_what, error, behaviour, cause) => {
    // Prepare
    answer = behaviour;

    // Act
    const byArn = await run(served, machineArn('ByArn'), {});
    const byInvoke = await run(served, machineArn('ByInvoke'), {});
    const arnHistory = await historyOf(served.client, byArn.executionArn);
    const invokeHistory = await historyOf(served.client, byInvoke.executionArn);

    // Assess
    const expected = { error, cause: typeof cause === 'string' ? cause : expect.stringMatching(cause) };
    expect(byArn).toMatchObject({ status: 'FAILED', ...expected });
    expect(byInvoke).toMatchObject({ status: 'FAILED', ...expected });
    expect(arnHistory.find((event) => event.type === 'LambdaFunctionFailed')?.lambdaFunctionFailedEventDetails).toEqual(expected);
    expect(invokeHistory.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', ...expected });
  });
});

describe('terminal errors: States.DataLimitExceeded and States.Runtime pass every Retry and Catch', () => {
  const KIB = 1024;
  const retryAll = [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 1, MaxAttempts: 2 }];
  const catchAll = [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }];
  const guarded = { Retry: retryAll, Catch: catchAll };
  const caught = { Type: 'Pass', End: true };
  const invoked: string[] = [];
  const hops: StepFunctionsHop[] = [];
  let served: Served;

  beforeAll(async () => {
    served = await serve(
      [
        stateMachine('BigResult', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('Big'), ...guarded, End: true }, Caught: caught } }),
        stateMachine('BigInvokeResult', {
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: functionArn('Big'), 'Payload.$': '$' }, ...guarded, End: true }, Caught: caught },
        }),
        stateMachine('BigOutput', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('Half'), ResultPath: '$.second', ...guarded, End: true }, Caught: caught } }),
        stateMachine('BigInput', {
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: functionArn('Echo'), Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, ...guarded, End: true }, Caught: caught },
        }),
        stateMachine('BigBranchInput', {
          StartAt: 'Fan',
          States: {
            Fan: { Type: 'Parallel', Parameters: { 'a.$': '$.blob', 'b.$': '$.blob' }, Branches: [{ StartAt: 'Noop', States: { Noop: { Type: 'Pass', End: true } } }], ...guarded, End: true },
            Caught: caught,
          },
        }),
        stateMachine('BadFunctionName', {
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.fn' }, ...guarded, End: true }, Caught: caught },
        }),
        stateMachine('BadJson', {
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: functionArn('Echo'), Parameters: { 'value.$': 'States.StringToJson($.text)' }, ...guarded, End: true }, Caught: caught },
        }),
        stateMachine('MissingPath', {
          StartAt: 'Call',
          States: { Call: { Type: 'Task', Resource: functionArn('Echo'), Parameters: { 'value.$': '$.missing' }, ...guarded, End: true }, Caught: caught },
        }),
        stateMachine('SmallEnough', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: functionArn('Exact'), ...guarded, End: true }, Caught: caught } }),
      ],
      {
        invokeFunction: async (name, payload) => {
          invoked.push(name);
          if (name === functionArn('Big')) return succeed({ blob: 'x'.repeat(300 * KIB) });
          if (name === functionArn('Half')) return succeed('y'.repeat(150 * KIB));
          // JSON text of exactly 256 KiB: a string of 262,142 characters and its two quotes.
          if (name === functionArn('Exact')) return succeed('z'.repeat(256 * KIB - 2));
          return succeed(payload);
        },
      },
      { retryIntervalScale: 0, onHop: (hop) => hops.push(hop) },
    );
  });

  beforeEach(() => {
    invoked.length = 0;
    hops.length = 0;
  });

  const statesOf = (history: HistoryEvent[]): string[] => history.flatMap((event) => (event.stateEnteredEventDetails?.name !== undefined ? [event.stateEnteredEventDetails.name] : []));

  it("fails on a Lambda function's result over 256 KiB, naming the function, without retrying or catching", async () => {
    // Act
    const execution = await run(served, machineArn('BigResult'), {});
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    const cause = `The state/task '${functionArn('Big')}' returned a result with a size exceeding the maximum number of bytes service limit.`;
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });
    expect(invoked).toEqual([functionArn('Big')]);
    expect(history.map((event) => event.type).slice(-2)).toEqual(['LambdaFunctionFailed', 'ExecutionFailed']);
    expect(history.at(-2)?.lambdaFunctionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause });
    expect(history.at(-1)?.executionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause });
    expect(statesOf(history)).toEqual(['Call']);
  });

  it('fails on a lambda:invoke result over 256 KiB, naming the resource type, as a TaskFailed', async () => {
    // Act
    const execution = await run(served, machineArn('BigInvokeResult'), {});
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    const cause = "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.";
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });
    expect(history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toEqual({ resourceType: 'lambda', resource: 'invoke', error: 'States.DataLimitExceeded', cause });
    expect(invoked).toHaveLength(1);
  });

  it("fails on a state's output over 256 KiB although the task's result fitted", async () => {
    // Act
    const execution = await run(served, machineArn('BigOutput'), { first: 'w'.repeat(150 * KIB) });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    const cause = "The state/task 'Call' returned a result with a size exceeding the maximum number of bytes service limit.";
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause });
    expect(history.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'ExecutionFailed']);
    expect(hops.filter((hop) => hop.state === 'Call').map((hop) => [hop.kind, hop.error])).toEqual([
      ['state-entered', undefined],
      ['state-failed', 'States.DataLimitExceeded'],
    ]);
  });

  it("fails before scheduling a task whose input after Parameters is over 256 KiB", async () => {
    // Act
    const execution = await run(served, machineArn('BigInput'), { blob: 'v'.repeat(150 * KIB) });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The state\/task 'Call' received an input with a size exceeding/) });
    expect(invoked).toEqual([]);
    expect(history.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed']);
  });

  it("fails on the input a Parallel state's Parameters give its branches, past the Parallel's Catch", async () => {
    // Act
    const execution = await run(served, machineArn('BigBranchInput'), { blob: 'u'.repeat(150 * KIB) });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: expect.stringMatching(/^The state\/task 'Fan' received an input/) });
    expect(statesOf(history)).toEqual(['Fan']);
    expect(history.map((event) => event.type).slice(-2)).toEqual(['ParallelStateFailed', 'ExecutionFailed']);
  });

  it('lets a result of exactly 256 KiB through', async () => {
    // Act
    const execution = await run(served, machineArn('SmallEnough'), {});

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
  });

  it.each([
    ['an adapter refuses its parameters (a FunctionName that is not a string)', 'BadFunctionName', { fn: 42 }, /^An error occurred while executing the state 'Call'\. lambda:invoke: FunctionName must evaluate to a string$/],
    ['an intrinsic function fails (States.StringToJson on text that is not JSON)', 'BadJson', { text: 'not json' }, /^An error occurred while executing the state 'Call'\. .*JSON/],
    ['a path points to nothing', 'MissingPath', {}, /^An error occurred while executing the state 'Call'\. Path expression '\$\.missing' does not point to a value$/],
  ])('fails with States.Runtime, naming the state, when %s', async (_what, machine, input, cause) => {
    // Act
    const execution = await run(served, machineArn(machine), input);
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Runtime', cause: expect.stringMatching(cause) });
    expect(statesOf(history)).toEqual(['Call']);
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime' } });
    expect(hops.filter((hop) => hop.kind === 'state-retried' || hop.kind === 'state-caught')).toEqual([]);
  });
});

describe('the dynamodb integration on DynamoDB Local', () => {
  let served: Served;
  let tableName: string;
  const dynamoDb = testDynamoDbClient();

  beforeAll(async () => {
    tableName = await createTestTable();
    const key = { pk: { 'S.$': '$.id' } };
    served = await serve(
      [
        stateMachine('Items', {
          StartAt: 'Put',
          States: {
            Put: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:putItem',
              Parameters: { TableName: tableName, Item: { ...key, note: { S: 'first' }, blob: { B: Buffer.from('hello').toString('base64') } }, ConditionExpression: 'attribute_not_exists(pk)' },
              ResultPath: '$.put',
              Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'Duplicate' }],
              Next: 'Update',
            },
            Update: {
              Type: 'Task',
              Resource: 'arn:aws:states:::dynamodb:updateItem',
              Parameters: { TableName: tableName, Key: key, UpdateExpression: 'SET note = :note', ExpressionAttributeValues: { ':note': { S: 'updated' } }, ReturnValues: 'ALL_NEW' },
              ResultPath: '$.update',
              Next: 'Get',
            },
            Get: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Parameters: { TableName: tableName, Key: key, ConsistentRead: true }, ResultSelector: { 'item.$': '$.Item' }, ResultPath: '$.get', End: true },
            Duplicate: { Type: 'Pass', End: true },
          },
        }),
        stateMachine('Missing', {
          StartAt: 'Get',
          States: { Get: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:getItem', Parameters: { TableName: 'no-such-table', Key: { pk: { S: 'x' } } }, End: true } },
        }),
      ],
      { dynamoDb },
    );
  });

  afterAll(() => dynamoDb.destroy());

  it('puts, updates and gets an item, answering as AWS does', async () => {
    // Act
    const execution = await run(served, machineArn('Items'), { id: 'item-1' });

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.result).toMatchObject({
      put: { SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: expect.any(String) } },
      update: { Attributes: { pk: { S: 'item-1' }, note: { S: 'updated' } } },
      get: { item: { pk: { S: 'item-1' }, note: { S: 'updated' }, blob: { B: Buffer.from('hello').toString('base64') } } },
    });
    const items = await scanAll(testDocumentClient(), tableName);
    expect(items).toEqual([{ pk: 'item-1', note: 'updated', blob: new Uint8Array(Buffer.from('hello')) }]);
  });

  it('fails a conditional put with DynamoDB.ConditionalCheckFailedException, which a Catch can match', async () => {
    // Act
    const execution = await run(served, machineArn('Items'), { id: 'item-1' });
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution.result).toMatchObject({
      error: {
        Error: 'DynamoDB.ConditionalCheckFailedException',
        Cause: expect.stringMatching(/^The conditional request failed \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ConditionalCheckFailedException; Request ID: .+; Proxy: null\)$/),
      },
    });
    expect(history.find((event) => event.type === 'TaskFailed')?.taskFailedEventDetails).toMatchObject({ resourceType: 'dynamodb', resource: 'putItem', error: 'DynamoDB.ConditionalCheckFailedException' });
  });

  it('fails the execution with DynamoDB.ResourceNotFoundException for a missing table', async () => {
    // Act
    const execution = await run(served, machineArn('Missing'), {});

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'DynamoDB.ResourceNotFoundException' });
  });
});

describe('executions through the API', () => {
  let served: Served;
  let gates: Array<ReturnType<typeof gate>> = [];
  let taskAttempts = 0;

  beforeAll(async () => {
    served = await serve(
      [
        stateMachine('Slow', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: functionArn('Gate'), End: true } } }),
        stateMachine('Quick', {
          StartAt: 'Route',
          States: { Route: { Type: 'Choice', Choices: [{ Variable: '$.fail', IsPresent: true, Next: 'Boom' }], Default: 'Done' }, Done: { Type: 'Succeed' }, Boom: { Type: 'Fail', Error: 'Boom', Cause: 'asked to fail' } },
        }),
        stateMachine('Flaky', {
          StartAt: 'Work',
          States: { Work: { Type: 'Task', Resource: functionArn('Flaky'), Retry: [{ ErrorEquals: ['TransientError'], IntervalSeconds: 1, MaxAttempts: 2, BackoffRate: 2 }], End: true } },
        }),
        stateMachine('Patient', { TimeoutSeconds: 1, StartAt: 'Linger', States: { Linger: { Type: 'Wait', Seconds: 30, End: true } } }),
        stateMachine('Bounded', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: functionArn('Gate'), TimeoutSeconds: 1, End: true } } }),
      ],
      {
        invokeFunction: async (name) => {
          if (name === functionArn('Flaky')) {
            taskAttempts += 1;
            return taskAttempts <= 2 ? functionError('TransientError', 'not yet') : succeed({ attempts: taskAttempts });
          }
          const next = gate();
          gates.push(next);
          await next.opened;
          return succeed({ done: true });
        },
      },
      { retryIntervalScale: 0.05 },
    );
  });

  afterEach(() => {
    gates.forEach((g) => g.open());
    gates = [];
  });

  const start = (stateMachine: string, input: string, name?: string) =>
    served.client.send(new StartExecutionCommand({ stateMachineArn: machineArn(stateMachine), input, ...(name !== undefined ? { name } : {}) }));

  it('is idempotent by name: same name and input while running returns the same execution, anything else is ExecutionAlreadyExists', async () => {
    // Act
    const first = await start('Slow', '{"orderId":"42"}', 'order-42');
    const again = await start('Slow', '{"orderId":"42"}', 'order-42');
    const differentInput = start('Slow', '{"orderId":"43"}', 'order-42');

    // Assess
    expect(again).toMatchObject({ executionArn: first.executionArn, startDate: first.startDate });
    await expect(differentInput).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const listed = await served.client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Slow') }));
    expect(listed.executions?.map((execution) => [execution.name, execution.status])).toEqual([['order-42', 'RUNNING']]);

    gates.forEach((g) => g.open());
    expect(await served.emulator.drain(2000)).toBe(true);
    await expect(start('Slow', '{"orderId":"42"}', 'order-42')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('names an execution with a UUID when no name is given', async () => {
    // Act
    const started = await start('Quick', '{}');

    // Assess
    expect(started.executionArn).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:execution:Quick:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`));
  });

  it.each([
    { what: 'an input that is not JSON', overrides: { input: '{oops' }, errorName: 'InvalidExecutionInput' },
    { what: 'an input that is not a JSON object', overrides: { input: '[1, 2]' }, errorName: 'InvalidExecutionInput' },
    { what: 'an input over 256 KB', overrides: { input: JSON.stringify({ blob: 'x'.repeat(256 * 1024) }) }, errorName: 'ValidationException' },
    { what: 'an invalid name', overrides: { name: 'has space' }, errorName: 'InvalidName' },
    { what: 'an unknown state machine', overrides: { stateMachineArn: machineArn('Nope') }, errorName: 'StateMachineDoesNotExist' },
    { what: 'a malformed ARN', overrides: { stateMachineArn: 'not-an-arn' }, errorName: 'InvalidArn' },
  ])('refuses $what with $errorName', async ({ overrides, errorName }) => {
    await expect(served.client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Quick'), input: '{}', ...overrides }))).rejects.toMatchObject({ name: errorName });
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    await expect(served.client.send(new DescribeExecutionCommand({ executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Quick:never` }))).rejects.toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });

  it('lists executions newest first, by status, a page at a time', async () => {
    // Prepare
    for (const [name, input] of [['q1', '{}'], ['q2', '{}'], ['q3', '{}'], ['q4', '{"fail":true}']] as const) {
      await start('Quick', input, name);
      await served.emulator.drain(2000);
    }
    const list = (params: { statusFilter?: 'FAILED' | 'SUCCEEDED' | 'RUNNING'; maxResults?: number; nextToken?: string }) =>
      served.client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Quick'), ...params }));

    // Act
    const firstPage = await list({ maxResults: 2 });
    const secondPage = await list({ maxResults: 2, nextToken: firstPage.nextToken });
    const failed = await list({ statusFilter: 'FAILED' });
    const running = await list({ statusFilter: 'RUNNING' });

    // Assess
    expect(firstPage.executions?.map((execution) => execution.name)).toEqual(['q4', 'q3']);
    expect(secondPage.executions?.map((execution) => execution.name).slice(0, 2)).toEqual(['q2', 'q1']);
    expect(failed.executions).toEqual([expect.objectContaining({ name: 'q4', status: 'FAILED', stopDate: expect.any(Date) })]);
    expect(running.executions).toEqual([]);
    await expect(list({ nextToken: 'garbage' })).rejects.toMatchObject({ name: 'InvalidToken' });
    const boom = await served.client.send(new DescribeExecutionCommand({ executionArn: failed.executions?.[0]?.executionArn }));
    expect(boom).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'asked to fail' });
  });

  it('stops a running execution: ABORTED with the given error and cause, and the late task result is ignored', async () => {
    // Prepare
    const { executionArn } = await start('Slow', '{}', 'to-stop');
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    const stopped = await served.client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'changed my mind' }));
    gates.forEach((g) => g.open());
    await served.emulator.drain(2000);

    // Assess
    expect(stopped.stopDate).toBeInstanceOf(Date);
    expect(await served.client.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'changed my mind' });
    const history = await historyOf(served.client, executionArn ?? '');
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'changed my mind' } });
    expect(history.map((event) => event.type)).not.toContain('LambdaFunctionSucceeded');
  });

  it('waits the scaled retry intervals, with their backoff', async () => {
    // Prepare
    taskAttempts = 0;
    const began = Date.now();

    // Act
    const execution = await run(served, machineArn('Flaky'), {});
    const elapsed = Date.now() - began;

    // Assess
    expect(execution.result).toEqual({ attempts: 3 });
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1500);
  });

  it('times a task out after its TimeoutSeconds with States.Timeout', async () => {
    // Prepare
    const { executionArn = '' } = await start('Bounded', '{}');

    // Act
    const execution = await ended(served.client, executionArn);
    gates.forEach((g) => g.open());
    expect(await served.emulator.drain(2000)).toBe(true);
    const history = await historyOf(served.client, executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    expect(history.map((event) => event.type).slice(-2)).toEqual(['LambdaFunctionTimedOut', 'ExecutionFailed']);
  });

  it('times the execution out after its TimeoutSeconds', async () => {
    // Act
    const execution = await run(served, machineArn('Patient'), {});
    const history = await historyOf(served.client, execution.executionArn);

    // Assess
    expect(execution).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
    expect(history.at(-1)).toMatchObject({ type: 'ExecutionTimedOut', executionTimedOutEventDetails: { error: 'States.Timeout' } });
  });
});

describe('executions kept on disk across restarts (persistDir)', () => {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const dirs: string[] = [];
  let gates: Array<ReturnType<typeof gate>> = [];
  const resources = [
    stateMachine('Quick', { StartAt: 'Echo', States: { Echo: { Type: 'Task', Resource: functionArn('Echo'), End: true } } }),
    stateMachine('Slow', { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: functionArn('Gate'), End: true } } }),
  ];
  const deps: StepFunctionsDeps = {
    invokeFunction: async (name, payload) => {
      if (name !== functionArn('Gate')) return succeed({ echoed: payload });
      const next = gate();
      gates.push(next);
      await next.opened;
      return succeed({ done: true });
    },
  };
  const persistDir = (): string => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sfn-persist-'));
    dirs.push(dir);
    return dir;
  };
  const executionFiles = (dir: string): string[] => readdirSync(path.join(dir, 'step-functions', 'executions')).map((file) => path.join(dir, 'step-functions', 'executions', file));
  const until = async (condition: () => boolean): Promise<void> => {
    for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).toBe(true);
  };

  afterEach(() => {
    gates.forEach((g) => g.open());
    gates = [];
  });
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('keeps a closed execution, its name taken: the next instance describes, lists and gives its history as before', async () => {
    // Prepare
    const dir = persistDir();
    const first = await serve(resources, deps, { persistDir: dir });
    const done = await run(first, machineArn('Quick'), { orderId: 'o-1' }, 'order-1');
    const historyBefore = await historyOf(first.client, done.executionArn);
    await first.emulator.close();

    // Act
    const second = await serve(resources, deps, { persistDir: dir });
    const described = await second.client.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
    const historyAfter = await historyOf(second.client, done.executionArn);
    const startedAgain = await second.client
      .send(new StartExecutionCommand({ stateMachineArn: machineArn('Quick'), input: JSON.stringify({ orderId: 'o-1' }), name: 'order-1' }))
      .catch((error: unknown) => error);
    await run(second, machineArn('Quick'), { orderId: 'o-3' }, 'order-3');
    const listed = await second.client.send(new ListExecutionsCommand({ stateMachineArn: machineArn('Quick') }));

    // Assess
    expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'order-1', input: JSON.stringify({ orderId: 'o-1' }), output: JSON.stringify({ echoed: { orderId: 'o-1' } }) });
    expect([described.startDate, described.stopDate]).toEqual([done.startDate, done.stopDate]);
    expect(historyAfter).toEqual(historyBefore);
    expect(startedAgain).toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(listed.executions?.map((execution) => [execution.name, execution.status])).toEqual([
      ['order-3', 'SUCCEEDED'],
      ['order-1', 'SUCCEEDED'],
    ]);
  });

  it('brings back an execution the process left running ABORTED (LocalCloudRestarted), its history so far, and a hop saying so', async () => {
    // Prepare
    const dir = persistDir();
    const crashed = await serve(resources, deps, { persistDir: dir }); // never closed: it stands for a killed process
    const input = JSON.stringify({ orderId: 'o-2', metadata: { correlationId: 'corr-9' } });
    const { executionArn = '' } = await crashed.client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Slow'), input, name: 'order-2' }));
    await until(() => gates.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the history on disk lags at most 100 ms
    const hops: StepFunctionsHop[] = [];

    // Act
    const restarted = await serve(resources, deps, { persistDir: dir, onHop: (hop) => hops.push(hop) });
    const described = await restarted.client.send(new DescribeExecutionCommand({ executionArn }));
    const history = await historyOf(restarted.client, executionArn);
    const startedAgain = await restarted.client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Slow'), input, name: 'order-2' })).catch((error: unknown) => error);
    const third = StepFunctionsEmulator.create(resources, deps, { persistDir: dir, onHop: (hop) => hops.push(hop) });

    // Assess
    expect(described).toMatchObject({ status: 'ABORTED', error: 'LocalCloudRestarted', cause: expect.stringMatching(/cannot resume/) });
    expect(described.stopDate?.getTime()).toBeGreaterThanOrEqual(described.startDate?.getTime() ?? Infinity);
    expect(history.map((event) => event.type)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'ExecutionAborted']);
    expect(history.at(-1)?.executionAbortedEventDetails).toMatchObject({ error: 'LocalCloudRestarted' });
    expect(hops).toEqual([expect.objectContaining({ kind: 'execution-aborted', executionArn, executionName: 'order-2', correlationId: 'corr-9', error: 'LocalCloudRestarted' })]);
    expect(startedAgain).toMatchObject({ name: 'ExecutionAlreadyExists' });
    expect(third.execution(executionArn)).toMatchObject({ status: 'ABORTED', stopDate: described.stopDate });
  });

  it('keeps what a clean stop aborted as ABORTED (LocalCloudStopped)', async () => {
    // Prepare
    const dir = persistDir();
    const first = await serve(resources, deps, { persistDir: dir });
    const { executionArn = '' } = await first.client.send(new StartExecutionCommand({ stateMachineArn: machineArn('Slow'), input: '{}', name: 'order-4' }));
    await until(() => gates.length === 1);
    await first.emulator.close();

    // Act
    const second = StepFunctionsEmulator.create(resources, deps, { persistDir: dir });

    // Assess
    expect(second.execution(executionArn)).toMatchObject({ status: 'ABORTED', result: { error: 'LocalCloudStopped' } });
  });

  it('frees a name 90 days after its execution closed, as Step Functions does', async () => {
    // Prepare
    const dir = persistDir();
    const first = await serve(resources, deps, { persistDir: dir });
    await run(first, machineArn('Quick'), {}, 'order-5');
    await first.emulator.close();
    const [file = ''] = executionFiles(dir);
    const persisted = JSON.parse(readFileSync(file, 'utf8')) as { stopDate: number; startDate: number };
    writeFileSync(file, JSON.stringify({ ...persisted, startDate: persisted.startDate - 91 * DAY_MS, stopDate: persisted.stopDate - 91 * DAY_MS }));

    // Act
    const second = await serve(resources, deps, { persistDir: dir });
    const again = await run(second, machineArn('Quick'), { orderId: 'o-5' }, 'order-5');

    // Assess
    expect(again).toMatchObject({ status: 'SUCCEEDED', input: JSON.stringify({ orderId: 'o-5' }) });
  });

  it('ignores the temporary file of a write a crash cut short, and refuses a file that is not an execution, naming it', async () => {
    // Prepare
    const dir = persistDir();
    const first = await serve(resources, deps, { persistDir: dir });
    const done = await run(first, machineArn('Quick'), {}, 'order-6');
    await first.emulator.close();
    const [file = ''] = executionFiles(dir);
    writeFileSync(`${file}.123.abcd.tmp`, '{"version":1,"executionArn":"arn:aws:sta');

    // Act
    const second = StepFunctionsEmulator.create(resources, deps, { persistDir: dir });
    writeFileSync(file, 'not json');
    const third = () => StepFunctionsEmulator.create(resources, deps, { persistDir: dir });

    // Assess
    expect(second.execution(done.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    expect(executionFiles(dir)).toEqual([file]);
    expect(third).toThrow(PersistedExecutionError);
    expect(third).toThrow(file);
  });
});
