import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { NEVER_FAILED, type BreakerSnapshot, type BreakerStore } from '../../functions/shared/breaker-store';
import type { BreakerObserver, BreakerRefusal, BreakerTransition } from '../../functions/shared/shared-circuit-breaker';

type Stored = BreakerSnapshot & { readonly probeId?: string };

/**
 * A {@link BreakerStore} in memory with DynamoDB's semantics: each operation
 * is atomic and conditional, and every call yields to other callers first
 * (as a network round trip would), so breakers sharing one store race as
 * environments sharing a table do. Counts the calls, to show what the hot
 * path costs.
 */
export class InMemoryBreakerStore implements BreakerStore {
  public readonly items = new Map<string, Stored>();
  public readonly calls = { read: 0, addFailure: 0, resetFailures: 0, open: 0, claimProbe: 0, settleProbe: 0 };
  /** When set, the next calls throw it (e.g. a BreakerStoreUnavailableError). */
  public failWith: Error | undefined;

  public async read(dependency: string): Promise<BreakerSnapshot> {
    await this.roundTrip('read');
    return this.snapshot(dependency);
  }

  public async addFailure(dependency: string): Promise<BreakerSnapshot> {
    await this.roundTrip('addFailure');
    const item = this.get(dependency);
    if (item.state !== 'CLOSED') return this.snapshot(dependency);
    this.items.set(dependency, { ...item, failures: item.failures + 1 });
    return this.snapshot(dependency);
  }

  public async resetFailures(dependency: string): Promise<void> {
    await this.roundTrip('resetFailures');
    const item = this.get(dependency);
    if (item.state === 'CLOSED' && item.failures > 0) this.items.set(dependency, { ...item, failures: 0 });
  }

  public async open(dependency: string, change: { readonly minFailures: number; readonly openUntil: number }): Promise<boolean> {
    await this.roundTrip('open');
    const item = this.get(dependency);
    if (item.state !== 'CLOSED' || item.failures < change.minFailures) return false;
    this.items.set(dependency, { state: 'OPEN', openUntil: change.openUntil });
    return true;
  }

  public async claimProbe(dependency: string, claim: { readonly probeId: string; readonly probeUntil: number; readonly at: number }): Promise<boolean> {
    await this.roundTrip('claimProbe');
    const item = this.get(dependency);
    const claimable = (item.state === 'OPEN' && item.openUntil <= claim.at) || (item.state === 'HALF_OPEN' && item.probeUntil <= claim.at);
    if (!claimable) return false;
    this.items.set(dependency, { state: 'HALF_OPEN', probeId: claim.probeId, probeUntil: claim.probeUntil });
    return true;
  }

  public async settleProbe(
    dependency: string,
    outcome: { readonly probeId: string } & ({ readonly to: 'CLOSED' } | { readonly to: 'OPEN'; readonly openUntil: number }),
  ): Promise<boolean> {
    await this.roundTrip('settleProbe');
    const item = this.get(dependency);
    if (item.state !== 'HALF_OPEN' || item.probeId !== outcome.probeId) return false;
    this.items.set(dependency, outcome.to === 'CLOSED' ? { state: 'CLOSED', failures: 0 } : { state: 'OPEN', openUntil: outcome.openUntil });
    return true;
  }

  /** Every call to the store, of any kind. */
  public totalCalls(): number {
    return Object.values(this.calls).reduce((sum, n) => sum + n, 0);
  }

  private async roundTrip(operation: keyof InMemoryBreakerStore['calls']): Promise<void> {
    this.calls[operation] += 1;
    await yieldToOthers();
    if (this.failWith) throw this.failWith;
  }

  private get(dependency: string): Stored {
    return this.items.get(dependency) ?? NEVER_FAILED;
  }

  private snapshot(dependency: string): BreakerSnapshot {
    const { probeId: _probeId, ...snapshot } = this.get(dependency);
    return snapshot;
  }
}

/** A {@link BreakerObserver} that keeps what it hears. */
export class RecordingBreakerObserver implements BreakerObserver {
  public readonly transitions: BreakerTransition[] = [];
  public readonly refusals: BreakerRefusal[] = [];
  public readonly storeFailures: string[] = [];

  public transitioned(transition: BreakerTransition): void {
    this.transitions.push(transition);
  }

  public refused(refusal: BreakerRefusal): void {
    this.refusals.push(refusal);
  }

  public storeUnavailable(_dependency: string, operation: string): void {
    this.storeFailures.push(operation);
  }

  /** The transitions as `FROM→TO`, in order. */
  public path(): string[] {
    return this.transitions.map((t) => `${t.from}→${t.to}`);
  }
}
