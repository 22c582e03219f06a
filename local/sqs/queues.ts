/**
 * Amazon SQS queues for the local cloud, in memory.
 *
 * Queues hold what the local cloud sends them (dead letters of EventBridge
 * targets, of Lambda's asynchronous invocations and of the outbox pipe) with
 * the body and message attributes AWS would give it, and what a client sends
 * through the SQS API (`./sqs-api`). Consumers receive as SQS lets them: a
 * received message is invisible until its visibility timeout passes, each
 * receive hands out a new receipt handle, and only the latest handle deletes
 * the message or changes its visibility.
 * {@link SqsQueues.receiveAll} and {@link SqsQueues.depth} inspect a queue
 * without receiving anything, so looking never changes what a consumer sees.
 *
 * A queue's `RedrivePolicy` works as SQS's does, for every consumer (the SQS
 * API's `ReceiveMessage` and Lambda event source mappings alike): the receive
 * that would hand a message out for the (maxReceiveCount + 1)-th time moves it
 * to the dead-letter queue instead, with its message id, body, message
 * attributes, `SentTimestamp` and `AWSTraceHeader`, and a
 * `DeadLetterQueueSourceArn` naming the queue it came from. Its
 * `ApproximateReceiveCount` carries on from the source queue's, and the
 * dead-letter queue's retention counts from the original enqueue time. A
 * dead-letter queue's `RedriveAllowPolicy` is enforced when the template is
 * read, as SQS enforces it when the source queue's policy is set.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 *
 * `AWS::SQS::QueuePolicy` (and `AWS::SQS::QueueInlinePolicy`) are accepted
 * here and evaluated by the local IAM (`../iam`) for every send that crosses
 * a principal boundary (a rule's dead-letter queue, a function's).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
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
  'RedrivePolicy',
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

/** The longest visibility timeout SQS allows, counted from the receive: 12 hours. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** A message attribute as SQS stores it (Binary attributes are not emulated). */
export interface MessageAttributeValue {
  /** `String` or `Number`, optionally with a custom label after a dot (`Number.float`). */
  readonly dataType: string;
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
  /** Who sent it, as SQS's `SenderId` attribute reports it. @default the account id */
  readonly senderId: string;
  /** The `AWSTraceHeader` system attribute the sender gave, if any. */
  readonly traceHeader?: string;
  /**
   * The queue a redrive policy moved the message from (SQS's
   * `DeadLetterQueueSourceArn`): set only on a message in a dead-letter queue.
   */
  readonly deadLetterSourceArn?: string;
}

/** Options of {@link SqsQueues.send} beyond the body and attributes. */
export interface SendOptions {
  /** Overrides the queue's `DelaySeconds` for this message (0 to 900). @default the queue's */
  readonly delaySeconds?: number;
  /** @default the account id */
  readonly senderId?: string;
  readonly traceHeader?: string;
}

/** Options of {@link SqsQueues.receive}. */
export interface ReceiveOptions {
  /**
   * Asked of each visible message, oldest first, before it is received: the
   * receive stops at the first one that does not fit (a Lambda event source
   * mapping keeps its batch under the invocation payload limit so).
   * @default every message fits
   */
  readonly fits?: (message: QueueMessage) => boolean;
  /**
   * Only messages this answers true for are received; the others are left
   * as they are (the console receives the one message a person chose so).
   * @default every message
   */
  readonly select?: (message: QueueMessage) => boolean;
}

/** A queue's dead-letter settings (`RedrivePolicy`). */
export interface RedrivePolicy {
  /** Where a message goes when a receive would exceed {@link maxReceiveCount}. */
  readonly deadLetterTargetArn: string;
  /** How many times a message may be received before it moves (1 to 1000). */
  readonly maxReceiveCount: number;
}

/** A message handed to a consumer by {@link SqsQueues.receive}. */
export interface ReceivedMessage {
  readonly message: QueueMessage;
  /** What deletes the message or changes its visibility; a new one at each receive. */
  readonly receiptHandle: string;
  /** SQS's `ApproximateReceiveCount`, this receive included. */
  readonly receiveCount: number;
  /** Epoch ms of the message's first receive (`ApproximateFirstReceiveTimestamp`). */
  readonly firstReceivedAt: number;
}

