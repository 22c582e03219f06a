/**
 * Amazon SQS queues for the local cloud, in memory.
 *
 * The shop uses SQS only as dead-letter queues (of EventBridge targets, of
 * Lambda's asynchronous invocations and of the outbox pipe), so what matters
 * locally is that a failed message lands in the queue the template names,
 * with the body and message attributes AWS would give it, and that a
 * developer (or the CLI) can see it there. There is no SQS wire protocol and
 * no consumer API: {@link SqsQueues.receiveAll} and {@link SqsQueues.depth}
 * inspect a queue without changing it.
 *
 * `AWS::SQS::QueuePolicy` (and `AWS::SQS::QueueInlinePolicy`) are accepted
 * here and evaluated by the local IAM (`../iam`) for every send that crosses
 * a principal boundary (a rule's dead-letter queue, a function's).
 */
import { createHash, randomUUID } from 'node:crypto';
import { UnsupportedFeatureError } from '../errors';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';

/** The queue resource type this module emulates. */
export const SQS_QUEUE_TYPE = 'AWS::SQS::Queue';

/** Resource types accepted as documentation only: resource policies are not enforced locally. */
const POLICY_TYPES: readonly string[] = ['AWS::SQS::QueuePolicy', 'AWS::SQS::QueueInlinePolicy'];

/** Queue properties the local cloud implements or can accept without changing behaviour. */
const KNOWN_QUEUE_PROPERTIES: readonly string[] = [
  'QueueName',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'VisibilityTimeout',
  'ReceiveMessageWaitTimeSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'RedriveAllowPolicy',
  'Tags',
];

/** Why a queue property the CloudFormation schema knows is refused locally. */
const REFUSED_QUEUE_PROPERTIES: Readonly<Record<string, string>> = {
  KmsMasterKeyId: 'KMS encryption is not emulated; use SqsManagedSseEnabled (SSE-SQS) instead',
  KmsDataKeyReusePeriodSeconds: 'KMS encryption is not emulated',
  ContentBasedDeduplication: 'FIFO queues are not emulated',
  DeduplicationScope: 'FIFO queues are not emulated',
  FifoThroughputLimit: 'FIFO queues are not emulated',
  RedrivePolicy: 'queue-to-queue redrive needs a consumer API (receive counts), which the local cloud does not have',
};

/** SQS's default retention: 4 days. */
const DEFAULT_RETENTION_SECONDS = 345_600;
/** SQS's default (and, for the classic limit, maximum) message size: 256 KiB. */
const DEFAULT_MAX_MESSAGE_SIZE = 262_144;
/** The largest message SQS accepts when a queue raises its limit: 1 MiB. */
const LARGEST_MESSAGE_SIZE = 1_048_576;
/** SQS refuses more message attributes than this. */
const MAX_MESSAGE_ATTRIBUTES = 10;
/** Characters SQS allows in a message body (its documented XML character set). */
const INVALID_BODY_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A message attribute as SQS stores it (Binary attributes are not used locally). */
export interface MessageAttributeValue {
  readonly dataType: 'String' | 'Number';
  readonly stringValue: string;
}

/** A message in a local queue. */
export interface QueueMessage {
  readonly messageId: string;
  readonly body: string;
  /** Hex MD5 of the body, as SQS reports it in `MD5OfBody`. */
  readonly md5OfBody: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Epoch milliseconds at which the queue accepted the message. */
  readonly sentAt: number;
  /** Epoch milliseconds from which the message is visible (after `DelaySeconds`). */
  readonly visibleAt: number;
}

/** One queue's identity and settings, read from its template properties. */
export interface QueueSettings {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** What `Ref` returns: the queue URL the orchestrator assigned. */
  readonly url: string;
  /** Messages older than this are deleted, as SQS does. @default 345600 (4 days) */
  readonly messageRetentionSeconds: number;
  /** New messages stay invisible this long. @default 0 */
  readonly delaySeconds: number;
  /** Largest body plus attributes accepted, in bytes. @default 262144 */
  readonly maximumMessageSize: number;
  /**
   * Kept for a future consumer API; nothing locally receives messages, so it
   * changes nothing today. @default 30
   */
  readonly visibilityTimeoutSeconds: number;
  /** Kept for a future consumer API, like the visibility timeout. @default 0 */
  readonly receiveMessageWaitTimeSeconds: number;
  /** Encryption at rest is meaningless in memory; recorded as declared. @default true */
  readonly sqsManagedSse: boolean;
}

/** Options of {@link SqsQueues.create}. */
export interface SqsQueuesOptions {
  /** Clock for timestamps, retention and delays (epoch ms). @default Date.now */
  readonly now?: () => number;
  /** Hears every message a queue accepts; the CLI logs dead letters with it. @default no listener */
  readonly onSend?: (queue: QueueSettings, message: QueueMessage) => void;
}

