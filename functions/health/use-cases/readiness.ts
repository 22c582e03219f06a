import { DeadlineExceededError, withDeadline } from '../../shared/deadlines';
import type { DependencyCheck } from '../ports/dependency-check';

/** One check's outcome, as `GET /ready` shows it. */
export interface CheckOutcome {
  readonly ok: boolean;
  /** How long the check took (at most its deadline, and a little). */
  readonly ms: number;
  /** Why it is not ok; the error itself is logged, never answered: the route is public. */
  readonly reason?: 'timed out' | 'failed';
}

/** The shop's readiness at one moment. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckOutcome>>;
  /** The errors of the checks that failed, by name, for the log. */
  readonly errors: Readonly<Record<string, unknown>>;
  /** When the checks ran (the clock of {@link ReadinessOptions.now}). */
  readonly checkedAt: number;
  /** False when this is an earlier answer served again (see {@link ReadinessOptions.cacheMs}). */
  readonly fresh: boolean;
}

/** Options of {@link ReadinessProbe}. */
export interface ReadinessOptions {
  /** The dependencies, by the name `GET /ready` shows. */
  readonly checks: Readonly<Record<string, DependencyCheck>>;
  /** How long each check may take; one that takes longer has failed. */
  readonly deadlineMs: number;
  /**
   * How long an answer is served again before the checks run anew. The
   * route is public: however often it is called, each execution environment
   * calls the dependencies at most once per period, and concurrent requests
   * share one round of checks.
   */
  readonly cacheMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Readiness: every dependency checked in parallel, each with its own
 * deadline, so one that hangs costs the probe its deadline and no more.
 */
export class ReadinessProbe {
  private last?: Readiness;
  private running?: Promise<Readiness>;
  private readonly now: () => number;

  public constructor(private readonly options: ReadinessOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The current readiness: the last answer while it is younger than `cacheMs`, else a new round of checks. */
  public async check(): Promise<Readiness> {
    const last = this.last;
    if (last && this.now() - last.checkedAt < this.options.cacheMs) return { ...last, fresh: false };
    this.running ??= this.runChecks().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Milliseconds until {@link check} runs the checks again (0 when it would now). */
  public msUntilNextCheck(readiness: Readiness): number {
    return Math.max(0, readiness.checkedAt + this.options.cacheMs - this.now());
  }

  private async runChecks(): Promise<Readiness> {
    const checkedAt = this.now();
    const errors: Record<string, unknown> = {};
    const outcomes = await Promise.all(
      Object.entries(this.options.checks).map(async ([name, check]): Promise<[string, CheckOutcome]> => {
        const started = this.now();
        try {
          await withDeadline(name, this.options.deadlineMs, check);
          return [name, { ok: true, ms: this.now() - started }];
        } catch (error) {
          errors[name] = error;
          return [name, { ok: false, ms: this.now() - started, reason: error instanceof DeadlineExceededError ? 'timed out' : 'failed' }];
        }
      }),
    );
    const checks = Object.fromEntries(outcomes);
    const readiness: Readiness = { ready: outcomes.every(([, outcome]) => outcome.ok), checks, errors, checkedAt, fresh: true };
    this.last = readiness;
    return readiness;
  }
}
