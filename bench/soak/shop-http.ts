import { setTimeout as sleep } from 'node:timers/promises';

/** What one HTTP exchange gave: status 0 when no answer came (connection refused, reset, timeout). */
export interface HttpReply {
  readonly status: number;
  readonly body: unknown;
  /** `Retry-After`, in ms, when the answer carried one. */
  readonly retryAfterMs?: number;
  /** Why no answer came, when status is 0. */
  readonly failure?: string;
}

/** Counts of what the soak's client met, for the report. */
export interface HttpCounters {
  requests: number;
  /** Attempts repeated after a 429, a 5xx or no answer. */
  retries: number;
  throttled: number;
  serverErrors: number;
  noAnswer: number;
}

/** Answers worth another attempt: throttled, a server or gateway error, or none at all. */
export const isRetryable = (reply: HttpReply): boolean => reply.status === 0 || reply.status === 429 || reply.status >= 500;

/**
 * Spaces calls out to at most `ratePerSecond`, in arrival order. The HTTP
 * API throttles each route (POST /orders at 10/s, the rest at 50/s); a
 * client that paces itself just under that gets through instead of
 * collecting 429s.
 */
export class Pacer {
  private nextSlot = 0;

  public constructor(private readonly ratePerSecond: number) {
    if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be positive, not ${ratePerSecond}`);
  }

  public async take(): Promise<void> {
    const now = Date.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + 1000 / this.ratePerSecond;
    if (slot > now) await sleep(slot - now);
  }
}

/** Options of {@link ShopHttp.call}. */
export interface CallOptions {
  readonly token?: string;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Paces this call. */
  readonly pacer?: Pacer;
  /** Called as each attempt is sent, after any pacing: when the request really leaves. */
  readonly onSend?: () => void;
}

/** Options of {@link ShopHttp.callWithRetries}. */
export interface RetryOptions extends CallOptions {
  /** @default 10 */
  readonly maxAttempts?: number;
  /** Called before each retry, with the reply that caused it. */
  readonly onRetry?: (reply: HttpReply, attempt: number) => void;
}

/** Longest backoff between two attempts the client chooses itself. */
const MAX_BACKOFF_MS = 2000;
/**
 * Longest `Retry-After` honoured: an open circuit breaker asks for up to its
 * 30 s open window, and a client that came back sooner would only be refused again.
 */
const MAX_RETRY_AFTER_MS = 30_000;
/** Longer than the HTTP API's 30 s integration timeout. */
const REQUEST_TIMEOUT_MS = 35_000;

const retryAfterOf = (response: Response): number | undefined => {
  const header = response.headers.get('retry-after');
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
};

/**
 * The soak's HTTP client: `fetch`, JSON in and out, and retries with
 * exponential backoff and full jitter (capped at 2 s; a longer
 * `Retry-After` is honoured up to 30 s) on 429, 5xx and no answer. Retrying is only safe for idempotent
 * calls; the soak sends every `POST /orders` with an Idempotency-Key.
 */
export class ShopHttp {
  public readonly counters: HttpCounters = { requests: 0, retries: 0, throttled: 0, serverErrors: 0, noAnswer: 0 };

  public constructor(private readonly apiUrl: string) {}

  /** One attempt. */
  public async call(method: string, path: string, options: CallOptions = {}): Promise<HttpReply> {
    await options.pacer?.take();
    this.counters.requests += 1;
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    options.onSend?.();
    try {
      response = await fetch(`${this.apiUrl}${path}`, {
        method,
        headers,
        ...(options.json !== undefined ? { body: JSON.stringify(options.json) } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      this.counters.noAnswer += 1;
      return { status: 0, body: undefined, failure: error instanceof Error ? error.message : String(error) };
    }
    const text = await response.text().catch(() => '');
    let body: unknown = text;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    if (response.status === 429) this.counters.throttled += 1;
    if (response.status >= 500) this.counters.serverErrors += 1;
    const retryAfterMs = retryAfterOf(response);
    return { status: response.status, body, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  }

  /** Attempts until an answer is not {@link isRetryable} or `maxAttempts` are spent; returns the last reply. */
  public async callWithRetries(method: string, path: string, options: RetryOptions = {}): Promise<HttpReply> {
    const maxAttempts = options.maxAttempts ?? 10;
    for (let attempt = 1; ; attempt += 1) {
      const reply = await this.call(method, path, options);
      if (!isRetryable(reply) || attempt >= maxAttempts) return reply;
      this.counters.retries += 1;
      options.onRetry?.(reply, attempt);
      const backoff = Math.random() * Math.min(MAX_BACKOFF_MS, 50 * 2 ** attempt);
      await sleep(Math.max(backoff, Math.min(MAX_RETRY_AFTER_MS, reply.retryAfterMs ?? 0)));
    }
  }
}
