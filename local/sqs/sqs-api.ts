/**
 * The SQS API on the local AWS endpoint, in the protocol the current SDKs and
 * the AWS CLI speak: AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Operation>`,
 * errors as `{"__type", "message"}` with the query-era error code in the
 * `x-amzn-query-error` header, which the SDKs turn into their exception
 * (`QueueDoesNotExist` for `AWS.SimpleQueueService.NonExistentQueue`).
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-json-api-responses.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 *
 * Operations: GetQueueUrl, ListQueues, GetQueueAttributes, SendMessage,
 * SendMessageBatch, ReceiveMessage (long polling included),
 * DeleteMessage, DeleteMessageBatch, ChangeMessageVisibility,
 * ChangeMessageVisibilityBatch, PurgeQueue. A queue's redrive policy applies
 * to `ReceiveMessage` as to every consumer (`./queues`). Queues are the template's: the
 * API creates, deletes and reconfigures none. IAM (each operation's action on
 * the queue, the queue's policy) is the endpoint's, through
 * `../iam/api-actions`; a denial answers as SQS does (`AccessDenied`, 403,
 * the action in lower case as SQS spells it).
 *
 * Where the local cloud differs from SQS, on purpose: a short poll
 * (`WaitTimeSeconds` 0) sees every visible message, where SQS samples some of
 * its servers and may answer fewer or none; `PurgeQueue` takes effect at once
 * (SQS takes up to 60 seconds); Binary message attributes and message groups
 * are refused as not emulated.
 */
import { createHash } from 'node:crypto';
import { AwsServiceError, type AwsEndpoint, type JsonOperation } from '../aws-endpoint';
import type { IamDenial } from '../iam/authorizer';
import { LOCAL_ACCOUNT } from '../resources';
import {
  InvalidMessageError,
  InvalidReceiptHandleError,
  MAX_VISIBILITY_TIMEOUT_SECONDS,
  MessageNotInFlightError,
  QueueNotFoundError,
  VisibilityTimeoutLimitError,
  type MessageAttributeValue,
  type QueueMessage,
  type QueueSettings,
  type ReceivedMessage,
  type SqsQueues,
} from './queues';

/** The JSON protocol's target prefix for SQS. */
export const SQS_TARGET_PREFIX = 'AmazonSQS';

/** What the SQS API did, for the hop log. Empty receives are not reported (a poller makes many). */
export type SqsApiHop =
  | { readonly kind: 'received'; readonly queue: string; readonly count: number; readonly waitedMs: number }
  | { readonly kind: 'deleted'; readonly queue: string; readonly count: number }
  /** A delete with a receipt handle older than the message's latest receive: SQS answers success and keeps it. */
  | { readonly kind: 'stale-delete'; readonly queue: string; readonly messageId: string }
  | { readonly kind: 'purged'; readonly queue: string; readonly count: number };

/** Options of {@link SqsApi}. */
export interface SqsApiOptions {
  /** Clock for long-polling deadlines and the PurgeQueue interval (epoch ms). @default Date.now */
  readonly now?: () => number;
  /** Hears what consumers do; must not throw. @default no listener */
  readonly onHop?: (hop: SqsApiHop) => void;
}

const MAX_BATCH_ENTRIES = 10;
const MAX_WAIT_SECONDS = 20;
const MAX_DELAY_SECONDS = 900;
const PURGE_INTERVAL_MS = 60_000;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;

/** The queue attributes `GetQueueAttributes` knows (some only apply to FIFO or KMS queues, which are not emulated). */
const QUEUE_ATTRIBUTE_NAMES: readonly string[] = [
  'All',
  'Policy',
  'VisibilityTimeout',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
  'ApproximateNumberOfMessagesDelayed',
  'DelaySeconds',
  'ReceiveMessageWaitTimeSeconds',
  'RedrivePolicy',
  'FifoQueue',
  'ContentBasedDeduplication',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'DeduplicationScope',
  'FifoThroughputLimit',
  'RedriveAllowPolicy',
  'SqsManagedSseEnabled',
];

