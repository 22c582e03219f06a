/**
 * The local EventBridge: buses, rules, targets, input shaping, retries and
 * dead-letter queues built from template resources, driven through the real
 * AWS SDK client against the local AWS endpoint. Lambda and Step Functions
 * are fakes that record what they are given.
 */
import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { UnsupportedFeatureError } from '../../local/errors';
import { TargetDeliveryError } from '../../local/eventbridge/errors';
import { EventBridgeEmulator, type EventBridgeDeps, type EventBridgeHop, type StartExecution } from '../../local/eventbridge/event-bus';
import { LambdaAsyncInvoker, type InvokeAsync, type LambdaAsyncHop } from '../../local/lambda/async-invoke';
import type { InvokeFunction } from '../../local/lambda/lambda-runtime';
import type { LocalResource } from '../../local/resources';
import { SqsQueues, type QueueMessage } from '../../local/sqs/queues';
import { drainAll } from '../../local/support/pending-work';
import { busArn, failureOf, functionArn, queueArn, resource, stateMachineArn } from '../support/local-resources';

const ACCOUNT = '000000000000';
const SHOP_BUS = 'ServerlessShopEventsBus';

const queue = (name: string): LocalResource => resource(name, 'AWS::SQS::Queue', { SqsManagedSseEnabled: true }, queueArn(name));
const rule = (logicalId: string, properties: Record<string, unknown>): LocalResource =>
  resource(logicalId, 'AWS::Events::Rule', { EventBusName: SHOP_BUS, State: 'ENABLED', ...properties });

/** The shop bus and its archive, as ShopBus synthesizes them (intrinsics resolved). */
const shopBus: readonly LocalResource[] = [
  resource('EventsBus', 'AWS::Events::EventBus', { Description: 'serverless-shop order events', Name: SHOP_BUS }, busArn(SHOP_BUS)),
  resource('EventsBusArchive', 'AWS::Events::Archive', {
    Description: 'Every shop event, for replay',
    EventPattern: { account: [ACCOUNT] },
    KmsKeyIdentifier: '',
    RetentionDays: 30,
    SourceArn: busArn(SHOP_BUS),
  }),
];

const orderPlaced = { source: ['shop.orders'], 'detail-type': ['OrderPlaced'] };
const placedDetail = (orderId: string, total = 4200): string =>
  JSON.stringify({ metadata: { correlationId: `corr-${orderId}`, version: 1 }, data: { orderId, total } });

/** A fake world for the emulator: recorded Lambda and Step Functions calls, hops. */
interface World {
  readonly emulator: EventBridgeEmulator;
  readonly queues: SqsQueues;
  readonly lambdaCalls: Array<{ readonly arn: string; readonly payload: unknown }>;
  readonly executions: Array<{ readonly arn: string; readonly input: string }>;
  readonly hops: EventBridgeHop[];
}

const build = (
  resources: readonly LocalResource[],
  options: { invokeAsync?: InvokeAsync; startExecution?: StartExecution; deps?: Partial<EventBridgeDeps> } = {},
): World => {
  const queues = SqsQueues.create(resources);
  const lambdaCalls: World['lambdaCalls'] = [];
  const executions: World['executions'] = [];
  const hops: EventBridgeHop[] = [];
  const emulator = EventBridgeEmulator.create(resources, {
    queues,
    invokeAsync:
      options.invokeAsync ??
      (async (arn, payload) => {
        lambdaCalls.push({ arn, payload });
      }),
    startExecution:
      options.startExecution ??
      (async (arn, input) => {
        executions.push({ arn, input });
        return { executionArn: `${arn}:run` };
      }),
    onHop: (hop) => hops.push(hop),
    backoff: { baseDelayMs: 1, maxDelayMs: 4 },
    ...options.deps,
  });
  return { emulator, queues, lambdaCalls, executions, hops };
};

const attributesOf = (message: QueueMessage | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(message?.attributes ?? {}).map(([name, value]) => [name, value.stringValue]));


