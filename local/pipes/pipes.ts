/**
 * Amazon EventBridge Pipes for the local cloud: `AWS::Pipes::Pipe` with a
 * DynamoDB stream source, an optional Lambda enrichment and an event-bus
 * target — the shape of the shop's transactional outbox.
 *
 * The orchestrator reads the table's stream (DynamoDB Local) and feeds the
 * records, as the Streams API returns them, to {@link LocalPipe.deliver}. The
 * pipe then behaves as on AWS:
 *
 * - records are cut into batches of `BatchSize`, processed strictly in order
 *   (one shard: a failing batch blocks the ones after it);
 * - `FilterCriteria` patterns (EventBridge patterns) are matched against each
 *   record in the event format Pipes uses; a record passes when any filter
 *   matches, and a batch nothing passes is done;
 * - the enrichment function is invoked synchronously with the batch (an
 *   array); its result replaces the batch (an array is the new batch, `null`
 *   an empty one, anything else a batch of one);
 * - each element becomes one `PutEvents` entry on the target bus with
 *   `Detail` = the element and the `Source`/`DetailType`/`Resources` of
 *   `TargetParameters.EventBridgeEventBusParameters`; an event bus takes at
 *   most 10 per batch, so a larger `BatchSize` is refused at start-up (as
 *   Pipes refuses it) and an enrichment returning more than 10 elements does
 *   not reach the target (the batch fails);
 * - a function error of the enrichment fails the whole batch; entries
 *   `PutEvents` refuses fail only their records, and only those are retried,
 *   through the whole pipe again (enrichment included), as Pipes retries a
 *   partial batch failure of a stream source. Retries back off exponentially
 *   up to `MaximumRetryAttempts` (-1: until the records would leave the
 *   stream, 24 hours), then the remaining records are described in the
 *   `DeadLetterConfig` queue;
 * - `StartingPosition: LATEST` reads only what the table writes after the
 *   pipe starts (the orchestrator opens the stream there).
 * - fault injection: with `duplicateRate`, an element is put on the bus a
 *   second time, as an at-least-once redelivery would (a new event id, the
 *   same detail).
 *
 * Refused at start-up with an {@link UnsupportedFeatureError}: every other
 * source or target type, enrichments that are not Lambda functions, input
 * templates, batching windows, record ages, parallelization, batch
 * bisection, KMS keys, pipe logging and unknown properties.
 */
import { randomUUID } from 'node:crypto';
import { UnsupportedFeatureError } from '../errors';
import type { IamGate } from '../iam/local-iam';
import type { IamPrincipal } from '../iam/principals';
import { readEventPattern, type PutEventsEntry, type PutEventsResult } from '../eventbridge/event-bus';
import { matchesEventPattern, type EventPattern } from '../eventbridge/event-pattern';
import type { InvokeFunction } from '../lambda/lambda-runtime';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import type { SqsQueues } from '../sqs/queues';
import { backoffDelay, type BackoffOptions } from '../support/backoff';
import { PendingWork, type Drainable } from '../support/pending-work';
import { PropertyReader, type PropertyObject } from '../support/property-reader';

/** The resource type this module emulates. */
export const PIPE_TYPE = 'AWS::Pipes::Pipe';

/** How long DynamoDB Streams keeps a record: the limit of "retry forever" (-1). */
const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Pipes' batch size when the template sets none (as the CDK documents it for stream sources). */
const DEFAULT_BATCH_SIZE = 1;
/**
 * The largest batch an event bus target takes: a pipe's BatchSize may not
 * exceed it, and an enrichment returning more elements does not reach the
 * target. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html
 */
const TARGET_BATCH_LIMIT = 10;

const DYNAMODB_STREAM_ARN = /^arn:aws:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/;
const LAMBDA_ARN = /^arn:aws:lambda:[^:]*:[^:]*:function:[^:]+(?::\$LATEST)?$/;
const EVENT_BUS_ARN = /^arn:aws:events:[^:]*:[^:]*:event-bus\/.+$/;

