import { randomUUID } from 'node:crypto';
import { BreakerStoreUnavailableError, NEVER_FAILED, type BreakerSnapshot, type BreakerStore, type CircuitState } from './breaker-store';
import type { ErrorOptions } from './errors';
import { PowertoolsBreakerObserver } from './powertools-breaker-observer';

export type { CircuitState } from './breaker-store';

/** A change of a breaker's state, as one execution environment made it (each is made exactly once, by a conditional write). */
export interface BreakerTransition {
  readonly dependency: string;
  readonly from: CircuitState;
  readonly to: CircuitState;
  /** Why, in words, e.g. `5 consecutive failures`. */
  readonly reason: string;
  /** While OPEN: when a probe will be let through (epoch ms). */
  readonly openUntil?: number;
}

/** A call the breaker refused without making it. */
export interface BreakerRefusal {
  readonly dependency: string;
  readonly state: Exclude<CircuitState, 'CLOSED'>;
  readonly retryAfterMs: number;
}

/**
 * Port: who hears what a breaker does. The default logs one line per
 * transition and counts transitions and refusals as metrics.
 */
export interface BreakerObserver {
  transitioned(transition: BreakerTransition): void;
  refused(refusal: BreakerRefusal): void;
  /** The store failed transiently; the breaker went on with what this environment last knew. */
  storeUnavailable(dependency: string, operation: string, error: BreakerStoreUnavailableError): void;
}

/** Options of {@link SharedCircuitBreaker}. */
export interface SharedCircuitBreakerOptions {
  /** What is guarded, e.g. `payment-provider`: the key of its state in the store, and a metric dimension. */
  readonly dependency: string;
  /** Where the state lives, shared by every execution environment. */
  readonly store: BreakerStore;
  /** @default a {@link PowertoolsBreakerObserver}: a log line per transition, metrics per transition and refusal */
  readonly observer?: BreakerObserver;
  /** Consecutive failures that open the circuit. @default 5 */
  readonly failureThreshold?: number;
  /** How long the circuit stays open before it lets one probe through, in ms. @default 30_000 */
  readonly openMs?: number;
  /**
   * How long an environment trusts the state it last read before reading it
   * again, in ms; capped at `openMs`, so an environment that read CLOSED
   * just before the circuit opened has stopped trusting that read before
   * the probe is due. @default 1_000
   */
  readonly cacheMs?: number;
  /**
   * How long a probe holds its claim, in ms: a probe whose environment died
   * (timed out, crashed) before reporting lets the next probe through after
   * this. @default `openMs`
   */
  readonly probeLeaseMs?: number;
  /**
   * Whether an error means the dependency failed. Errors that are answers
   * (e.g. a declined card) are not failures: they count as a success.
   * @default every error is a failure
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** The clock, in ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /** Ids that tell probes apart. @default random UUIDs */
  readonly newProbeId?: () => string;
}

/** The circuit is open (or half-open with its probe in flight): the call was refused without being made. */
export class CircuitOpenError extends Error {
  public readonly dependency: string;
  public readonly state: Exclude<CircuitState, 'CLOSED'>;
  /** How long until a probe may be let through, in ms (0 when unknown: a probe is in flight). */
  public readonly retryAfterMs: number;

  public constructor(refusal: BreakerRefusal, options?: ErrorOptions) {
    super(
      refusal.state === 'OPEN'
        ? `The circuit of ${refusal.dependency} is open for another ${refusal.retryAfterMs} ms; the call was not made.`
        : `The circuit of ${refusal.dependency} is half-open and its probe is in flight; the call was not made.`,
      options,
    );
    this.dependency = refusal.dependency;
    this.state = refusal.state;
    this.retryAfterMs = refusal.retryAfterMs;
    this.name = 'CircuitOpenError';
  }
}

type Tolerated<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/**
 * A circuit breaker for one dependency, shared by every execution
 * environment of a service through a {@link BreakerStore}: after
 * `failureThreshold` consecutive failures (counted by all environments
 * together) it opens and refuses calls for `openMs`, so a dependency that is
 * down is not waited on by every request of every environment; then exactly
 * one caller — the one whose conditional write claims the probe — is let
 * through. A successful probe closes it, a failed one opens it again. It
 * never retries.
 *
 * Cheap on the hot path: a closed breaker costs at most one read per
 * environment per `cacheMs`, and writes happen only on failures, on the
 * first success after failures, and on transitions. The price of the cache:
 * an environment that last read CLOSED keeps calling for up to `cacheMs`
 * after the circuit opened elsewhere — but its first failure's write returns
 * the new state, so each environment makes at most one failing call after
 * the circuit opened. Likewise a success in an environment that has not yet
 * seen the latest failures (read less than `cacheMs` ago) does not reset the
 * count, so failures interleaved with successes within about `cacheMs` may
 * add up as if consecutive.
 *
 * When the store is unavailable (throttled, unreachable) the breaker does
 * not become the outage: each environment goes on with the state it last
 * knew, as a per-environment breaker would, and says so through the observer.
 */
