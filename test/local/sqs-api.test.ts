/**
 * The SQS API on the local AWS endpoint, driven by the real SDK client
 * (@aws-sdk/client-sqs, AWS JSON 1.0): queue lookup, sending and receiving,
 * visibility timeouts and receipt handles as SQS has them, long polling,
 * batches, SQS's errors (as the SDK names them and as they cross the wire),
 * and IAM (a role's policies and the queue's policy) on every call.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from '@aws-sdk/client-sqs';
import { AwsEndpoint } from '../../local/aws-endpoint';
import { LocalIam } from '../../local/iam/local-iam';
import { roleSession } from '../../local/iam/principals';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { md5OfMessageAttributes, SqsApi, type SqsApiHop } from '../../local/sqs/sqs-api';
import { queueArn } from '../support/local-resources';

const ACCOUNT = '000000000000';
const ADMIN = { accessKeyId: 'developer', secretAccessKey: 'secret' };

interface World {
  readonly endpointUrl: string;
  readonly queues: SqsQueues;
  readonly api: SqsApi;
  readonly iam: LocalIam;
  readonly hops: SqsApiHop[];
  /** Moves the queues' clock forward (visibility timeouts, retention, the PurgeQueue interval). */
  advance(ms: number): void;
  url(queue: string): string;
  client(credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string }): SQSClient;
  credentialsOf(role: string): { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
  close(): Promise<void>;
}

const role = (name: string, statements: readonly Record<string, unknown>[]): LocalResource[] => [
  {
    logicalId: name,
    type: 'AWS::IAM::Role',
    properties: { AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } },
    ref: name,
    arn: `arn:aws:iam::${ACCOUNT}:role/${name}`,
  },
  { logicalId: `${name}Policy`, type: 'AWS::IAM::Policy', properties: { PolicyName: `${name}Policy`, Roles: [name], PolicyDocument: { Statement: statements } }, ref: `${name}Policy` },
];

const open = async (): Promise<World> => {
  const endpoint = new AwsEndpoint();
  const endpointUrl = await endpoint.listen();
  const url = (name: string): string => `${endpointUrl}/${ACCOUNT}/${name}`;
  const queue = (name: string, properties: Record<string, unknown> = {}): LocalResource => ({ logicalId: name, type: 'AWS::SQS::Queue', properties, ref: url(name), arn: queueArn(name) });
  const resources: LocalResource[] = [
    queue('Work'),
    queue('Other'),
    queue('Delayed', { DelaySeconds: 60 }),
    queue('Waiting', { ReceiveMessageWaitTimeSeconds: 1 }),
    queue('Guarded'),
    queue('Redriven', { RedrivePolicy: { deadLetterTargetArn: queueArn('Redriven-dlq'), maxReceiveCount: 2 } }),
    queue('Redriven-dlq', { RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [queueArn('Redriven')] } }),
    {
      logicalId: 'GuardedPolicy',
      type: 'AWS::SQS::QueuePolicy',
      properties: {
        Queues: [url('Guarded')],
        PolicyDocument: { Statement: [{ Effect: 'Deny', Principal: { AWS: '*' }, Action: 'sqs:ReceiveMessage', Resource: queueArn('Guarded') }] },
      },
      ref: 'GuardedPolicy',
    },
    ...role('Reader', [{ Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: queueArn('Work') }]),
    ...role('Consumer', [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }]),
  ];
  let skew = 0;
  const now = (): number => Date.now() + skew;
  const iam = LocalIam.create(resources);
  const queues = SqsQueues.create(resources, { now });
  const hops: SqsApiHop[] = [];
  const api = new SqsApi(queues, { now, onHop: (hop) => hops.push(hop) });
  api.registerOn(endpoint);
  endpoint.useIam({ principalOf: (authorization) => iam.credentials.principalOf(authorization), check: (request) => iam.check(request) });
  const clients: SQSClient[] = [];
  return {
    endpointUrl,
    queues,
    api,
    iam,
    hops,
    advance: (ms) => {
      skew += ms;
    },
    url,
    client: (credentials = ADMIN) => {
      const client = new SQSClient({ endpoint: endpointUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
      clients.push(client);
      return client;
    },
    credentialsOf: (name) => {
      const model = iam.model.role(`arn:aws:iam::${ACCOUNT}:role/${name}`);
      if (!model) throw new Error(`no role ${name}`);
      return iam.credentialsFor(roleSession(model, 'redrive', 'test'));
    },
    close: async () => {
      clients.forEach((client) => client.destroy());
      api.close();
      await endpoint.close();
    },
  };
};

const bodies = (messages: readonly Message[] | undefined): string[] => (messages ?? []).map((message) => message.Body ?? '');

/** The error a call fails with, caught at once (so other awaits in between leave no rejection unhandled); a call that succeeds fails the test. */
const rejection = (call: Promise<unknown>): Promise<unknown> =>
  call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );

