/**
 * The local SQS queues: built from the template's AWS::SQS::* resources,
 * keeping messages with their attributes, and refusing what is not emulated.
 */
import { UnsupportedFeatureError } from '../../local/errors';
import type { LocalResource } from '../../local/resources';
import { InvalidMessageError, QueueNotFoundError, SqsQueues } from '../../local/sqs/queues';
import { failureOf, queueArn, queueResource as queue } from '../support/local-resources';



/** The dead-letter queue ShopBus synthesizes, with its policy. */
const shopDeadLetters: readonly LocalResource[] = [
  queue('DeadLetters', { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true }),
  {
    logicalId: 'DeadLettersPolicy',
    type: 'AWS::SQS::QueuePolicy',
    properties: { PolicyDocument: { Statement: [], Version: '2012-10-17' }, Queues: ['http://localhost:4566/000000000000/DeadLetters'] },
    ref: 'DeadLettersPolicy',
  },
];


describe('SqsQueues', () => {
  it('keeps sent messages with their attributes, oldest first, and inspecting does not consume them', () => {
    // Prepare
    const queues = SqsQueues.create(shopDeadLetters);

    // Act
    queues.send(queueArn('DeadLetters'), '{"n":1}', { ERROR_CODE: 'NO_RESOURCE', RETRY_ATTEMPTS: { dataType: 'Number', stringValue: '0' } });
    queues.send('DeadLetters', '{"n":2}');

    // Assess
    const messages = queues.receiveAll(queueArn('DeadLetters'));
    expect(messages.map((message) => message.body)).toEqual(['{"n":1}', '{"n":2}']);
    expect(messages[0]?.attributes).toEqual({
      ERROR_CODE: { dataType: 'String', stringValue: 'NO_RESOURCE' },
      RETRY_ATTEMPTS: { dataType: 'Number', stringValue: '0' },
    });
    expect(messages[0]?.md5OfBody).toBe('082c26c8a6bc75226a31da5495cc9292');
    expect(queues.depth('http://localhost:4566/000000000000/DeadLetters')).toBe(2);
  });

  it('accepts a queue policy and leaves it to the local IAM, listing nothing as not enforced', () => {
    const queues = SqsQueues.create(shopDeadLetters);

    expect(queues.notEnforced).toEqual([]);
  });

  it('ignores resources of other services, so the whole template can be passed', () => {
    const queues = SqsQueues.create([...shopDeadLetters, { logicalId: 'Table', type: 'AWS::DynamoDB::Table', properties: {}, ref: 'Table' }]);

    expect(queues.list().map((settings) => settings.name)).toEqual(['DeadLetters']);
  });

  it('reads the settings it emulates, with SQS defaults', () => {
    const queues = SqsQueues.create([queue('Plain'), queue('Tuned', { MessageRetentionPeriod: '120', DelaySeconds: 5, VisibilityTimeout: 60 })]);

    expect(queues.resolve('Plain')).toMatchObject({ messageRetentionSeconds: 345600, delaySeconds: 0, maximumMessageSize: 262144, visibilityTimeoutSeconds: 30 });
    expect(queues.resolve('Tuned')).toMatchObject({ messageRetentionSeconds: 120, delaySeconds: 5, visibilityTimeoutSeconds: 60 });
  });

  it('drops messages older than the retention period and hides delayed ones until their delay passes', () => {
    // Prepare
    let now = 1_000_000;
    const queues = SqsQueues.create([queue('Short', { MessageRetentionPeriod: 60 }), queue('Delayed', { DelaySeconds: 10 })], { now: () => now });
    queues.send('Short', 'old');
    queues.send('Delayed', 'later');

    // Act
    now += 5_000;
    const delayedEarly = queues.depth('Delayed');
    now += 56_000;

    // Assess
    expect(delayedEarly).toBe(0);
    expect(queues.depth('Delayed')).toBe(1);
    expect(queues.receiveAll('Short')).toEqual([]);
  });

  it('refuses what SQS refuses: unknown queues, oversized and empty messages', () => {
    const queues = SqsQueues.create([queue('Small', { MaximumMessageSize: 1024 })]);

    expect(() => queues.send('Nope', 'x')).toThrow(QueueNotFoundError);
    expect(() => queues.send('Small', 'x'.repeat(1025))).toThrow(InvalidMessageError);
    expect(() => queues.send('Small', '')).toThrow(InvalidMessageError);
    expect(queues.depth('Small')).toBe(0);
  });

  it('tells the onSend listener about every accepted message', () => {
    const sent: string[] = [];
    const queues = SqsQueues.create([queue('Watched')], { onSend: (settings, message) => sent.push(`${settings.name}:${message.body}`) });

    queues.send('Watched', 'hello');

    expect(sent).toEqual(['Watched:hello']);
  });

  it('purges a queue', () => {
    const queues = SqsQueues.create([queue('Q')]);
    queues.send('Q', 'a');
    queues.send('Q', 'b');

    expect(queues.purge('Q')).toBe(2);
    expect(queues.depth('Q')).toBe(0);
  });

  it.each([
    ['KmsMasterKeyId', { KmsMasterKeyId: 'alias/aws/sqs' }],
    ['FifoQueue', { FifoQueue: true }],
    ['RedrivePolicy', { RedrivePolicy: { deadLetterTargetArn: queueArn('NotInTheTemplate'), maxReceiveCount: 3 } }],
    ['ContentBasedDeduplication', { ContentBasedDeduplication: true }],
    ['SomethingNew', { SomethingNew: 1 }],
    ['MessageRetentionPeriod', { MessageRetentionPeriod: 10 }],
  ])('refuses %s with an error naming the queue and the property', (property, properties) => {
    const error = failureOf(() => SqsQueues.create([queue('Refused', properties)]));

    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(error).toMatchObject({ logicalId: 'Refused', resourceType: 'AWS::SQS::Queue', property });
  });

  describe('redrive policies', () => {
    const redriving = (maxReceiveCount: unknown, allow?: unknown): LocalResource[] => [
      queue('Source', { RedrivePolicy: { deadLetterTargetArn: queueArn('Dead'), maxReceiveCount } }),
      queue('Dead', allow === undefined ? {} : { RedriveAllowPolicy: allow }),
    ];

    it('moves a message on the receive after its maxReceiveCount-th, and tells onMove how often it was received', () => {
      // Prepare
      const moved: string[] = [];
      const queues = SqsQueues.create(redriving('1'), { onMove: (from, to, message, count) => moved.push(`${from.name}→${to.name}:${message.body}:${String(count)}`) });
      queues.send('Source', 'poison');
      const [first] = queues.receive('Source', 1, 0);

      // Act
      const second = queues.receive('Source', 1, 0);

      // Assess
      expect(first?.receiveCount).toBe(1);
      expect(second).toEqual([]);
      expect(moved).toEqual(['Source→Dead:poison:1']);
      expect(queues.receiveAll('Dead')).toEqual([expect.objectContaining({ body: 'poison', deadLetterSourceArn: queueArn('Source') })]);
    });

    it('receives only the messages a select accepts, leaving the others as they are', () => {
      // Prepare
      const queues = SqsQueues.create(redriving('1'));
      const kept = queues.send('Dead', 'not this one');
      const chosen = queues.send('Dead', 'this one');

      // Act
      const received = queues.receive('Dead', 10, 30, { select: (message) => message.messageId === chosen.messageId });

      // Assess
      expect(received.map((one) => one.message.body)).toEqual(['this one']);
      expect(queues.receiveAll('Dead').map((message) => message.messageId)).toEqual([kept.messageId]);
      expect(queues.receive('Dead', 10, 30)[0]).toMatchObject({ receiveCount: 1, message: { body: 'not this one' } });
    });

    it.each([0, 1001, 'many'])('refuses maxReceiveCount %p as SQS does', (count) => {
      const error = failureOf(() => SqsQueues.create(redriving(count)));

      expect(error).toMatchObject({ logicalId: 'Source', property: 'RedrivePolicy', message: expect.stringContaining('valid values are from 1 to 1000 both inclusive') });
    });

    it.each([
      ['denyAll', { redrivePermission: 'denyAll' }, /denyAll/],
      ['byQueue without the source', { redrivePermission: 'byQueue', sourceQueueArns: [queueArn('Elsewhere')] }, /not among its sourceQueueArns/],
    ])("refuses a source queue the dead-letter queue's RedriveAllowPolicy does not let in (%s)", (_case, allow, reason) => {
      const error = failureOf(() => SqsQueues.create(redriving(3, allow)));

      expect(error).toBeInstanceOf(UnsupportedFeatureError);
      expect(error).toMatchObject({ logicalId: 'Source', property: 'RedrivePolicy', message: expect.stringMatching(reason) });
    });

    it('lets in a source queue its dead-letter queue lists byQueue', () => {
      const queues = SqsQueues.create(redriving(3, JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [queueArn('Source')] })));

      expect(queues.resolve('Source')?.redrivePolicy).toEqual({ deadLetterTargetArn: queueArn('Dead'), maxReceiveCount: 3 });
    });

    it('refuses sourceQueueArns with allowAll, as SetQueueAttributes does', () => {
      const error = failureOf(() => SqsQueues.create(redriving(3, { redrivePermission: 'allowAll', sourceQueueArns: [queueArn('Source')] })));

      expect(error).toMatchObject({ logicalId: 'Dead', property: 'RedriveAllowPolicy' });
    });
  });

  it('accepts a standard queue declared with FifoQueue false', () => {
    expect(SqsQueues.create([queue('Standard', { FifoQueue: false })]).has('Standard')).toBe(true);
  });
});