/** The `dynamodb` part of a stream record. */
export interface DynamoDbStreamData {
  /** The Streams API returns a Date; Pipes presents epoch seconds (this module converts). */
  readonly ApproximateCreationDateTime?: Date | number;
  readonly Keys?: Readonly<Record<string, unknown>>;
  readonly NewImage?: Readonly<Record<string, unknown>>;
  readonly OldImage?: Readonly<Record<string, unknown>>;
  readonly SequenceNumber?: string;
  readonly SizeBytes?: number;
  readonly StreamViewType?: string;
}

/**
 * A DynamoDB stream record as the Streams API (`GetRecords`) returns it.
 * `eventSource`, `awsRegion`, `eventVersion` and `eventSourceARN` are filled in
 * when missing, as Pipes presents records (and DynamoDB Local's `ddblocal`
 * region becomes the local region).
 */
export interface DynamoDbStreamRecord {
  readonly eventID: string;
  readonly eventName: string;
  readonly eventVersion?: string;
  readonly eventSource?: string;
  readonly awsRegion?: string;
  readonly eventSourceARN?: string;
  readonly userIdentity?: unknown;
  readonly dynamodb: DynamoDbStreamData;
}

/** What a pipe needs of the local EventBridge (the emulator implements it). */
export interface PipeEventBus {
  hasBus(nameOrArn: string): boolean;
  putEvents(entries: readonly PutEventsEntry[]): PutEventsResult;
}

/** What {@link PipesEmulator.create} needs from the rest of the local cloud. */
export interface PipesDeps {
  /** Synchronous Lambda invocation, for enrichments. */
  readonly invokeFunction: InvokeFunction;
  readonly eventBus: PipeEventBus;
  /** Dead-letter queues. */
  readonly queues: SqsQueues;
  /** Hears every hop; must not throw. @default no listener */
  readonly onHop?: (hop: PipeHop) => void;
  /** Retry backoff. @default 1 s doubling, capped at 60 s, with jitter */
  readonly backoff?: BackoffOptions;
  /**
   * Probability (0..1) that an element is put on the target bus twice, to
   * rehearse at-least-once delivery (fault injection). @default 0
   */
  readonly duplicateRate?: number;
  /** Source of randomness for the backoff jitter and the duplicates. @default Math.random */
  readonly random?: () => number;
  /** Clock (epoch ms). @default Date.now */
  readonly now?: () => number;
  /**
   * Authorizes what each pipe does with its role (`RoleArn`): invoking the
   * enrichment, putting events on the target, writing its dead-letter queue.
   * @default no checks
   */
  readonly iam?: IamGate;
}

/** Checks a duplicate rate: a probability. */
const checkedDuplicateRate = (rate: number): number => {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`duplicateRate must be between 0 and 1; got ${String(rate)}`);
  return rate;
};

interface PipeHopBase {
  readonly pipe: string;
}

/**
 * One step of a batch through a pipe: `batch` (read; how many records the
 * filters passed), `enrichment` (the function answered), `target` (events put
 * on the bus: their ids continue in the EventBridge hops), `duplicate` (the
 * extra copies fault injection put on the bus, with their own event ids),
 * `retry`, `dlq` (the batch was described in the dead-letter queue), `dropped`
 * (given up without one).
 */
export type PipeHop =
  | (PipeHopBase & { readonly kind: 'batch'; readonly received: number; readonly matched: number })
  | (PipeHopBase & { readonly kind: 'enrichment'; readonly functionArn: string; readonly received: number; readonly returned: number; readonly correlationIds: readonly string[] })
  | (PipeHopBase & { readonly kind: 'target'; readonly targetArn: string; readonly detailType: string; readonly eventIds: readonly string[]; readonly correlationIds: readonly string[] })
  | (PipeHopBase & { readonly kind: 'duplicate'; readonly targetArn: string; readonly detailType: string; readonly eventIds: readonly string[]; readonly correlationIds: readonly string[] })
  | (PipeHopBase & { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly error: string })
  | (PipeHopBase & { readonly kind: 'dlq'; readonly deadLetterArn: string; readonly batchSize: number; readonly attempts: number; readonly error: string })
  | (PipeHopBase & { readonly kind: 'dropped'; readonly batchSize: number; readonly reason: string });

/** What became of the records of one {@link LocalPipe.deliver} call. */
export interface PipeDeliveryResult {
  readonly batches: number;
  /** Records the filters passed. */
  readonly matched: number;
  /** Events put on the target bus. */
  readonly published: number;
  /** Batches described in the dead-letter queue. */
  readonly deadLettered: number;
  /** Batches given up without a dead-letter queue (or that expired). */
  readonly dropped: number;
}