describe('the SQS API through the SDK', () => {
  let world: World;
  let sqs: SQSClient;

  beforeEach(async () => {
    world = await open();
    sqs = world.client();
  });

  afterEach(async () => {
    await world.close();
  });

  describe('queues', () => {
    it('finds a queue URL by name and lists the queues, by prefix and page', async () => {
      // Act
      const found = await sqs.send(new GetQueueUrlCommand({ QueueName: 'Work' }));
      const all = await sqs.send(new ListQueuesCommand({}));
      const byPrefix = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'W' }));
      const first = await sqs.send(new ListQueuesCommand({ MaxResults: 2 }));
      const rest = await sqs.send(new ListQueuesCommand({ MaxResults: 10, NextToken: first.NextToken }));

      // Assess
      expect(found.QueueUrl).toBe(world.url('Work'));
      expect(all.QueueUrls).toEqual(['Work', 'Other', 'Delayed', 'Waiting', 'Guarded', 'Redriven', 'Redriven-dlq'].map(world.url));
      expect(byPrefix.QueueUrls).toEqual([world.url('Work'), world.url('Waiting')]);
      expect([...(first.QueueUrls ?? []), ...(rest.QueueUrls ?? [])]).toEqual(all.QueueUrls);
      expect(rest.NextToken).toBeUndefined();
    });

    it('answers an unknown queue with QueueDoesNotExist, as the SDK names it and as SQS puts it on the wire', async () => {
      // Act
      const byName = rejection(sqs.send(new GetQueueUrlCommand({ QueueName: 'Nope' })));
      const byUrl = rejection(sqs.send(new SendMessageCommand({ QueueUrl: world.url('Nope'), MessageBody: 'x' })));
      const raw = await fetch(world.endpointUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
        body: JSON.stringify({ QueueName: 'Nope' }),
      });

      // Assess
      expect(await byName).toBeInstanceOf(QueueDoesNotExist);
      expect(await byUrl).toMatchObject({ name: 'QueueDoesNotExist', message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } });
      expect(raw.status).toBe(400);
      expect(raw.headers.get('content-type')).toBe('application/x-amz-json-1.0');
      expect(raw.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
      expect(await raw.json()).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
    });

    it('reports the queue attributes, counting visible, in-flight and delayed messages', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'one' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'two' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'later', DelaySeconds: 30 }));
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }));

      // Act
      const all = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Work'), AttributeNames: ['All'] }));
      const one = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Work'), AttributeNames: ['QueueArn'] }));
      const unknown = rejection(sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Work'), AttributeNames: ['Colour' as 'All'] })));

      // Assess
      expect(all.Attributes).toMatchObject({
        QueueArn: queueArn('Work'),
        ApproximateNumberOfMessages: '1',
        ApproximateNumberOfMessagesNotVisible: '1',
        ApproximateNumberOfMessagesDelayed: '1',
        VisibilityTimeout: '30',
        MessageRetentionPeriod: '345600',
        DelaySeconds: '0',
        SqsManagedSseEnabled: 'true',
      });
      expect(one.Attributes).toEqual({ QueueArn: queueArn('Work') });
      expect(await unknown).toMatchObject({ name: 'InvalidAttributeName', message: 'Unknown Attribute Colour.' });
    });
  });

  describe('messages', () => {
    it('sends and receives a message with its attributes, checksums and system attributes', async () => {
      // Prepare
      const sentAt = Date.now();
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: world.url('Work'),
          MessageBody: '{"orderId":"o-1"}',
          MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'NO_RESOURCE' }, RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '3' } },
        }),
      );

      // Act
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'SenderId'] }),
      );

      // Assess
      const [message] = Messages ?? [];
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: '{"orderId":"o-1"}',
        MD5OfBody: sent.MD5OfMessageBody,
        MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
        MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'NO_RESOURCE' }, RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '3' } },
        Attributes: { ApproximateReceiveCount: '1', SenderId: ACCOUNT },
      });
      expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(sentAt);
      expect(sent.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    });

    it('returns only the user attributes asked for, by name or prefix, with the checksum of those', async () => {
      // Prepare
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: world.url('Work'),
          MessageBody: 'x',
          MessageAttributes: { 'Order.Id': { DataType: 'String', StringValue: 'o-1' }, 'Order.Total': { DataType: 'Number', StringValue: '12' }, Other: { DataType: 'String', StringValue: 'y' } },
        }),
      );
      const onlyOrder = await world.client().send(new SendMessageCommand({ QueueUrl: world.url('Other'), MessageBody: 'x', MessageAttributes: { 'Order.Id': { DataType: 'String', StringValue: 'o-1' }, 'Order.Total': { DataType: 'Number', StringValue: '12' } } }));

      // Act
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MessageAttributeNames: ['Order.*'] }));
      const none = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Other') }));

      // Assess
      expect(Object.keys(Messages?.[0]?.MessageAttributes ?? {}).sort()).toEqual(['Order.Id', 'Order.Total']);
      expect(Messages?.[0]?.MD5OfMessageAttributes).toBe(onlyOrder.MD5OfMessageAttributes);
      expect(none.Messages?.[0]).not.toHaveProperty('MessageAttributes');
    });

    it('hides a received message for its visibility timeout, then hands it out again with a new receipt handle', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'job' }));
      const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 20 }));

      // Act
      const during = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }));
      world.advance(20_001);
      const after = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MessageSystemAttributeNames: ['ApproximateReceiveCount'] }));

      // Assess
      expect(bodies(first.Messages)).toEqual(['job']);
      expect(during.Messages).toBeUndefined();
      expect(bodies(after.Messages)).toEqual(['job']);
      expect(after.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe('2');
      expect(after.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    });

    it('deletes with the latest receipt handle; an older one succeeds, as SQS answers it, and leaves the message', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'job' }));
      const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 5 }));
      world.advance(5_001);
      const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 0 }));

      // Act
      await sqs.send(new DeleteMessageCommand({ QueueUrl: world.url('Work'), ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }));
      const kept = world.queues.depth(queueArn('Work'));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: world.url('Work'), ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: world.url('Work'), ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }));

      // Assess
      expect(kept).toBe(1);
      expect(world.queues.counts(queueArn('Work'))).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(world.hops.filter((hop) => hop.kind === 'stale-delete' || hop.kind === 'deleted').map((hop) => hop.kind)).toEqual(['stale-delete', 'deleted']);
    });

    it('refuses a receipt handle the queue never issued with ReceiptHandleIsInvalid', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Other'), MessageBody: 'elsewhere' }));
      const elsewhere = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Other') }));

      // Act
      const garbage = rejection(sqs.send(new DeleteMessageCommand({ QueueUrl: world.url('Work'), ReceiptHandle: 'not-a-handle' })));
      const otherQueue = rejection(sqs.send(new DeleteMessageCommand({ QueueUrl: world.url('Work'), ReceiptHandle: elsewhere.Messages?.[0]?.ReceiptHandle })));

      // Assess
      expect(await garbage).toBeInstanceOf(ReceiptHandleIsInvalid);
      expect(await garbage).toMatchObject({ message: 'The input receipt handle "not-a-handle" is not a valid receipt handle.' });
      expect(await otherQueue).toMatchObject({ name: 'ReceiptHandleIsInvalid', message: expect.stringContaining('is not valid for this queue') });
      expect(world.queues.counts(queueArn('Other')).inFlight).toBe(1);
    });

    it('changes the visibility of an in-flight message, and refuses it for an older handle or past 12 hours', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'job' }));
      const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 60 }));
      const firstHandle = first.Messages?.[0]?.ReceiptHandle;

      // Act
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: world.url('Work'), ReceiptHandle: firstHandle, VisibilityTimeout: 0 }));
      const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 7_200 }));
      const stale = rejection(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: world.url('Work'), ReceiptHandle: firstHandle, VisibilityTimeout: 10 })));
      world.advance(3_600_000);
      const tooLong = rejection(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: world.url('Work'), ReceiptHandle: again.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 43_200 })));

      // Assess
      expect(bodies(again.Messages)).toEqual(['job']);
      expect(await stale).toMatchObject({
        name: 'InvalidParameterValue',
        message: `Value ${firstHandle ?? ''} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      });
      expect(await tooLong).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('Total VisibilityTimeout for the message is beyond the limit [43200 seconds]') });
    });

    it('keeps a delayed message invisible until its delay passes', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Delayed'), MessageBody: 'queue delay' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'message delay', DelaySeconds: 10 }));

      // Act
      const early = [...bodies((await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Delayed') }))).Messages), ...bodies((await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }))).Messages)];
      world.advance(60_000);
      const late = [...bodies((await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Delayed') }))).Messages), ...bodies((await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }))).Messages)];

      // Assess
      expect(early).toEqual([]);
      expect(late).toEqual(['queue delay', 'message delay']);
    });

    it('leaves visibility alone when the local cloud inspects a queue', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'a' }));
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'b' }));
      await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }));

      // Act
      const inspected = world.queues.receiveAll(queueArn('Work')).map((message) => message.body);
      const depth = world.queues.depth(queueArn('Work'));
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MaxNumberOfMessages: 10 }));

      // Assess
      expect(inspected).toEqual(['b']);
      expect(depth).toBe(1);
      expect(bodies(received.Messages)).toEqual(['b']);
    });

    it('receives up to MaxNumberOfMessages, oldest first, and refuses what SQS refuses', async () => {
      // Prepare
      for (const body of ['1', '2', '3']) await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: body }));

      // Act
      const two = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MaxNumberOfMessages: 2 }));
      const tooMany = rejection(sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MaxNumberOfMessages: 11 })));
      const tooLong = rejection(sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), WaitTimeSeconds: 21 })));
      const badBody = rejection(sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'bell \u0007' })));
      const binary = rejection(sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'x', MessageAttributes: { blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1]) } } })));

      // Assess
      expect(bodies(two.Messages)).toEqual(['1', '2']);
      expect(await tooMany).toMatchObject({ name: 'InvalidParameterValue', message: 'Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.' });
      expect(await tooLong).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('WaitTimeSeconds') });
      expect(await badBody).toMatchObject({ name: 'InvalidMessageContents', message: expect.stringContaining("'#x7'") });
      expect(await binary).toMatchObject({ name: 'UnsupportedOperation', message: expect.stringContaining('not emulated by the local cloud') });
    });
  });

  describe('long polling', () => {
    it('returns as soon as a message arrives, long before WaitTimeSeconds', async () => {
      // Prepare
      const startedAt = Date.now();
      const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), WaitTimeSeconds: 10 }));
      setTimeout(() => world.queues.send(queueArn('Work'), 'arrived'), 200);

      // Act
      const { Messages } = await polling;

      // Assess
      expect(bodies(Messages)).toEqual(['arrived']);
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    });

    it('waits the queue\'s ReceiveMessageWaitTimeSeconds when the receive names none, then answers no messages', async () => {
      // Prepare
      const startedAt = Date.now();

      // Act
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Waiting') }));

      // Assess
      expect(Messages).toBeUndefined();
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(950);
    });

    it('wakes when a message is made visible again, and ends every poll at once on close', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'retry me' }));
      const held = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), VisibilityTimeout: 300 }));
      const waiting = sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), WaitTimeSeconds: 10 }));
      const other = sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Other'), WaitTimeSeconds: 10 }));
      const startedAt = Date.now();

      // Act
      setTimeout(() => void sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: world.url('Work'), ReceiptHandle: held.Messages?.[0]?.ReceiptHandle, VisibilityTimeout: 0 })), 100);
      const woken = await waiting;
      world.api.close();
      const closed = await other;

      // Assess
      expect(bodies(woken.Messages)).toEqual(['retry me']);
      expect(closed.Messages).toBeUndefined();
      expect(Date.now() - startedAt).toBeLessThan(3_000);
    });
  });

  describe('redrive policy', () => {
    it("moves a message to the dead-letter queue at the receive that would exceed maxReceiveCount, keeping what SQS keeps", async () => {
      // Prepare
      const sent = await sqs.send(
        new SendMessageCommand({
          QueueUrl: world.url('Redriven'),
          MessageBody: '{"orderId":"o-9"}',
          MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'BOOM' } },
          MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: 'Root=1-5759e988-bd862e3fe1be46a994272793' } },
        }),
      );
      const receive = (queue: string) =>
        sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url(queue), VisibilityTimeout: 0, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }));
      const first = await receive('Redriven');
      const second = await receive('Redriven');

      // Act
      const third = await receive('Redriven');
      const dead = await receive('Redriven-dlq');

      // Assess
      expect([first, second].map((answer) => answer.Messages?.[0]?.Attributes?.ApproximateReceiveCount)).toEqual(['1', '2']);
      expect(third.Messages).toBeUndefined();
      const [message] = dead.Messages ?? [];
      expect(message).toMatchObject({
        MessageId: sent.MessageId,
        Body: '{"orderId":"o-9"}',
        MessageAttributes: { ERROR_CODE: { DataType: 'String', StringValue: 'BOOM' } },
        Attributes: {
          SentTimestamp: first.Messages?.[0]?.Attributes?.SentTimestamp,
          AWSTraceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793',
          DeadLetterQueueSourceArn: queueArn('Redriven'),
          ApproximateReceiveCount: '3',
        },
      });
      expect(world.queues.counts(queueArn('Redriven'))).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });

    it('shows the redrive policies in GetQueueAttributes as SQS does, as JSON text', async () => {
      // Act
      const source = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Redriven'), AttributeNames: ['RedrivePolicy'] }));
      const dead = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Redriven-dlq'), AttributeNames: ['RedriveAllowPolicy'] }));

      // Assess
      expect(JSON.parse(source.Attributes?.RedrivePolicy ?? '{}')).toEqual({ deadLetterTargetArn: queueArn('Redriven-dlq'), maxReceiveCount: 2 });
      expect(JSON.parse(dead.Attributes?.RedriveAllowPolicy ?? '{}')).toEqual({ redrivePermission: 'byQueue', sourceQueueArns: [queueArn('Redriven')] });
    });
  });

  describe('batches', () => {
    it('sends a batch, reporting the entries SQS refuses one by one', async () => {
      // Act
      const answer = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: world.url('Work'),
          Entries: [
            { Id: 'a', MessageBody: 'first' },
            { Id: 'b', MessageBody: 'nul \u0000' },
            { Id: 'c', MessageBody: 'third', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
          ],
        }),
      );

      // Assess
      expect(answer.Successful?.map((entry) => entry.Id)).toEqual(['a', 'c']);
      expect(answer.Successful?.[1]?.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
      expect(answer.Failed).toEqual([{ Id: 'b', SenderFault: true, Code: 'InvalidMessageContents', Message: expect.stringContaining("'#x0'") }]);
      expect(world.queues.receiveAll(queueArn('Work')).map((message) => message.body)).toEqual(['first', 'third']);
    });

    it('refuses empty, oversized and ambiguous batches as a whole', async () => {
      // Act
      const empty = rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl: world.url('Work'), Entries: [] })));
      const eleven = rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl: world.url('Work'), Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `m${String(i)}`, MessageBody: 'x' })) })));
      const repeated = rejection(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: world.url('Work'), Entries: [{ Id: 'a', ReceiptHandle: 'h' }, { Id: 'a', ReceiptHandle: 'h' }] })));
      const badId = rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl: world.url('Work'), Entries: [{ Id: 'not ok!', MessageBody: 'x' }] })));
      const tooBig = rejection(sqs.send(new SendMessageBatchCommand({ QueueUrl: world.url('Work'), Entries: [{ Id: 'a', MessageBody: 'x'.repeat(200_000) }, { Id: 'b', MessageBody: 'x'.repeat(100_000) }] })));

      // Assess
      expect(await empty).toMatchObject({ name: 'EmptyBatchRequest' });
      expect(await eleven).toMatchObject({ name: 'TooManyEntriesInBatchRequest', message: 'Maximum number of entries per request are 10. You have sent 11.' });
      expect(await repeated).toMatchObject({ name: 'BatchEntryIdsNotDistinct', message: 'Id a repeated.' });
      expect(await badId).toMatchObject({ name: 'InvalidBatchEntryId' });
      expect(await tooBig).toMatchObject({ name: 'BatchRequestTooLong' });
      expect(world.queues.depth(queueArn('Work'))).toBe(0);
    });

    it('deletes and changes visibility in batches, failing only the entries with a handle the queue never issued', async () => {
      // Prepare
      for (const body of ['a', 'b']) await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: body }));
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work'), MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
      const [a, b] = Messages;

      // Act
      const changed = await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: world.url('Work'),
          Entries: [
            { Id: 'a', ReceiptHandle: a?.ReceiptHandle, VisibilityTimeout: 0 },
            { Id: 'junk', ReceiptHandle: 'junk', VisibilityTimeout: 0 },
          ],
        }),
      );
      const deleted = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: world.url('Work'),
          Entries: [
            { Id: 'b', ReceiptHandle: b?.ReceiptHandle },
            { Id: 'junk', ReceiptHandle: 'junk' },
          ],
        }),
      );

      // Assess
      expect(changed.Successful).toEqual([{ Id: 'a' }]);
      expect(changed.Failed).toEqual([{ Id: 'junk', SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'The input receipt handle "junk" is not a valid receipt handle.' }]);
      expect(deleted.Successful).toEqual([{ Id: 'b' }]);
      expect(deleted.Failed?.map((entry) => entry.Code)).toEqual(['ReceiptHandleIsInvalid']);
      expect(world.queues.receiveAll(queueArn('Work')).map((message) => message.body)).toEqual(['a']);
    });
  });

  it('purges a queue once a minute, refusing a second purge within 60 seconds', async () => {
    // Prepare
    for (const body of ['a', 'b']) await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: body }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }));

    // Act
    await sqs.send(new PurgeQueueCommand({ QueueUrl: world.url('Work') }));
    const depthAfterPurge = world.queues.counts(queueArn('Work'));
    const again = rejection(sqs.send(new PurgeQueueCommand({ QueueUrl: world.url('Work') })));
    expect(await again).toMatchObject({ name: 'PurgeQueueInProgress', $metadata: { httpStatusCode: 403 } });
    world.advance(60_000);
    const later = await sqs.send(new PurgeQueueCommand({ QueueUrl: world.url('Work') }));

    // Assess
    expect(depthAfterPurge).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(later.$metadata.httpStatusCode).toBe(200);
    expect(world.hops.filter((hop) => hop.kind === 'purged')).toEqual([
      { kind: 'purged', queue: 'Work', count: 2 },
      { kind: 'purged', queue: 'Work', count: 0 },
    ]);
  });

  describe('under IAM', () => {
    it('denies ReceiveMessage to a role without sqs:ReceiveMessage with AccessDenied, as SQS words it, and allows what it grants', async () => {
      // Prepare
      await sqs.send(new SendMessageCommand({ QueueUrl: world.url('Work'), MessageBody: 'dead letter' }));
      const reader = world.client(world.credentialsOf('Reader'));

      // Act
      const attributes = await reader.send(new GetQueueAttributesCommand({ QueueUrl: world.url('Work'), AttributeNames: ['ApproximateNumberOfMessages'] }));
      const receive = rejection(reader.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') })));
      const list = rejection(reader.send(new ListQueuesCommand({})));

      // Assess
      expect(attributes.Attributes).toEqual({ ApproximateNumberOfMessages: '1' });
      expect(await receive).toMatchObject({
        name: 'AccessDenied',
        $metadata: { httpStatusCode: 403 },
        message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/Reader/redrive is not authorized to perform: sqs:receivemessage on resource: ${queueArn('Work')} because no identity-based policy allows the sqs:receivemessage action`,
      });
      expect(await list).toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('sqs:listqueues on resource: *') });
      expect(world.queues.depth(queueArn('Work'))).toBe(1);
    });

    it("evaluates the queue's policy: its explicit deny wins over the role's allow", async () => {
      // Prepare
      const consumer = world.client(world.credentialsOf('Consumer'));
      await consumer.send(new SendMessageCommand({ QueueUrl: world.url('Guarded'), MessageBody: 'x' }));

      // Act
      const receive = rejection(consumer.send(new ReceiveMessageCommand({ QueueUrl: world.url('Guarded') })));
      const allowed = await consumer.send(new ReceiveMessageCommand({ QueueUrl: world.url('Work') }));

      // Assess
      expect(await receive).toMatchObject({ name: 'AccessDenied', message: expect.stringContaining('with an explicit deny in a resource-based policy') });
      expect(allowed.$metadata.httpStatusCode).toBe(200);
    });
  });
});

describe('the MD5 of message attributes', () => {
  it('matches what SQS answered for a known message', () => {
    // Prepare: a ReceiveMessage answer recorded from SQS (AtTimestamp, a String attribute)
    const attributes = { AtTimestamp: { dataType: 'String', stringValue: '2021-02-15T12:00:33+09:00' } };

    // Act
    const md5 = md5OfMessageAttributes(attributes);

    // Assess
    expect(md5).toBe('9fd5e217089075be61cd1d67e35e5117');
  });
});

describe('clients of the query protocol', () => {
  it('are told the local cloud speaks JSON only, and to upgrade', async () => {
    // Prepare
    const world = await open();

    // Act
    const answer = await fetch(world.endpointUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: `Action=ReceiveMessage&Version=2012-11-05&QueueUrl=${encodeURIComponent(world.url('Work'))}`,
    });
    await world.close();

    // Assess
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ __type: 'InvalidAction', message: expect.stringContaining('sent ReceiveMessage in the query protocol. Upgrade the AWS CLI or SDK.') });
  });
});