describe('EventBridgeEmulator through the AWS SDK', () => {
  const endpoint = new AwsEndpoint();
  let client: EventBridgeClient;
  let world: World;

  beforeAll(async () => {
    world = build([
      ...shopBus,
      queue('AuditQueue'),
      queue('SagaDeadLetters'),
      rule('StartOrderSaga', {
        Description: 'Starts the order saga for every OrderPlaced',
        EventPattern: orderPlaced,
        Targets: [
          {
            Arn: stateMachineArn('OrderSaga'),
            Id: 'Target0',
            InputPath: '$.detail',
            RoleArn: 'arn:aws:iam::000000000000:role/SagaEvents',
            DeadLetterConfig: { Arn: queueArn('SagaDeadLetters') },
            RetryPolicy: { MaximumEventAgeInSeconds: 7200, MaximumRetryAttempts: 8 },
          },
          { Arn: functionArn('Notify'), Id: 'Target1' },
          {
            Arn: queueArn('AuditQueue'),
            Id: 'Target2',
            InputTransformer: {
              InputPathsMap: { id: '$.id', total: '$.detail.data.total', order: '$.detail.data.orderId', missing: '$.detail.nope' },
              InputTemplate:
                '{"event":<id>,"total":<total>,"text":"order <order> costs <total>","missing":<missing>,"rule":"<aws.events.rule-name>","type":<aws.events.event>}',
            },
          },
        ],
      }),
    ]);
    world.emulator.registerOn(endpoint);
    const url = await endpoint.listen();
    client = new EventBridgeClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  });

  afterAll(async () => {
    client.destroy();
    world.emulator.close();
    await endpoint.close();
  });

  it('answers PutEvents with event ids at once, then delivers the full envelope to every matching target', async () => {
    // Act
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-1'), Resources: ['arn:x'], Time: new Date('2025-03-04T05:06:07.890Z') },
        ],
      }),
    );
    await world.emulator.drain();

    // Assess
    expect(answer.FailedEntryCount).toBe(0);
    const eventId = answer.Entries?.[0]?.EventId;
    expect(eventId).toEqual(expect.any(String));
    expect(world.lambdaCalls).toEqual([
      {
        arn: functionArn('Notify'),
        payload: {
          version: '0',
          id: eventId,
          'detail-type': 'OrderPlaced',
          source: 'shop.orders',
          account: ACCOUNT,
          time: '2025-03-04T05:06:07Z',
          region: 'us-east-1',
          resources: ['arn:x'],
          detail: { metadata: { correlationId: 'corr-o-1', version: 1 }, data: { orderId: 'o-1', total: 4200 } },
        },
      },
    ]);
    expect(world.executions).toEqual([{ arn: stateMachineArn('OrderSaga'), input: JSON.stringify(JSON.parse(placedDetail('o-1'))) }]);
  });

  it('shapes an SQS target input with the input transformer: JSON values outside quotes, raw text inside, reserved variables', async () => {
    world.queues.purge('AuditQueue');

    const answer = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-2', 990) }] }));
    await world.emulator.drain();

    const [message] = world.queues.receiveAll('AuditQueue');
    const body: unknown = JSON.parse(message?.body ?? 'null');
    expect(body).toEqual({
      event: answer.Entries?.[0]?.EventId,
      total: 990,
      text: 'order o-2 costs 990',
      missing: null,
      rule: 'StartOrderSaga',
      type: expect.objectContaining({ 'detail-type': 'OrderPlaced', source: 'shop.orders' }),
    });
    expect(body).not.toHaveProperty('type.detail');
  });

  it('reports every hop with the bus, rule, target, event id, detail-type and correlation id', async () => {
    world.hops.length = 0;

    const answer = await client.send(new PutEventsCommand({ Entries: [{ EventBusName: busArn(SHOP_BUS), Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-3') }] }));
    await world.emulator.drain();

    const context = { bus: SHOP_BUS, eventId: answer.Entries?.[0]?.EventId, detailType: 'OrderPlaced', source: 'shop.orders', correlationId: 'corr-o-3' };
    const accepted = world.hops.find((hop): hop is Extract<EventBridgeHop, { kind: 'event' }> => hop.kind === 'event');
    expect(accepted?.event).toMatchObject({ id: context.eventId, source: 'shop.orders', 'detail-type': 'OrderPlaced', detail: JSON.parse(placedDetail('o-3')) as object });
    expect(world.hops).toEqual(
      expect.arrayContaining([
        { ...context, kind: 'event', bytes: Buffer.byteLength(JSON.stringify(accepted?.event)), archived: 1, event: accepted?.event },
        { ...context, kind: 'rule', rule: 'StartOrderSaga' },
        { ...context, kind: 'target', rule: 'StartOrderSaga', targetId: 'Target1', targetArn: functionArn('Notify'), attempt: 1, duplicate: false },
      ]),
    );
    expect(world.hops).toHaveLength(5);
  });

  it('archives the events matching the archive pattern', async () => {
    const before = world.emulator.archived('EventsBusArchive').length;

    await client.send(new PutEventsCommand({ Entries: [{ EventBusName: SHOP_BUS, Source: 'shop.other', DetailType: 'Other', Detail: '{}' }] }));

    const archived = world.emulator.archived('EventsBusArchive');
    expect(archived).toHaveLength(before + 1);
    expect(archived.at(-1)?.event).toMatchObject({ source: 'shop.other', account: ACCOUNT });
  });

  it('fails single entries the way AWS does and still accepts the valid ones', async () => {
    const answer = await client.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '{not json' },
          { EventBusName: SHOP_BUS, DetailType: 'OrderPlaced', Detail: '{}' },
          { EventBusName: 'nope', Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '{}' },
          { EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '[1]' },
          { EventBusName: SHOP_BUS, Source: 'shop.other', DetailType: 'Other', Detail: '{}' },
        ],
      }),
    );

    expect(answer.FailedEntryCount).toBe(4);
    expect(answer.Entries).toEqual([
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.' },
      { ErrorCode: 'ResourceNotFoundException', ErrorMessage: 'Event bus nope does not exist.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { EventId: expect.any(String) },
    ]);
  });

  it('puts events without a bus name on the default bus', async () => {
    const answer = await client.send(new PutEventsCommand({ Entries: [{ Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '{}' }] }));

    expect(answer.FailedEntryCount).toBe(0);
  });

  it('refuses a request with more than 10 entries or over 256 KiB as a whole', async () => {
    const entry = { EventBusName: SHOP_BUS, Source: 'shop.other', DetailType: 'Other', Detail: '{}' };

    await expect(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) }))).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify({ blob: 'x'.repeat(262_144) }) }] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });

  it('answers TestEventPattern as AWS does', async () => {
    const event = JSON.stringify({
      id: '1',
      account: ACCOUNT,
      source: 'shop.orders',
      time: '2025-01-01T00:00:00Z',
      region: 'us-east-1',
      resources: [],
      'detail-type': 'OrderPlaced',
      detail: { data: { total: 4200 } },
    });

    const match = await client.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ detail: { data: { total: [{ numeric: ['>', 100] }] } } }), Event: event }));
    const miss = await client.send(new TestEventPatternCommand({ EventPattern: JSON.stringify({ source: ['shop.payments'] }), Event: event }));

    expect(match.Result).toBe(true);
    expect(miss.Result).toBe(false);
    await expect(client.send(new TestEventPatternCommand({ EventPattern: '{"source":"shop.orders"}', Event: event }))).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
      message: expect.stringContaining('Event pattern is not valid. Reason:'),
    });
    await expect(client.send(new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: JSON.stringify({ source: 'x' }) }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Parameter Event is not valid.',
    });
    await expect(client.send(new TestEventPatternCommand({ EventPattern: '{"source":["x"]}', Event: 'not json' }))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('lists and describes rules and their targets', async () => {
    const listed = await client.send(new ListRulesCommand({ EventBusName: SHOP_BUS }));
    const described = await client.send(new DescribeRuleCommand({ Name: 'StartOrderSaga', EventBusName: SHOP_BUS }));
    const targets = await client.send(new ListTargetsByRuleCommand({ Rule: 'StartOrderSaga', EventBusName: SHOP_BUS }));

    expect(listed.Rules).toEqual([
      expect.objectContaining({ Name: 'StartOrderSaga', EventBusName: SHOP_BUS, State: 'ENABLED', Arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/${SHOP_BUS}/StartOrderSaga` }),
    ]);
    expect(JSON.parse(described.EventPattern ?? '{}')).toEqual(orderPlaced);
    expect(targets.Targets?.map((target) => target.Id)).toEqual(['Target0', 'Target1', 'Target2']);
    await expect(client.send(new DescribeRuleCommand({ Name: 'Nope', EventBusName: SHOP_BUS }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });
});

describe('EventBridgeEmulator retries and dead-letter queues', () => {
  const sagaRule = (retryPolicy: Record<string, unknown>, deadLetter = true): LocalResource =>
    rule('StartOrderSaga', {
      EventPattern: orderPlaced,
      Targets: [{ Arn: stateMachineArn('OrderSaga'), Id: 'Target0', RetryPolicy: retryPolicy, ...(deadLetter ? { DeadLetterConfig: { Arn: queueArn('SagaDeadLetters') } } : {}) }],
    });
  const put = (world: World): string => {
    const result = world.emulator.putEvents([{ EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-9') }]);
    const [entry] = result.Entries;
    if (!entry || !('EventId' in entry)) throw new Error('PutEvents failed');
    return entry.EventId;
  };

  it('retries a failing target with backoff, then sends the event to the DLQ with the error attributes AWS adds', async () => {
    // Prepare
    let calls = 0;
    const world = build([...shopBus, queue('SagaDeadLetters'), sagaRule({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 })], {
      startExecution: async () => {
        calls += 1;
        throw new Error('state machine unavailable');
      },
    });

    // Act
    const eventId = put(world);
    await world.emulator.drain();

    // Assess
    expect(calls).toBe(3);
    const [message] = world.queues.receiveAll('SagaDeadLetters');
    expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ id: eventId, 'detail-type': 'OrderPlaced', detail: { data: { orderId: 'o-9' } } });
    expect(attributesOf(message)).toEqual({
      RULE_ARN: `arn:aws:events:us-east-1:${ACCOUNT}:rule/${SHOP_BUS}/StartOrderSaga`,
      TARGET_ARN: stateMachineArn('OrderSaga'),
      ERROR_CODE: 'ERROR_FROM_TARGET',
      ERROR_MESSAGE: 'state machine unavailable',
      EXHAUSTED_RETRY_CONDITION: 'MaximumRetryAttempts',
      RETRY_ATTEMPTS: '2',
    });
    expect(world.hops.filter((hop) => hop.kind === 'retry').map((hop) => hop.kind === 'retry' && hop.attempt)).toEqual([1, 2]);
    expect(world.hops.at(-1)).toMatchObject({ kind: 'dlq', deadLetterArn: queueArn('SagaDeadLetters'), exhaustedCondition: 'MaximumRetryAttempts', correlationId: 'corr-o-9' });
  });

  it('delivers once a retry succeeds, without dead-lettering', async () => {
    let calls = 0;
    const world = build([...shopBus, queue('SagaDeadLetters'), sagaRule({ MaximumRetryAttempts: 5 })], {
      startExecution: async () => {
        calls += 1;
        if (calls < 3) throw new Error('throttled');
        return {};
      },
    });

    put(world);
    await world.emulator.drain();

    expect(calls).toBe(3);
    expect(world.queues.depth('SagaDeadLetters')).toBe(0);
    expect(world.hops.at(-1)).toMatchObject({ kind: 'target', attempt: 3 });
  });

  it('does not retry what AWS does not retry (a missing target) and says so in the attributes', async () => {
    let calls = 0;
    const world = build([...shopBus, queue('SagaDeadLetters'), sagaRule({ MaximumRetryAttempts: 5 })], {
      startExecution: async () => {
        calls += 1;
        throw new TargetDeliveryError('NO_RESOURCE', 'State Machine Does Not Exist', { retryable: false });
      },
    });

    put(world);
    await world.emulator.drain();

    expect(calls).toBe(1);
    const attributes = attributesOf(world.queues.receiveAll('SagaDeadLetters')[0]);
    expect(attributes).toMatchObject({ ERROR_CODE: 'NO_RESOURCE', RETRY_ATTEMPTS: '0' });
    expect(attributes).not.toHaveProperty('EXHAUSTED_RETRY_CONDITION');
  });

  it('gives up when the next retry would exceed the maximum event age', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    let calls = 0;
    const world = build([...shopBus, queue('SagaDeadLetters'), sagaRule({ MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 60 })], {
      startExecution: async () => {
        calls += 1;
        now += 25_000;
        throw new Error('down');
      },
      deps: { now: () => now },
    });

    put(world);
    await world.emulator.drain();

    expect(calls).toBe(3);
    expect(attributesOf(world.queues.receiveAll('SagaDeadLetters')[0])).toMatchObject({ EXHAUSTED_RETRY_CONDITION: 'MaximumEventAgeInSeconds', RETRY_ATTEMPTS: '2' });
  });

  it('drops the event after its retries when the target has no DLQ, and reports it', async () => {
    const world = build([...shopBus, sagaRule({ MaximumRetryAttempts: 0 }, false)], {
      startExecution: async () => {
        throw new Error('down');
      },
    });

    put(world);
    await world.emulator.drain();

    expect(world.hops.at(-1)).toMatchObject({ kind: 'dropped', reason: expect.stringContaining('no dead-letter queue') });
  });

  it('delivers twice when the duplicate-delivery hook fires', async () => {
    const world = build([...shopBus, queue('SagaDeadLetters'), sagaRule({})], { deps: { duplicateRate: 1 } });

    put(world);
    await world.emulator.drain();

    expect(world.executions).toHaveLength(2);
    expect(world.hops.filter((hop) => hop.kind === 'target').map((hop) => hop.kind === 'target' && hop.duplicate)).toEqual([false, true]);
    expect(() => {
      world.emulator.duplicateRate = 2;
    }).toThrow(RangeError);
  });
});

describe('EventBridgeEmulator routing', () => {
  it('forwards to another bus, whose rules then match', async () => {
    const world = build([
      ...shopBus,
      queue('Audit'),
      resource('Forward', 'AWS::Events::Rule', { EventPattern: { source: ['legacy'] }, Targets: [{ Arn: busArn(SHOP_BUS), Id: 'ToShop' }] }),
      rule('Catch', { EventPattern: { source: ['legacy'] }, Targets: [{ Arn: queueArn('Audit'), Id: 'Audit' }] }),
    ]);

    world.emulator.putEvents([{ Source: 'legacy', DetailType: 'Old', Detail: '{"a":1}' }]);
    await world.emulator.drain();

    expect(world.queues.receiveAll('Audit').map((message) => JSON.parse(message.body).detail)).toEqual([{ a: 1 }]);
    expect(world.hops.filter((hop) => hop.kind === 'event').map((hop) => hop.bus)).toEqual(['default', SHOP_BUS]);
  });

  it('skips disabled rules', async () => {
    const world = build([...shopBus, rule('Off', { State: 'DISABLED', EventPattern: orderPlaced, Targets: [{ Arn: functionArn('F'), Id: 'T' }] })]);

    world.emulator.putEvents([{ EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '{}' }]);
    await world.emulator.drain();

    expect(world.lambdaCalls).toEqual([]);
  });

  it('delivers a quoted-string template to SQS as plain text', async () => {
    const world = build([
      ...shopBus,
      queue('Texts'),
      rule('Text', {
        EventPattern: orderPlaced,
        Targets: [{ Arn: queueArn('Texts'), Id: 'T', InputTransformer: { InputPathsMap: { order: '$.detail.data.orderId' }, InputTemplate: '"Order <order> is \\"placed\\""' } }],
      }),
    ]);

    world.emulator.putEvents([{ EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-7') }]);
    await world.emulator.drain();

    expect(world.queues.receiveAll('Texts').map((message) => message.body)).toEqual(['Order o-7 is "placed"']);
  });
});

describe('Lambda targets: asynchronous invocation semantics', () => {
  const lambdaRule = rule('Notify', { EventPattern: orderPlaced, Targets: [{ Arn: functionArn('Notify'), Id: 'T', DeadLetterConfig: { Arn: queueArn('RuleDeadLetters') } }] });
  const notifyFunction = (properties: Record<string, unknown> = {}): LocalResource =>
    resource('Notify', 'AWS::Lambda::Function', { Handler: 'index.handler', ...properties }, functionArn('Notify'));

  const setUp = (resources: readonly LocalResource[], invoke: InvokeFunction) => {
    const queues = SqsQueues.create(resources);
    const lambdaHops: LambdaAsyncHop[] = [];
    const lambda = LambdaAsyncInvoker.create(resources, { invoke, queues, retryDelayMs: 1, onHop: (hop) => lambdaHops.push(hop) });
    const hops: EventBridgeHop[] = [];
    const emulator = EventBridgeEmulator.create(resources, {
      queues,
      invokeAsync: lambda.invokeAsync,
      startExecution: async () => ({}),
      onHop: (hop) => hops.push(hop),
      backoff: { baseDelayMs: 1 },
    });
    const publish = async (): Promise<void> => {
      emulator.putEvents([{ EventBusName: SHOP_BUS, Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: placedDetail('o-5') }]);
      await drainAll([emulator, lambda]);
    };
    return { queues, lambda, lambdaHops, hops, publish };
  };
  const failing = (calls: unknown[]): InvokeFunction => async (_arn, payload) => {
    calls.push(payload);
    return { ok: false, durationMs: 1, error: { errorType: 'OutOfStockError', errorMessage: 'out of stock', trace: [] } };
  };

  it('counts the target delivered once Lambda accepts it; Lambda retries the function error twice, then uses the function DLQ', async () => {
    // Prepare
    const calls: unknown[] = [];
    const world = setUp(
      [...shopBus, queue('RuleDeadLetters'), queue('FunctionDeadLetters'), lambdaRule, notifyFunction({ DeadLetterConfig: { TargetArn: queueArn('FunctionDeadLetters') } })],
      failing(calls),
    );

    // Act
    await world.publish();

    // Assess
    expect(calls).toHaveLength(3);
    expect(world.hops.filter((hop) => hop.kind === 'target')).toHaveLength(1);
    expect(world.queues.depth('RuleDeadLetters')).toBe(0);
    const [dead] = world.queues.receiveAll('FunctionDeadLetters');
    expect(JSON.parse(dead?.body ?? '{}')).toMatchObject({ 'detail-type': 'OrderPlaced', detail: { data: { orderId: 'o-5' } } });
    expect(dead?.attributes).toEqual({
      RequestID: { dataType: 'String', stringValue: expect.any(String) },
      ErrorCode: { dataType: 'Number', stringValue: '200' },
      ErrorMessage: { dataType: 'String', stringValue: 'out of stock' },
    });
    expect(world.lambdaHops.map((hop) => hop.kind)).toEqual(['invoked', 'retry', 'invoked', 'retry', 'invoked', 'dlq']);
  });

  it('honours AWS::Lambda::EventInvokeConfig: its retry count, and both its OnFailure destination and the DLQ', async () => {
    const calls: unknown[] = [];
    const world = setUp(
      [
        ...shopBus,
        queue('RuleDeadLetters'),
        queue('FunctionDeadLetters'),
        queue('Failures'),
        lambdaRule,
        notifyFunction({ DeadLetterConfig: { TargetArn: queueArn('FunctionDeadLetters') } }),
        resource('NotifyInvokeConfig', 'AWS::Lambda::EventInvokeConfig', {
          FunctionName: 'Notify',
          Qualifier: '$LATEST',
          MaximumRetryAttempts: 0,
          DestinationConfig: { OnFailure: { Destination: queueArn('Failures') } },
        }),
      ],
      failing(calls),
    );

    await world.publish();

    expect(calls).toHaveLength(1);
    expect(world.queues.depth('FunctionDeadLetters')).toBe(1);
    const record: unknown = JSON.parse(world.queues.receiveAll('Failures')[0]?.body ?? '{}');
    expect(record).toMatchObject({
      version: '1.0',
      requestContext: { functionArn: `${functionArn('Notify')}:$LATEST`, condition: 'RetriesExhausted', approximateInvokeCount: 1 },
      requestPayload: { 'detail-type': 'OrderPlaced' },
      responseContext: { statusCode: 200, functionError: 'Unhandled' },
      responsePayload: { errorType: 'OutOfStockError', errorMessage: 'out of stock' },
    });
  });

  it('runs the function once when it succeeds', async () => {
    const calls: unknown[] = [];
    const world = setUp([...shopBus, queue('RuleDeadLetters'), lambdaRule, notifyFunction()], async (_arn, payload) => {
      calls.push(payload);
      return { ok: true, payload: null, durationMs: 1 };
    });

    await world.publish();

    expect(calls).toHaveLength(1);
    expect(world.lambdaHops).toEqual([expect.objectContaining({ kind: 'invoked', ok: true, attempt: 1 })]);
  });

  it('refuses an unknown function as Lambda does, so EventBridge dead-letters without retrying', async () => {
    const world = setUp([...shopBus, queue('RuleDeadLetters'), lambdaRule], async () => ({ ok: true, payload: null, durationMs: 1 }));

    await world.publish();

    expect(attributesOf(world.queues.receiveAll('RuleDeadLetters')[0])).toMatchObject({ ERROR_CODE: 'NO_RESOURCE', RETRY_ATTEMPTS: '0' });
  });
});

describe('EventBridgeEmulator refuses what it does not emulate', () => {
  const refusal = (resources: readonly LocalResource[]): unknown => failureOf(() => build([...shopBus, queue('Q'), ...resources]));

  it.each<[string, string, Record<string, unknown>]>([
    ['a schedule on a custom bus', 'ScheduleExpression', { ScheduleExpression: 'rate(5 minutes)', EventPattern: undefined }],
    ['an SNS target', 'Targets[0].Arn', { Targets: [{ Arn: 'arn:aws:sns:us-east-1:000000000000:topic', Id: 'T' }] }],
    ['ECS target parameters', 'Targets[0].EcsParameters', { Targets: [{ Arn: queueArn('Q'), Id: 'T', EcsParameters: {} }] }],
    ['an unknown target property', 'Targets[0].Extra', { Targets: [{ Arn: queueArn('Q'), Id: 'T', Extra: 1 }] }],
    ['a queue outside the template', 'Targets[0].Arn', { Targets: [{ Arn: queueArn('Elsewhere'), Id: 'T' }] }],
    ['a DLQ outside the template', 'Targets[0].DeadLetterConfig.Arn', { Targets: [{ Arn: queueArn('Q'), Id: 'T', DeadLetterConfig: { Arn: queueArn('Elsewhere') } }] }],
    [
      'a placeholder used as an object key',
      'Targets[0].InputTransformer.InputTemplate',
      { Targets: [{ Arn: queueArn('Q'), Id: 'T', InputTransformer: { InputPathsMap: { k: '$.id' }, InputTemplate: '{<k>: 1}' } }] },
    ],
    ['a reserved variable name', 'Targets[0].InputTransformer.InputPathsMap.aws.mine', { Targets: [{ Arn: queueArn('Q'), Id: 'T', InputTransformer: { InputPathsMap: { 'aws.mine': '$.id' }, InputTemplate: '"x"' } }] }],
    ['bracket JSON paths', 'Targets[0].InputPath', { Targets: [{ Arn: queueArn('Q'), Id: 'T', InputPath: "$['detail']" }] }],
    ['an invalid event pattern', 'EventPattern', { EventPattern: { source: 'not-a-list' } }],
    ['a Lambda alias', 'Targets[0].Arn', { Targets: [{ Arn: `${functionArn('F')}:live`, Id: 'T' }] }],
  ])('refuses %s, naming the property', (_what, property, properties) => {
    const error = refusal([rule('Refused', { EventPattern: orderPlaced, ...properties })]);

    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error).toMatchObject({ logicalId: 'Refused', resourceType: 'AWS::Events::Rule', property });
  });

  it('refuses a KMS key on an archive and an API destination resource', () => {
    expect(
      refusal([resource('Arch', 'AWS::Events::Archive', { SourceArn: busArn(SHOP_BUS), KmsKeyIdentifier: 'arn:aws:kms:us-east-1:000000000000:key/k' })]),
    ).toMatchObject({ logicalId: 'Arch', property: 'KmsKeyIdentifier' });
    expect(refusal([resource('Dest', 'AWS::Events::ApiDestination', {})])).toMatchObject({ logicalId: 'Dest', property: 'Type' });
  });

  it('accepts a bus policy and leaves it to the local IAM, listing nothing as not enforced', () => {
    const world = build([...shopBus, resource('BusPolicy', 'AWS::Events::EventBusPolicy', { EventBusName: SHOP_BUS, StatementId: 's', Statement: {} })]);

    expect(world.emulator.notEnforced).toEqual([]);
  });
});