/** No queue of that ARN, URL or name exists locally. */
export class QueueNotFoundError extends Error {
  public constructor(queue: string, options?: { readonly cause?: unknown }) {
    super(`The specified queue does not exist: ${queue}`, options);
    this.name = 'QueueNotFoundError';
  }
}

/** SQS would refuse the message (too long, bad characters, too many attributes). */
export class InvalidMessageError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'InvalidMessageError';
  }
}

interface LocalQueue {
  readonly settings: QueueSettings;
  messages: QueueMessage[];
}

/**
 * The local cloud's SQS queues, built from the template's `AWS::SQS::*`
 * resources. Other resource types are ignored, so the orchestrator can pass
 * the whole template.
 */
export class SqsQueues {
  /**
   * Resources accepted but not enforced (queue policies, redrive-allow
   * policies), one human-readable line each, for the CLI to print.
   */
  public readonly notEnforced: readonly string[];
  private readonly queues: readonly LocalQueue[];
  private readonly lookup = new Map<string, LocalQueue>();
  private readonly now: () => number;
  private readonly onSend?: (queue: QueueSettings, message: QueueMessage) => void;

  private constructor(queues: readonly LocalQueue[], notEnforced: readonly string[], options: SqsQueuesOptions) {
    this.queues = queues;
    this.notEnforced = notEnforced;
    this.now = options.now ?? Date.now;
    this.onSend = options.onSend;
    for (const queue of queues) {
      for (const key of [queue.settings.arn, queue.settings.url, queue.settings.name]) this.lookup.set(key, queue);
    }
  }