/** The message system attributes `ReceiveMessage` knows. */
const MESSAGE_SYSTEM_ATTRIBUTE_NAMES: readonly string[] = [
  'All',
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'SequenceNumber',
  'MessageDeduplicationId',
  'MessageGroupId',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
];

// ---------------------------------------------------------------------------
// Errors, as SQS answers them
// ---------------------------------------------------------------------------

/**
 * An SQS error: the shape the model names in `__type`, the query-era code
 * and fault in `x-amzn-query-error` (what the SDKs and the CLI report).
 */
const sqsError = (type: string, queryCode: string, message: string, status = 400, fault: 'Sender' | 'Receiver' = 'Sender'): AwsServiceError =>
  new AwsServiceError(type, message, status, { 'x-amzn-query-error': `${queryCode};${fault}` });

const modelled = (shape: string, queryCode: string, message: string, status = 400): AwsServiceError => sqsError(`com.amazonaws.sqs#${shape}`, queryCode, message, status);
/** An error the SQS model does not declare: AWS names it as its request framework does. */
const generic = (code: string, message: string, status = 400): AwsServiceError => sqsError(`com.amazon.coral.service#${code}Exception`, code, message, status);

const queueDoesNotExist = (): AwsServiceError => modelled('QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
const invalidParameter = (message: string): AwsServiceError => generic('InvalidParameterValue', message);
const missingParameter = (name: string): AwsServiceError => generic('MissingParameter', `The request must contain the parameter ${name}.`);
const invalidAttributeName = (name: string): AwsServiceError => modelled('InvalidAttributeName', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
const notEmulated = (what: string): AwsServiceError => modelled('UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation', `${what} is not emulated by the local cloud.`);

/**
 * SQS's answer to a call IAM denies: `AccessDenied`, 403, with the action in
 * lower case as SQS writes it (`… is not authorized to perform:
 * sqs:receivemessage on resource: …`).
 */
export const sqsAccessDenied = (denial: IamDenial): AwsServiceError =>
  generic('AccessDenied', denial.message.split(denial.action).join(denial.action.toLowerCase()), 403);

/** The error an SQS model error maps to, or `undefined` for anything else. */
function fromModel(error: unknown): AwsServiceError | undefined {
  if (error instanceof QueueNotFoundError) return queueDoesNotExist();
  if (error instanceof InvalidReceiptHandleError) return modelled('ReceiptHandleIsInvalid', 'ReceiptHandleIsInvalid', error.message, 404);
  if (error instanceof MessageNotInFlightError || error instanceof VisibilityTimeoutLimitError) return invalidParameter(error.message);
  if (error instanceof InvalidMessageError) {
    if (error.code === 'InvalidMessageContents') return modelled('InvalidMessageContents', 'InvalidMessageContents', error.message);
    return error.code === 'MissingParameter' ? generic('MissingParameter', error.message) : invalidParameter(error.message);
  }
  return undefined;
}

/** What a batch entry failure reports: the SQS code and message of the error. */
function batchFailure(id: string, error: unknown): Record<string, unknown> {
  const mapped = fromModel(error) ?? (error instanceof AwsServiceError ? error : undefined);
  if (!mapped) throw error;
  const code = (mapped.headers['x-amzn-query-error'] ?? mapped.type).split(';')[0] ?? mapped.type;
  return { Id: id, SenderFault: mapped.statusCode < 500, Code: code, Message: mapped.message };
}

// ---------------------------------------------------------------------------
// Reading the wire
// ---------------------------------------------------------------------------

type Input = Readonly<Record<string, unknown>>;

const isObject = (value: unknown): value is Input => typeof value === 'object' && value !== null && !Array.isArray(value);

function optionalString(input: Input, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(`Value for parameter ${key} is invalid. Reason: must be a string.`);
  return value;
}

function requiredString(input: Input, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined || value === '') throw missingParameter(key);
  return value;
}

/** An integer parameter within `[min, max]`, refused with SQS's wording (`reason`). */
function optionalInteger(input: Input, key: string, min: number, max: number, reason: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(`Value ${String(value)} for parameter ${key} is invalid. Reason: ${reason}`);
  }
  return value;
}

