/**
 * Waiting for the local cloud's asynchronous work: what tests and graceful
 * shutdown use to know that no delivery, invocation or retry is in flight.
 */

/**
 * Counts asynchronous work (deliveries, retries waiting on a timer) so that
 * `drain()` can tell when nothing is pending, and `close()` can cancel every
 * timer at shutdown.
 */
export class PendingWork {
  private pending = 0;
  private closed = false;
  private readonly waiters: Array<() => void> = [];
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  /** True after `close()`: new work is refused. */
  public get isClosed(): boolean {
    return this.closed;
  }

  /** True when nothing is pending. */
  public get idle(): boolean {
    return this.pending <= 0;
  }

  /** One more piece of work is under way. */
  public begin(): void {
    if (!this.closed) this.pending += 1;
  }

  /** One piece of work has finished (delivered, dead-lettered or dropped). */
  public end(): void {
    if (this.closed) return;
    this.pending -= 1;
    if (this.pending <= 0) this.flush();
  }

  /** Starts a piece of work on a later turn of the event loop, so the caller returns first (AWS accepts, then delivers). */
  public startSoon(run: () => Promise<void>): void {
    this.begin();
    this.later(0, () => void run());
  }

  /** Runs `run` after `ms` unless closed first. */
  public later(ms: number, run: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.set(timer, () => undefined);
  }

  /** Waits `ms`; resolves `false` when closed meanwhile (the work should stop). */
  public sleep(ms: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve(!this.closed);
      }, ms);
      this.timers.set(timer, () => resolve(false));
    });
  }

  /** Resolves when nothing is pending (at once if nothing is). */
  public drain(): Promise<void> {
    if (this.pending <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Cancels every timer and forgets pending work; later work is refused. */
  public close(): void {
    this.closed = true;
    for (const [timer, cancel] of this.timers) {
      clearTimeout(timer);
      cancel();
    }
    this.timers.clear();
    this.pending = 0;
    this.flush();
  }

  private flush(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}

/** A part of the local cloud with asynchronous work that can be waited for. */
export interface Drainable {
  drain(): Promise<void>;
  /** True when nothing is pending right now. */
  readonly idle: boolean;
}

/**
 * A part of the local cloud whose work outlives the call that caused it (an
 * event's deliveries after `PutEvents`, a function's attempts after an
 * asynchronous invoke): the work is counted so that tests and graceful
 * shutdown can wait for it, and cancelled at shutdown.
 */
export abstract class BackgroundService implements Drainable {
  /** The work under way; subclasses begin and end it. */
  protected readonly work = new PendingWork();

  /** Resolves when no work or retry is pending: for tests and graceful shutdown. */
  public drain(): Promise<void> {
    return this.work.drain();
  }

  /** True when no work or retry is pending. */
  public get idle(): boolean {
    return this.work.idle;
  }

  /** Cancels pending retries; later requests are refused. */
  public close(): void {
    this.work.close();
  }
}

/**
 * Waits until every part is idle at the same time. The parts feed each other
 * (a Lambda target publishes events whose rules invoke Lambdas, a pipe puts
 * events on a bus), so draining them one after the other once is not enough.
 */
export async function drainAll(parts: readonly Drainable[]): Promise<void> {
  do {
    for (const part of parts) await part.drain();
  } while (!parts.every((part) => part.idle));
}
