import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record as StreamRecordSdk,
} from '@aws-sdk/client-dynamodb-streams';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const STALE_ITERATOR = new Set(['TrimmedDataAccessException', 'ExpiredIteratorException']);

/** Records asked for per GetRecords call. */
const GET_RECORDS_LIMIT = 100;

/** A stream record in the JSON shape Lambda and Pipes receive. */
export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: string;
  readonly eventVersion: string;
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly eventSourceARN: string;
  readonly dynamodb: Record<string, unknown>;
}

/** Receives a table's records in order; the checkpoint advances only when it resolves. */
export type StreamConsumer = (records: StreamRecord[]) => Promise<void>;

/** Options of {@link StreamPoller}. */
export interface StreamPollerOptions {
  /**
   * How soon a stream is read again, without being told of a write
   * ({@link StreamPoller.notify}), after a read: what catches writes that
   * bypass the local cloud (a tool writing to DynamoDB Local itself). Each
   * read that finds nothing doubles the wait, up to `maxIntervalMs`; a
   * write told or records found start it again from here. @default 1000
   */
  readonly intervalMs?: number;
  /** The longest wait between reads while nothing is written. @default 30000 */
  readonly maxIntervalMs?: number;
  /** File to keep the last delivered sequence number per shard in (with --persist). @default none: from the start of the stream */
  readonly checkpointFile?: string;
  readonly region: string;
  readonly onError?: (tableName: string, error: unknown) => void;
}

/** Where a consumer starts reading a stream it has no checkpoint for. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

interface Watch {
  readonly tableName: string;
  readonly consumer: StreamConsumer;
  readonly startingPosition: StartingPosition;
  /** The shards open when reading began: LATEST skips what they already hold; later shards are read whole. */
  initialShards?: ReadonlySet<string>;
  streamArn?: string;
  /** Open shard iterators by shard id. */
  readonly iterators: Map<string, string | undefined>;
  readonly finishedShards: Set<string>;
  /** The shards must be listed again (none open yet, or one closed and a child may follow). */
  describe: boolean;
  /** The read in progress, if any. */
  reading?: Promise<void>;
  /** The table was written while a read was in progress: read again when it ends. */
  again: boolean;
  /** The fallback read when nothing is written. */
  timer?: NodeJS.Timeout;
  /** How long the next fallback read waits. */
  fallbackMs: number;
  /** The read in progress delivered records. */
  delivered: boolean;
}

/**
 * Reads DynamoDB Local's table streams and hands the records to consumers
 * (pipes, event source mappings): at least once and in order per shard. The
 * checkpoint moves only after a consumer has taken a batch, so a crash
 * replays rather than loses. A stream is read when the local cloud saw a
 * write to its table ({@link StreamPoller.notify}), and otherwise after
 * `intervalMs`, twice that, and so on up to `maxIntervalMs`: nothing spins,
 * and idle reads thin out, while nothing is written. Each
 * consumer reads on its own, as each pipe and event source mapping polls on
 * its own in AWS: one slow to take its records holds up no other.
 */
export class StreamPoller {
  private readonly watches: Watch[] = [];
  private readonly checkpoints: Record<string, string>;
  private started = false;
  private stopped = false;
  private readonly intervalMs: number;
  private readonly maxIntervalMs: number;

  public constructor(
    private readonly dynamo: DynamoDBClient,
    private readonly streams: DynamoDBStreamsClient,
    private readonly options: StreamPollerOptions,
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxIntervalMs = Math.max(this.intervalMs, options.maxIntervalMs ?? 30_000);
    this.checkpoints = options.checkpointFile && existsSync(options.checkpointFile) ? (JSON.parse(readFileSync(options.checkpointFile, 'utf8')) as Record<string, string>) : {};
  }

  /**
   * Feeds a table's stream records to `consumer`, from its checkpoint when it
   * has one (`--persist`), else from the oldest record (`TRIM_HORIZON`) or,
   * with `LATEST`, from what is written after reading begins.
   */
  public watch(tableName: string, consumer: StreamConsumer, startingPosition: StartingPosition = 'TRIM_HORIZON'): void {
    const watch: Watch = { tableName, consumer, startingPosition, iterators: new Map(), finishedShards: new Set(), describe: true, again: false, fallbackMs: this.intervalMs, delivered: false };
    this.watches.push(watch);
    if (this.started) this.read(watch);
  }

  public start(): void {
    this.started = true;
    for (const watch of this.watches) this.read(watch);
  }

  /** A table was written: each of its consumers reads its stream now, or right after the read in progress. */
  public notify(tableName: string): void {
    if (!this.started) return;
    for (const watch of this.watches) {
      if (watch.tableName !== tableName) continue;
      watch.fallbackMs = this.intervalMs;
      this.read(watch);
    }
  }

  /** Reads a watch's stream, then waits for the next write or the fallback interval. */
  private read(watch: Watch): void {
    if (this.stopped) return;
    if (watch.reading) {
      watch.again = true;
      return;
    }
    clearTimeout(watch.timer);
    watch.again = false;
    watch.delivered = false;
    watch.reading = this.poll(watch)
      .catch((error: unknown) => this.options.onError?.(watch.tableName, error))
      .finally(() => {
        watch.reading = undefined;
        if (this.stopped) return;
        if (watch.again) {
          this.read(watch);
          return;
        }
        // Records nobody told of: a writer that bypasses the local cloud is at work, so look again soon.
        if (watch.delivered) watch.fallbackMs = this.intervalMs;
        watch.timer = setTimeout(() => this.read(watch), watch.fallbackMs);
        watch.fallbackMs = Math.min(watch.fallbackMs * 2, this.maxIntervalMs);
      });
  }