function stringList(input: Input, key: string): readonly string[] {
  const value = input[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw invalidParameter(`Value for parameter ${key} is invalid. Reason: must be a list of strings.`);
  }
  return value;
}

function entries(input: Input, request: string): readonly Input[] {
  const value = input.Entries;
  const list = Array.isArray(value) ? value : [];
  if (list.length === 0) {
    throw modelled('EmptyBatchRequest', 'AWS.SimpleQueueService.EmptyBatchRequest', `There should be at least one ${request}RequestEntry in the request.`);
  }
  if (list.length > MAX_BATCH_ENTRIES) {
    throw modelled('TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', `Maximum number of entries per request are ${String(MAX_BATCH_ENTRIES)}. You have sent ${String(list.length)}.`);
  }
  const ids = new Set<string>();
  return list.map((entry: unknown) => {
    if (!isObject(entry)) throw invalidParameter('Each batch entry must be an object.');
    const id = typeof entry.Id === 'string' ? entry.Id : '';
    if (!BATCH_ENTRY_ID.test(id)) {
      throw modelled('InvalidBatchEntryId', 'AWS.SimpleQueueService.InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (ids.has(id)) throw modelled('BatchEntryIdsNotDistinct', 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
    ids.add(id);
    return entry;
  });
}

/** A message's user attributes, as `SendMessage` takes them; Binary ones are not emulated. */
function readMessageAttributes(value: unknown): Record<string, MessageAttributeValue> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) throw invalidParameter('Value for parameter MessageAttributes is invalid. Reason: must be a map.');
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, declared] of Object.entries(value)) {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html
    if (!ATTRIBUTE_NAME.test(name) || /^(aws|amazon)\./i.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
      throw invalidParameter(
        `Message (user) attribute name '${name}' is invalid: names contain only letters, digits, hyphens, underscores and periods, do not start or end with a period or hold two in a row, and do not start with AWS. or Amazon.`,
      );
    }
    const attribute = isObject(declared) ? declared : {};
    const dataType = typeof attribute.DataType === 'string' ? attribute.DataType : '';
    if (dataType === '') throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const base = dataType.split('.')[0] ?? '';
    if (base === 'Binary') throw notEmulated(`Binary message attributes (attribute '${name}')`);
    if (base !== 'String' && base !== 'Number') {
      throw invalidParameter(`The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (attribute.StringListValues !== undefined || attribute.BinaryListValues !== undefined) throw notEmulated(`List message attribute values (attribute '${name}')`);
    if (typeof attribute.StringValue !== 'string' || attribute.StringValue === '') {
      throw invalidParameter(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${base}'.`);
    }
    attributes[name] = { dataType, stringValue: attribute.StringValue };
  }
  return attributes;
}

/** `AWSTraceHeader`, the only message system attribute a sender may set. */
function readTraceHeader(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw invalidParameter('Value for parameter MessageSystemAttributes is invalid. Reason: must be a map.');
  let traceHeader: string | undefined;
  for (const [name, declared] of Object.entries(value)) {
    if (name !== 'AWSTraceHeader') throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
    const attribute = isObject(declared) ? declared : {};
    if (attribute.DataType !== 'String' || typeof attribute.StringValue !== 'string' || attribute.StringValue === '') {
      throw invalidParameter("Message system attribute 'AWSTraceHeader' must be a non-empty String.");
    }
    traceHeader = attribute.StringValue;
  }
  return traceHeader;
}

/**
 * SQS's MD5 of message attributes: each attribute, by name, as the length
 * (4 bytes, big-endian) and UTF-8 bytes of its name, its data type, a
 * transport byte (1 for String and Number) and its value.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation
 */
