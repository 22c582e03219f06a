/**
 * Lambda event source mappings with an SQS queue source
 * (`AWS::Lambda::EventSourceMapping`), as Lambda runs them:
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
 *
 * - Pollers long-poll the queue with the function's execution role (IAM
 *   checks `sqs:ReceiveMessage`, `sqs:DeleteMessage` and
 *   `sqs:GetQueueAttributes` on the queue, the calls Lambda makes with that
 *   role) and never spin: an empty queue is waited on through its change
 *   listeners, as the SQS API's long polling is.
 * - A batch is up to `BatchSize` messages (10 at most without a batching
 *   window), gathered for up to `MaximumBatchingWindowInSeconds` when one is
 *   set, and always under the 6 MB synchronous payload limit.
 * - The function is invoked synchronously with the SQS event (`Records[]`), so
 *   its asynchronous retries and dead-letter queue do not apply.
 * - Success deletes the batch. With `ReportBatchItemFailures`, the response's
 *   `batchItemFailures` keeps only the messages it names; a malformed response
 *   fails the whole batch (the rules of
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html).
 *   A function error, timeout, crash or throttle leaves the whole batch to
 *   reappear when the queue's visibility timeout ends: each receive counts, so
 *   the queue's `RedrivePolicy` (maxReceiveCount) is the retry budget.
 * - Time: a message the mapping received and did not delete reappears
 *   `VisibilityTimeout × retryDelayScale` after its receive (the local cloud
 *   compresses retry delays; that wait IS the retry delay). While the batch
 *   runs the message stays invisible, so no other poller takes it.
 * - Concurrency: at most `ScalingConfig.MaximumConcurrency` batches at once,
 *   else the function's reserved concurrency, else the account's unreserved
 *   pool (Lambda throttles beyond the function's limits, and a throttled
 *   batch reappears like a failed one).
 * - `FilterCriteria`: EventBridge patterns matched against each record, its
 *   body as JSON when it is JSON (https://docs.aws.amazon.com/lambda/latest/dg/with-sqs-filtering.html);
 *   Lambda deletes the messages no filter matches.
 * - `Enabled: false`: the mapping never polls.
 *
 * Refused at start-up: other sources (DynamoDB and Kinesis streams, Kafka,
 * MQ, DocumentDB), FIFO queues, versions and aliases, and every property that
 * does not apply to an SQS source or is not emulated.
 */
import { createHash } from 'node:crypto';
import { readEventPattern } from '../eventbridge/event-bus';
import { matchesEventPattern, type EventPattern } from '../eventbridge/event-pattern';
import type { IamGate } from '../iam/local-iam';
import type { IamPrincipal } from '../iam/principals';
import type { InvokeFunction, InvokeResult } from '../lambda/lambda-runtime';
import { SYNC_REQUEST_LIMIT_BYTES } from '../lambda/limits';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { PropertyReader, isPropertyObject } from '../support/property-reader';
import type { Drainable } from '../support/pending-work';
import type { QueueMessage, ReceivedMessage, SqsQueues } from './queues';

/** The resource type this module emulates. */
export const EVENT_SOURCE_MAPPING_TYPE = 'AWS::Lambda::EventSourceMapping';

/** Lambda's default batch size for an SQS source. */
const DEFAULT_BATCH_SIZE = 10;
/** The most messages one `ReceiveMessage` returns. */
const RECEIVE_LIMIT = 10;
/** How long one long poll waits when nothing will become visible sooner (SQS's longest wait). */
const LONG_POLL_MS = 20_000;
/** Lambda's default limit on filters per mapping. */
const MAX_FILTERS = 5;
/** What each record adds to the event beyond its body and attributes (ids, receipt handle, names), generously. */
const RECORD_OVERHEAD_BYTES = 1024;

const SQS_ARN = /^arn:aws:sqs:[^:]*:[^:]*:[^:]+$/;