  /** Stops polling after the batches in hand are delivered. */
  public async stop(): Promise<void> {
    this.stopped = true;
    for (const watch of this.watches) clearTimeout(watch.timer);
    await Promise.all(this.watches.map((watch) => watch.reading));
  }

  /** Reads every stream once, one after another; for tests (the started poller reads each on its own). */
  public async pollAll(): Promise<void> {
    for (const watch of this.watches) {
      try {
        await this.poll(watch);
      } catch (error) {
        this.options.onError?.(watch.tableName, error);
      }
    }
  }

  /** Reads a watch's stream; `reopened` when this is the second read of a pass, after a stale iterator. */
  private async poll(watch: Watch, reopened = false): Promise<void> {
    if (!watch.streamArn) {
      const { Table } = await this.dynamo.send(new DescribeTableCommand({ TableName: watch.tableName }));
      watch.streamArn = Table?.LatestStreamArn;
      if (!watch.streamArn) return;
    }
    const streamArn = watch.streamArn;
    // Listing the shards is needed only until one is open, and after one closes; otherwise the open iterators are read.
    const shards = watch.describe ? ((await this.streams.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription?.Shards ?? []) : [...watch.iterators.keys()].map((ShardId) => ({ ShardId, ParentShardId: undefined }));
    watch.initialShards ??= new Set(shards.flatMap((shard) => (shard.ShardId ? [shard.ShardId] : [])));
    watch.describe = false;
    /** A shard closed or an iterator went stale during this read. */
    let changed = false;
    for (const shard of shards) {
      const shardId = shard.ShardId;
      if (!shardId || watch.finishedShards.has(shardId)) continue;
      if (shard.ParentShardId && !watch.finishedShards.has(shard.ParentShardId) && shards.some((s) => s.ShardId === shard.ParentShardId)) continue;
      if (!watch.iterators.has(shardId)) {
        const key = `${streamArn}/${shardId}`;
        const after = this.checkpoints[key];
        const { ShardIterator } = await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: after ? 'AFTER_SEQUENCE_NUMBER' : watch.startingPosition === 'LATEST' && watch.initialShards.has(shardId) ? 'LATEST' : 'TRIM_HORIZON',
            ...(after ? { SequenceNumber: after } : {}),
          }),
        );
        watch.iterators.set(shardId, ShardIterator);
      }
      let iterator = watch.iterators.get(shardId);
      while (iterator) {
        let page;
        try {
          page = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: GET_RECORDS_LIMIT }));
        } catch (error) {
          // An iterator taken on an empty shard (DynamoDB Local) or held too long goes stale:
          // reopen the shard after the last delivered record on the next pass.
          if (error instanceof Error && STALE_ITERATOR.has(error.name)) {
            watch.iterators.delete(shardId);
            watch.describe = true;
            changed = true;
            break;
          }
          throw error;
        }
        const records = (page.Records ?? []).map((record) => this.toJson(record, streamArn));
        if (records.length > 0) {
          watch.delivered = true;
          await watch.consumer(records);
          const last = records[records.length - 1].dynamodb.SequenceNumber;
          if (typeof last === 'string') this.checkpoint(`${streamArn}/${shardId}`, last);
        }
        iterator = page.NextShardIterator;
        watch.iterators.set(shardId, iterator);
        // A short page is all the shard holds now: asking again would cost DynamoDB Local a call per
        // write. What is written meanwhile is told (notify) and read right after this read.
        if (records.length < GET_RECORDS_LIMIT) break;
      }
      if (watch.iterators.has(shardId) && !watch.iterators.get(shardId)) {
        watch.finishedShards.add(shardId);
        watch.iterators.delete(shardId);
        watch.describe = true;
        changed = true;
      }
    }
    if (watch.iterators.size === 0) watch.describe = true;
    // A stale iterator or a closed shard: list the shards and read again now, so the write that woke
    // this pass does not wait for the next one (a second time at most).
    if (changed && !reopened) await this.poll(watch, true);
  }

  private toJson(record: StreamRecordSdk, streamArn: string): StreamRecord {
    const { ApproximateCreationDateTime, ...rest } = record.dynamodb ?? {};
    return {
      eventID: record.eventID ?? '',
      eventName: record.eventName ?? '',
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: record.awsRegion ?? this.options.region,
      eventSourceARN: streamArn,
      dynamodb: {
        ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(ApproximateCreationDateTime.getTime() / 1000) } : {}),
        ...rest,
      },
    };
  }

  private checkpoint(key: string, sequenceNumber: string): void {
    this.checkpoints[key] = sequenceNumber;
    const file = this.options.checkpointFile;
    if (!file) return;
    writeFileSync(`${file}.tmp`, JSON.stringify(this.checkpoints));
    renameSync(`${file}.tmp`, file);
  }
}