export function md5OfMessageAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>): string {
  const hash = createHash('md5');
  const field = (text: string): void => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length);
    hash.update(bytes);
  };
  for (const name of Object.keys(attributes).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))) {
    const value = attributes[name];
    if (!value) continue;
    field(name);
    field(value.dataType);
    hash.update(Buffer.from([1]));
    field(value.stringValue);
  }
  return hash.digest('hex');
}

const wireAttributes = (attributes: Readonly<Record<string, MessageAttributeValue>>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { DataType: value.dataType, StringValue: value.stringValue }]));

/** The user attributes a receive asked for: `All` or `.*`, names, or prefixes (`Order.*`). */
function selectAttributes(attributes: Readonly<Record<string, MessageAttributeValue>>, requested: readonly string[]): Record<string, MessageAttributeValue> {
  const selected: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = requested.some((pattern) => pattern === 'All' || pattern === '.*' || pattern === name || (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))));
    if (wanted) selected[name] = value;
  }
  return selected;
}

// ---------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------

/**
 * The local cloud's SQS API over its queues. Register it on the AWS
 * endpoint with {@link SqsApi.registerOn}; {@link SqsApi.close} ends every
 * long poll at once (with no messages), as the local cloud stops.
 */
export class SqsApi {
  private readonly now: () => number;
  private readonly onHop?: (hop: SqsApiHop) => void;
  private readonly waiters = new Set<() => void>();
  private readonly purgedAt = new Map<string, number>();
  private closed = false;

  public constructor(
    private readonly queues: SqsQueues,
    options: SqsApiOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.onHop = options.onHop;
  }

  /** Registers the operations under `AmazonSQS`, answering in AWS JSON 1.0 with SQS's errors. */
  public registerOn(endpoint: AwsEndpoint): void {
    endpoint.registerJson(SQS_TARGET_PREFIX, this.operations(), { version: '1.0', denied: sqsAccessDenied });
  }

  /** The JSON-protocol operations, by name. */
  public operations(): Readonly<Record<string, JsonOperation>> {
    const wrap =
      (operation: (input: Input) => unknown): JsonOperation =>
      async (input) => {
        try {
          return await operation(input);
        } catch (error) {
          throw fromModel(error) ?? error;
        }
      };
    return {
      GetQueueUrl: wrap((input) => this.getQueueUrl(input)),
      ListQueues: wrap((input) => this.listQueues(input)),
      GetQueueAttributes: wrap((input) => this.getQueueAttributes(input)),
      SendMessage: wrap((input) => this.sendMessage(input)),
      SendMessageBatch: wrap((input) => this.sendMessageBatch(input)),
      ReceiveMessage: wrap((input) => this.receiveMessage(input)),
      DeleteMessage: wrap((input) => this.deleteMessage(input)),
      DeleteMessageBatch: wrap((input) => this.deleteMessageBatch(input)),
      ChangeMessageVisibility: wrap((input) => this.changeMessageVisibility(input)),
      ChangeMessageVisibilityBatch: wrap((input) => this.changeMessageVisibilityBatch(input)),
      PurgeQueue: wrap((input) => this.purgeQueue(input)),
    };
  }

  /** Ends every long poll now (answering no messages); later receives do not wait. */
  public close(): void {
    this.closed = true;
    for (const wake of [...this.waiters]) wake();
  }

  /** The queue a `QueueUrl` names: the URL `Ref` and `GetQueueUrl` give, whatever host it was reached by. */
  private queueFor(input: Input): QueueSettings {
    const url = requiredString(input, 'QueueUrl');
    const exact = this.queues.resolve(url);
    if (exact && exact.url === url) return exact;
    let path: string[];
    try {
      path = new URL(url).pathname.split('/').filter((segment) => segment !== '');
    } catch {
      throw queueDoesNotExist();
    }
    const [account, name, ...rest] = path;
    const queue = account === LOCAL_ACCOUNT && name !== undefined && rest.length === 0 ? this.queues.resolve(name) : undefined;
    if (!queue || queue.name !== name) throw queueDoesNotExist();
    return queue;
  }