/** How many messages a queue holds, by state, as `GetQueueAttributes` reports them. */
export interface QueueCounts {
  /** `ApproximateNumberOfMessages`: ready to be received. */
  readonly visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: received, within their visibility timeout. */
  readonly inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`: sent with a delay that has not passed. */
  readonly delayed: number;
}

/** What a delete with a receipt handle did. */
export type DeleteOutcome =
  /** The handle was the message's latest: the message is gone. */
  | 'deleted'
  /**
   * The message was received again since this handle was issued. SQS answers
   * success and may keep the message; the local cloud keeps it, the case a
   * consumer must survive.
   */
  | 'stale'
  /** The message is no longer in the queue (deleted, purged, expired): SQS answers success. */
  | 'gone';

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
  /** How long a received message stays invisible, unless the receive says otherwise. @default 30 */
  readonly visibilityTimeoutSeconds: number;
  /** How long a `ReceiveMessage` that does not say waits for a message (long polling). @default 0 */
  readonly receiveMessageWaitTimeSeconds: number;
  /** Encryption at rest is meaningless in memory; recorded as declared. @default true */
  readonly sqsManagedSse: boolean;
  /** Where messages received too often go, if anywhere. */
  readonly redrivePolicy?: RedrivePolicy;
  /**
   * The `RedriveAllowPolicy` as declared (JSON text), as `GetQueueAttributes`
   * shows it; enforced when the template is read (which source queues may
   * name this queue as their dead-letter queue).
   */
  readonly redriveAllowPolicy?: string;
  /** The queue policies' documents that govern this queue (JSON text), as `GetQueueAttributes` shows them. */
  readonly policy?: string;
  /** Epoch ms at which the local cloud created the queue. */
  readonly createdAt: number;
}

/** Options of {@link SqsQueues.create}. */
export interface SqsQueuesOptions {
  /** Clock for timestamps, retention and delays (epoch ms). @default Date.now */
  readonly now?: () => number;
  /** Hears every message a queue accepts; the CLI logs dead letters with it. @default no listener */
  readonly onSend?: (queue: QueueSettings, message: QueueMessage) => void;
  /**
   * Hears every message a redrive policy moves to a dead-letter queue, with
   * how many times it had been received. @default no listener
   */
  readonly onMove?: (from: QueueSettings, to: QueueSettings, message: QueueMessage, receiveCount: number) => void;
}

/** No queue of that ARN, URL or name exists locally. */
export class QueueNotFoundError extends Error {
  public constructor(queue: string, options?: { readonly cause?: unknown }) {
    super(`The specified queue does not exist: ${queue}`, options);
    this.name = 'QueueNotFoundError';
  }
}

/** Which SQS error a refused message is. */
export type InvalidMessageCode = 'InvalidMessageContents' | 'InvalidParameterValue' | 'MissingParameter';

/** SQS would refuse the message (too long, bad characters, too many attributes). */
export class InvalidMessageError extends Error {
  /** The SQS error code the API answers with. */
  public readonly code: InvalidMessageCode;

  public constructor(message: string, options?: { readonly cause?: unknown; readonly code?: InvalidMessageCode }) {
    super(message, options);
    this.name = 'InvalidMessageError';
    this.code = options?.code ?? 'InvalidParameterValue';
  }
}

/** A receipt handle SQS never issued for this queue (`ReceiptHandleIsInvalid`). */
export class InvalidReceiptHandleError extends Error {
  public constructor(
    public readonly receiptHandle: string,
    /** `malformed`: not a receipt handle at all; `other-queue`: issued by another queue. */
    public readonly reason: 'malformed' | 'other-queue',
  ) {
    super(reason === 'malformed' ? `The input receipt handle "${receiptHandle}" is not a valid receipt handle.` : `The receipt handle "${receiptHandle}" is not valid for this queue.`);
    this.name = 'InvalidReceiptHandleError';
  }
}

/**
 * A visibility change SQS refuses: the message is gone, was received again
 * since the handle was issued, or is no longer in flight.
 */
export class MessageNotInFlightError extends Error {
  public constructor(public readonly receiptHandle: string) {
    super(`Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    this.name = 'MessageNotInFlightError';
  }
}