  /**
   * Builds the queues of a template.
   *
   * @throws {UnsupportedFeatureError} for a property the local cloud does not
   *   implement (KMS, FIFO, redrive) or an unknown `AWS::SQS::*` type.
   */
  public static create(resources: readonly LocalResource[], options: SqsQueuesOptions = {}): SqsQueues {
    const queues: LocalQueue[] = [];
    const notEnforced: string[] = [];
    for (const resource of resources) {
      if (!resource.type.startsWith('AWS::SQS::')) continue;
      if (POLICY_TYPES.includes(resource.type)) {
        // Queue policies are the local IAM's (../iam): it evaluates them on every send that needs them.
        continue;
      }
      if (resource.type !== SQS_QUEUE_TYPE) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'this SQS resource type is not emulated');
      }
      const settings = readQueue(resource);
      if (resource.properties.RedriveAllowPolicy !== undefined) {
        notEnforced.push(`${resource.logicalId} (${resource.type}): RedriveAllowPolicy accepted, not enforced`);
      }
      queues.push({ settings, messages: [] });
    }
    return new SqsQueues(queues, notEnforced, options);
  }

  /** Every queue's settings, in template order. */
  public list(): readonly QueueSettings[] {
    return this.queues.map((queue) => queue.settings);
  }

  /** The queue an ARN, URL or name designates, if it exists locally. */
  public resolve(queue: string): QueueSettings | undefined {
    return this.lookup.get(queue)?.settings;
  }

  /** True when the ARN, URL or name designates a local queue. */
  public has(queue: string): boolean {
    return this.lookup.has(queue);
  }

  /**
   * Sends a message, as `SendMessage` would. A plain string attribute value
   * is a `String` attribute.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   * @throws {InvalidMessageError} when SQS would refuse the message.
   */
  public send(queue: string, body: string, attributes: Readonly<Record<string, string | MessageAttributeValue>> = {}): QueueMessage {
    const target = this.find(queue);
    const normalized = normalizeAttributes(attributes);
    validateMessage(target.settings, body, normalized);
    const sentAt = this.now();
    const message: QueueMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash('md5').update(body, 'utf8').digest('hex'),
      attributes: normalized,
      sentAt,
      visibleAt: sentAt + target.settings.delaySeconds * 1000,
    };
    target.messages.push(message);
    this.onSend?.(target.settings, message);
    return message;
  }

  /**
   * Sends like {@link SqsQueues.send}, but answers any failure (no such
   * queue, a message SQS would refuse) with its reason instead of throwing:
   * dead-letter queues and destinations are where failed work goes last, so
   * their callers have nowhere to throw to and must report why the message
   * was dropped.
   */
  public offer(
    queue: string,
    body: string,
    attributes: Readonly<Record<string, string | MessageAttributeValue>> = {},
  ): { readonly sent: true; readonly message: QueueMessage } | { readonly sent: false; readonly reason: string } {
    try {
      return { sent: true, message: this.send(queue, body, attributes) };
    } catch (error) {
      return { sent: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /**
   * The visible messages of a queue, oldest first, without receiving them:
   * nothing is hidden or deleted, so the CLI and tests can look as often as
   * they like. Messages past the queue's retention period are gone, as in SQS.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public receiveAll(queue: string): readonly QueueMessage[] {
    const target = this.expire(this.find(queue));
    const now = this.now();
    return target.messages.filter((message) => message.visibleAt <= now);
  }

  /**
   * How many messages are visible: SQS's `ApproximateNumberOfMessagesVisible`,
   * the metric the dead-letter alarms watch.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public depth(queue: string): number {
    return this.receiveAll(queue).length;
  }

  /**
   * Deletes every message of a queue, like `PurgeQueue`, and returns how many
   * there were.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public purge(queue: string): number {
    const target = this.find(queue);
    const count = target.messages.length;
    target.messages = [];
    return count;
  }

  private find(queue: string): LocalQueue {
    const target = this.lookup.get(queue);
    if (!target) throw new QueueNotFoundError(queue);
    return target;
  }

  private expire(queue: LocalQueue): LocalQueue {
    const oldest = this.now() - queue.settings.messageRetentionSeconds * 1000;
    if (queue.messages.some((message) => message.sentAt < oldest)) {
      queue.messages = queue.messages.filter((message) => message.sentAt >= oldest);
    }
    return queue;
  }
}

/** The ARN of a local queue with this name. */
export const sqsQueueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;

function readQueue(resource: LocalResource): QueueSettings {
  const fail = (property: string, detail: string): UnsupportedFeatureError =>
    new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
  const properties = resource.properties;
  for (const property of Object.keys(properties)) {
    const refused = REFUSED_QUEUE_PROPERTIES[property];
    if (refused !== undefined) throw fail(property, refused);
    if (!KNOWN_QUEUE_PROPERTIES.includes(property)) throw fail(property, 'this queue property is not emulated');
  }
  if (readBoolean(properties.FifoQueue, false, () => fail('FifoQueue', 'must be a boolean'))) {
    throw fail('FifoQueue', 'FIFO queues are not emulated');
  }
  const integer = (property: string, fallback: number, min: number, max: number): number => {
    const value = readInteger(properties[property], fallback);
    if (value === undefined || value < min || value > max) {
      throw fail(property, `must be an integer from ${String(min)} to ${String(max)}`);
    }
    return value;
  };
  let declaredName: string | undefined;
  if (properties.QueueName !== undefined) {
    if (typeof properties.QueueName !== 'string' || properties.QueueName === '') throw fail('QueueName', 'must be a non-empty string');
    declaredName = properties.QueueName;
  }
  const name = resource.arn?.split(':').at(-1) ?? declaredName ?? resource.logicalId;
  const arn = resource.arn ?? sqsQueueArn(name);
  return {
    logicalId: resource.logicalId,
    name,
    arn,
    url: resource.ref,
    messageRetentionSeconds: integer('MessageRetentionPeriod', DEFAULT_RETENTION_SECONDS, 60, 1_209_600),
    delaySeconds: integer('DelaySeconds', 0, 0, 900),
    maximumMessageSize: integer('MaximumMessageSize', DEFAULT_MAX_MESSAGE_SIZE, 1024, LARGEST_MESSAGE_SIZE),
    visibilityTimeoutSeconds: integer('VisibilityTimeout', 30, 0, 43_200),
    receiveMessageWaitTimeSeconds: integer('ReceiveMessageWaitTimeSeconds', 0, 0, 20),
    sqsManagedSse: readBoolean(properties.SqsManagedSseEnabled, true, () => fail('SqsManagedSseEnabled', 'must be a boolean')),
  };
}

/** CloudFormation accepts numbers and numeric strings for integer properties. */
function readInteger(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
}

/** CloudFormation accepts booleans and `"true"`/`"false"` for boolean properties. */
function readBoolean(value: unknown, fallback: boolean, fail: () => Error): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw fail();
}

function normalizeAttributes(attributes: Readonly<Record<string, string | MessageAttributeValue>>): Record<string, MessageAttributeValue> {
  const normalized: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    normalized[name] = typeof value === 'string' ? { dataType: 'String', stringValue: value } : value;
  }
  return normalized;
}

function validateMessage(queue: QueueSettings, body: string, attributes: Readonly<Record<string, MessageAttributeValue>>): void {
  if (body.length === 0) throw new InvalidMessageError('The message body must not be empty.');
  if (INVALID_BODY_CHARACTER.test(body)) throw new InvalidMessageError('The message body contains characters outside the allowed set.');
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new InvalidMessageError(`Number of message attributes [${String(names.length)}] exceeds the allowed maximum [${String(MAX_MESSAGE_ATTRIBUTES)}].`);
  }
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    if (value.dataType === 'Number' && !Number.isFinite(Number(value.stringValue))) {
      throw new InvalidMessageError(`Message attribute ${name} is a Number but its value is not a number.`);
    }
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.dataType, 'utf8') + Buffer.byteLength(value.stringValue, 'utf8');
  }
  if (size > queue.maximumMessageSize) {
    throw new InvalidMessageError(
      `One or more parameters are invalid. Reason: Message must be shorter than ${String(queue.maximumMessageSize)} bytes.`,
    );
  }
}
