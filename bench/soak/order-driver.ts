import { setTimeout as sleep } from 'node:timers/promises';
import { TERMINAL_STATUSES } from './invariants';
import type { PlannedOrder } from './order-mix';
import { Pacer, type HttpReply, type ShopHttp } from './shop-http';

/** What the client knows of one planned order as it runs. */
export interface OrderRun {
  readonly planned: PlannedOrder;
  /** The shopper's bearer token. */
  readonly token: string;
  /** A warm-up order: checked, but not in the progress or the figures. */
  readonly warmup: boolean;
  /** From the first 202. */
  orderId?: string;
  /** When its first POST left the client, after pacing (epoch ms). */
  postedAt?: number;
  /** When a poll first saw it CONFIRMED, DELIVERED or CANCELLED (epoch ms). */
  terminalAt?: number;
}

/** Options of {@link OrderDriver}. */
export interface OrderDriverOptions {
  readonly http: ShopHttp;
  /** Token of an `admin`, who marks shipments delivered. */
  readonly adminToken: string;
  /** How long after the last request an order is still followed; also how long it may hold a slot. */
  readonly settleMs: number;
  /** Client pace of `POST /orders`. */
  readonly postRatePerSecond: number;
  /** Client pace of every other call. */
  readonly pollRatePerSecond: number;
  /** An order was accepted (202). */
  readonly onPlaced?: (run: OrderRun) => void;
  /** A poll saw an order terminal for the first time. */
  readonly onTerminal?: (run: OrderRun) => void;
}

/** Pause between two polls of one order. */
const POLL_INTERVAL_MS = 100;

/** A counting semaphore: at most `size` holders. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  public constructor(size: number) {
    this.free = size;
  }

  public async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free -= 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  public release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free += 1;
  }
}

const orderIdOfReply = (reply: HttpReply): string | undefined => {
  const body = reply.body;
  return reply.status === 202 && typeof body === 'object' && body !== null && 'orderId' in body && typeof body.orderId === 'string' ? body.orderId : undefined;
};

const statusOfReply = (reply: HttpReply): string | undefined => {
  const body = reply.body;
  return reply.status === 200 && typeof body === 'object' && body !== null && 'status' in body && typeof body.status === 'string' ? body.status : undefined;
};

/** A reply in one line, for a report. */
export const describeReply = (reply: HttpReply): string =>
  reply.status === 0 ? `no answer (${reply.failure ?? 'unknown'})` : `${reply.status} ${JSON.stringify(reply.body)?.slice(0, 200) ?? ''}`;

/**
 * The soak's client side: places orders over HTTP at bounded concurrency,
 * sends the planned duplicates with the same Idempotency-Key (concurrently or
 * after the first answer) and checks they name one order, follows each
 * order to a terminal status, and marks planned shipments delivered (some
 * twice). It only sees what a client sees; the invariants are checked on the
 * tables afterwards.
 */
export class OrderDriver {
  /** Each duplicated request answered with another order id, or refused. */
  public readonly idempotencyMismatches: string[] = [];
  /** Planned orders that no attempt got accepted. */
  public readonly placementFailures: string[] = [];
  /** What else deserves a look (a delivery refused...). */
  public readonly notes: string[] = [];
  private lastRequest = Date.now();
  private readonly postPacer: Pacer;
  private readonly pollPacer: Pacer;

  public constructor(private readonly options: OrderDriverOptions) {
    this.postPacer = new Pacer(options.postRatePerSecond);
    this.pollPacer = new Pacer(options.pollRatePerSecond);
  }

  /** When the last state-changing request (a POST) was answered (epoch ms). */
  public get lastRequestAt(): number {
    return this.lastRequest;
  }