/** Options of {@link LocalPipe.deliver}. */
export interface DeliverOptions {
  /** The shard the records come from, for the dead-letter record. @default 'shardId-local' */
  readonly shardId?: string;
}

/** A batch failed: the enrichment's function error or the target's refusal. */
export class PipeBatchError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'PipeBatchError';
  }
}

/** A pipe's settings, read from its template properties. */
interface PipeSettings {
  readonly name: string;
  readonly arn: string;
  readonly sourceArn: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly desiredState: 'RUNNING' | 'STOPPED';
  readonly filters: readonly EventPattern[];
  readonly batchSize: number;
  readonly maxRetries: number;
  readonly deadLetterArn?: string;
  readonly enrichmentArn?: string;
  readonly targetArn: string;
  readonly source: string;
  readonly detailType: string;
  readonly resources: readonly string[];
  /** The pipe's role session, when IAM is checked. */
  readonly principal?: IamPrincipal;
}

/** A stream record as the pipe presents it to filters, enrichment and target. */
type PipeRecord = DynamoDbStreamRecord & { readonly dynamodb: DynamoDbStreamData & { readonly ApproximateCreationDateTime?: number } };

interface Totals {
  batches: number;
  matched: number;
  published: number;
  deadLettered: number;
  dropped: number;
}

/**
 * One pipe. Records are processed in the order they are delivered, one batch
 * at a time; while the pipe is stopped they wait, as records wait in the
 * stream for a stopped pipe.
 */
export class LocalPipe {
  public readonly name: string;
  public readonly arn: string;
  /** The DynamoDB stream the orchestrator must read for this pipe. */
  public readonly sourceArn: string;
  /** Where the orchestrator starts reading the stream. */
  public readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  /** The ARN of its enrichment function, if it has one (the cost meter asks whether it starts traces). */
  public readonly enrichmentArn?: string;
  private readonly settings: PipeSettings;
  private readonly deps: PipesDeps;
  private readonly work: PendingWork;
  private state: 'RUNNING' | 'STOPPED';
  private closed = false;
  private tail: Promise<unknown> = Promise.resolve();
  private inFlight = 0;
  private readonly waitingToRun: Array<(run: boolean) => void> = [];
  private stopped = deferred();
  private duplicates: number;

  /** @internal Built by {@link PipesEmulator.create}. */
  public constructor(settings: PipeSettings, deps: PipesDeps, work: PendingWork) {
    this.settings = settings;
    this.deps = deps;
    this.work = work;
    this.name = settings.name;
    this.arn = settings.arn;
    if (settings.enrichmentArn !== undefined) this.enrichmentArn = settings.enrichmentArn;
    this.sourceArn = settings.sourceArn;
    this.startingPosition = settings.startingPosition;
    this.state = settings.desiredState;
    this.duplicates = checkedDuplicateRate(deps.duplicateRate ?? 0);
  }

  /** Probability (0..1) that an element is put on the bus twice (fault injection). Settable at run time. */
  public get duplicateRate(): number {
    return this.duplicates;
  }

  public set duplicateRate(rate: number) {
    this.duplicates = checkedDuplicateRate(rate);
  }

  /** True while the pipe processes records (`DesiredState: RUNNING`). */
  public get running(): boolean {
    return this.state === 'RUNNING' && !this.closed;
  }

  /** Starts a stopped pipe; records delivered meanwhile are processed now. */
  public start(): void {
    this.state = 'RUNNING';
    this.stopped = deferred();
    for (const resume of this.waitingToRun.splice(0)) resume(true);
  }

  /** Stops the pipe after the batch in progress; later records wait for `start()`. */
  public stop(): void {
    this.state = 'STOPPED';
    this.stopped.resolve();
  }