  private getQueueUrl(input: Input): unknown {
    const name = requiredString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    const queue = this.queues.resolve(name);
    if (!queue || queue.name !== name || (owner !== undefined && owner !== LOCAL_ACCOUNT)) throw queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  private listQueues(input: Input): unknown {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const max = optionalInteger(input, 'MaxResults', 1, 1000, 'MaxResults must be an integer between 1 and 1000.');
    const token = optionalString(input, 'NextToken');
    let start = 0;
    if (token !== undefined) {
      start = Number(Buffer.from(token, 'base64').toString('utf8'));
      if (!Number.isInteger(start) || start < 0) throw invalidParameter('Invalid NextToken value.');
    }
    const matching = this.queues.list().filter((queue) => queue.name.startsWith(prefix));
    const end = start + (max ?? 1000);
    const urls = matching.slice(start, end).map((queue) => queue.url);
    return {
      ...(urls.length > 0 ? { QueueUrls: urls } : {}),
      ...(max !== undefined && end < matching.length ? { NextToken: Buffer.from(String(end), 'utf8').toString('base64') } : {}),
    };
  }

  private getQueueAttributes(input: Input): unknown {
    const queue = this.queueFor(input);
    const requested = stringList(input, 'AttributeNames');
    for (const name of requested) if (!QUEUE_ATTRIBUTE_NAMES.includes(name)) throw invalidAttributeName(name);
    const counts = this.queues.counts(queue.arn);
    const created = String(Math.floor(queue.createdAt / 1000));
    const all: Record<string, string | undefined> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: created,
      LastModifiedTimestamp: created,
      VisibilityTimeout: String(queue.visibilityTimeoutSeconds),
      MaximumMessageSize: String(queue.maximumMessageSize),
      MessageRetentionPeriod: String(queue.messageRetentionSeconds),
      DelaySeconds: String(queue.delaySeconds),
      ReceiveMessageWaitTimeSeconds: String(queue.receiveMessageWaitTimeSeconds),
      SqsManagedSseEnabled: String(queue.sqsManagedSse),
      Policy: queue.policy,
      RedrivePolicy: queue.redrivePolicy === undefined ? undefined : JSON.stringify(queue.redrivePolicy),
      RedriveAllowPolicy: queue.redriveAllowPolicy,
    };
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(all)) {
      if (value !== undefined && (requested.includes('All') || requested.includes(name))) attributes[name] = value;
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  /** Reads one message to send (of `SendMessage` or a batch entry) and checks it as SQS would. */
  private readMessage(queue: QueueSettings, input: Input): { body: string; attributes: Record<string, MessageAttributeValue>; delaySeconds?: number; traceHeader?: string } {
    const body = optionalString(input, 'MessageBody') ?? '';
    const delaySeconds = optionalInteger(input, 'DelaySeconds', 0, MAX_DELAY_SECONDS, `DelaySeconds must be >= 0 and <= ${String(MAX_DELAY_SECONDS)}.`);
    const deduplicationId = optionalString(input, 'MessageDeduplicationId');
    if (deduplicationId !== undefined) {
      throw invalidParameter(`Value ${deduplicationId} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`);
    }
    if (optionalString(input, 'MessageGroupId') !== undefined) throw notEmulated('MessageGroupId on a standard queue (fair queues)');
    const attributes = readMessageAttributes(input.MessageAttributes);
    const traceHeader = readTraceHeader(input.MessageSystemAttributes);
    this.queues.validate(queue.arn, body, attributes);
    return { body, attributes, ...(delaySeconds === undefined ? {} : { delaySeconds }), ...(traceHeader === undefined ? {} : { traceHeader }) };
  }

  private sent(message: QueueMessage): Record<string, unknown> {
    const attributes = Object.keys(message.attributes).length > 0 ? { MD5OfMessageAttributes: md5OfMessageAttributes(message.attributes) } : {};
    const system = message.traceHeader === undefined ? {} : { MD5OfMessageSystemAttributes: md5OfMessageAttributes({ AWSTraceHeader: { dataType: 'String', stringValue: message.traceHeader } }) };
    return { MessageId: message.messageId, MD5OfMessageBody: message.md5OfBody, ...attributes, ...system };
  }

  private sendMessage(input: Input): unknown {
    const queue = this.queueFor(input);
    const { body, attributes, ...options } = this.readMessage(queue, input);
    return this.sent(this.queues.send(queue.arn, body, attributes, options));
  }

  private sendMessageBatch(input: Input): unknown {
    const queue = this.queueFor(input);
    const list = entries(input, 'SendMessageBatch');
    const total = list.reduce((sum, entry) => {
      const attributes = isObject(entry.MessageAttributes) ? JSON.stringify(entry.MessageAttributes) : '';
      return sum + Buffer.byteLength(typeof entry.MessageBody === 'string' ? entry.MessageBody : '', 'utf8') + Buffer.byteLength(attributes, 'utf8');
    }, 0);
    if (total > queue.maximumMessageSize) {
      throw modelled('BatchRequestTooLong', 'AWS.SimpleQueueService.BatchRequestTooLong', `Batch requests cannot be longer than ${String(queue.maximumMessageSize)} bytes. You have sent ${String(total)} bytes.`);
    }
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of list) {
      const id = String(entry.Id);
      try {
        const { body, attributes, ...options } = this.readMessage(queue, entry);
        successful.push({ Id: id, ...this.sent(this.queues.send(queue.arn, body, attributes, options)) });
      } catch (error) {
        failed.push(batchFailure(id, error));
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private async receiveMessage(input: Input): Promise<unknown> {
    const queue = this.queueFor(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10, 'Must be between 1 and 10, if provided.') ?? 1;
    const visibilityTimeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS, `Must be >= 0 and <= ${String(MAX_VISIBILITY_TIMEOUT_SECONDS)}, if provided.`);
    const waitSeconds = optionalInteger(input, 'WaitTimeSeconds', 0, MAX_WAIT_SECONDS, `Must be >= 0 and <= ${String(MAX_WAIT_SECONDS)}, if provided.`) ?? queue.receiveMessageWaitTimeSeconds;
    const systemNames = [...stringList(input, 'AttributeNames'), ...stringList(input, 'MessageSystemAttributeNames')];
    for (const name of systemNames) if (!MESSAGE_SYSTEM_ATTRIBUTE_NAMES.includes(name)) throw invalidAttributeName(name);
    const userNames = stringList(input, 'MessageAttributeNames');
    // ReceiveRequestAttemptId "applies only to FIFO queues"; SQS ignores it on a standard queue.
    const startedAt = this.now();
    const deadline = startedAt + waitSeconds * 1000;
    for (;;) {
      const received = this.queues.receive(queue.arn, max, visibilityTimeout);
      if (received.length > 0) {
        this.onHop?.({ kind: 'received', queue: queue.name, count: received.length, waitedMs: this.now() - startedAt });
        return { Messages: received.map((message) => this.wireMessage(message, systemNames, userNames)) };
      }
      const remaining = deadline - this.now();
      if (remaining <= 0 || this.closed) return {};
      const nextVisible = this.queues.nextVisibleAt(queue.arn);
      await this.waitForChange(queue.arn, nextVisible === undefined ? remaining : Math.min(remaining, Math.max(1, nextVisible - this.now())));
    }
  }

  /** Resolves when the queue may have a message to receive, or after `ms` (the timer never keeps the process alive). */
  private waitForChange(queueArn: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      const unsubscribe = this.queues.subscribe(queueArn, wake);
      this.waiters.add(wake);
    });
  }

