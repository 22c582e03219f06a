import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startDynamoDbLocal } from '../local/dynamodb/dynamodb-local';

/**
 * `npm run test:mutation [-- <stryker run options>]`: Stryker over the
 * business logic (stryker.config.mjs), incremental, with one DynamoDB Local
 * for every jest run it makes (the stock condition is tested on it). Options
 * go to `stryker run` as they are: `--force` tests every mutant again,
 * `--concurrency 1` leaves a core free, `--mutate <file>` narrows the run.
 * Ends with the counts, the time it took, and one line `mutation score: <x> %`.
 */
const root = path.resolve(__dirname, '..');
const REPORT = path.join(root, 'reports/mutation/mutation.json');

/** The part of Stryker's JSON report (mutation-testing-report-schema) the score needs. */
interface MutationReport {
  readonly files: Record<string, { readonly mutants: ReadonlyArray<{ readonly status: string }> }>;
}

/** Stryker's mutation score: detected (killed, timed out) over every mutant that compiled and was not ignored. */
const mutationScore = (report: MutationReport): { readonly score: number; readonly counts: Record<string, number> } => {
  const counts: Record<string, number> = {};
  for (const file of Object.values(report.files)) {
    for (const { status } of file.mutants) counts[status] = (counts[status] ?? 0) + 1;
  }
  const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
  const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
  return { score: valid === 0 ? 0 : (100 * detected) / valid, counts };
};

const runStryker = (args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> =>
  new Promise((resolve, reject) => {
    const child = spawn(path.join(root, 'node_modules/.bin/stryker'), ['run', ...args], { cwd: root, env, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });

const main = async (): Promise<number> => {
  const started = Date.now();
  const dynamoDb = await startDynamoDbLocal();
  let code: number;
  try {
    code = await runStryker(process.argv.slice(2), { ...process.env, SHOP_TEST_DYNAMODB_ENDPOINT: dynamoDb.endpoint });
  } finally {
    await dynamoDb.stop();
  }
  if (code !== 0) return code;
  const { score, counts } = mutationScore(JSON.parse(readFileSync(REPORT, 'utf8')) as MutationReport);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`mutants: ${Object.entries(counts).map(([status, n]) => `${n} ${status}`).join(', ')}; ${seconds} s`);
  console.log(`mutation score: ${score.toFixed(2)} %`);
  return 0;
};

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