/** A visibility timeout that would end more than 12 hours after the receive. */
export class VisibilityTimeoutLimitError extends Error {
  public constructor(public readonly visibilityTimeout: number) {
    super(`Value ${String(visibilityTimeout)} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${String(MAX_VISIBILITY_TIMEOUT_SECONDS)} seconds].`);
    this.name = 'VisibilityTimeoutLimitError';
  }
}

/** A message and what consumers have done with it. */
interface StoredMessage {
  readonly message: QueueMessage;
  /** Epoch ms from which a consumer may receive it: the delay, then the end of each visibility timeout. */
  invisibleUntil: number;
  /** SQS's `ApproximateReceiveCount`: it carries on when a redrive policy moves the message. */
  receiveCount: number;
  /**
   * Receives from this queue, which its redrive policy counts: a message moved
   * to a dead-letter queue starts again at 0 there, so a dead-letter queue's
   * own redrive policy does not move it on at its first receive.
   */
  redriveReceives: number;
  firstReceivedAt?: number;
  /** Epoch ms of the latest receive, from which the 12-hour visibility limit counts. */
  lastReceivedAt?: number;
}

interface LocalQueue {
  readonly settings: QueueSettings;
  messages: StoredMessage[];
  readonly listeners: Set<() => void>;
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
  private readonly onMove?: (from: QueueSettings, to: QueueSettings, message: QueueMessage, receiveCount: number) => void;

  private constructor(queues: readonly LocalQueue[], notEnforced: readonly string[], options: SqsQueuesOptions) {
    this.queues = queues;
    this.notEnforced = notEnforced;
    this.now = options.now ?? Date.now;
    this.onSend = options.onSend;
    this.onMove = options.onMove;
    for (const queue of queues) {
      for (const key of [queue.settings.arn, queue.settings.url, queue.settings.name]) this.lookup.set(key, queue);
    }
  }

