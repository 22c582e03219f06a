/**
 * The DynamoDB endpoint functions use locally: a loopback proxy in front of
 * DynamoDB Local that does what DynamoDB Local does not — it authorizes every
 * call against the caller's IAM policies (DynamoDB Local accepts any
 * credentials) and gives a hook to inject the faults DynamoDB Local never
 * produces. Calls are forwarded unchanged; answers come back with the ARNs
 * DynamoDB would give (DynamoDB Local's say `ddblocal` where the region goes).
 */
import { request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { LOCAL_REGION } from '../resources';
import type { IamDenial, IamRequest } from '../iam/authorizer';
import type { IamPrincipal } from '../iam/principals';
import { LoopbackServer } from '../support/loopback';
import { dynamoDbAuthorizations, UnauthorizableCallError } from './dynamodb-actions';

/** One DynamoDB call as the proxy sees it. */
export interface DynamoDbCall {
  /** `GetItem`, `TransactWriteItems`, `Query`... (streams operations too: `GetRecords`). */
  readonly operation: string;
  /** The parsed request body. */
  readonly input: Readonly<Record<string, unknown>>;
  /** Who signed it. */
  readonly principal: IamPrincipal;
}

/** An answer the proxy gives instead of DynamoDB Local's (an injected fault). */
export interface ProxyAnswer {
  readonly status: number;
  /** The JSON body, e.g. `{"__type": "...#ProvisionedThroughputExceededException", "message": "..."}`. */
  readonly body: Readonly<Record<string, unknown>>;
}

/** Options of {@link DynamoDbProxy}. */
export interface DynamoDbProxyOptions {
  /** DynamoDB Local's endpoint (it may still be starting when the proxy is created). */
  readonly target: () => Promise<string>;
  /** Who signed a request and whether IAM allows a call. @default no authorization */
  readonly iam?: {
    principalOf(authorization: string | readonly string[] | undefined): IamPrincipal;
    check(request: IamRequest): Promise<IamDenial | undefined>;
  };
  /** The partition key attribute of a table, for `dynamodb:LeadingKeys`. @default none */
  readonly hashKeyOf?: (tableName: string) => string | undefined;
  /** Runs after authorization, before forwarding; an answer replaces DynamoDB Local's. @default none */
  readonly intercept?: (call: DynamoDbCall) => Promise<ProxyAnswer | undefined> | ProxyAnswer | undefined;
  /**
   * Runs on DynamoDB Local's successful answer before it is returned; may
   * replace its body (index read lag). @default none
   */
  readonly transform?: (call: DynamoDbCall, output: Record<string, unknown>) => Record<string, unknown> | undefined;
  /**
   * Hears the capacity each read or write consumed, as DynamoDB Local
   * reports it (`ReturnConsumedCapacity` is asked for on the caller's
   * behalf, and left out of the answer if the caller did not ask). @default none
   */
  readonly onConsumedCapacity?: (kind: 'read' | 'write', consumed: readonly ConsumedCapacityEntry[]) => void;
  /** DynamoDB Local accepted a write to these tables (so their streams may have new records). */
  readonly onWritten?: (tables: readonly string[]) => void;
}

/** The tables a successful call of `operation` wrote to: none for reads. */
export const writtenTables = (operation: string, input: Readonly<Record<string, unknown>>): string[] => {
  switch (operation) {
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return typeof input.TableName === 'string' ? [input.TableName] : [];
    case 'BatchWriteItem':
      return typeof input.RequestItems === 'object' && input.RequestItems !== null ? Object.keys(input.RequestItems) : [];
    case 'TransactWriteItems':
      // The tables it bills writes to are the tables it writes.
      return [...transactionWriteFloor(input).keys()];
    default:
      return [];
  }
};

/** The request's headers for a body sent whole (the meter may have rewritten it). */
const withoutChunking = (headers: IncomingHttpHeaders): IncomingHttpHeaders => {
  const { 'transfer-encoding': _chunked, ...rest } = headers;
  return rest;
};

/** One table's share of a call's `ConsumedCapacity`. */
export interface ConsumedCapacityEntry {
  readonly TableName?: string;
  readonly CapacityUnits?: number;
}

/** The operations that consume capacity, and of which kind. */
const CAPACITY_KINDS: Readonly<Record<string, 'read' | 'write'>> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

/**
 * The write units a TransactWriteItems bills at least, per table: two per
 * write (Put, Update, Delete) of an item up to 1 KB
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling).
 * DynamoDB Local reports two per table whatever the number of writes (a
 * transaction of two puts: 2, where DynamoDB bills 4), so the meter takes
 * the larger of its report and this floor. Items over 1 KB and index
 * updates are what Local's report adds.
 */
export const transactionWriteFloor = (input: Readonly<Record<string, unknown>>): Map<string, number> => {
  const floor = new Map<string, number>();
  const items = Array.isArray(input.TransactItems) ? (input.TransactItems as Array<Record<string, { TableName?: unknown } | undefined>>) : [];
  for (const item of items) {
    const write = item.Put ?? item.Update ?? item.Delete;
    if (typeof write?.TableName === 'string') floor.set(write.TableName, (floor.get(write.TableName) ?? 0) + 2);
  }
  return floor;
};

/** Shard iterators remembered for GetRecords authorization (each lives 15 minutes; a poller makes a few per second). */
const ITERATOR_LIMIT = 20_000;

const json = (status: number, body: Readonly<Record<string, unknown>>): { status: number; headers: Record<string, string>; body: Buffer } => {
  const text = Buffer.from(JSON.stringify(body));
  return { status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-crc32': String(crc32(text)) }, body: text };
};

const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

/**
 * The proxy. `listen()` gives the endpoint to hand to functions
 * (`AWS_ENDPOINT_URL_DYNAMODB`); the local cloud's own machinery (table
 * creation, the stream poller) talks to DynamoDB Local directly.
 */
export class DynamoDbProxy {
  private readonly server = new LoopbackServer('DynamoDB proxy', (request, response) => this.handle(request, response));
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 });
  private readonly iterators = new Map<string, string>();

  public constructor(private readonly options: DynamoDbProxyOptions) {}

  /** Listens on 127.0.0.1 and returns the endpoint URL. */
  public listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  public async close(): Promise<void> {
    await this.server.close();
    this.agent.destroy();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: { status: number; headers: IncomingHttpHeaders | Record<string, string>; body: Buffer };
    try {
      answer = await this.answer(request);
    } catch (error) {
      answer = json(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: `The local DynamoDB proxy failed: ${error instanceof Error ? error.message : String(error)}` });
    }
    if (response.headersSent) return;
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }

  private async answer(request: IncomingMessage): Promise<{ status: number; headers: IncomingHttpHeaders | Record<string, string>; body: Buffer }> {
    const body = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.split('.')[1] ?? '';
    let input: Record<string, unknown> = {};
    try {
      const parsed: unknown = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) input = parsed as Record<string, unknown>;
    } catch {
      return json(400, { __type: 'com.amazon.coral.service#SerializationException', message: 'The request body is not valid JSON' });
    }
    const iam = this.options.iam;
    const principal = iam?.principalOf(request.headers.authorization) ?? { kind: 'administrator' as const, label: 'administrator' };
    const call: DynamoDbCall = { operation, input, principal };
    if (iam) {
      let authorizations;
      try {
        authorizations = dynamoDbAuthorizations(target, input, this.options.hashKeyOf ?? (() => undefined), (iterator) => this.iterators.get(iterator));
      } catch (error) {
        if (error instanceof UnauthorizableCallError) return json(400, { __type: 'com.amazon.coral.validate#ValidationException', message: `The local cloud cannot authorize this call: ${error.message}` });
        throw error;
      }
      for (const authorization of authorizations) {
        const denial = await iam.check({ principal, ...authorization, hop: `${principal.label} → DynamoDB ${operation}` });
        if (denial) return json(400, { __type: 'com.amazon.coral.service#AccessDeniedException', Message: denial.message });
      }
    }
    const injected = await this.options.intercept?.(call);
    if (injected) return json(injected.status, injected.body);
    const capacityKind = this.options.onConsumedCapacity ? CAPACITY_KINDS[operation] : undefined;
    const askedForCapacity = input.ReturnConsumedCapacity !== undefined && input.ReturnConsumedCapacity !== 'NONE';
    const forwarded = capacityKind && !askedForCapacity ? Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' })) : body;
    const upstream = await this.forward(request, forwarded);
    if (upstream.status === 200) {
      this.rememberIterators(operation, input, upstream.body);
      const written = this.options.onWritten ? writtenTables(operation, input) : [];
      if (written.length > 0) this.options.onWritten?.(written);
    }
    if (capacityKind && upstream.status === 200) {
      const floor = operation === 'TransactWriteItems' ? transactionWriteFloor(input) : undefined;
      return this.rewrite(call, this.meterCapacity(capacityKind, upstream, askedForCapacity, floor));
    }
    return this.rewrite(call, upstream);
  }

  /** Reports the call's consumed capacity; takes it out of the answer when only the meter asked for it. */
  private meterCapacity(
    kind: 'read' | 'write',
    upstream: { status: number; headers: IncomingHttpHeaders; body: Buffer },
    keep: boolean,
    floor?: ReadonlyMap<string, number>,
  ): { status: number; headers: IncomingHttpHeaders; body: Buffer } {
    const output = JSON.parse(upstream.body.toString('utf8')) as { ConsumedCapacity?: ConsumedCapacityEntry | ConsumedCapacityEntry[] };
    const consumed = output.ConsumedCapacity;
    if (consumed !== undefined) {
      const entries = Array.isArray(consumed) ? consumed : [consumed];
      const billed = floor
        ? entries.map((entry) => ({ ...entry, CapacityUnits: Math.max(entry.CapacityUnits ?? 0, floor.get(entry.TableName ?? '') ?? 0) }))
        : entries;
      this.options.onConsumedCapacity?.(kind, billed);
    }
    if (keep || consumed === undefined) return upstream;
    delete output.ConsumedCapacity;
    const text = Buffer.from(JSON.stringify(output));
    return { ...upstream, headers: { ...upstream.headers, 'content-length': String(text.length), 'x-amz-crc32': String(crc32(text)) }, body: text };
  }

  private async forward(request: IncomingMessage, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const base = new URL(await this.options.target());
    return new Promise((resolve, reject) => {
      const upstream = httpRequest(
        { host: base.hostname, port: base.port, path: request.url ?? '/', method: request.method ?? 'POST', headers: { ...withoutChunking(request.headers), host: base.host, 'content-length': String(body.length) }, agent: this.agent },
        (reply) => {
          readBody(reply).then((replyBody) => resolve({ status: reply.statusCode ?? 500, headers: reply.headers, body: replyBody }), reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });
  }

  /** DynamoDB Local's ARNs name the region `ddblocal`; the transform hook may change the answer. */
  private rewrite(call: DynamoDbCall, upstream: { status: number; headers: IncomingHttpHeaders; body: Buffer }): { status: number; headers: IncomingHttpHeaders; body: Buffer } {
    let text = upstream.body.toString('utf8');
    let changed = false;
    if (text.includes(':ddblocal:')) {
      text = text.replace(/:ddblocal:/g, `:${LOCAL_REGION}:`);
      changed = true;
    }
    if (upstream.status === 200 && this.options.transform) {
      const output = JSON.parse(text) as Record<string, unknown>;
      const replaced = this.options.transform(call, output);
      if (replaced) {
        text = JSON.stringify(replaced);
        changed = true;
      }
    }
    if (!changed) return upstream;
    const body = Buffer.from(text);
    const headers: IncomingHttpHeaders = { ...upstream.headers, 'content-length': String(body.length), 'x-amz-crc32': String(crc32(body)) };
    return { status: upstream.status, headers, body };
  }

  /** Remembers which stream each shard iterator reads, so GetRecords can be authorized. */
  private rememberIterators(operation: string, input: Readonly<Record<string, unknown>>, body: Buffer): void {
    if (operation !== 'GetShardIterator' && operation !== 'GetRecords') return;
    const output = JSON.parse(body.toString('utf8')) as { ShardIterator?: string; NextShardIterator?: string };
    const stream = operation === 'GetShardIterator' ? String(input.StreamArn ?? '') : this.iterators.get(String(input.ShardIterator ?? ''));
    const next = output.ShardIterator ?? output.NextShardIterator;
    if (!stream || !next) return;
    if (this.iterators.size >= ITERATOR_LIMIT) this.iterators.delete(this.iterators.keys().next().value ?? '');
    this.iterators.set(next, stream);
  }
}
