import { z, type ZodType } from 'zod';
import { LOW_STOCK_UNITS } from '../../../functions/shared/contracts/events';
import { eventually } from './eventually';
import type { Caller, ShopTarget } from './target';

/** What the API answered, as a client sees it. */
export interface ApiReply {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** The media type, without parameters; '' when there is none. */
  readonly contentType: string;
  readonly correlationId?: string;
  readonly location?: string;
  /** The `Retry-After` header, as sent. */
  readonly retryAfter?: string;
  /** The body parsed as JSON, or its text when it is not JSON. */
  readonly body: unknown;
}

/** The API answered something a scenario's set-up did not expect. */
export class UnexpectedReplyError extends Error {
  public constructor(what: string, reply: ApiReply) {
    super(`${what}: ${reply.method} ${reply.path} answered ${reply.status} ${JSON.stringify(reply.body)}`);
    this.name = 'UnexpectedReplyError';
  }
}

const money = z.object({ amount: z.number().int(), currency: z.string() });
const line = z.object({ productId: z.string(), quantity: z.number().int(), unitPrice: money });

export const orderStatusSchema = z.enum(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED']);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** `GET /orders/{id}`. */
export const orderViewSchema = z.object({
  orderId: z.string(),
  status: orderStatusSchema,
  items: z.array(line),
  total: money,
  cancellationReason: z.string().optional(),
  cancellationRequestedAt: z.string().optional(),
  statusHistory: z.array(z.object({ status: orderStatusSchema, at: z.string(), reason: z.string().optional() })),
});
export type OrderView = z.infer<typeof orderViewSchema>;

/** `POST /orders` (202). */
export const placementSchema = z.object({ orderId: z.string(), status: z.literal('PENDING'), total: money, items: z.array(line) });
export type Placement = z.infer<typeof placementSchema>;

/** `GET /orders/{id}/details`. */
export const detailsSchema = z.object({
  order: orderViewSchema,
  payment: z.object({ paymentId: z.string(), status: z.string(), amount: money, declineReason: z.string().optional() }).nullable(),
  shipment: z
    .object({
      shipmentId: z.string(),
      status: z.string(),
      items: z.array(z.object({ productId: z.string(), quantity: z.number().int() })),
      carrier: z.string(),
      trackingNumber: z.string(),
    })
    .nullable(),
});
export type OrderDetailsView = z.infer<typeof detailsSchema>;

const stockSchema = z.object({ productId: z.string(), stock: z.number().int() });

/** `GET /products/{id}`: a product as every reader sees it. */
export const productViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  category: z.string(),
  imageUrl: z.string().optional(),
  price: money,
  available: z.number().int().min(0).max(LOW_STOCK_UNITS).optional(),
  inStock: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ProductView = z.infer<typeof productViewSchema>;

/** `GET /products`. */
export const productPageSchema = z.object({ items: z.array(productViewSchema), nextCursor: z.string().optional() });

/** What {@link ShopClient.stockProduct} creates. */
export interface NewProduct {
  readonly id: string;
  readonly name: string;
  readonly price: { readonly amount: number; readonly currency: string };
  /** @default 'test' */
  readonly category?: string;
  readonly imageUrl?: string;
}
const orderPageSchema = z.object({ items: z.array(orderViewSchema), nextCursor: z.string().optional() });

/** An RFC 9457 problem, as every error answer of the shop's functions is. */
export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: z.string(),
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** `GET /health` (liveness). */
export const healthSchema = z.object({ status: z.literal('ok'), version: z.string(), build: z.string() });

/** One dependency of `GET /ready`. */
const readyCheckSchema = z.object({ ok: z.boolean(), ms: z.number().int().min(0), reason: z.enum(['timed out', 'failed']).optional() });

/** `GET /ready` when ready (200). */
export const readySchema = z.object({ status: z.literal('ready'), checks: z.record(z.string(), readyCheckSchema) });

/** `GET /ready` when not ready (503): a problem naming what failed, with every check. */
export const notReadySchema = z.object({
  status: z.literal(503),
  code: z.literal('NOT_READY'),
  detail: z.string(),
  checks: z.record(z.string(), readyCheckSchema),
});

/** Where an order goes; `country` decides whether the carrier serves it. */
export interface Address {
  readonly name: string;
  readonly line1: string;
  readonly city: string;
  readonly postalCode: string;
  readonly country: string;
}

/** The body of `POST /orders`. */
export interface OrderRequest {
  readonly items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
  readonly paymentToken?: string;
  readonly shippingAddress: Address;
}

/** Options of {@link ShopClient.call}. */
export interface CallOptions {
  /** Sends `authorization: Bearer <token>`. @default no token */
  readonly as?: Caller;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is, with `content-type: application/json` (for malformed bodies). */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * How many times a helper that must succeed asks again after `503` with
 * `Retry-After`, as the API tells any client to: a dependency past its
 * deadline (a function cold-starting on a busy machine, say) is a moment's
 * unavailability, not the outcome a scenario is about. Scenarios about the
 * 503 itself use {@link ShopClient.call} or {@link ShopClient.placeOrder}.
 */
const UNAVAILABLE_RETRIES = 3;

/**
 * `Retry-After` in ms (at least 100 ms, at most 30 s: an open circuit asks
 * for the rest of its 30-second window); undefined when the reply is not a
 * 503 that asks for a retry.
 */
const retryDelayOf = (reply: ApiReply): number | undefined => {
  if (reply.status !== 503 || reply.retryAfter === undefined) return undefined;
  const seconds = Number(reply.retryAfter);
  return Number.isFinite(seconds) ? Math.min(30_000, Math.max(100, seconds * 1000)) : 1000;
};

/**
 * POST /orders reads the prices from catalog's GetPrices before it writes
 * anything, so a 503 naming that function placed no order: placing again is
 * safe even without an Idempotency-Key. Any other 503 may have written.
 */
const placedNothing = (reply: ApiReply): boolean => {
  const detail = typeof reply.body === 'object' && reply.body !== null ? (reply.body as { detail?: unknown }).detail : undefined;
  return typeof detail === 'string' && /CatalogGetPrices/.test(detail);
};

/** Parses a reply's body with a schema, or fails naming the call and what it answered. */
export const bodyAs = <T>(schema: ZodType<T>, reply: ApiReply): T => {
  const parsed = schema.safeParse(reply.body);
  if (!parsed.success) throw new UnexpectedReplyError(`unexpected body (${parsed.error.message})`, reply);
  return parsed.data;
};

/**
 * The shop's HTTP API as a user (or admin) calls it, with nothing but fetch:
 * the scenarios see what a client sees, on the local cloud and on AWS alike.
 */
export class ShopClient {
  public constructor(private readonly target: Pick<ShopTarget, 'apiUrl' | 'waitMs' | 'diagnostics'>) {}

  public async call(method: string, path: string, options: CallOptions = {}): Promise<ApiReply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as) headers.authorization = `Bearer ${options.as.token}`;
    const body = options.rawBody ?? (options.json === undefined ? undefined : JSON.stringify(options.json));
    if (body !== undefined) headers['content-type'] ??= 'application/json';
    const response = await fetch(`${this.target.apiUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(30_000) });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = text;
    }
    const correlationId = response.headers.get('x-correlation-id') ?? undefined;
    const location = response.headers.get('location') ?? undefined;
    const retryAfter = response.headers.get('retry-after') ?? undefined;
    return {
      method,
      path,
      status: response.status,
      contentType: (response.headers.get('content-type') ?? '').split(';')[0].trim(),
      ...(correlationId ? { correlationId } : {}),
      ...(location ? { location } : {}),
      ...(retryAfter ? { retryAfter } : {}),
      body: parsed,
    };
  }

  /**
   * {@link call}, asked again (at most {@link UNAVAILABLE_RETRIES} times, after
   * the `Retry-After` it was given) while it answers 503 and `repeatable` says
   * the request may be sent again.
   */
  private async callWhileUnavailable(method: string, path: string, options: CallOptions, repeatable: (reply: ApiReply) => boolean = () => true): Promise<ApiReply> {
    let reply = await this.call(method, path, options);
    for (let retry = 0; retry < UNAVAILABLE_RETRIES; retry += 1) {
      const delayMs = retryDelayOf(reply);
      if (delayMs === undefined || !repeatable(reply)) break;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      reply = await this.call(method, path, options);
    }
    return reply;
  }

  /** Creates a product (in category `test` unless it names one) with stock on hand, as an admin. */
  public async stockProduct(admin: Caller, product: NewProduct, stock: number): Promise<void> {
    let retried = false;
    const created = await this.callWhileUnavailable('POST', '/products', { as: admin, json: { category: 'test', ...product } }, () => {
      retried = true;
      return true;
    });
    // A 503 may have come after the write: the same product asked again is then already there (ids are the scenario's own).
    const createdBefore = retried && created.status === 409;
    if (created.status !== 201 && !createdBefore) throw new UnexpectedReplyError(`creating product ${product.id}`, created);
    await this.setStock(admin, product.id, stock);
  }

  public async setStock(admin: Caller, productId: string, stock: number): Promise<void> {
    const set = await this.callWhileUnavailable('PUT', `/inventory/${encodeURIComponent(productId)}`, { as: admin, json: { stock } });
    if (set.status !== 200) throw new UnexpectedReplyError(`setting the stock of ${productId}`, set);
  }

  public async stockOf(caller: Caller, productId: string): Promise<number> {
    const reply = await this.callWhileUnavailable('GET', `/inventory/${encodeURIComponent(productId)}`, { as: caller });
    if (reply.status !== 200) throw new UnexpectedReplyError(`reading the stock of ${productId}`, reply);
    return bodyAs(stockSchema, reply).stock;
  }

  /**
   * `POST /orders/{id}/cancel`, asked again after a 503 as the API says to:
   * a repeated cancellation is answered the same way and runs nothing twice.
   * Scenarios about the 503 itself use {@link ShopClient.call}.
   */
  public requestCancellation(caller: Caller, orderId: string): Promise<ApiReply> {
    return this.callWhileUnavailable('POST', `/orders/${encodeURIComponent(orderId)}/cancel`, { as: caller });
  }

  /** `GET /products/{id}`, without a token (asked again after a 503, as a read may be). */
  public async product(productId: string): Promise<ProductView> {
    const reply = await this.callWhileUnavailable('GET', `/products/${encodeURIComponent(productId)}`, {});
    if (reply.status !== 200) throw new UnexpectedReplyError(`reading product ${productId}`, reply);
    return bodyAs(productViewSchema, reply);
  }

  /**
   * Waits until the catalog shows what a customer should see of `units` on
   * sale: the count while it is low (at most LOW_STOCK_UNITS), else only
   * "in stock". Stock reaches the catalog as an event (inventory's outbox →
   * bus → catalog's queue), a moment after the write.
   */
  public availableReaches(productId: string, units: number): Promise<ProductView> {
    const shown = (p: ProductView) => (units <= LOW_STOCK_UNITS ? p.available === units : p.inStock && p.available === undefined);
    return eventually(`product ${productId} showing ${units <= LOW_STOCK_UNITS ? `${units} available` : `in stock (over ${LOW_STOCK_UNITS})`}`, () => this.product(productId), shown, {
      timeoutMs: this.target.waitMs,
      diagnostics: () => this.target.diagnostics(undefined),
    });
  }

  /** `POST /orders`; the reply is returned whatever it is, so scenarios assert on it. */
  public placeOrder(caller: Caller, request: OrderRequest, idempotencyKey?: string): Promise<ApiReply> {
    return this.call('POST', '/orders', { as: caller, json: request, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) });
  }

  /**
   * `POST /orders` that must be accepted (202); its order id and correlation
   * id. A 503 is placed again when that cannot place the order twice: with an
   * Idempotency-Key, or when prices could not be read (nothing was written).
   */
  public async placeAcceptedOrder(caller: Caller, request: OrderRequest, idempotencyKey?: string): Promise<Placement & { correlationId?: string }> {
    const reply = await this.callWhileUnavailable(
      'POST',
      '/orders',
      { as: caller, json: request, ...(idempotencyKey ? { headers: { 'idempotency-key': idempotencyKey } } : {}) },
      (unavailable) => idempotencyKey !== undefined || placedNothing(unavailable),
    );
    if (reply.status !== 202) throw new UnexpectedReplyError(`placing an order as ${caller.name}`, reply);
    return { ...bodyAs(placementSchema, reply), ...(reply.correlationId ? { correlationId: reply.correlationId } : {}) };
  }

  public async order(caller: Caller, orderId: string): Promise<OrderView> {
    const reply = await this.callWhileUnavailable('GET', `/orders/${orderId}`, { as: caller });
    if (reply.status !== 200) throw new UnexpectedReplyError(`reading order ${orderId} as ${caller.name}`, reply);
    return bodyAs(orderViewSchema, reply);
  }

  public async details(caller: Caller, orderId: string): Promise<OrderDetailsView> {
    const reply = await this.callWhileUnavailable('GET', `/orders/${orderId}/details`, { as: caller });
    if (reply.status !== 200) throw new UnexpectedReplyError(`reading the details of order ${orderId} as ${caller.name}`, reply);
    return bodyAs(detailsSchema, reply);
  }

  /** Every order of the caller, following `nextCursor`. */
  public async allOrders(caller: Caller): Promise<OrderView[]> {
    const orders: OrderView[] = [];
    let cursor: string | undefined;
    do {
      const reply = await this.callWhileUnavailable('GET', `/orders?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { as: caller });
      if (reply.status !== 200) throw new UnexpectedReplyError(`listing the orders of ${caller.name}`, reply);
      const page = bodyAs(orderPageSchema, reply);
      orders.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return orders;
  }

  /** Waits until the saga has decided the order (it is no longer PENDING). */
  public outcomeOf(caller: Caller, placed: { orderId: string; correlationId?: string }): Promise<OrderView> {
    return this.waitForOrder(caller, placed, 'an outcome', (order) => order.status !== 'PENDING');
  }

  /** Waits until the order is in `status` or has moved past where it could still get there. */
  public reachedStatus(caller: Caller, placed: { orderId: string; correlationId?: string }, status: OrderStatus): Promise<OrderView> {
    return this.waitForOrder(caller, placed, status, (order) => order.status === status || order.status === 'CANCELLED');
  }

  private waitForOrder(caller: Caller, placed: { orderId: string; correlationId?: string }, what: string, done: (order: OrderView) => boolean): Promise<OrderView> {
    return eventually(`order ${placed.orderId} reaching ${what}`, () => this.order(caller, placed.orderId), done, {
      timeoutMs: this.target.waitMs,
      diagnostics: () => this.target.diagnostics(placed.correlationId),
    });
  }
}