  /**
   * Builds the queues of a template.
   *
   * @throws {UnsupportedFeatureError} for a property the local cloud does not
   *   implement (KMS, FIFO) or an unknown `AWS::SQS::*` type, and for a
   *   `RedrivePolicy` SQS refuses (a dead-letter queue that is not a standard
   *   queue of the template, or whose `RedriveAllowPolicy` does not let this
   *   queue name it).
   */
  public static create(resources: readonly LocalResource[], options: SqsQueuesOptions = {}): SqsQueues {
    const queues: LocalQueue[] = [];
    const notEnforced: string[] = [];
    const createdAt = (options.now ?? Date.now)();
    const policies = queuePolicies(resources);
    for (const resource of resources) {
      if (!resource.type.startsWith('AWS::SQS::')) continue;
      if (POLICY_TYPES.includes(resource.type)) {
        // Queue policies are the local IAM's (../iam): it evaluates them on every call that needs them.
        continue;
      }
      if (resource.type !== SQS_QUEUE_TYPE) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'this SQS resource type is not emulated');
      }
      const settings = readQueue(resource, createdAt, policies.get(resource.ref) ?? policies.get(resource.logicalId));
      queues.push({ settings, messages: [], listeners: new Set() });
    }
    checkRedrivePolicies(resources, queues.map((queue) => queue.settings));
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
  public send(queue: string, body: string, attributes: Readonly<Record<string, string | MessageAttributeValue>> = {}, options: SendOptions = {}): QueueMessage {
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
      visibleAt: sentAt + (options.delaySeconds ?? target.settings.delaySeconds) * 1000,
      senderId: options.senderId ?? LOCAL_ACCOUNT,
      ...(options.traceHeader === undefined ? {} : { traceHeader: options.traceHeader }),
    };
    target.messages.push({ message, invisibleUntil: message.visibleAt, receiveCount: 0, redriveReceives: 0 });
    this.onSend?.(target.settings, message);
    this.changed(target);
    return message;
  }

  /**
   * Checks a message as {@link SqsQueues.send} would, without sending it
   * (a batch is checked whole before any of it is sent).
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   * @throws {InvalidMessageError} when SQS would refuse the message.
   */
  public validate(queue: string, body: string, attributes: Readonly<Record<string, string | MessageAttributeValue>> = {}): void {
    validateMessage(this.find(queue).settings, body, normalizeAttributes(attributes));
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
    return target.messages.filter((stored) => stored.invisibleUntil <= now).map((stored) => stored.message);
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

  /**
   * Receives up to `max` visible messages, oldest first, as `ReceiveMessage`
   * does: each becomes invisible for the visibility timeout (the queue's
   * unless given), counts one more receive and gets a new receipt handle. A
   * message the queue's redrive policy says has been received often enough
   * moves to the dead-letter queue instead of being handed out.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public receive(queue: string, max: number, visibilityTimeoutSeconds?: number, options: ReceiveOptions = {}): readonly ReceivedMessage[] {
    const target = this.expire(this.find(queue));
    const now = this.now();
    const timeout = (visibilityTimeoutSeconds ?? target.settings.visibilityTimeoutSeconds) * 1000;
    const received: ReceivedMessage[] = [];
    for (const stored of [...target.messages]) {
      if (received.length >= max) break;
      if (stored.invisibleUntil > now) continue;
      if (options.select && !options.select(stored.message)) continue;
      if (this.redrive(target, stored)) continue;
      if (options.fits && !options.fits(stored.message)) break;
      stored.receiveCount += 1;
      stored.redriveReceives += 1;
      stored.firstReceivedAt ??= now;
      stored.lastReceivedAt = now;
      stored.invisibleUntil = now + timeout;
      received.push({
        message: stored.message,
        receiptHandle: encodeReceiptHandle(target.settings.arn, stored.message.messageId, stored.receiveCount),
        receiveCount: stored.receiveCount,
        firstReceivedAt: stored.firstReceivedAt,
      });
    }
    return received;
  }

  /**
   * Deletes the message a receipt handle names, as `DeleteMessage` does:
   * even if it is in flight with another consumer, as long as the handle is
   * the message's latest.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   * @throws {InvalidReceiptHandleError} for a handle this queue never issued.
   */
  public deleteMessage(queue: string, receiptHandle: string): DeleteOutcome {
    const target = this.find(queue);
    const { stored, latest } = this.byReceipt(target, receiptHandle);
    if (!stored) return 'gone';
    if (!latest) return 'stale';
    target.messages = target.messages.filter((candidate) => candidate !== stored);
    return 'deleted';
  }

  /**
   * Makes an in-flight message visible again at `visibleAt` (now, if that has
   * passed), without the checks and limits of `ChangeMessageVisibility`: how
   * the local cloud returns a message a Lambda event source mapping received
   * and did not delete after the mapping's compressed visibility timeout.
   * Returns false when the handle is no longer the message's latest (or the
   * message is gone), and then changes nothing.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   * @throws {InvalidReceiptHandleError} for a handle this queue never issued.
   */
  public release(queue: string, receiptHandle: string, visibleAt: number): boolean {
    const target = this.find(queue);
    const { stored, latest } = this.byReceipt(target, receiptHandle);
    if (!stored || !latest) return false;
    stored.invisibleUntil = Math.max(this.now(), visibleAt);
    this.changed(target);
    return true;
  }

  /**
   * Changes how long an in-flight message stays invisible, counted from now,
   * as `ChangeMessageVisibility` does (0 makes it visible at once).
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   * @throws {InvalidReceiptHandleError} for a handle this queue never issued.
   * @throws {MessageNotInFlightError} when the message is gone, was received
   *   again since, or is visible again.
   * @throws {VisibilityTimeoutLimitError} when it would stay invisible more
   *   than 12 hours after its receive.
   */
  public changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const target = this.expire(this.find(queue));
    const { stored, latest } = this.byReceipt(target, receiptHandle);
    const now = this.now();
    if (!stored || !latest || stored.invisibleUntil <= now || stored.lastReceivedAt === undefined) throw new MessageNotInFlightError(receiptHandle);
    if ((now - stored.lastReceivedAt) / 1000 + visibilityTimeoutSeconds > MAX_VISIBILITY_TIMEOUT_SECONDS) throw new VisibilityTimeoutLimitError(visibilityTimeoutSeconds);
    stored.invisibleUntil = now + visibilityTimeoutSeconds * 1000;
    // A long poll waiting for this message recomputes when it becomes visible.
    this.changed(target);
  }

  /**
   * How many messages are visible, in flight and delayed.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public counts(queue: string): QueueCounts {
    const target = this.expire(this.find(queue));
    const now = this.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const stored of target.messages) {
      if (stored.invisibleUntil <= now) visible += 1;
      else if (stored.receiveCount > 0) inFlight += 1;
      else delayed += 1;
    }
    return { visible, inFlight, delayed };
  }

  /** Epoch ms at which the next invisible message becomes visible, if any is invisible. */
  public nextVisibleAt(queue: string): number | undefined {
    const now = this.now();
    let next: number | undefined;
    for (const stored of this.find(queue).messages) {
      if (stored.invisibleUntil > now && (next === undefined || stored.invisibleUntil < next)) next = stored.invisibleUntil;
    }
    return next;
  }

  /**
   * Calls `listener` whenever a message may have become receivable on the
   * queue sooner than it was (one was sent, or its visibility changed): what
   * long polling waits on. Returns the unsubscribe function.
   *
   * @throws {QueueNotFoundError} when the queue does not exist.
   */
  public subscribe(queue: string, listener: () => void): () => void {
    const target = this.find(queue);
    target.listeners.add(listener);
    return () => target.listeners.delete(listener);
  }

  /**
   * Moves a message to the queue's dead-letter queue when one more receive
   * would exceed its `maxReceiveCount`; true when it moved. SQS keeps the
   * message id, body, attributes, `SentTimestamp` (so the dead-letter queue's
   * retention counts from the original enqueue) and `ApproximateReceiveCount`,
   * and adds `DeadLetterQueueSourceArn` (an AWS-recorded receive in
   * localstack's SQS suite, test_dead_letter_queue_message_attributes, shows
   * all of these; retention:
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html).
   */
  private redrive(source: LocalQueue, stored: StoredMessage): boolean {
    const policy = source.settings.redrivePolicy;
    if (!policy || stored.redriveReceives < policy.maxReceiveCount) return false;
    const target = this.find(policy.deadLetterTargetArn);
    const message: QueueMessage = { ...stored.message, deadLetterSourceArn: source.settings.arn };
    source.messages = source.messages.filter((candidate) => candidate !== stored);
    target.messages.push({
      message,
      invisibleUntil: this.now(),
      receiveCount: stored.receiveCount,
      redriveReceives: 0,
      ...(stored.firstReceivedAt === undefined ? {} : { firstReceivedAt: stored.firstReceivedAt }),
    });
    this.onMove?.(source.settings, target.settings, message, stored.receiveCount);
    this.changed(target);
    return true;
  }

  private changed(queue: LocalQueue): void {
    for (const listener of [...queue.listeners]) listener();
  }

  private byReceipt(queue: LocalQueue, receiptHandle: string): { readonly stored?: StoredMessage; readonly latest: boolean } {
    const decoded = decodeReceiptHandle(receiptHandle);
    if (!decoded) throw new InvalidReceiptHandleError(receiptHandle, 'malformed');
    if (decoded.queueArn !== queue.settings.arn) throw new InvalidReceiptHandleError(receiptHandle, 'other-queue');
    const stored = queue.messages.find((candidate) => candidate.message.messageId === decoded.messageId);
    return { ...(stored ? { stored } : {}), latest: stored?.receiveCount === decoded.receiveCount };
  }

  private find(queue: string): LocalQueue {
    const target = this.lookup.get(queue);
    if (!target) throw new QueueNotFoundError(queue);
    return target;
  }

  private expire(queue: LocalQueue): LocalQueue {
    const oldest = this.now() - queue.settings.messageRetentionSeconds * 1000;
    if (queue.messages.some((stored) => stored.message.sentAt < oldest)) {
      queue.messages = queue.messages.filter((stored) => stored.message.sentAt >= oldest);
    }
    return queue;
  }
}