  /**
   * Feeds stream records to the pipe. Resolves when they have all been
   * processed (published, dead-lettered or dropped), in delivery order after
   * any earlier `deliver` call.
   */
  public deliver(records: readonly DynamoDbStreamRecord[], options: DeliverOptions = {}): Promise<PipeDeliveryResult> {
    const normalized = records.map((record) => this.normalize(record));
    this.inFlight += 1;
    const run = this.tail.then(() => this.process(normalized, options.shardId ?? 'shardId-local')).finally(() => {
      this.inFlight -= 1;
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** True while delivered records are being processed (or wait to be, on a running pipe). */
  public get busy(): boolean {
    return this.running && this.inFlight > 0;
  }

  /** Resolves when the pipe has nothing in progress (a stopped pipe counts as idle). */
  public async idle(): Promise<void> {
    for (;;) {
      if (!this.running) return;
      const tail = this.tail;
      await Promise.race([tail, this.stopped.promise]);
      if (!this.running || tail === this.tail) return;
    }
  }

  /** @internal Stops for good at shutdown. */
  public close(): void {
    this.closed = true;
    this.stopped.resolve();
    for (const resume of this.waitingToRun.splice(0)) resume(false);
  }

  private whenRunning(): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.state === 'RUNNING') return Promise.resolve(true);
    return new Promise((resolve) => this.waitingToRun.push(resolve));
  }

  private normalize(record: DynamoDbStreamRecord): PipeRecord {
    const { ApproximateCreationDateTime: created, ...data } = record.dynamodb;
    return {
      ...record,
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: record.eventSource ?? 'aws:dynamodb',
      // DynamoDB Local names its region `ddblocal`; a stream record on AWS carries the table's region.
      awsRegion: record.awsRegion === undefined || record.awsRegion === 'ddblocal' ? LOCAL_REGION : record.awsRegion,
      eventSourceARN: record.eventSourceARN ?? this.sourceArn,
      dynamodb: created === undefined ? data : { ...data, ApproximateCreationDateTime: created instanceof Date ? created.getTime() / 1000 : created },
    };
  }

  private async process(records: readonly PipeRecord[], shardId: string): Promise<PipeDeliveryResult> {
    const totals: Totals = { batches: 0, matched: 0, published: 0, deadLettered: 0, dropped: 0 };
    for (let start = 0; start < records.length; start += this.settings.batchSize) {
      if (!(await this.whenRunning())) break;
      totals.batches += 1;
      await this.processBatch(records.slice(start, start + this.settings.batchSize), shardId, totals);
    }
    return { ...totals };
  }

  private async processBatch(batch: readonly PipeRecord[], shardId: string, totals: Totals): Promise<void> {
    const { filters } = this.settings;
    const matched = filters.length === 0 ? batch : batch.filter((record) => filters.some((filter) => matchesEventPattern(filter, record)));
    this.hop({ kind: 'batch', received: batch.length, matched: matched.length });
    totals.matched += matched.length;
    if (matched.length === 0) return;
    const startedAt = this.now();
    // What is still to deliver: a partial PutEvents failure retries only the records whose entries failed.
    let pending: readonly PipeRecord[] = matched;
    for (let attempts = 1; ; attempts += 1) {
      let message: string;
      try {
        const events = await this.enrich(pending);
        if (events.length > TARGET_BATCH_LIMIT) {
          throw new PipeBatchError(`the enrichment returned ${String(events.length)} elements; an event bus target takes at most ${String(TARGET_BATCH_LIMIT)}, so the target is not invoked`);
        }
        await this.demand('events:PutEvents', this.settings.targetArn, 'its target');
        const outcome = this.publish(events);
        totals.published += outcome.published;
        if (outcome.failed.length === 0) return;
        message = `PutEvents refused ${String(outcome.failed.length)} of ${String(events.length)} entries: ${outcome.failed.map((failure) => failure.reason).join('; ')}`;
        // Entries map back to records when the enrichment kept one element per record; otherwise the whole batch goes again.
        if (events.length === pending.length) {
          const failed = new Set(outcome.failed.map((failure) => failure.index));
          pending = pending.filter((_, index) => failed.has(index));
        }
      } catch (error) {
        if (this.work.isClosed) return;
        message = error instanceof Error ? error.message : String(error);
      }
      if (this.work.isClosed) return;
      const retries = attempts - 1;
      const { maxRetries } = this.settings;
      if (maxRetries !== -1 && retries >= maxRetries) {
        await this.deadLetter(pending, shardId, attempts, message, totals);
        return;
      }
      const delayMs = backoffDelay(retries + 1, this.deps.backoff, this.deps.random);
      if (maxRetries === -1 && this.now() + delayMs - startedAt > STREAM_RETENTION_MS) {
        this.hop({ kind: 'dropped', batchSize: pending.length, reason: `the records expired from the stream while retrying: ${message}` });
        totals.dropped += 1;
        return;
      }
      this.hop({ kind: 'retry', attempt: attempts, delayMs, error: message });
      if (!(await this.work.sleep(delayMs))) return;
    }
  }

  private async enrich(records: readonly PipeRecord[]): Promise<readonly unknown[]> {
    const functionArn = this.settings.enrichmentArn;
    if (functionArn === undefined) return records;
    await this.demand('lambda:InvokeFunction', functionArn.replace(/:\$LATEST$/, ''), 'its enrichment');
    const result = await this.deps.invokeFunction(functionArn, records);
    if (!result.ok) throw new PipeBatchError(`Enrichment ${functionArn} failed: ${result.error.errorType}: ${result.error.errorMessage}`);
    const { payload } = result;
    const events: readonly unknown[] = payload === null || payload === undefined ? [] : Array.isArray(payload) ? payload : [payload];
    this.hop({ kind: 'enrichment', functionArn, received: records.length, returned: events.length, correlationIds: correlationIds(events) });
    return events;
  }

  /**
   * Puts one event per element on the target bus in one `PutEvents` (at most
   * ten elements reach here), and, by fault injection, puts some of them a
   * second time in another call, as a redelivery would. Returns how many went
   * on the bus and which entries (by element index) `PutEvents` refused.
   */
  private publish(events: readonly unknown[]): { readonly published: number; readonly failed: ReadonlyArray<{ readonly index: number; readonly reason: string }> } {
    if (events.length === 0) return { published: 0, failed: [] };
    const { targetArn, source, detailType, resources } = this.settings;
    const entry = (element: unknown): PutEventsEntry => ({ Source: source, DetailType: detailType, Detail: JSON.stringify(element), EventBusName: targetArn, Resources: resources });
    const result = this.deps.eventBus.putEvents(events.map(entry));
    const failed = result.Entries.flatMap((answer, index) => ('ErrorCode' in answer ? [{ index, reason: `${answer.ErrorCode}: ${answer.ErrorMessage}` }] : []));
    const eventIds = result.Entries.flatMap((answer) => ('EventId' in answer ? [answer.EventId] : []));
    const delivered = events.filter((_, index) => !failed.some((failure) => failure.index === index));
    if (eventIds.length > 0) this.hop({ kind: 'target', targetArn, detailType, eventIds, correlationIds: correlationIds(delivered) });
    const random = this.deps.random ?? Math.random;
    const copies = this.duplicates > 0 ? delivered.filter(() => random() < this.duplicates) : [];
    if (copies.length > 0) {
      const again = this.deps.eventBus.putEvents(copies.map(entry));
      const duplicateIds = again.Entries.flatMap((answer) => ('EventId' in answer ? [answer.EventId] : []));
      if (duplicateIds.length > 0) this.hop({ kind: 'duplicate', targetArn, detailType, eventIds: duplicateIds, correlationIds: correlationIds(copies) });
    }
    return { published: eventIds.length, failed };
  }

  /**
   * Describes the failed batch in the dead-letter queue, in the shape Lambda
   * uses for stream sources (`DDBStreamBatchInfo`): the records themselves are
   * not included, as on AWS — they are read back from the stream by sequence
   * number.
   */
  /** Fails the batch (as AWS's AccessDenied does) when the pipe's role may not make this call. */
  private async demand(action: string, resource: string, what: string): Promise<void> {
    const { iam } = this.deps;
    const { principal } = this.settings;
    if (!iam || !principal) return;
    const denial = await iam.check({ principal, action, resource, hop: `pipe ${this.name} → ${what}` });
    if (denial) throw new PipeBatchError(`AccessDeniedException: ${denial.message}`);
  }

  private async deadLetter(records: readonly PipeRecord[], shardId: string, attempts: number, error: string, totals: Totals): Promise<void> {
    const deadLetterArn = this.settings.deadLetterArn;
    if (deadLetterArn === undefined) {
      this.hop({ kind: 'dropped', batchSize: records.length, reason: `retries exhausted (no dead-letter queue): ${error}` });
      totals.dropped += 1;
      return;
    }
    const arrivals = records.map((record) => record.dynamodb.ApproximateCreationDateTime).filter((time): time is number => typeof time === 'number');
    const iso = (seconds: number | undefined): string | undefined => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    const record = {
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      requestContext: { requestId: randomUUID(), pipeArn: this.arn, condition: 'RetryAttemptsExhausted', approximateInvokeCount: attempts },
      responseContext: { errorMessage: error },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: records[0]?.dynamodb.SequenceNumber,
        endSequenceNumber: records.at(-1)?.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: iso(arrivals[0]),
        approximateArrivalOfLastRecord: iso(arrivals.at(-1)),
        batchSize: records.length,
        streamArn: this.sourceArn,
      },
    };
    const denied = await this.demand('sqs:SendMessage', deadLetterArn, 'its dead-letter queue').then(
      () => undefined,
      (failure: unknown) => (failure instanceof Error ? failure.message : String(failure)),
    );
    const offered = denied !== undefined ? { sent: false as const, reason: denied } : this.deps.queues.offer(deadLetterArn, JSON.stringify(record));
    if (offered.sent) {
      this.hop({ kind: 'dlq', deadLetterArn, batchSize: records.length, attempts, error });
      totals.deadLettered += 1;
    } else {
      this.hop({ kind: 'dropped', batchSize: records.length, reason: `the dead-letter queue refused the batch: ${offered.reason}` });
      totals.dropped += 1;
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private hop(hop: DistributiveOmit<PipeHop, 'pipe'>): void {
    this.deps.onHop?.({ ...hop, pipe: this.name });
  }
}

/**
 * The local cloud's pipes, built from the template's `AWS::Pipes::*`
 * resources (others are ignored, so the orchestrator may pass the whole
 * template).
 */
export class PipesEmulator implements Drainable {
  private readonly pipes: readonly LocalPipe[];
  private readonly work: PendingWork;
  private duplicates: number;

  private constructor(pipes: readonly LocalPipe[], work: PendingWork, duplicateRate: number) {
    this.pipes = pipes;
    this.work = work;
    this.duplicates = checkedDuplicateRate(duplicateRate);
  }

  /**
   * Builds every pipe.
   *
   * @throws {UnsupportedFeatureError} naming the resource and property the
   *   local cloud does not implement.
   */
  public static create(resources: readonly LocalResource[], deps: PipesDeps): PipesEmulator {
    const work = new PendingWork();
    const pipes: LocalPipe[] = [];
    for (const resource of resources) {
      if (!resource.type.startsWith('AWS::Pipes::')) continue;
      if (resource.type !== PIPE_TYPE) throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'Type', 'this Pipes resource type is not emulated');
      pipes.push(new LocalPipe(readPipe(resource, deps), deps, work));
    }
    return new PipesEmulator(pipes, work, deps.duplicateRate ?? 0);
  }

  /** Every pipe, in template order. */
  public list(): readonly LocalPipe[] {
    return this.pipes;
  }

  /** The pipe of this name or ARN. */
  public get(nameOrArn: string): LocalPipe | undefined {
    return this.pipes.find((pipe) => pipe.name === nameOrArn || pipe.arn === nameOrArn);
  }

  /** The pipes reading a stream: what the orchestrator feeds that stream's records to. */
  public forSource(streamArn: string): readonly LocalPipe[] {
    return this.pipes.filter((pipe) => pipe.sourceArn === streamArn);
  }

  /** Resolves when no running pipe has a batch in progress or waiting to retry. */
  public async drain(): Promise<void> {
    await Promise.all(this.pipes.map((pipe) => pipe.idle()));
  }

  /** True when no running pipe has records in progress. */
  public get idle(): boolean {
    return this.pipes.every((pipe) => !pipe.busy);
  }

  /**
   * Probability (0..1) that a pipe puts an element on its bus twice (fault
   * injection), the same for every pipe. Settable at run time.
   */
  public get duplicateRate(): number {
    return this.duplicates;
  }

  public set duplicateRate(rate: number) {
    this.duplicates = checkedDuplicateRate(rate);
    for (const pipe of this.pipes) pipe.duplicateRate = rate;
  }

  /** Cancels retries and stops every pipe for good. */
  public close(): void {
    this.work.close();
    for (const pipe of this.pipes) pipe.close();
  }
}

function readPipe(resource: LocalResource, deps: PipesDeps): PipeSettings {
  const read = new PropertyReader(resource);
  const properties = resource.properties;
  read.only(properties, '', ['Name', 'Description', 'DesiredState', 'Enrichment', 'RoleArn', 'Source', 'SourceParameters', 'Tags', 'Target', 'TargetParameters', 'KmsKeyIdentifier'], {
    EnrichmentParameters: 'enrichment input templates and HTTP parameters are not emulated',
    LogConfiguration: 'pipe logging is not emulated (the local cloud logs every hop itself)',
  });
  read.noKmsKey(properties.KmsKeyIdentifier);
  const name = read.optionalString(properties.Name, 'Name') ?? resource.logicalId;

  const sourceArn = read.string(properties.Source, 'Source');
  if (!DYNAMODB_STREAM_ARN.test(sourceArn)) throw read.fail('Source', 'only DynamoDB stream sources are emulated');
  const sourceParameters = read.object(properties.SourceParameters, 'SourceParameters');
  const otherSource = 'only DynamoDB stream sources are emulated';
  read.only(sourceParameters, 'SourceParameters', ['FilterCriteria', 'DynamoDBStreamParameters'], {
    ActiveMQBrokerParameters: otherSource,
    KinesisStreamParameters: otherSource,
    ManagedStreamingKafkaParameters: otherSource,
    RabbitMQBrokerParameters: otherSource,
    SelfManagedKafkaParameters: otherSource,
    SqsQueueParameters: otherSource,
  });
  const streamPath = 'SourceParameters.DynamoDBStreamParameters';
  const stream = read.object(sourceParameters.DynamoDBStreamParameters, streamPath);
  read.only(stream, streamPath, ['BatchSize', 'MaximumRetryAttempts', 'DeadLetterConfig', 'StartingPosition', 'MaximumBatchingWindowInSeconds', 'MaximumRecordAgeInSeconds', 'ParallelizationFactor'], {
    OnPartialBatchItemFailure: 'batch bisection (AUTOMATIC_BISECT) is not emulated',
  });
  if (read.integer(stream.MaximumBatchingWindowInSeconds, `${streamPath}.MaximumBatchingWindowInSeconds`, 0, 300, 0) !== 0) {
    throw read.fail(`${streamPath}.MaximumBatchingWindowInSeconds`, 'batching windows are not emulated (each stream read is delivered at once)');
  }
  if (read.integer(stream.MaximumRecordAgeInSeconds, `${streamPath}.MaximumRecordAgeInSeconds`, -1, 604_800, -1) !== -1) {
    throw read.fail(`${streamPath}.MaximumRecordAgeInSeconds`, 'discarding records by age is not emulated; only -1 (infinite) is');
  }
  if (read.integer(stream.ParallelizationFactor, `${streamPath}.ParallelizationFactor`, 1, 10, 1) !== 1) {
    throw read.fail(`${streamPath}.ParallelizationFactor`, 'concurrent batches per shard are not emulated; only 1 is');
  }
  let deadLetterArn: string | undefined;
  const deadLetter = read.optionalObject(stream.DeadLetterConfig, `${streamPath}.DeadLetterConfig`);
  if (deadLetter) {
    read.only(deadLetter, `${streamPath}.DeadLetterConfig`, ['Arn']);
    deadLetterArn = read.templateQueue(deadLetter.Arn, `${streamPath}.DeadLetterConfig.Arn`, deps.queues);
  }

  const enrichmentArn = read.optionalString(properties.Enrichment, 'Enrichment');
  if (enrichmentArn !== undefined && !LAMBDA_ARN.test(enrichmentArn)) {
    throw read.fail('Enrichment', 'only Lambda function enrichments ($LATEST) are emulated');
  }

  const targetArn = read.string(properties.Target, 'Target');
  if (!EVENT_BUS_ARN.test(targetArn)) throw read.fail('Target', 'only event-bus targets are emulated');
  if (!deps.eventBus.hasBus(targetArn)) throw read.fail('Target', `no event bus ${targetArn} in the template`);
  const targetParameters = read.optionalObject(properties.TargetParameters, 'TargetParameters') ?? {};
  read.only(targetParameters, 'TargetParameters', ['EventBridgeEventBusParameters'], {
    InputTemplate: 'target input templates are not emulated (shape the events in the enrichment instead)',
  });
  const busPath = 'TargetParameters.EventBridgeEventBusParameters';
  const busParameters: PropertyObject = read.optionalObject(targetParameters.EventBridgeEventBusParameters, busPath) ?? {};
  read.only(busParameters, busPath, ['DetailType', 'Source', 'Resources'], {
    EndpointId: 'global endpoints are not emulated',
    Time: 'taking the event time from the record is not emulated',
  });
  const resources = busParameters.Resources === undefined ? [] : read.array(busParameters.Resources, `${busPath}.Resources`);
  const roleArn = read.string(properties.RoleArn, 'RoleArn');
  const principal = deps.iam?.roleSession(roleArn, name, 'pipe', { logicalId: resource.logicalId, type: resource.type, property: 'RoleArn' });

  return {
    name,
    arn: resource.arn ?? `arn:aws:pipes:${LOCAL_REGION}:${LOCAL_ACCOUNT}:pipe/${name}`,
    sourceArn,
    startingPosition: read.oneOf(stream.StartingPosition, `${streamPath}.StartingPosition`, ['TRIM_HORIZON', 'LATEST'] as const),
    desiredState: read.oneOf(properties.DesiredState, 'DesiredState', ['RUNNING', 'STOPPED'] as const, 'RUNNING'),
    filters: readFilters(read, sourceParameters.FilterCriteria),
    batchSize: targetBatchSize(read, stream.BatchSize, `${streamPath}.BatchSize`),
    maxRetries: read.integer(stream.MaximumRetryAttempts, `${streamPath}.MaximumRetryAttempts`, -1, 10_000, -1),
    deadLetterArn,
    enrichmentArn,
    targetArn,
    source: read.optionalString(busParameters.Source, `${busPath}.Source`) ?? `Pipe ${name}`,
    detailType: read.optionalString(busParameters.DetailType, `${busPath}.DetailType`) ?? 'Event from aws:dynamodb',
    resources: resources.map((value, index) => read.string(value, `${busPath}.Resources[${String(index)}]`)),
    ...(principal ? { principal } : {}),
  };
}

/** The source batch size, which an event bus target caps at ten: Pipes refuses a larger one when the pipe is created. */
function targetBatchSize(read: PropertyReader, value: unknown, path: string): number {
  const size = read.integer(value, path, 1, 10_000, DEFAULT_BATCH_SIZE);
  if (size > TARGET_BATCH_LIMIT) throw read.fail(path, `${String(size)}: an event bus target takes at most ${String(TARGET_BATCH_LIMIT)} events per batch, and Pipes refuses a pipe whose batch is larger than its target takes`);
  return size;
}

function readFilters(read: PropertyReader, value: unknown): EventPattern[] {
  const path = 'SourceParameters.FilterCriteria';
  const criteria = read.optionalObject(value, path);
  if (!criteria) return [];
  read.only(criteria, path, ['Filters']);
  const filters = criteria.Filters === undefined ? [] : read.array(criteria.Filters, `${path}.Filters`);
  if (filters.length > 5) throw read.fail(`${path}.Filters`, 'a pipe has at most 5 filters');
  return filters.map((filter, index) => {
    const filterPath = `${path}.Filters[${String(index)}]`;
    const declared = read.object(filter, filterPath);
    read.only(declared, filterPath, ['Pattern']);
    return readEventPattern(read, read.string(declared.Pattern, `${filterPath}.Pattern`), `${filterPath}.Pattern`);
  });
}

/** `metadata.correlationId` of each element that carries one (the shop's event details do). */
function correlationIds(elements: readonly unknown[]): string[] {
  return elements.flatMap((element) => {
    if (typeof element !== 'object' || element === null || !('metadata' in element)) return [];
    const metadata: unknown = element.metadata;
    if (typeof metadata !== 'object' || metadata === null || !('correlationId' in metadata)) return [];
    return typeof metadata.correlationId === 'string' ? [metadata.correlationId] : [];
  });
}

function deferred(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

/** `Omit` that keeps a union a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