  private wireMessage(received: ReceivedMessage, systemNames: readonly string[], userNames: readonly string[]): Record<string, unknown> {
    const { message } = received;
    const system: Record<string, string | undefined> = {
      SenderId: message.senderId,
      SentTimestamp: String(message.sentAt),
      ApproximateReceiveCount: String(received.receiveCount),
      ApproximateFirstReceiveTimestamp: String(received.firstReceivedAt),
      AWSTraceHeader: message.traceHeader,
      DeadLetterQueueSourceArn: message.deadLetterSourceArn,
    };
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(system)) {
      if (value !== undefined && (systemNames.includes('All') || systemNames.includes(name))) attributes[name] = value;
    }
    const user = selectAttributes(message.attributes, userNames);
    const hasUser = Object.keys(user).length > 0;
    return {
      MessageId: message.messageId,
      ReceiptHandle: received.receiptHandle,
      MD5OfBody: message.md5OfBody,
      Body: message.body,
      ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
      ...(hasUser ? { MD5OfMessageAttributes: md5OfMessageAttributes(user), MessageAttributes: wireAttributes(user) } : {}),
    };
  }

  /** Deletes one message; reports a stale handle, which SQS answers with success. */
  private deleteOne(queue: QueueSettings, receiptHandle: string): void {
    const outcome = this.queues.deleteMessage(queue.arn, receiptHandle);
    if (outcome === 'deleted') this.onHop?.({ kind: 'deleted', queue: queue.name, count: 1 });
    else if (outcome === 'stale') this.onHop?.({ kind: 'stale-delete', queue: queue.name, messageId: messageIdOf(receiptHandle) });
  }

  private deleteMessage(input: Input): unknown {
    const queue = this.queueFor(input);
    this.deleteOne(queue, requiredString(input, 'ReceiptHandle'));
    return {};
  }

  private deleteMessageBatch(input: Input): unknown {
    const queue = this.queueFor(input);
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries(input, 'DeleteMessageBatch')) {
      const id = String(entry.Id);
      try {
        this.deleteOne(queue, requiredString(entry, 'ReceiptHandle'));
        successful.push({ Id: id });
      } catch (error) {
        failed.push(batchFailure(id, error));
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private changeOne(queue: QueueSettings, input: Input): void {
    const receiptHandle = requiredString(input, 'ReceiptHandle');
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_TIMEOUT_SECONDS, `Must be >= 0 and <= ${String(MAX_VISIBILITY_TIMEOUT_SECONDS)}.`);
    if (timeout === undefined) throw missingParameter('VisibilityTimeout');
    this.queues.changeVisibility(queue.arn, receiptHandle, timeout);
  }

  private changeMessageVisibility(input: Input): unknown {
    this.changeOne(this.queueFor(input), input);
    return {};
  }

  private changeMessageVisibilityBatch(input: Input): unknown {
    const queue = this.queueFor(input);
    const successful: unknown[] = [];
    const failed: unknown[] = [];
    for (const entry of entries(input, 'ChangeMessageVisibilityBatch')) {
      const id = String(entry.Id);
      try {
        this.changeOne(queue, entry);
        successful.push({ Id: id });
      } catch (error) {
        failed.push(batchFailure(id, error));
      }
    }
    return { Successful: successful, Failed: failed };
  }

  private purgeQueue(input: Input): unknown {
    const queue = this.queueFor(input);
    const last = this.purgedAt.get(queue.arn);
    const now = this.now();
    // "Only one PurgeQueue operation on a queue is allowed every 60 seconds."
    if (last !== undefined && now - last < PURGE_INTERVAL_MS) {
      throw modelled('PurgeQueueInProgress', 'AWS.SimpleQueueService.PurgeQueueInProgress', `Only one PurgeQueue operation on ${queue.name} is allowed every 60 seconds.`, 403);
    }
    this.purgedAt.set(queue.arn, now);
    this.onHop?.({ kind: 'purged', queue: queue.name, count: this.queues.purge(queue.arn) });
    return {};
  }
}

/** The message id inside a receipt handle the queue accepted, for the hop log. */
const messageIdOf = (receiptHandle: string): string => Buffer.from(receiptHandle, 'base64').toString('utf8').split(' ')[1] ?? '';
