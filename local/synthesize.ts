import { spawn } from 'node:child_process';
import * as path from 'node:path';

/** `cdk synth` failed or did not finish. */
export class SynthError extends Error {
  public constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.name = 'SynthError';
  }
}

const root = path.resolve(__dirname, '..');

/**
 * Runs `cdk synth --quiet` from the project root, into `outDir` when given
 * (tests and the soak leave the developer's cdk.out alone). cdk's own output
 * is shown only when it fails.
 * @param outDir the assembly directory. @default cdk.json's (`cdk.out`)
 * @param timeoutMs @default 180 s
 */
export const synthesize = (outDir?: string, timeoutMs = 180_000): Promise<void> =>
  new Promise((resolve, reject) => {
    const bin = path.join(root, 'node_modules', '.bin');
    const child = spawn(path.join(bin, 'cdk'), ['synth', '--quiet', ...(outDir ? ['-o', outDir] : [])], {
      cwd: root,
      // cdk.json's app is `tsx bin/shop.ts`: tsx must be on PATH however we were started.
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
      else reject(new SynthError(`cdk synth failed (exit ${String(code)}):\n${output}`));
    });
  });