/**
 * A receipt handle: which queue issued it, for which message, at which
 * receive (so an older one is told from the latest), and random bytes so
 * that no two look alike.
 */
function encodeReceiptHandle(queueArn: string, messageId: string, receiveCount: number): string {
  return Buffer.from(`${queueArn} ${messageId} ${String(receiveCount)} ${randomBytes(24).toString('base64')}`, 'utf8').toString('base64');
}

function decodeReceiptHandle(handle: string): { readonly queueArn: string; readonly messageId: string; readonly receiveCount: number } | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(handle)) return undefined;
  const [queueArn = '', messageId = '', count = '', random, ...rest] = Buffer.from(handle, 'base64').toString('utf8').split(' ');
  if (random === undefined || rest.length > 0 || !queueArn.startsWith('arn:aws:sqs:') || !/^\d+$/.test(count) || messageId === '') return undefined;
  return { queueArn, messageId, receiveCount: Number(count) };
}

/** Each queue's policy documents (JSON text), by the `Ref` the policy names it with. */
function queuePolicies(resources: readonly LocalResource[]): ReadonlyMap<string, string> {
  const statements = new Map<string, unknown[]>();
  for (const resource of resources) {
    if (resource.type !== 'AWS::SQS::QueuePolicy') continue;
    const document = resource.properties.PolicyDocument;
    const queues = resource.properties.Queues;
    if (typeof document !== 'object' || document === null || !Array.isArray(queues)) continue;
    const declared = (document as { Statement?: unknown }).Statement;
    const list = Array.isArray(declared) ? declared : declared === undefined ? [] : [declared];
    for (const queue of queues) if (typeof queue === 'string') statements.set(queue, [...(statements.get(queue) ?? []), ...list]);
  }
  return new Map([...statements].map(([queue, list]) => [queue, JSON.stringify({ Version: '2012-10-17', Statement: list })]));
}