export class SharedCircuitBreaker {
  public readonly dependency: string;
  private readonly store: BreakerStore;
  private readonly observer: BreakerObserver;
  private readonly failureThreshold: number;
  private readonly openMs: number;
  private readonly cacheMs: number;
  private readonly probeLeaseMs: number;
  private readonly isFailure: (error: unknown) => boolean;
  private readonly now: () => number;
  private readonly newProbeId: () => string;
  private known: { readonly snapshot: BreakerSnapshot; readonly readAt: number } | undefined;
  private reading: Promise<BreakerSnapshot> | undefined;

  public constructor(options: SharedCircuitBreakerOptions) {
    this.dependency = options.dependency;
    this.store = options.store;
    this.observer = options.observer ?? new PowertoolsBreakerObserver();
    this.failureThreshold = options.failureThreshold ?? 5;
    this.openMs = options.openMs ?? 30_000;
    const cacheMs = options.cacheMs ?? 1_000;
    this.probeLeaseMs = options.probeLeaseMs ?? this.openMs;
    this.isFailure = options.isFailure ?? (() => true);
    this.now = options.now ?? Date.now;
    this.newProbeId = options.newProbeId ?? randomUUID;
    if (this.dependency === '') throw new RangeError('A circuit breaker needs the name of its dependency.');
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`Circuit breaker ${this.dependency}: failureThreshold must be a positive integer, not ${this.failureThreshold}.`);
    }
    for (const [name, value] of [['openMs', this.openMs], ['cacheMs', cacheMs], ['probeLeaseMs', this.probeLeaseMs]] as const) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`Circuit breaker ${this.dependency}: ${name} must be a finite number of ms ≥ 0, not ${value}.`);
    }
    this.cacheMs = Math.min(cacheMs, this.openMs);
  }

  /**
   * Makes the call unless the circuit refuses it, and records how it went.
   * @throws CircuitOpenError when open, or half-open with a probe in flight (the call was not made)
   * @throws whatever the call throws
   */
  public async guard<T>(call: () => Promise<T>): Promise<T> {
    const admission = await this.admit();
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (this.isFailure(error)) await this.failed(admission);
      else await this.succeeded(admission);
      throw error;
    }
    await this.succeeded(admission);
    return result;
  }

  /** The state a call made now would meet, as this environment knows it (reading the store when its view is stale). */
  public async state(): Promise<CircuitState> {
    const now = this.now();
    const snapshot = await this.current(now);
    if (snapshot.state === 'OPEN' && snapshot.openUntil <= now) return 'HALF_OPEN';
    return snapshot.state;
  }

  /** Lets the call through (as the probe, when it wins the claim) or throws {@link CircuitOpenError}. */
  private async admit(): Promise<{ readonly seen: BreakerSnapshot; readonly probeId?: string }> {
    const now = this.now();
    const seen = await this.current(now);
    if (seen.state === 'CLOSED') return { seen };
    this.refuseWhileWaiting(seen, now);

    const probeId = this.newProbeId();
    const probeUntil = now + this.probeLeaseMs;
    const claim = await this.tolerate('claimProbe', () => this.store.claimProbe(this.dependency, { probeId, probeUntil, at: now }));
    if (!claim.ok) {
      // The store is unavailable: probe from this environment alone, as a per-environment breaker would.
      this.remember({ state: 'HALF_OPEN', probeUntil }, now);
      return { seen, probeId };
    }
    if (claim.value) {
      this.remember({ state: 'HALF_OPEN', probeUntil }, now);
      this.observer.transitioned({
        dependency: this.dependency,
        from: seen.state,
        to: 'HALF_OPEN',
        reason: seen.state === 'OPEN' ? 'the open window is over; this call is the probe' : "the last probe's claim lapsed; this call is the probe",
      });
      return { seen, probeId };
    }
    // Another caller claimed the probe, or the circuit moved on since this environment last looked.
    const latest = await this.refresh(now);
    if (latest.state === 'CLOSED') return { seen: latest };
    this.refuseWhileWaiting(latest, now);
    return this.refuse(latest.state, 0);
  }

  /** Throws while the circuit is open or its probe's claim holds; returns when a probe may be claimed. */
  private refuseWhileWaiting(snapshot: BreakerSnapshot, now: number): void {
    if (snapshot.state === 'OPEN' && snapshot.openUntil > now) this.refuse('OPEN', snapshot.openUntil - now);
    if (snapshot.state === 'HALF_OPEN' && snapshot.probeUntil > now) this.refuse('HALF_OPEN', 0);
  }

  private refuse(state: Exclude<CircuitState, 'CLOSED'>, retryAfterMs: number): never {
    const refusal = { dependency: this.dependency, state, retryAfterMs };
    this.observer.refused(refusal);
    throw new CircuitOpenError(refusal);
  }

  private async succeeded(admission: { readonly seen: BreakerSnapshot; readonly probeId?: string }): Promise<void> {
    const now = this.now();
    const { probeId } = admission;
    if (probeId !== undefined) {
      const settled = await this.tolerate('settleProbe', () => this.store.settleProbe(this.dependency, { probeId, to: 'CLOSED', at: now }));
      this.remember(NEVER_FAILED, now);
      if (settled.ok && settled.value) this.observer.transitioned({ dependency: this.dependency, from: 'HALF_OPEN', to: 'CLOSED', reason: 'the probe succeeded' });
      return;
    }
    const known = this.known?.snapshot ?? admission.seen;
    if (known.state === 'CLOSED' && known.failures > 0) {
      await this.tolerate('resetFailures', () => this.store.resetFailures(this.dependency, now));
      this.remember(NEVER_FAILED, now);
    }
  }

  private async failed(admission: { readonly seen: BreakerSnapshot; readonly probeId?: string }): Promise<void> {
    const now = this.now();
    const openUntil = now + this.openMs;
    const { probeId } = admission;
    if (probeId !== undefined) {
      const settled = await this.tolerate('settleProbe', () => this.store.settleProbe(this.dependency, { probeId, to: 'OPEN', openUntil, at: now }));
      this.remember({ state: 'OPEN', openUntil }, now);
      if (settled.ok && settled.value) {
        this.observer.transitioned({ dependency: this.dependency, from: 'HALF_OPEN', to: 'OPEN', reason: 'the probe failed', openUntil });
      }
      return;
    }
    const counted = await this.tolerate('addFailure', () => this.store.addFailure(this.dependency, now));
    const after = counted.ok ? counted.value : this.countedHere(admission.seen);
    this.remember(after, now);
    if (after.state !== 'CLOSED' || after.failures < this.failureThreshold) return;
    const opened = await this.tolerate('open', () => this.store.open(this.dependency, { minFailures: this.failureThreshold, openUntil, at: now }));
    if (opened.ok && !opened.value) {
      // Another environment opened it first, or a success reset the count meanwhile.
      await this.refresh(now);
      return;
    }
    this.remember({ state: 'OPEN', openUntil }, now);
    const reason = `${after.failures} consecutive failures${opened.ok ? '' : ' (in this environment only: the store is unavailable)'}`;
    this.observer.transitioned({ dependency: this.dependency, from: 'CLOSED', to: 'OPEN', reason, openUntil });
  }

  /** One more failure counted by this environment alone, when the store cannot count it. */
  private countedHere(seen: BreakerSnapshot): BreakerSnapshot {
    const known = this.known?.snapshot ?? seen;
    return known.state === 'CLOSED' ? { ...known, failures: known.failures + 1 } : known;
  }

  /** What this environment knows, read again when older than `cacheMs` (an OPEN circuit is trusted until its window ends). */
  private current(now: number): Promise<BreakerSnapshot> {
    const known = this.known;
    if (known) {
      const { snapshot, readAt } = known;
      if (snapshot.state === 'OPEN' && snapshot.openUntil > now) return Promise.resolve(snapshot);
      if (now - readAt < this.cacheMs) return Promise.resolve(snapshot);
    }
    return this.refresh(now);
  }

  /** Reads the store (one read at a time per environment, however many callers wait). */
  private refresh(now: number): Promise<BreakerSnapshot> {
    this.reading ??= (async () => {
      try {
        const read = await this.tolerate('read', () => this.store.read(this.dependency));
        const snapshot = read.ok ? read.value : (this.known?.snapshot ?? NEVER_FAILED);
        this.remember(snapshot, now);
        return snapshot;
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private remember(snapshot: BreakerSnapshot, at: number): void {
    this.known = { snapshot, readAt: at };
  }

  /** Runs a store operation; a transiently unavailable store is reported and ridden out. */
  private async tolerate<T>(operation: string, run: () => Promise<T>): Promise<Tolerated<T>> {
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      if (!(error instanceof BreakerStoreUnavailableError)) throw error;
      this.observer.storeUnavailable(this.dependency, operation, error);
      return { ok: false };
    }
  }
}
