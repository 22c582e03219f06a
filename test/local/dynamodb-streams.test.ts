import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOCAL_CREDENTIALS } from '../../local/dynamodb/dynamodb-local';
import { StreamPoller, type StreamRecord } from '../../local/dynamodb/stream-poller';
import { createTables } from '../../local/dynamodb/tables';
import type { LocalResource } from '../../local/resources';
import { testDynamoDbClient } from '../support/dynamodb';

const tableResource = (logicalId: string, properties: Record<string, unknown> = {}): LocalResource => ({
  logicalId,
  type: 'AWS::DynamoDB::GlobalTable',
  ref: logicalId,
  properties: {
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    BillingMode: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: [{ IndexName: 'byUser', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } }],
    StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    Replicas: [{ Region: 'us-east-1', PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, GlobalSecondaryIndexes: [{ IndexName: 'byUser' }] }],
    ...properties,
  },
});

describe('tables and streams on DynamoDB Local', () => {
  const dynamo = testDynamoDbClient();
  const streams = new DynamoDBStreamsClient({ endpoint: process.env.SHOP_TEST_DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  afterAll(() => {
    dynamo.destroy();
    streams.destroy();
  });
  /** A streams client that counts the calls made through it. */
  const countingStreams = () => {
    const client = new DynamoDBStreamsClient({ endpoint: process.env.SHOP_TEST_DYNAMODB_ENDPOINT, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    const counted = { client, calls: 0 };
    client.middlewareStack.add((next) => async (args) => {
      counted.calls += 1;
      return next(args);
    });
    return counted;
  };

  it('with LATEST, delivers only what is written after it starts reading, as a pipe starting at LATEST does', async () => {
    // Prepare: one record before the consumer starts
    const name = `Latest${Date.now()}`;
    const [table] = await createTables(dynamo, [tableResource(name)]);
    await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'before' }, gsi1pk: { S: 'u' } } }));
    const received: string[] = [];
    const poller = new StreamPoller(dynamo, streams, { region: 'us-east-1' });
    poller.watch(table.tableName, async (records) => void received.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)), 'LATEST');
    const fromTheStart: string[] = [];
    poller.watch(table.tableName, async (records) => void fromTheStart.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)));
    await poller.pollAll();

    // Act
    await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'after' }, gsi1pk: { S: 'u' } } }));
    await poller.pollAll();

    // Assess
    expect(received).toEqual(['after']);
    expect(fromTheStart).toEqual(['before', 'after']);
  });

  it('creates a table from its template resource and delivers its stream records in order, once per checkpoint', async () => {
    // Prepare
    const name = `Orders${Date.now()}`;
    const [table] = await createTables(dynamo, [tableResource(name)]);
    const checkpointFile = path.join(mkdtempSync(path.join(tmpdir(), 'poller-')), 'checkpoints.json');
    const received: StreamRecord[] = [];
    const poller = new StreamPoller(dynamo, streams, { region: 'us-east-1', checkpointFile });
    poller.watch(table.tableName, async (records) => void received.push(...records));

    // Act
    for (const n of [1, 2, 3]) {
      await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: `o-${n}` }, gsi1pk: { S: 'u' } } }));
    }
    await poller.pollAll();
    await poller.pollAll();

    // Assess
    expect(table.streamViewType).toBe('NEW_IMAGE');
    expect(received.map((r) => [r.eventName, (r.dynamodb.NewImage as { pk: { S: string } }).pk.S])).toEqual([
      ['INSERT', 'o-1'],
      ['INSERT', 'o-2'],
      ['INSERT', 'o-3'],
    ]);
    expect(received[0]).toMatchObject({ eventSource: 'aws:dynamodb', eventSourceARN: expect.stringContaining(name), dynamodb: { ApproximateCreationDateTime: expect.any(Number) } });

    const restarted: StreamRecord[] = [];
    const again = new StreamPoller(dynamo, streams, { region: 'us-east-1', checkpointFile });
    again.watch(table.tableName, async (records) => void restarted.push(...records));
    await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'o-4' }, gsi1pk: { S: 'u' } } }));
    await again.pollAll();
    expect(restarted.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)).toEqual(['o-4']);
  });

  it('delivers records written while it polls an empty stream (TTL on, as the orders table)', async () => {
    const [table] = await createTables(dynamo, [tableResource(`Empty${Date.now()}`, { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } })]);
    const seen: string[] = [];
    const errors: unknown[] = [];
    const poller = new StreamPoller(dynamo, streams, { region: 'us-east-1', intervalMs: 20, maxIntervalMs: 20, onError: (_t, e) => errors.push(e) });
    poller.watch(table.tableName, async (records) => void seen.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)));
    poller.start();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    for (const n of [1, 2]) {
      await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: `late-${n}` }, gsi1pk: { S: 'u' } } }));
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    await poller.stop();
    expect(seen).toEqual(['late-1', 'late-2']);
    expect(errors).toEqual([]);
  });

  it('reads a stream as soon as it is told of a write, and makes no call while nothing is written', async () => {
    // Prepare: a poller whose fallback pass would come only after a minute, counting its calls
    const [table] = await createTables(dynamo, [tableResource(`Told${Date.now()}`)]);
    const seen: string[] = [];
    const counted = countingStreams();
    const poller = new StreamPoller(dynamo, counted.client, { region: 'us-east-1', intervalMs: 60_000 });
    poller.watch(table.tableName, async (records) => void seen.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)));
    poller.start();
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 50 && counted.calls === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      await new Promise((resolve) => setTimeout(resolve, 300));
    };
    await settle();

    // Act: idle for a while, then a write the poller is told of
    const idleFrom = counted.calls;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idleCalls = counted.calls - idleFrom;
    await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'told' }, gsi1pk: { S: 'u' } } }));
    const toldAt = Date.now();
    poller.notify(table.tableName);
    while (seen.length === 0 && Date.now() - toldAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
    const deliveredMs = Date.now() - toldAt;
    await poller.stop();
    counted.client.destroy();

    // Assess
    expect(idleCalls).toBe(0);
    expect(seen).toEqual(['told']);
    expect(deliveredMs).toBeLessThan(2_000);
  });

  it('reads an idle stream less and less often, yet still finds a write nobody told it of', async () => {
    // Prepare: two pollers on two idle tables, each counting its calls; one reads every 20 ms, the other backs off to 320 ms
    const [steadyTable, backingOffTable] = await createTables(dynamo, [tableResource(`Steady${Date.now()}`), tableResource(`BackOff${Date.now()}`)]);
    const steady = countingStreams();
    const backingOff = countingStreams();
    const seen: string[] = [];
    const steadyPoller = new StreamPoller(dynamo, steady.client, { region: 'us-east-1', intervalMs: 20, maxIntervalMs: 20 });
    const backingOffPoller = new StreamPoller(dynamo, backingOff.client, { region: 'us-east-1', intervalMs: 20, maxIntervalMs: 320 });
    steadyPoller.watch(steadyTable.tableName, async () => undefined);
    backingOffPoller.watch(backingOffTable.tableName, async (records) => void seen.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)));

    // Act: both idle for 2 s, side by side; then a write to the backing-off table that nobody tells it of
    steadyPoller.start();
    backingOffPoller.start();
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idleCalls = { steady: steady.calls, backingOff: backingOff.calls };
    await steadyPoller.stop();
    await dynamo.send(new PutItemCommand({ TableName: backingOffTable.tableName, Item: { pk: { S: 'untold' }, gsi1pk: { S: 'u' } } }));
    const writtenAt = Date.now();
    while (seen.length === 0 && Date.now() - writtenAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
    const foundMs = Date.now() - writtenAt;
    await backingOffPoller.stop();
    steady.client.destroy();
    backingOff.client.destroy();

    // Assess: about 100 reads against about 10 (20, 40, ... 320 ms apart); the write found within one longest wait (and a loaded machine's slack)
    expect(idleCalls.backingOff * 3).toBeLessThan(idleCalls.steady);
    expect(seen).toEqual(['untold']);
    expect(foundMs).toBeLessThan(2_000);
  });

  it("reads each consumer's stream on its own: one slow to take its records holds up no other", async () => {
    // Prepare: two tables, the first's consumer holding its batch until the second's has its record
    const [slowTable, fastTable] = await createTables(dynamo, [tableResource(`Slow${Date.now()}`), tableResource(`Fast${Date.now()}`)]);
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const fast: string[] = [];
    const poller = new StreamPoller(dynamo, streams, { region: 'us-east-1', intervalMs: 60_000 });
    poller.watch(slowTable.tableName, async () => held);
    poller.watch(fastTable.tableName, async (records) => void fast.push(...records.map((r) => (r.dynamodb.NewImage as { pk: { S: string } }).pk.S)));
    poller.start();

    // Act: the slow consumer gets a batch and holds it; then the other table is written
    await dynamo.send(new PutItemCommand({ TableName: slowTable.tableName, Item: { pk: { S: 'slow' }, gsi1pk: { S: 'u' } } }));
    poller.notify(slowTable.tableName);
    await dynamo.send(new PutItemCommand({ TableName: fastTable.tableName, Item: { pk: { S: 'fast' }, gsi1pk: { S: 'u' } } }));
    poller.notify(fastTable.tableName);
    const toldAt = Date.now();
    while (fast.length === 0 && Date.now() - toldAt < 5_000) await new Promise((resolve) => setTimeout(resolve, 10));
    const whileHeld = [...fast];
    release();
    await poller.stop();

    // Assess
    expect(whileHeld).toEqual(['fast']);
  });

  it('redelivers a batch the consumer failed to take', async () => {
    const [table] = await createTables(dynamo, [tableResource(`Retry${Date.now()}`)]);
    let attempts = 0;
    const taken: string[] = [];
    const poller = new StreamPoller(dynamo, streams, { region: 'us-east-1', onError: () => undefined });
    poller.watch(table.tableName, async (records) => {
      attempts += 1;
      if (attempts === 1) throw new Error('consumer down');
      taken.push(...records.map((r) => r.eventID));
    });
    await dynamo.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: 'x' }, gsi1pk: { S: 'u' } } }));
    await poller.pollAll();
    await poller.pollAll();
    expect(taken).toHaveLength(1);
  });

  it('refuses what it cannot create, naming resource and property', async () => {
    await expect(createTables(dynamo, [tableResource('Lsi', { LocalSecondaryIndexes: [] })])).rejects.toThrow(/Lsi \(AWS::DynamoDB::GlobalTable\): LocalSecondaryIndexes/);
    await expect(createTables(dynamo, [tableResource('Odd', { KinesisStreamSpecification: {} })])).rejects.toThrow(/KinesisStreamSpecification/);
    await expect(
      createTables(dynamo, [tableResource('Gsi', { Replicas: [{ Region: 'us-east-1', GlobalSecondaryIndexes: [{ IndexName: 'byUser', ReadProvisionedThroughputSettings: {} }] }] })]),
    ).rejects.toThrow(/Replicas\[0\]\.GlobalSecondaryIndexes\[0\]\.ReadProvisionedThroughputSettings/);
  });
});