/** Why a property CloudFormation knows is refused for an SQS source. */
const REFUSED_PROPERTIES: Readonly<Record<string, string>> = {
  DestinationConfig: 'Lambda does not support on-failure destinations for Amazon SQS sources; the queue\'s RedrivePolicy sends a message that keeps failing to its dead-letter queue',
  BisectBatchOnFunctionError: 'applies only to stream sources (Kinesis, DynamoDB); Lambda refuses it for an Amazon SQS source',
  MaximumRecordAgeInSeconds: 'applies only to stream sources (Kinesis, DynamoDB); Lambda refuses it for an Amazon SQS source',
  MaximumRetryAttempts: 'applies only to stream sources (Kinesis, DynamoDB); for an Amazon SQS source the retry budget is the queue\'s RedrivePolicy maxReceiveCount',
  ParallelizationFactor: 'applies only to stream sources (Kinesis, DynamoDB); Lambda refuses it for an Amazon SQS source',
  StartingPosition: 'applies only to stream and Kafka sources; Lambda refuses it for an Amazon SQS source',
  StartingPositionTimestamp: 'applies only to stream and Kafka sources; Lambda refuses it for an Amazon SQS source',
  TumblingWindowInSeconds: 'applies only to stream sources (Kinesis, DynamoDB); Lambda refuses it for an Amazon SQS source',
  Topics: 'Kafka sources are not emulated',
  Queues: 'Amazon MQ sources are not emulated',
  SourceAccessConfigurations: 'Kafka and Amazon MQ sources are not emulated',
  SelfManagedEventSource: 'self-managed Kafka sources are not emulated',
  SelfManagedKafkaEventSourceConfig: 'self-managed Kafka sources are not emulated',
  AmazonManagedKafkaEventSourceConfig: 'Amazon MSK sources are not emulated',
  DocumentDBEventSourceConfig: 'Amazon DocumentDB sources are not emulated',
  KmsKeyArn: 'customer-managed KMS keys (for filter criteria) are not emulated',
  MetricsConfig: 'event source mapping metrics are not emulated',
  ProvisionedPollerConfig: 'provisioned mode is not emulated (pollers scale on demand locally)',
  LoggingConfig: 'event source mapping logging is not emulated (the local cloud logs every batch itself)',
};

const KNOWN_PROPERTIES: readonly string[] = [
  'EventSourceArn',
  'FunctionName',
  'BatchSize',
  'MaximumBatchingWindowInSeconds',
  'Enabled',
  'FunctionResponseTypes',
  'ScalingConfig',
  'FilterCriteria',
  'Tags',
];

/** A message attribute in the shape Lambda's SQS event gives it. */
export interface SqsRecordMessageAttribute {
  readonly stringValue?: string;
  readonly binaryValue?: string;
  readonly stringListValues: readonly string[];
  readonly binaryListValues: readonly string[];
  readonly dataType: string;
}

/** One record of the SQS event Lambda invokes the function with. */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly messageAttributes: Readonly<Record<string, SqsRecordMessageAttribute>>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

interface HopBase {
  /** The mapping's logical id. */
  readonly mapping: string;
  readonly queue: string;
  readonly functionName: string;
  /** `detail.metadata.correlationId` of each record whose body is an EventBridge event carrying one. */
  readonly correlationIds: readonly string[];
}

/**
 * What a mapping did: `batch` (the function was invoked with `count`
 * messages), `failed` (the whole batch will reappear), `partial` (the
 * function reported `failed` of `count` messages), `filtered` (messages no
 * filter matched, deleted), `problem` (the mapping cannot poll: IAM denied a
 * call Lambda makes with the function's role).
 */
export type EventSourceMappingHop =
  | (HopBase & { readonly kind: 'batch'; readonly count: number })
  | (HopBase & { readonly kind: 'failed'; readonly count: number; readonly errorType: string; readonly errorMessage: string; readonly retryInMs: number })
  | (HopBase & { readonly kind: 'partial'; readonly count: number; readonly failed: number; readonly retryInMs: number })
  | (HopBase & { readonly kind: 'filtered'; readonly count: number })
  | (HopBase & { readonly kind: 'problem'; readonly reason: string });