  /**
   * Places `runs` with at most `size` in flight and follows each to a
   * terminal status (delivering it when planned). An order gives its slot up
   * when done or `settleMs` after its POST, so one stuck order cannot stall
   * the rest; it is still followed until `settleMs` after the last request.
   */
  public async runBatch(runs: readonly OrderRun[], size: number): Promise<void> {
    const slots = new Slots(size);
    let placementsDone = 0;
    const deadline = () => (placementsDone === runs.length ? this.lastRequest + this.options.settleMs : Number.POSITIVE_INFINITY);
    const follow = async (run: OrderRun): Promise<void> => {
      let holding = true;
      const release = () => {
        if (holding) {
          holding = false;
          slots.release();
        }
      };
      try {
        try {
          await this.place(run);
        } finally {
          placementsDone += 1;
        }
        if (!run.orderId) return;
        this.options.onPlaced?.(run);
        await this.poll(run, deadline, () => {
          if (holding && run.postedAt !== undefined && Date.now() > run.postedAt + this.options.settleMs) release();
        });
      } finally {
        release();
      }
    };
    const following: Array<Promise<void>> = [];
    for (const run of runs) {
      await slots.acquire();
      following.push(follow(run).catch((error: unknown) => void this.notes.push(`order ${run.planned.idempotencyKey}: ${error instanceof Error ? error.message : String(error)}`)));
    }
    await Promise.all(following);
  }

  private async post(run: OrderRun): Promise<HttpReply> {
    const reply = await this.options.http.callWithRetries('POST', '/orders', {
      token: run.token,
      json: run.planned.request,
      headers: { 'idempotency-key': run.planned.idempotencyKey },
      pacer: this.postPacer,
      onSend: () => {
        run.postedAt ??= Date.now();
      },
    });
    this.lastRequest = Math.max(this.lastRequest, Date.now());
    return reply;
  }

  private async place(run: OrderRun): Promise<void> {
    const { duplication, idempotencyKey } = run.planned;
    const replies = duplication === 'concurrent' ? await Promise.all([this.post(run), this.post(run)]) : [await this.post(run)];
    if (duplication === 'sequential') replies.push(await this.post(run));
    const ids = replies.map(orderIdOfReply);
    run.orderId = ids.find((id) => id !== undefined);
    if (!run.orderId) {
      this.placementFailures.push(`key ${idempotencyKey}: ${replies.map(describeReply).join(' / ')}`);
      return;
    }
    if (replies.length > 1 && (ids[0] !== ids[1] || ids.includes(undefined))) {
      this.idempotencyMismatches.push(`key ${idempotencyKey} (${duplication}): ${replies.map((r, i) => ids[i] ?? describeReply(r)).join(' vs ')}`);
    }
  }

  private async deliver(run: OrderRun): Promise<void> {
    const times = run.planned.deliverTwice ? 2 : 1;
    for (let i = 0; i < times; i += 1) {
      const reply = await this.options.http.callWithRetries('POST', `/shipments/shp-${run.orderId ?? ''}/deliver`, { token: this.options.adminToken, pacer: this.pollPacer });
      this.lastRequest = Math.max(this.lastRequest, Date.now());
      if (reply.status !== 200) this.notes.push(`order ${run.orderId ?? '?'}: delivery ${i + 1} answered ${describeReply(reply)}`);
    }
  }

  /** Polls an order until it is terminal (and, when its delivery is planned, delivered) or `deadline` passes. */
  private async poll(run: OrderRun, deadline: () => number, tick: () => void): Promise<void> {
    let delivered = false;
    for (;;) {
      const reply = await this.options.http.callWithRetries('GET', `/orders/${run.orderId ?? ''}`, { token: run.token, pacer: this.pollPacer, maxAttempts: 3 });
      const status = statusOfReply(reply);
      if (status !== undefined && TERMINAL_STATUSES.includes(status) && run.terminalAt === undefined) {
        run.terminalAt = Date.now();
        this.options.onTerminal?.(run);
      }
      if (status === 'CONFIRMED' && run.planned.deliver && !delivered) {
        delivered = true;
        await this.deliver(run);
      } else if (run.terminalAt !== undefined && (!delivered || status === 'DELIVERED')) {
        return;
      }
      tick();
      if (Date.now() > deadline()) return;
      await sleep(POLL_INTERVAL_MS);
    }
  }
}
