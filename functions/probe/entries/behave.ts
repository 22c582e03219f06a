import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';

/**
 * The fidelity probe's behaviour function: it does exactly what its input
 * asks, so a scenario can make Lambda (and whatever calls it) meet one
 * documented behaviour at a time. It is deliberately raw — no middleware,
 * no Powertools — so what the caller sees is Lambda's own handling of a
 * return value, a thrown error, a timeout or an oversized response.
 */
export type ProbeAction =
  /** Returns `value`. */
  | { readonly action: 'return'; readonly value?: unknown }
  /** Throws an Error whose `name` and `message` are these (Lambda reports the name as `errorType`). */
  | { readonly action: 'throw'; readonly name: string; readonly message: string }
  /** Waits `ms`, then returns `value`. */
  | { readonly action: 'sleep'; readonly ms: number; readonly value?: unknown }
  /** Returns a string of `count` characters ("x"). */
  | { readonly action: 'bytes'; readonly count: number }
  /** Returns which of these environment variable NAMES are set (never their values). */
  | { readonly action: 'env'; readonly names: readonly string[] }
  /** Calls DynamoDB GetItem on `table` and returns the outcome (the probe's role has no grant for it). */
  | { readonly action: 'getItem'; readonly table: string }
  /** Leaves a timer of `ms` pending and returns at once. */
  | { readonly action: 'pendingTimer'; readonly ms: number };

/** What API Gateway's payload format 2.0 gives the function, as far as the probe reads it. */
interface HttpApiEvent {
  readonly rawPath: string;
  readonly routeKey?: string;
  readonly requestContext: { readonly http: { readonly method: string } };
}

/** The name and message a scenario asked for, as a real Error (so Lambda reports `name` as `errorType`). */
class RequestedError extends Error {
  public constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const isHttpApiEvent = (event: unknown): event is HttpApiEvent =>
  typeof event === 'object' && event !== null && 'rawPath' in event && 'requestContext' in event;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let dynamoDb: DynamoDBClient | undefined;

/** An HTTP request: `/throws` throws (the API's 500 for a function error); any other route answers 200 with its route key. */
const answerHttp = (event: HttpApiEvent): unknown => {
  if (event.rawPath.endsWith('/throws')) throw new RequestedError('ProbeError', 'the probe route throws');
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ routeKey: event.routeKey ?? null }) };
};

const act = async (request: ProbeAction): Promise<unknown> => {
  switch (request.action) {
    case 'return':
      return request.value ?? null;
    case 'throw':
      throw new RequestedError(request.name, request.message);
    case 'sleep':
      await sleep(request.ms);
      return request.value ?? null;
    case 'bytes':
      return 'x'.repeat(request.count);
    case 'env':
      return { present: request.names.filter((name) => process.env[name] !== undefined) };
    case 'getItem': {
      dynamoDb ??= new DynamoDBClient({});
      try {
        await dynamoDb.send(new GetItemCommand({ TableName: request.table, Key: { pk: { S: 'probe' } } }));
        return { allowed: true };
      } catch (error) {
        const failure = error as { readonly name?: string; readonly message?: string; readonly $metadata?: { readonly httpStatusCode?: number } };
        return { allowed: false, name: failure.name ?? null, message: failure.message ?? null, httpStatusCode: failure.$metadata?.httpStatusCode ?? null };
      }
    }
    case 'pendingTimer':
      setTimeout(() => undefined, request.ms);
      return { timerMs: request.ms };
  }
};

export const handler = async (event: unknown): Promise<unknown> => {
  if (isHttpApiEvent(event)) return answerHttp(event);
  return act(event as ProbeAction);
};
