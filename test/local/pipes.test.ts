/**
 * The local EventBridge Pipes: the orders outbox shape (DynamoDB stream →
 * filter → Lambda enrichment → event bus), batching, retries and the
 * dead-letter queue, with a fake enrichment function and the real local
 * EventBridge as the target.
 */
import { z } from 'zod';
import { UnsupportedFeatureError } from '../../local/errors';
import { EventBridgeEmulator, type EventBridgeHop } from '../../local/eventbridge/event-bus';
import type { InvokeFunction } from '../../local/lambda/lambda-runtime';
import { PipesEmulator, type DynamoDbStreamRecord, type PipeHop } from '../../local/pipes/pipes';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { busArn, failureOf, functionArn, queueArn, resource } from '../support/local-resources';

const ACCOUNT = '000000000000';
const SHOP_BUS = 'ServerlessShopEventsBus';
const STREAM_ARN = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/Orders/stream/2025-01-01T00:00:00.000`;


/** The bus, a rule that copies every event to a queue we can read, and the outbox DLQ. */
const infrastructure: readonly LocalResource[] = [
  resource('EventsBus', 'AWS::Events::EventBus', { Name: SHOP_BUS }, busArn(SHOP_BUS)),
  resource('Published', 'AWS::SQS::Queue', {}, queueArn('Published')),
  resource('OutboxDeadLetters', 'AWS::SQS::Queue', { SqsManagedSseEnabled: true }, queueArn('OutboxDeadLetters')),
  resource('CopyAll', 'AWS::Events::Rule', { EventBusName: SHOP_BUS, EventPattern: { account: [ACCOUNT] }, Targets: [{ Arn: queueArn('Published'), Id: 'Copy' }] }),
];

const newOrdersOnly = JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['ORDER'] } } } });

/** The outbox pipe as OrdersService declares it (intrinsics resolved). */
const outbox = (overrides: Record<string, unknown> = {}, streamOverrides: Record<string, unknown> = {}): LocalResource =>
  resource('OrdersOutbox', 'AWS::Pipes::Pipe', {
    Description: 'Transactional outbox: new orders to OrderPlaced on the shop bus',
    RoleArn: `arn:aws:iam::${ACCOUNT}:role/OutboxRole`,
    Source: STREAM_ARN,
    SourceParameters: {
      DynamoDBStreamParameters: {
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 10,
        MaximumRetryAttempts: 2,
        DeadLetterConfig: { Arn: queueArn('OutboxDeadLetters') },
        ...streamOverrides,
      },
      FilterCriteria: { Filters: [{ Pattern: newOrdersOnly }] },
    },
    Enrichment: functionArn('PublishOrderPlaced'),
    Target: busArn(SHOP_BUS),
    TargetParameters: { EventBridgeEventBusParameters: { DetailType: 'OrderPlaced', Source: 'shop.orders' } },
    ...overrides,
  });

let sequence = 100;
/** A stream record as DynamoDB Streams' GetRecords returns it. */
const streamRecord = (eventName: string, type: string, orderId: string): DynamoDbStreamRecord => {
  sequence += 1;
  const image = { pk: { S: `ORDER#${orderId}` }, type: { S: type }, orderId: { S: orderId } };
  return {
    eventID: `event-${String(sequence)}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: new Date('2025-01-01T00:00:10Z'),
      Keys: { pk: image.pk },
      NewImage: image,
      SequenceNumber: String(sequence),
      SizeBytes: 60,
      StreamViewType: 'NEW_IMAGE',
    },
  };
};

const recordBatch = z.array(z.object({ dynamodb: z.object({ NewImage: z.object({ orderId: z.object({ S: z.string() }) }) }) }));
const publishedOrder = z.object({ detail: z.object({ data: z.object({ orderId: z.string() }) }) });

/** The enrichment's contract: records in, one OrderPlaced detail per new order out. */
const toDetails = (payload: unknown): unknown[] =>
  recordBatch.parse(payload).map((record) => {
    const orderId = record.dynamodb.NewImage.orderId.S;
    return { metadata: { correlationId: `corr-${orderId}` }, data: { orderId } };
  });

const setUp = (declared: LocalResource, enrichment: InvokeFunction = async (_arn, payload) => ({ ok: true, payload: toDetails(payload), durationMs: 1 })) => {
  const resources = [...infrastructure, declared];
  const queues = SqsQueues.create(resources);
  const busHops: EventBridgeHop[] = [];
  const bus = EventBridgeEmulator.create(resources, { queues, invokeAsync: async () => undefined, startExecution: async () => ({}), onHop: (hop) => busHops.push(hop) });
  const enrichmentCalls: unknown[] = [];
  const hops: PipeHop[] = [];
  const pipes = PipesEmulator.create(resources, {
    invokeFunction: async (arn, payload) => {
      enrichmentCalls.push(payload);
      return enrichment(arn, payload);
    },
    eventBus: bus,
    queues,
    onHop: (hop) => hops.push(hop),
    backoff: { baseDelayMs: 1, maxDelayMs: 4 },
  });
  const pipe = pipes.get('OrdersOutbox');
  if (!pipe) throw new Error('no pipe');
  const published = async (): Promise<unknown[]> => {
    await bus.drain();
    return queues.receiveAll('Published').map((message): unknown => JSON.parse(message.body));
  };
  return { queues, bus, busHops, pipes, pipe, hops, enrichmentCalls, published };
};


describe('PipesEmulator: the orders outbox', () => {
  it('filters the records, enriches the batch, and puts one event per element on the bus', async () => {
    // Prepare
    const world = setUp(outbox());
    const records = [
      streamRecord('INSERT', 'ORDER', 'o-1'),
      streamRecord('MODIFY', 'ORDER', 'o-1'),
      streamRecord('INSERT', 'ITEM', 'o-1'),
      streamRecord('INSERT', 'ORDER', 'o-2'),
    ];

    // Act
    const result = await world.pipe.deliver(records);

    // Assess
    expect(result).toEqual({ batches: 1, matched: 2, published: 2, deadLettered: 0, dropped: 0 });
    expect(world.enrichmentCalls).toEqual([
      [
        expect.objectContaining({ eventID: records[0]?.eventID, eventSourceARN: STREAM_ARN, eventSource: 'aws:dynamodb', dynamodb: expect.objectContaining({ ApproximateCreationDateTime: 1735689610 }) }),
        expect.objectContaining({ eventID: records[3]?.eventID }),
      ],
    ]);
    const events = await world.published();
    expect(events).toEqual([
      expect.objectContaining({ source: 'shop.orders', 'detail-type': 'OrderPlaced', account: ACCOUNT, detail: { metadata: { correlationId: 'corr-o-1' }, data: { orderId: 'o-1' } } }),
      expect.objectContaining({ detail: { metadata: { correlationId: 'corr-o-2' }, data: { orderId: 'o-2' } } }),
    ]);
  });

  it('reports its hops, and the event ids it published continue in the bus hops', async () => {
    const world = setUp(outbox());

    await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-3')]);
    await world.bus.drain();

    expect(world.hops.map((hop) => hop.kind)).toEqual(['batch', 'enrichment', 'target']);
    const target = world.hops.find((hop) => hop.kind === 'target');
    expect(target).toMatchObject({ pipe: 'OrdersOutbox', targetArn: busArn(SHOP_BUS), detailType: 'OrderPlaced', correlationIds: ['corr-o-3'] });
    const eventIds = target?.kind === 'target' ? target.eventIds : [];
    expect(world.busHops.filter((hop) => hop.kind === 'event').map((hop) => hop.eventId)).toEqual(eventIds);
    expect(world.busHops.find((hop) => hop.kind === 'event')).toMatchObject({ correlationId: 'corr-o-3' });
  });

  it('cuts batches of BatchSize and processes them in order', async () => {
    const world = setUp(outbox({}, { BatchSize: 2 }));
    const records = ['o-1', 'o-2', 'o-3'].map((id) => streamRecord('INSERT', 'ORDER', id));

    const result = await world.pipe.deliver(records);

    expect(result.batches).toBe(2);
    expect(world.enrichmentCalls.map((batch) => (Array.isArray(batch) ? batch.length : 0))).toEqual([2, 1]);
    expect((await world.published()).map((event) => publishedOrder.parse(event).detail.data.orderId)).toEqual(['o-1', 'o-2', 'o-3']);
  });

  it('retries a batch whose enrichment fails, then describes it in the DLQ, and goes on with the next batch', async () => {
    // Prepare
    const world = setUp(outbox(), async (_arn, payload) => {
      const details = toDetails(payload);
      if (JSON.stringify(details).includes('o-bad')) return { ok: false, durationMs: 1, error: { errorType: 'ContractViolationError', errorMessage: 'bad order', trace: [] } };
      return { ok: true, payload: details, durationMs: 1 };
    });
    const bad = streamRecord('INSERT', 'ORDER', 'o-bad');

    // Act
    const failed = await world.pipe.deliver([bad], { shardId: 'shardId-0001' });
    const next = await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-good')]);

    // Assess
    expect(failed).toEqual({ batches: 1, matched: 1, published: 0, deadLettered: 1, dropped: 0 });
    expect(world.enrichmentCalls).toHaveLength(4);
    expect(world.hops.filter((hop) => hop.kind === 'retry').map((hop) => hop.kind === 'retry' && hop.attempt)).toEqual([1, 2]);
    const [dead] = world.queues.receiveAll('OutboxDeadLetters');
    expect(JSON.parse(dead?.body ?? '{}')).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3, pipeArn: `arn:aws:pipes:us-east-1:${ACCOUNT}:pipe/OrdersOutbox` },
      responseContext: { errorMessage: expect.stringContaining('ContractViolationError: bad order') },
      DDBStreamBatchInfo: {
        shardId: 'shardId-0001',
        startSequenceNumber: bad.dynamodb.SequenceNumber,
        endSequenceNumber: bad.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: '2025-01-01T00:00:10Z',
        batchSize: 1,
        streamArn: STREAM_ARN,
      },
    });
    expect(next.published).toBe(1);
  });

  it('publishes once when a retry of the enrichment succeeds', async () => {
    let calls = 0;
    const world = setUp(outbox(), async (_arn, payload) => {
      calls += 1;
      if (calls === 1) return { ok: false, durationMs: 1, error: { errorType: 'Sandbox.Timedout', errorMessage: 'timed out', trace: [] } };
      return { ok: true, payload: toDetails(payload), durationMs: 1 };
    });

    const result = await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-4')]);

    expect(result).toMatchObject({ published: 1, deadLettered: 0 });
    expect(await world.published()).toHaveLength(1);
  });

  it('fails the batch when the bus refuses an entry (an element that is not a JSON object)', async () => {
    const world = setUp(outbox({}, { MaximumRetryAttempts: 0 }), async () => ({ ok: true, payload: ['not an object'], durationMs: 1 }));

    const result = await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-5')]);

    expect(result.deadLettered).toBe(1);
    expect(world.hops.at(-1)).toMatchObject({ kind: 'dlq', error: expect.stringContaining('MalformedDetail') });
  });

  it('retries only the records whose entries the bus refused, through the enrichment again, and publishes each once', async () => {
    // Prepare: o-2's detail is refused the first time only.
    let refuseOnce = true;
    const world = setUp(outbox(), async (_arn, payload) => {
      const details = toDetails(payload).map((detail) => {
        if (refuseOnce && JSON.stringify(detail).includes('o-2')) {
          refuseOnce = false;
          return 'not an object';
        }
        return detail;
      });
      return { ok: true, payload: details, durationMs: 1 };
    });

    // Act
    const result = await world.pipe.deliver(['o-1', 'o-2', 'o-3'].map((id) => streamRecord('INSERT', 'ORDER', id)));

    // Assess
    expect(result).toEqual({ batches: 1, matched: 3, published: 3, deadLettered: 0, dropped: 0 });
    expect(world.enrichmentCalls.map((batch) => recordBatch.parse(batch).map((record) => record.dynamodb.NewImage.orderId.S))).toEqual([['o-1', 'o-2', 'o-3'], ['o-2']]);
    expect((await world.published()).map((event) => publishedOrder.parse(event).detail.data.orderId).sort()).toEqual(['o-1', 'o-2', 'o-3']);
  });

  it('does not invoke the bus with more than 10 elements from the enrichment: the batch fails', async () => {
    // Prepare
    const world = setUp(outbox({}, { MaximumRetryAttempts: 0 }), async () => ({ ok: true, payload: Array.from({ length: 11 }, (_, i) => ({ data: { orderId: `o-${String(i)}` } })), durationMs: 1 }));

    // Act
    const result = await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-8')]);

    // Assess
    expect(result).toMatchObject({ published: 0, deadLettered: 1 });
    expect(world.hops.at(-1)).toMatchObject({ kind: 'dlq', error: expect.stringContaining('an event bus target takes at most 10') });
    expect(await world.published()).toEqual([]);
  });

  it('passes the records themselves without an enrichment, with the default source and detail-type', async () => {
    const world = setUp(outbox({ Enrichment: undefined, TargetParameters: undefined }));

    await world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-6')]);

    expect(await world.published()).toEqual([
      expect.objectContaining({ source: 'Pipe OrdersOutbox', 'detail-type': 'Event from aws:dynamodb', detail: expect.objectContaining({ eventName: 'INSERT', eventSourceARN: STREAM_ARN }) }),
    ]);
  });

  it('holds records while stopped and processes them once started', async () => {
    const world = setUp(outbox({ DesiredState: 'STOPPED' }));

    const delivery = world.pipe.deliver([streamRecord('INSERT', 'ORDER', 'o-7')]);
    await world.pipes.drain();
    const whileStopped = world.enrichmentCalls.length;
    world.pipe.start();

    expect(whileStopped).toBe(0);
    expect(await delivery).toMatchObject({ published: 1 });
  });

  it('finds the pipes reading a stream, for the orchestrator to feed', () => {
    const world = setUp(outbox());

    expect(world.pipes.forSource(STREAM_ARN).map((pipe) => pipe.name)).toEqual(['OrdersOutbox']);
    expect(world.pipe).toMatchObject({ sourceArn: STREAM_ARN, startingPosition: 'TRIM_HORIZON', running: true });
  });
});

describe('PipesEmulator refuses what it does not emulate', () => {
  const refusal = (pipe: LocalResource): unknown => failureOf(() => setUp(pipe));

  it.each<[string, string, LocalResource]>([
    ['a target input template', 'TargetParameters.InputTemplate', outbox({ TargetParameters: { InputTemplate: '{"a": <$.b>}' } })],
    ['a Kinesis source', 'Source', outbox({ Source: `arn:aws:kinesis:us-east-1:${ACCOUNT}:stream/s` })],
    ['a batching window', 'SourceParameters.DynamoDBStreamParameters.MaximumBatchingWindowInSeconds', outbox({}, { MaximumBatchingWindowInSeconds: 5 })],
    ['batch bisection', 'SourceParameters.DynamoDBStreamParameters.OnPartialBatchItemFailure', outbox({}, { OnPartialBatchItemFailure: 'AUTOMATIC_BISECT' })],
    ['an unknown stream parameter', 'SourceParameters.DynamoDBStreamParameters.Shiny', outbox({}, { Shiny: true })],
    ['a batch larger than an event bus takes (10)', 'SourceParameters.DynamoDBStreamParameters.BatchSize', outbox({}, { BatchSize: 11 })],
    ['an SQS target', 'Target', outbox({ Target: queueArn('Published') })],
    ['a bus outside the template', 'Target', outbox({ Target: busArn('elsewhere') })],
    ['a Step Functions enrichment', 'Enrichment', outbox({ Enrichment: `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:Enrich` })],
    ['enrichment parameters', 'EnrichmentParameters', outbox({ EnrichmentParameters: { InputTemplate: '{}' } })],
    ['pipe logging', 'LogConfiguration', outbox({ LogConfiguration: { Level: 'INFO' } })],
    [
      'an invalid filter pattern',
      'SourceParameters.FilterCriteria.Filters[0].Pattern',
      outbox({ SourceParameters: { DynamoDBStreamParameters: { StartingPosition: 'LATEST' }, FilterCriteria: { Filters: [{ Pattern: '{"eventName":"INSERT"}' }] } } }),
    ],
  ])('refuses %s, naming the property', (_what, property, pipe) => {
    const error = refusal(pipe);

    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error).toMatchObject({ logicalId: 'OrdersOutbox', resourceType: 'AWS::Pipes::Pipe', property });
  });
});
