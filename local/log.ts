/** The kinds of hop the local cloud reports, one line each (`fault`: something fault injection broke on purpose). */
export type HopKind = 'http' | 'fn' | 'event' | 'rule' | 'pipe' | 'esm' | 'saga' | 'comp' | 'retry' | 'dlq' | 'error' | 'fault' | 'deny' | 'info';

/** One step of a request's journey through the local cloud. */
export interface Hop {
  readonly kind: HopKind;
  readonly text: string;
  readonly correlationId?: string;
  /** Shown only with --verbose. */
  readonly payload?: unknown;
}

/** Options of {@link HopLog}. */
export interface HopLogOptions {
  readonly verbose: boolean;
  /** @default process.stdout.write */
  readonly write?: (line: string) => void;
  /** @default true when stdout is a terminal */
  readonly color?: boolean;
}

const COLORS: Readonly<Record<HopKind, string>> = {
  http: '36',
  fn: '90',
  event: '35',
  rule: '35',
  pipe: '35',
  esm: '35',
  saga: '34',
  comp: '33',
  retry: '33',
  dlq: '31',
  error: '31',
  fault: '93',
  deny: '1;31',
  info: '32',
};

const time = (): string => new Date().toISOString().slice(11, 23);

/**
 * Prints one line per hop — HTTP request → function → event → rule → saga
 * state → compensation — with the correlation id, so a person can follow an
 * order by eye; `--verbose` adds payloads and every function log line.
 */
export class HopLog {
  private readonly write: (line: string) => void;
  private readonly color: boolean;

  public constructor(private readonly options: HopLogOptions) {
    this.write = options.write ?? ((line) => void process.stdout.write(line));
    this.color = options.color ?? Boolean(process.stdout.isTTY);
  }

  private mutedDepth = 0;

  /** Runs `work` without printing hops (start-up's own seeding, say). */
  public async muted<T>(work: () => Promise<T>): Promise<T> {
    this.mutedDepth += 1;
    try {
      return await work();
    } finally {
      this.mutedDepth -= 1;
    }
  }

  public get verbose(): boolean {
    return this.options.verbose;
  }

  public hop(hop: Hop): void {
    if (this.mutedDepth > 0 && hop.kind !== 'error' && hop.kind !== 'deny') return;
    const kind = hop.kind.toUpperCase().padEnd(5);
    const label = this.color ? `\u001b[${COLORS[hop.kind]}m${kind}\u001b[0m` : kind;
    const correlation = hop.correlationId ? ` [${hop.correlationId.slice(0, 36)}]` : '';
    this.write(`${time()} ${label}${correlation} ${hop.text}\n`);
    if (this.options.verbose && hop.payload !== undefined) {
      const text = typeof hop.payload === 'string' ? hop.payload : JSON.stringify(hop.payload);
      this.write(`${' '.repeat(19)}${text.length > 2000 ? `${text.slice(0, 2000)}…` : text}\n`);
    }
  }

  /**
   * A line a function printed. Powertools logs are JSON: without --verbose
   * only warnings and errors are shown, condensed; SDK deprecation notices
   * are dropped.
   */
  public functionLine(functionName: string, line: string): void {
    if (/NodeVersionSupportWarning|versions published after|will require node >=22|upgrade to node >=22|a\.co\/c895JFp|--trace-warnings|^To continue receiving/.test(line)) return;
    let parsed: Record<string, unknown> | undefined;
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) parsed = value as Record<string, unknown>;
    } catch {
      parsed = undefined;
    }
    if (parsed && '_aws' in parsed) {
      if (this.options.verbose) this.hop({ kind: 'fn', text: `${functionName} metrics`, payload: parsed });
      return;
    }
    const level = typeof parsed?.level === 'string' ? parsed.level : undefined;
    if (!this.options.verbose && level !== 'WARN' && level !== 'ERROR' && level !== 'CRITICAL') return;
    if (!this.options.verbose && /No application metrics to publish|Namespace should be defined/.test(line)) return;
    const message = parsed ? `${level ?? ''} ${String(parsed.message ?? '')}`.trim() : line;
    const correlationId = correlationIdOf(parsed);
    this.hop({ kind: level === 'ERROR' || level === 'CRITICAL' ? 'error' : 'fn', text: `${functionName}: ${message}`, correlationId, payload: this.options.verbose ? parsed ?? undefined : undefined });
  }
}

/**
 * A log line's correlation id: Powertools' standard key `correlation_id`
 * (`logger.setCorrelationId`), else a `correlationId` key, which apps that
 * append their own keep using (and bundles built before the switch).
 */
export function correlationIdOf(line: Readonly<Record<string, unknown>> | undefined): string | undefined {
  for (const key of ['correlation_id', 'correlationId']) {
    const value = line?.[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}