/** What {@link EventSourceMappings.create} needs from the rest of the local cloud. */
export interface EventSourceMappingDeps {
  readonly queues: SqsQueues;
  /** Synchronous invocation (`RequestResponse`). */
  readonly invoke: InvokeFunction;
  /**
   * Scales the time a received, undeleted message stays invisible (the
   * queue's visibility timeout): the retry delay of a mapping. @default 1
   */
  readonly retryDelayScale?: number;
  /** The account's unreserved concurrency: a mapping's limit when neither it nor its function sets one. @default 1000 */
  readonly unreservedConcurrency?: () => number;
  /** Authorizes the calls Lambda makes on the queue with the function's role. @default no checks */
  readonly iam?: IamGate;
  /** The principal a function (by ARN) acts as: a session of its execution role. @default none (no checks) */
  readonly principalOf?: (functionArn: string) => IamPrincipal | undefined;
  /** Hears every hop; must not throw. */
  readonly onHop?: (hop: EventSourceMappingHop) => void;
  /** Clock (epoch ms). @default Date.now */
  readonly now?: () => number;
}

/** A mapping's settings, read from the template. */
interface MappingSettings {
  readonly logicalId: string;
  readonly uuid: string;
  readonly queueArn: string;
  readonly queueName: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly enabled: boolean;
  readonly reportBatchItemFailures: boolean;
  /** `ScalingConfig.MaximumConcurrency`, if set. */
  readonly maximumConcurrency?: number;
  /** The function's `ReservedConcurrentExecutions`, if set. */
  readonly reservedConcurrency?: number;
  readonly filters: readonly EventPattern[];
}

/** How a batch ended, from the function's answer. */
type Verdict = { readonly kind: 'success' } | { readonly kind: 'partial'; readonly failed: ReadonlySet<string> } | { readonly kind: 'failure'; readonly errorType: string; readonly errorMessage: string };

