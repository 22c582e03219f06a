import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { decideReuse, readSynthInputs, recordSynthesis } from './synth-fingerprint';

/** `cdk synth` failed or did not finish. */
export class SynthError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
  }
}

const root = path.resolve(__dirname, '..');

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /**
   * The CDK app command, as cdk.json's `app` takes it (e.g. `tsx
   * bin/fidelity-probe.ts`), run from the project root. @default cdk.json's
   */
  readonly app?: string;
  /** @default 180 s */
  readonly timeoutMs?: number;
  /** CDK context values (`-c key=value`), e.g. `{ saga: 'express' }`. @default none */
  readonly context?: Readonly<Record<string, string>>;
}

/**
 * Runs `cdk synth --quiet` from the project root, into `outDir` when given
 * (tests and the soak leave the developer's cdk.out alone), for
 * cdk.json's app or another one (the fidelity probe). cdk's own output is
 * shown only when it fails.
 * @param outDir the assembly directory. @default cdk.json's (`cdk.out`)
 */
export const synthesize = (outDir?: string, options: SynthesizeOptions = {}): Promise<void> =>
  new Promise((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 180_000;
    const bin = path.join(root, 'node_modules', '.bin');
    const context = Object.entries(options.context ?? {}).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
    const args = ['synth', '--quiet', ...(options.app ? ['--app', options.app] : []), ...context, ...(outDir ? ['-o', outDir] : [])];
    const child = spawn(path.join(bin, 'cdk'), args, {
      cwd: root,
      // The app command (`tsx bin/shop.ts`) needs tsx on PATH however we were started.
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new SynthError(`cdk synth did not finish within ${timeoutMs / 1000} s:\n${output}`));
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new SynthError(`cdk synth could not start: ${error.message}`, { cause: error }));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new SynthError(`cdk synth${options.app ? ` of ${options.app}` : ''} failed (exit ${String(code)}):\n${output}`));
    });
  });

/** Options of {@link synthesizeUnlessCurrent}. */
export interface SynthesizeUnlessCurrentOptions {
  /** CDK context values (`--context`). @default none */
  readonly context?: Readonly<Record<string, string>>;
  /** Synthesize even when nothing changed (`npm start -- --synth`). @default false */
  readonly force?: boolean;
  /** One progress line: what is done, and why. */
  readonly progress: (line: string) => void;
}

/** `14:02:11` today, `2026-01-31 14:02:11` another day (local time). */
const clock = (at: Date, now = new Date()): string => {
  const time = at.toTimeString().slice(0, 8);
  return at.toDateString() === now.toDateString() ? time : `${at.getFullYear()}-${String(at.getMonth() + 1).padStart(2, '0')}-${String(at.getDate()).padStart(2, '0')} ${time}`;
};

/**
 * `npm start`'s synthesis: reuses cdk.out when nothing that feeds the
 * synthesis changed since it was written (see ./synth-fingerprint) and says
 * so; otherwise says what changed, synthesizes, and records what it was
 * synthesized from.
 * @returns whether it synthesized
 */
export const synthesizeUnlessCurrent = async (options: SynthesizeUnlessCurrentOptions): Promise<boolean> => {
  const outDir = path.join(root, 'cdk.out');
  const context = options.context ?? {};
  const inputs = readSynthInputs(root, context);
  const decision = options.force ? { reuse: false as const, reasons: ['--synth'] } : decideReuse(outDir, inputs);
  if (decision.reuse) {
    options.progress(`reusing cdk.out: nothing that feeds the synthesis changed since ${clock(decision.synthesizedAt)} (--synth forces one)`);
    return false;
  }
  const contextNote = Object.entries(context).map(([key, value]) => `${key}=${value}`).join(', ');
  options.progress(`synthesizing the CDK app (esbuild bundles)${contextNote ? `, context ${contextNote}` : ''}: ${decision.reasons.join('; ')}`);
  await synthesize(undefined, { context });
  recordSynthesis(outDir, inputs);
  return true;
};