/** The ARN of a local queue with this name. */
export const sqsQueueArn = (name: string): string => `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;

function readQueue(resource: LocalResource, createdAt: number, policy: string | undefined): QueueSettings {
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
    ...optional('redrivePolicy', readRedrivePolicy(properties.RedrivePolicy, fail)),
    ...optional('redriveAllowPolicy', readRedriveAllowPolicy(properties.RedriveAllowPolicy, fail)?.text),
    ...(policy === undefined ? {} : { policy }),
    createdAt,
  };
}

/** `{ [key]: value }` when the value is defined, `{}` otherwise (optional properties stay absent). */
const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } => (value === undefined ? {} : ({ [key]: value } as { [P in K]?: V }));

/** A JSON-object queue attribute, declared as an object or as JSON text (CloudFormation takes both). */
function readJsonAttribute(value: unknown, refuse: (reason: string) => Error): { readonly text: string; readonly object: Readonly<Record<string, unknown>> } {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      throw refuse('it is not valid JSON.');
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse('it must be a JSON object.');
  return { text, object: parsed as Record<string, unknown> };
}

/**
 * A queue's `RedrivePolicy`, refused as SQS refuses it (the
 * missing-attribute wording is SQS's; the others follow its pattern).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
function readRedrivePolicy(value: unknown, fail: (property: string, detail: string) => UnsupportedFeatureError): RedrivePolicy | undefined {
  if (value === undefined) return undefined;
  const refuse = (reason: string): UnsupportedFeatureError =>
    fail('RedrivePolicy', `SQS refuses it (InvalidParameterValue: Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter RedrivePolicy is invalid. Reason: ${reason})`);
  const { object } = readJsonAttribute(value, refuse);
  for (const key of Object.keys(object)) {
    if (key !== 'deadLetterTargetArn' && key !== 'maxReceiveCount') throw refuse(`Redrive policy contains an unknown attribute: ${key}.`);
  }
  const { deadLetterTargetArn, maxReceiveCount } = object;
  if (typeof deadLetterTargetArn !== 'string' || deadLetterTargetArn === '') throw refuse('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
  if (maxReceiveCount === undefined) throw refuse('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
  const count = readInteger(maxReceiveCount, 0);
  if (count === undefined || count < 1 || count > 1000) {
    throw refuse(`Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  return { deadLetterTargetArn, maxReceiveCount: count };
}

/** Which source queues may name a queue as their dead-letter queue. */
interface RedriveAllowPolicy {
  readonly text: string;
  readonly permission: 'allowAll' | 'denyAll' | 'byQueue';
  readonly sourceQueueArns: readonly string[];
}

/**
 * A queue's `RedriveAllowPolicy`: `redrivePermission` `allowAll` (the
 * default), `denyAll` or `byQueue` with up to 10 `sourceQueueArns`.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 */