/** The UUID Lambda gives a mapping (what `Ref` returns), stable per logical id so runs are repeatable. */
export const eventSourceMappingUuid = (logicalId: string): string => {
  const hex = createHash('sha256').update(`event-source-mapping/${logicalId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
};

/** A mapping's ARN. */
export const eventSourceMappingArn = (uuid: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-source-mapping:${uuid}`;

/**
 * One event source mapping: a poll loop that gathers batches and runs them,
 * up to its concurrency at once.
 */
export class LocalEventSourceMapping {
  /** `Enabled` or `Disabled`, as `GetEventSourceMapping` reports it. */
  public readonly state: 'Enabled' | 'Disabled';
  /**
   * `No records processed`, `OK`, or `PROBLEM: …` when the mapping cannot
   * poll (the function's role may not make a call Lambda needs): it then
   * stops polling, since the local cloud's IAM does not change while it runs.
   */
  public lastProcessingResult = 'No records processed';
  private polling = false;
  private stopped = false;
  private inFlight = 0;
  private readonly slotWaiters: Array<() => void> = [];
  private readonly wakers = new Set<() => void>();
  private readonly idleWaiters: Array<() => void> = [];
  private readonly authorized = new Map<string, Promise<boolean>>();
  private loop: Promise<void> = Promise.resolve();

  /** @internal Built by {@link EventSourceMappings.create}. */
  public constructor(
    public readonly settings: MappingSettings,
    private readonly deps: EventSourceMappingDeps,
  ) {
    this.state = settings.enabled ? 'Enabled' : 'Disabled';
  }

  /**
   * How many batches run at once at most: `MaximumConcurrency`, else the
   * function's reserved concurrency, else the account's unreserved pool.
   */
  public get concurrency(): number {
    const { maximumConcurrency, reservedConcurrency } = this.settings;
    return Math.max(1, maximumConcurrency ?? reservedConcurrency ?? this.deps.unreservedConcurrency?.() ?? 1000);
  }

  /** The mapping's ARN. */
  public get arn(): string {
    return eventSourceMappingArn(this.settings.uuid);
  }

  /** True when no batch is running and the mapping has nothing visible to take (or does not poll). */
  public get idle(): boolean {
    if (this.inFlight > 0) return false;
    if (!this.polling || this.stopped) return true;
    return this.deps.queues.counts(this.settings.queueArn).visible === 0;
  }

  /** Starts polling (an enabled mapping only). */
  public start(): void {
    if (this.state !== 'Enabled' || this.polling || this.stopped) return;
    this.polling = true;
    this.loop = this.run().catch((error: unknown) => {
      this.problem(`the poller stopped: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Takes no new batch; batches under way finish. */
  public stop(): void {
    this.stopped = true;
    for (const wake of [...this.wakers]) wake();
    for (const resume of this.slotWaiters.splice(0)) resume();
    this.notifyIdle();
  }

  /** Resolves when {@link idle}. */
  public async drain(): Promise<void> {
    while (!this.idle) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        const timer = setTimeout(resolve, 25);
        timer.unref();
      });
    }
  }

  /** Resolves when the poll loop has ended (after {@link stop}, or a PROBLEM). */
  public async whenStopped(): Promise<void> {
    await this.loop;
  }

  private async run(): Promise<void> {
    if (!(await this.may('sqs:GetQueueAttributes'))) return;
    while (!this.stopped) {
      await this.slot();
      if (this.stopped) return;
      if (!(await this.may('sqs:ReceiveMessage'))) return;
      const batch = await this.gather();
      if (batch.messages.length === 0) continue;
      if (this.stopped) {
        // Taken while stopping: back to the queue at once, untouched.
        for (const received of batch.messages) this.deps.queues.release(this.settings.queueArn, received.receiptHandle, this.now());
        return;
      }
      this.inFlight += 1;
      void this.process(batch.messages, batch.receivedAt).finally(() => {
        this.inFlight -= 1;
        this.slotWaiters.shift()?.();
        this.notifyIdle();
      });
    }
  }

  /** Waits until fewer than the mapping's concurrency of batches run. */
  private slot(): Promise<void> {
    if (this.inFlight < this.concurrency || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /**
   * Long-polls for a batch: returns as soon as messages are there (no
   * batching window), or once the batch is full, its payload would pass the
   * limit, or the window that opened with its first message has passed.
   */
  private async gather(): Promise<{ readonly messages: ReceivedMessage[]; readonly receivedAt: number }> {
    const { queues } = this.deps;
    const { queueArn, batchSize, batchingWindowSeconds } = this.settings;
    const visibility = queues.resolve(queueArn)?.visibilityTimeoutSeconds ?? 30;
    const messages: ReceivedMessage[] = [];
    let bytes = 0;
    let payloadFull = false;
    let receivedAt = this.now();
    let windowEndsAt: number | undefined;
    const fits = (message: QueueMessage): boolean => {
      const size = recordBytes(message);
      if (bytes + size > SYNC_REQUEST_LIMIT_BYTES - 64) {
        payloadFull = true;
        return false;
      }
      bytes += size;
      return true;
    };
    for (;;) {
      if (this.stopped) return { messages, receivedAt };
      const got = queues.receive(queueArn, Math.min(RECEIVE_LIMIT, batchSize - messages.length), visibility, { fits });
      if (got.length > 0 && messages.length === 0) {
        receivedAt = this.now();
        windowEndsAt = receivedAt + batchingWindowSeconds * 1000;
      }
      messages.push(...got);
      if (messages.length >= batchSize || payloadFull) return { messages, receivedAt };
      if (messages.length > 0 && (windowEndsAt === undefined || this.now() >= windowEndsAt)) return { messages, receivedAt };
      if (got.length > 0) continue;
      const nextVisible = queues.nextVisibleAt(queueArn);
      const untilVisible = nextVisible === undefined ? LONG_POLL_MS : Math.max(1, nextVisible - this.now());
      await this.waitForChange(windowEndsAt === undefined ? untilVisible : Math.min(untilVisible, Math.max(1, windowEndsAt - this.now())));
    }
  }

  /** Resolves when the queue may have something to receive, after `ms`, or on stop (the timer never keeps the process alive). */
  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        unsubscribe();
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.min(ms, LONG_POLL_MS));
      timer.unref();
      const unsubscribe = this.deps.queues.subscribe(this.settings.queueArn, wake);
      this.wakers.add(wake);
    });
  }

  private async process(messages: readonly ReceivedMessage[], receivedAt: number): Promise<void> {
    const { settings, deps } = this;
    const records = messages.map((received) => toRecord(received, settings.queueArn));
    const matched = settings.filters.length === 0 ? records : records.filter((record) => settings.filters.some((filter) => matchesEventPattern(filter, filterable(record))));
    if (matched.length < records.length) {
      const dropped = records.filter((record) => !matched.includes(record));
      await this.delete(dropped);
      this.hop({ kind: 'filtered', count: dropped.length, correlationIds: correlationIds(dropped) });
    }
    if (matched.length === 0) return;
    this.hop({ kind: 'batch', count: matched.length, correlationIds: correlationIds(matched) });
    let verdict: Verdict;
    try {
      verdict = this.judge(await deps.invoke(settings.functionArn, { Records: matched }), matched);
    } catch (error) {
      // Throttled (or refused): Lambda hands the batch back; it reappears after the visibility timeout.
      verdict = { kind: 'failure', errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error) };
    }
    const visibleAt = receivedAt + (deps.queues.resolve(settings.queueArn)?.visibilityTimeoutSeconds ?? 30) * 1000 * (deps.retryDelayScale ?? 1);
    const retryInMs = Math.max(0, Math.round(visibleAt - this.now()));
    if (verdict.kind === 'success') {
      this.lastProcessingResult = 'OK';
      if (!(await this.delete(matched))) this.release(matched, visibleAt);
      return;
    }
    if (verdict.kind === 'failure') {
      this.lastProcessingResult = 'PROBLEM: Function call failed';
      this.release(matched, visibleAt);
      this.hop({ kind: 'failed', count: matched.length, errorType: verdict.errorType, errorMessage: verdict.errorMessage, retryInMs, correlationIds: correlationIds(matched) });
      return;
    }
    this.lastProcessingResult = 'OK';
    const failed = matched.filter((record) => verdict.failed.has(record.messageId));
    const succeeded = matched.filter((record) => !verdict.failed.has(record.messageId));
    this.release((await this.delete(succeeded)) ? failed : matched, visibleAt);
    if (failed.length > 0) this.hop({ kind: 'partial', count: matched.length, failed: failed.length, retryInMs, correlationIds: correlationIds(failed) });
  }

  /**
   * The batch's outcome from the function's answer. Without
   * `ReportBatchItemFailures` any answer is a success. With it: a null or
   * empty response, or a null or empty `batchItemFailures`, is a success; an
   * identifier that is empty, null, not a string, or not a message of the
   * batch, or a response that is not an object, fails the whole batch.
   */
  private judge(result: InvokeResult, batch: readonly SqsRecord[]): Verdict {
    if (!result.ok) return { kind: 'failure', errorType: result.error.errorType, errorMessage: result.error.errorMessage };
    if (!this.settings.reportBatchItemFailures) return { kind: 'success' };
    const { payload } = result;
    const malformed = (why: string): Verdict => ({ kind: 'failure', errorType: 'InvalidBatchItemFailures', errorMessage: `the function's partial batch response ${why}, so Lambda treats the whole batch as failed` });
    if (payload === null || payload === undefined) return { kind: 'success' };
    if (!isPropertyObject(payload)) return malformed('is not a JSON object');
    const failures = payload.batchItemFailures;
    if (failures === null || failures === undefined) return { kind: 'success' };
    if (!Array.isArray(failures)) return malformed('has a batchItemFailures that is not a list');
    const ids = new Set(batch.map((record) => record.messageId));
    const failed = new Set<string>();
    for (const failure of failures) {
      const id = isPropertyObject(failure) ? failure.itemIdentifier : undefined;
      if (typeof id !== 'string' || id === '') return malformed(`names an item without an itemIdentifier (${JSON.stringify(failure) ?? 'undefined'})`);
      if (!ids.has(id)) return malformed(`names ${id}, which is not a message of the batch`);
      failed.add(id);
    }
    return failed.size === 0 ? { kind: 'success' } : { kind: 'partial', failed };
  }

  /** Deletes the records' messages; false when the role may not (they then reappear, as on AWS). */
  private async delete(records: readonly SqsRecord[]): Promise<boolean> {
    if (records.length === 0) return true;
    if (!(await this.may('sqs:DeleteMessage'))) return false;
    for (const record of records) this.deps.queues.deleteMessage(this.settings.queueArn, record.receiptHandle);
    return true;
  }

  /** Makes messages visible again when the (scaled) visibility timeout of their receive ends. */
  private release(records: readonly SqsRecord[], visibleAt: number): void {
    for (const record of records) this.deps.queues.release(this.settings.queueArn, record.receiptHandle, visibleAt);
  }

  /**
   * Whether the function's role may make a call Lambda makes for the
   * mapping. Each action is evaluated once (the template's IAM does not
   * change while the local cloud runs), so a denial is reported once; a
   * denial of a polling call stops the mapping with a PROBLEM result.
   */
  private may(action: string): Promise<boolean> {
    const { iam, principalOf } = this.deps;
    const principal = principalOf?.(this.settings.functionArn);
    if (!iam || !principal) return Promise.resolve(true);
    let decided = this.authorized.get(action);
    if (!decided) {
      decided = iam
        .check({ principal, action, resource: this.settings.queueArn, hop: `event source mapping ${this.settings.logicalId} → SQS ${this.settings.queueName} (as ${this.settings.functionName}'s role)` })
        .then((denial) => {
          if (!denial) return true;
          this.problem(`Lambda cannot call ${action.split(':')[1] ?? action} on ${this.settings.queueName} with the function's execution role: ${denial.message}`);
          return false;
        });
      this.authorized.set(action, decided);
    }
    return decided;
  }

  private problem(reason: string): void {
    this.lastProcessingResult = `PROBLEM: ${reason}`;
    this.hop({ kind: 'problem', reason, correlationIds: [] });
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private hop(hop: DistributiveOmit<EventSourceMappingHop, 'mapping' | 'queue' | 'functionName'>): void {
    this.deps.onHop?.({ ...hop, mapping: this.settings.logicalId, queue: this.settings.queueName, functionName: this.settings.functionName } as EventSourceMappingHop);
  }
}

/**
 * The template's event source mappings. Other resource types are ignored,
 * so the orchestrator can pass the whole template.
 */
export class EventSourceMappings implements Drainable {
  private constructor(private readonly mappings: readonly LocalEventSourceMapping[]) {}

  /**
   * Reads every mapping.
   *
   * @throws {UnsupportedFeatureError} naming the resource and property the
   *   local cloud does not implement or Lambda refuses for an SQS source.
   */
  public static create(resources: readonly LocalResource[], deps: EventSourceMappingDeps): EventSourceMappings {
    const mappings = resources.filter((resource) => resource.type === EVENT_SOURCE_MAPPING_TYPE).map((resource) => new LocalEventSourceMapping(readMapping(resource, resources, deps), deps));
    return new EventSourceMappings(mappings);
  }

  /** Every mapping, in template order. */
  public list(): readonly LocalEventSourceMapping[] {
    return this.mappings;
  }

  /** The mapping of a logical id, UUID or ARN. */
  public get(id: string): LocalEventSourceMapping | undefined {
    return this.mappings.find((mapping) => mapping.settings.logicalId === id || mapping.settings.uuid === id || mapping.arn === id);
  }

  /** The queues mappings read (their ARNs). */
  public get sourceQueues(): ReadonlySet<string> {
    return new Set(this.mappings.map((mapping) => mapping.settings.queueArn));
  }

  /** Starts every enabled mapping's pollers. */
  public start(): void {
    for (const mapping of this.mappings) mapping.start();
  }

  /** Takes no new batches; those under way finish (what shutdown waits for). */
  public stopPolling(): void {
    for (const mapping of this.mappings) mapping.stop();
  }

  /** Resolves when no batch runs and no polling mapping has a visible message to take. */
  public async drain(): Promise<void> {
    await Promise.all(this.mappings.map((mapping) => mapping.drain()));
  }

  public get idle(): boolean {
    return this.mappings.every((mapping) => mapping.idle);
  }

  /** Stops every poller for good. */
  public close(): void {
    this.stopPolling();
  }
}

function readMapping(resource: LocalResource, resources: readonly LocalResource[], deps: EventSourceMappingDeps): MappingSettings {
  const read = new PropertyReader(resource);
  const p = resource.properties;
  read.only(p, '', KNOWN_PROPERTIES, REFUSED_PROPERTIES);
  const source = read.string(p.EventSourceArn, 'EventSourceArn');
  if (!SQS_ARN.test(source)) {
    throw read.fail('EventSourceArn', `${source}: only Amazon SQS queue sources are emulated (DynamoDB and Kinesis streams, Kafka, Amazon MQ and DocumentDB sources are not)`);
  }
  if (source.endsWith('.fifo')) throw read.fail('EventSourceArn', 'FIFO queues are not emulated');
  const queueArn = read.templateQueue(source, 'EventSourceArn', deps.queues);
  const queue = deps.queues.resolve(queueArn);

  const fn = functionOf(read, p.FunctionName, resources);
  const batchSize = read.integer(p.BatchSize, 'BatchSize', 1, 10_000, DEFAULT_BATCH_SIZE);
  const batchingWindowSeconds = read.integer(p.MaximumBatchingWindowInSeconds, 'MaximumBatchingWindowInSeconds', 0, 300, 0);
  const enabled = readBoolean(read, p.Enabled, 'Enabled', true);
  const responseTypes = p.FunctionResponseTypes === undefined ? [] : read.array(p.FunctionResponseTypes, 'FunctionResponseTypes');
  responseTypes.forEach((type, index) => read.oneOf(type, `FunctionResponseTypes[${String(index)}]`, ['ReportBatchItemFailures'] as const));
  const scaling = read.optionalObject(p.ScalingConfig, 'ScalingConfig');
  let maximumConcurrency: number | undefined;
  if (scaling) {
    read.only(scaling, 'ScalingConfig', ['MaximumConcurrency']);
    // https://docs.aws.amazon.com/lambda/latest/api/API_ScalingConfig.html: 2 to 1000.
    maximumConcurrency = scaling.MaximumConcurrency === undefined ? undefined : read.integer(scaling.MaximumConcurrency, 'ScalingConfig.MaximumConcurrency', 2, 1000);
  }
  const reservedConcurrency = readReserved(fn.properties.ReservedConcurrentExecutions);
  const uuid = resource.ref && /^[0-9a-f-]{36}$/.test(resource.ref) ? resource.ref : eventSourceMappingUuid(resource.logicalId);
  return {
    logicalId: resource.logicalId,
    uuid,
    queueArn,
    queueName: queue?.name ?? queueArn.split(':').at(-1) ?? queueArn,
    functionName: fn.ref,
    functionArn: fn.arn ?? fn.ref,
    batchSize,
    batchingWindowSeconds,
    enabled,
    reportBatchItemFailures: responseTypes.length > 0,
    ...(maximumConcurrency === undefined ? {} : { maximumConcurrency }),
    ...(reservedConcurrency === undefined ? {} : { reservedConcurrency }),
    filters: readFilters(read, p.FilterCriteria),
  };
}

/** The function a `FunctionName` designates: its name, its ARN (unqualified or `$LATEST`), or a partial ARN. */
function functionOf(read: PropertyReader, value: unknown, resources: readonly LocalResource[]): LocalResource {
  const declared = read.string(value, 'FunctionName');
  // `Name[:qualifier]`, `123456789012:function:Name[:qualifier]`, `arn:aws:lambda:region:123456789012:function:Name[:qualifier]`.
  const parts = declared.split(':');
  const at = parts.indexOf('function');
  const [name, qualifier] = at >= 0 ? [parts[at + 1], parts[at + 2]] : [parts[0], parts[1]];
  if (qualifier !== undefined && qualifier !== '$LATEST') throw read.fail('FunctionName', `${declared}: function versions and aliases are not emulated`);
  const fn = resources.find((candidate) => candidate.type === 'AWS::Lambda::Function' && (candidate.ref === name || candidate.arn === declared || candidate.logicalId === name));
  if (!fn) throw read.fail('FunctionName', `${declared}: no function of that name or ARN in the template`);
  return fn;
}

function readReserved(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : undefined;
}

function readBoolean(read: PropertyReader, value: unknown, path: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw read.fail(path, 'must be a boolean');
}

function readFilters(read: PropertyReader, value: unknown): EventPattern[] {
  const path = 'FilterCriteria';
  const criteria = read.optionalObject(value, path);
  if (!criteria) return [];
  read.only(criteria, path, ['Filters']);
  const filters = criteria.Filters === undefined ? [] : read.array(criteria.Filters, `${path}.Filters`);
  if (filters.length > MAX_FILTERS) throw read.fail(`${path}.Filters`, `at most ${String(MAX_FILTERS)} filters per event source mapping (Lambda's default quota)`);
  return filters.map((filter, index) => {
    const filterPath = `${path}.Filters[${String(index)}]`;
    const declared = read.object(filter, filterPath);
    read.only(declared, filterPath, ['Pattern']);
    return readEventPattern(read, read.string(declared.Pattern, `${filterPath}.Pattern`), `${filterPath}.Pattern`);
  });
}

/** The record Lambda puts in the event for a received message. */
function toRecord(received: ReceivedMessage, queueArn: string): SqsRecord {
  const { message } = received;
  const attributes: Record<string, string> = {
    ApproximateReceiveCount: String(received.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: message.senderId,
    ApproximateFirstReceiveTimestamp: String(received.firstReceivedAt),
  };
  if (message.traceHeader !== undefined) attributes.AWSTraceHeader = message.traceHeader;
  if (message.deadLetterSourceArn !== undefined) attributes.DeadLetterQueueSourceArn = message.deadLetterSourceArn;
  const messageAttributes: Record<string, SqsRecordMessageAttribute> = {};
  for (const [name, value] of Object.entries(message.attributes)) {
    messageAttributes[name] = { stringValue: value.stringValue, stringListValues: [], binaryListValues: [], dataType: value.dataType };
  }
  return {
    messageId: message.messageId,
    receiptHandle: received.receiptHandle,
    body: message.body,
    attributes,
    messageAttributes,
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: LOCAL_REGION,
  };
}

/** What filters see: the record, its body parsed when it is JSON (a plain-text body matches only as a string). */
function filterable(record: SqsRecord): unknown {
  try {
    return { ...record, body: JSON.parse(record.body) as unknown };
  } catch {
    return record;
  }
}

/** An upper bound of the bytes a message adds to the event. */
function recordBytes(message: QueueMessage): number {
  let size = RECORD_OVERHEAD_BYTES + Buffer.byteLength(JSON.stringify(message.body), 'utf8');
  for (const [name, value] of Object.entries(message.attributes)) size += 96 + Buffer.byteLength(JSON.stringify([name, value.dataType, value.stringValue]), 'utf8');
  return size;
}

/** `detail.metadata.correlationId` of each record whose body is an EventBridge event carrying one, as the bus's hops find it. */
function correlationIds(records: readonly SqsRecord[]): string[] {
  const ids = new Set<string>();
  for (const record of records) {
    let body: unknown;
    try {
      body = JSON.parse(record.body);
    } catch {
      continue;
    }
    const detail = isPropertyObject(body) ? body.detail : undefined;
    const metadata = isPropertyObject(detail) ? detail.metadata : undefined;
    const id = isPropertyObject(metadata) ? metadata.correlationId : undefined;
    if (typeof id === 'string') ids.add(id);
  }
  return [...ids];
}

/** `Omit` that keeps a union a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
