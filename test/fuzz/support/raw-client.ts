import { Agent, request, type IncomingHttpHeaders } from 'node:http';

/** A request exactly as it goes on the wire: repeated headers stay repeated, the body is bytes. */
export interface RawRequest {
  readonly method: string;
  /** The request target: an already percent-encoded path, with its query string. */
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Buffer;
}

/** What came back, unparsed. */
export interface RawReply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A token bucket on the client side, so the fuzzer stays under a route's throttle. */
interface Bucket {
  tokens: number;
  last: number;
}

/** A route's throttle: `rate` requests per second, bursts of `burst`. */
export interface Throttle {
  readonly rate: number;
  readonly burst: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends raw HTTP/1.1 requests with node:http, not fetch: fetch normalizes
 * what the fuzzer needs to abuse (it merges repeated headers, refuses
 * some bodies on GET, adds a content-type to string bodies). Requests to a
 * route are paced below its stage throttle, so no answer is a 429 that
 * would hide what the route does with the request.
 */
export class RawClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly url: URL;
  private readonly buckets = new Map<string, Bucket>();

  public constructor(
    baseUrl: string,
    private readonly throttleOf: (routeKey: string) => Throttle,
  ) {
    this.url = new URL(baseUrl);
  }

  /** Sends one request; `routeKey` is the route it reaches (undefined when none does, so no throttle applies). */
  public async send(raw: RawRequest, routeKey: string | undefined): Promise<RawReply> {
    if (routeKey !== undefined) await this.pace(routeKey);
    const flat: string[] = ['host', this.url.host];
    for (const [name, value] of raw.headers) flat.push(name, value);
    if (raw.body !== undefined) flat.push('content-length', String(raw.body.length));
    return new Promise<RawReply>((resolve, reject) => {
      const outgoing = request(
        {
          agent: this.agent,
          host: this.url.hostname,
          port: this.url.port,
          method: raw.method,
          path: raw.target,
          headers: flat,
          timeout: 30_000,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`${raw.method} ${raw.target.slice(0, 200)}: no answer within 30 s`)));
      outgoing.on('error', reject);
      outgoing.end(raw.body);
    });
  }

  public close(): void {
    this.agent.destroy();
  }

  /** Waits for a token of the route's bucket, kept at 80 % of the stage's limits. */
  private async pace(routeKey: string): Promise<void> {
    const throttle = this.throttleOf(routeKey);
    const rate = throttle.rate * 0.8;
    const burst = Math.max(1, Math.floor(throttle.burst * 0.8));
    let bucket = this.buckets.get(routeKey);
    if (!bucket) {
      bucket = { tokens: burst, last: Date.now() };
      this.buckets.set(routeKey, bucket);
    }
    for (;;) {
      const now = Date.now();
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.last) / 1000) * rate);
      bucket.last = now;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - bucket.tokens) / rate) * 1000));
    }
  }
}