function readRedriveAllowPolicy(value: unknown, fail: (property: string, detail: string) => UnsupportedFeatureError): RedriveAllowPolicy | undefined {
  if (value === undefined) return undefined;
  const refuse = (reason: string): UnsupportedFeatureError =>
    fail('RedriveAllowPolicy', `SQS refuses it (InvalidParameterValue: Value ${typeof value === 'string' ? value : JSON.stringify(value)} for parameter RedriveAllowPolicy is invalid. Reason: ${reason})`);
  const { text, object } = readJsonAttribute(value, refuse);
  for (const key of Object.keys(object)) {
    if (key !== 'redrivePermission' && key !== 'sourceQueueArns') throw refuse(`Redrive allow policy contains an unknown attribute: ${key}.`);
  }
  const permission = object.redrivePermission ?? 'allowAll';
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw refuse(`Invalid value for redrivePermission: ${String(permission)}, valid values are allowAll, denyAll and byQueue.`);
  }
  const arns = object.sourceQueueArns ?? [];
  if (!Array.isArray(arns) || !arns.every((arn): arn is string => typeof arn === 'string')) throw refuse('sourceQueueArns must be a list of queue ARNs.');
  // "You can specify this parameter only when the redrivePermission parameter is set to byQueue" (SetQueueAttributes).
  if (permission !== 'byQueue' && arns.length > 0) throw refuse(`sourceQueueArns may be given only when redrivePermission is byQueue, not ${permission}.`);
  if (permission === 'byQueue' && arns.length === 0) throw refuse('redrivePermission byQueue needs the sourceQueueArns that may use this queue.');
  if (arns.length > 10) throw refuse(`sourceQueueArns lists ${String(arns.length)} queues; at most 10 are allowed (use allowAll for more).`);
  return { text, permission, sourceQueueArns: arns };
}

/**
 * What SQS checks when a queue's `RedrivePolicy` is set: the dead-letter
 * queue exists (here: is one of the template's queues), is of the same type
 * (standard: FIFO queues are not emulated), and its `RedriveAllowPolicy` lets
 * this queue use it. The wording of SQS's refusal of a redrive allow policy
 * is not documented; the message names the policy and the queues.
 */
function checkRedrivePolicies(resources: readonly LocalResource[], queues: readonly QueueSettings[]): void {
  for (const queue of queues) {
    const policy = queue.redrivePolicy;
    if (!policy) continue;
    const fail = (detail: string): UnsupportedFeatureError => new UnsupportedFeatureError(queue.logicalId, SQS_QUEUE_TYPE, 'RedrivePolicy', detail);
    const target = queues.find((candidate) => candidate.arn === policy.deadLetterTargetArn);
    if (!target) throw fail(`deadLetterTargetArn ${policy.deadLetterTargetArn}: no SQS queue of that ARN in the template (only the template's SQS queues are emulated)`);
    const declared = resources.find((resource) => resource.logicalId === target.logicalId)?.properties.RedriveAllowPolicy;
    const allow = readRedriveAllowPolicy(declared, (property, detail) => new UnsupportedFeatureError(target.logicalId, SQS_QUEUE_TYPE, property, detail));
    const allowed = !allow || allow.permission === 'allowAll' || (allow.permission === 'byQueue' && allow.sourceQueueArns.includes(queue.arn));
    if (!allowed) {
      const why = allow.permission === 'denyAll' ? 'denyAll: no queue may use it as a dead-letter queue' : `byQueue, and ${queue.arn} is not among its sourceQueueArns`;
      throw fail(
        `SQS refuses it (InvalidParameterValue: Value ${JSON.stringify(policy)} for parameter RedrivePolicy is invalid. Reason: the RedriveAllowPolicy of the dead-letter queue ${target.name} is ${why})`,
      );
    }
  }
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
  if (body.length === 0) throw new InvalidMessageError('The request must contain the parameter MessageBody.', { code: 'MissingParameter' });
  const invalid = INVALID_BODY_CHARACTER.exec(body)?.[0];
  if (invalid !== undefined) {
    const code = (invalid.codePointAt(0) ?? 0).toString(16).toUpperCase();
    throw new InvalidMessageError(
      `Invalid binary character '#x${code}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF`,
      { code: 'InvalidMessageContents' },
    );
  }
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new InvalidMessageError(`Number of message attributes [${String(names.length)}] exceeds the allowed maximum [${String(MAX_MESSAGE_ATTRIBUTES)}].`);
  }
  let size = Buffer.byteLength(body, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    if (value.dataType.split('.')[0] === 'Number' && !Number.isFinite(Number(value.stringValue))) {
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
