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
  /** When a poll first saw it CONFIRMED, SHIPPED, DELIVERED or CANCELLED (epoch ms). */
  terminalAt?: number;
  /** What `POST /orders/{id}/cancel` finally answered (0: no answer), when the plan cancels it. */
  cancelAnswer?: number;
}

/** What the client saw of one cancellation it sent. */
export interface CancellationSeen {
  readonly orderId: string;
  readonly moment: PlannedOrder['cancel'];
  /** The HTTP status of the last attempt (202, 409...), 0 when none answered. */
  readonly answer: number;
}

/** Options of {@link OrderDriver}. */
export interface OrderDriverOptions {
  readonly http: ShopHttp;
  /** Token of an `admin`, who ships and marks shipments delivered. */
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
 * order to a terminal status, cancels the planned ones at their moment
 * (before, during or after the saga), and ships and delivers planned
 * shipments (some deliveries twice). It only sees what a client sees; the invariants are checked on the
 * tables afterwards.
 */
export class OrderDriver {
  /** Each duplicated request answered with another order id, or refused. */
  public readonly idempotencyMismatches: string[] = [];
  /** Planned orders that no attempt got accepted. */
  public readonly placementFailures: string[] = [];
  /** What else deserves a look (a delivery refused...). */
  public readonly notes: string[] = [];
  /** Every cancellation sent, with its final answer. */
  public readonly cancellations: CancellationSeen[] = [];
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

  /**
   * The carrier's part, once the order is confirmed: ship it when planned,
   * then deliver it (twice when planned). A cancellation may win the race
   * for the shipment, so a 409 is an answer here, not a failure: the
   * invariants check the order ended one way or the other.
   */
  private async carry(run: OrderRun): Promise<void> {
    // Any planned cancellation may reach the shipment first (one sent 'during' the saga may still be on its way).
    const racing = run.planned.cancel !== 'none';
    if (run.planned.ship) {
      const reply = await this.options.http.callWithRetries('POST', `/shipments/shp-${run.orderId ?? ''}/ship`, { token: this.options.adminToken, pacer: this.pollPacer });
      this.lastRequest = Math.max(this.lastRequest, Date.now());
      if (reply.status === 409 && racing) return;
      if (reply.status !== 200) {
        this.notes.push(`order ${run.orderId ?? '?'}: shipping answered ${describeReply(reply)}`);
        return;
      }
    }
    if (!run.planned.deliver) return;
    const times = run.planned.deliverTwice ? 2 : 1;
    for (let i = 0; i < times; i += 1) {
      const reply = await this.options.http.callWithRetries('POST', `/shipments/shp-${run.orderId ?? ''}/deliver`, { token: this.options.adminToken, pacer: this.pollPacer });
      this.lastRequest = Math.max(this.lastRequest, Date.now());
      if (reply.status === 409 && racing) return;
      if (reply.status !== 200) this.notes.push(`order ${run.orderId ?? '?'}: delivery ${i + 1} answered ${describeReply(reply)}`);
    }
  }

  /** Its owner cancels the order (retrying a 503, as a client does); the answer is kept for the invariants. */
  private async cancel(run: OrderRun): Promise<void> {
    const reply = await this.options.http.callWithRetries('POST', `/orders/${run.orderId ?? ''}/cancel`, { token: run.token, pacer: this.pollPacer });
    this.lastRequest = Math.max(this.lastRequest, Date.now());
    run.cancelAnswer = reply.status;
    this.cancellations.push({ orderId: run.orderId ?? '?', moment: run.planned.cancel, answer: reply.status });
    if (reply.status !== 202 && reply.status !== 409) this.notes.push(`order ${run.orderId ?? '?'}: cancellation (${run.planned.cancel}) answered ${describeReply(reply)}`);
  }

  /** Whether a status is where the plan leaves the order: cancelled, or as far as the carrier was to take it. */
  private settled(run: OrderRun, status: string | undefined): boolean {
    if (status === undefined) return false;
    if (status === 'CANCELLED' || status === 'DELIVERED') return true;
    // A cancellation not answered yet may still cancel it; one accepted must end CANCELLED.
    if (run.planned.cancel !== 'none' && run.cancelAnswer === undefined) return false;
    if (run.cancelAnswer === 202) return false;
    if (run.planned.deliver) return false;
    if (run.planned.ship) return status === 'SHIPPED';
    return TERMINAL_STATUSES.includes(status);
  }

  /**
   * Polls an order until the plan is done with it (cancelled, or shipped and
   * delivered as planned) or `deadline` passes, cancelling it at its planned
   * moment and carrying it once confirmed.
   */
  private async poll(run: OrderRun, deadline: () => number, tick: () => void): Promise<void> {
    let carried = false;
    const side: Array<Promise<void>> = [];
    if (run.planned.cancel === 'before') await this.cancel(run);
    else if (run.planned.cancel === 'during') side.push(sleep(run.planned.cancelAfterMs).then(() => this.cancel(run)));
    try {
      for (;;) {
        const reply = await this.options.http.callWithRetries('GET', `/orders/${run.orderId ?? ''}`, { token: run.token, pacer: this.pollPacer, maxAttempts: 3 });
        const status = statusOfReply(reply);
        if (status !== undefined && TERMINAL_STATUSES.includes(status) && run.terminalAt === undefined) {
          run.terminalAt = Date.now();
          this.options.onTerminal?.(run);
        }
        if (status === 'CONFIRMED' && !carried) {
          carried = true;
          // A cancellation once confirmed goes out with the carrier's first step, so the two race for the shipment.
          await Promise.all([
            ...(run.planned.ship || run.planned.deliver ? [this.carry(run)] : []),
            ...(run.planned.cancel === 'after' ? [this.cancel(run)] : []),
          ]);
          continue;
        }
        if (this.settled(run, status)) return;
        tick();
        if (Date.now() > deadline()) return;
        await sleep(POLL_INTERVAL_MS);
      }
    } finally {
      await Promise.all(side);
    }
  }
}
