/**
 * `npm run diff -- [--stage NAME] [cdk options]` and
 * `npm run destroy -- [--stage NAME] [cdk options]`
 *
 * `cdk diff --all` / `cdk destroy --all` for every stack of one stage
 * (`-c stage=NAME`; default SHOP_STAGE, else `dev`), so no stack name is
 * typed by hand. Other options go to cdk as they are (`--force` to destroy
 * without the prompt, `--fail` to make diff exit 1 on a difference).
 * After a destroy, it lists what the destroy left in the account on
 * purpose (tables with `DeletionPolicy: Retain`) and how to delete it.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { deletionHint, retainedInAssembly } from '../lib/ops/retained-resources';

const USAGE = 'usage: npm run diff|destroy -- [--stage NAME] [any cdk option]   (stage: --stage, else SHOP_STAGE, else dev)';

/** The cdk command line for a verb and the user's arguments: `--stage` becomes `-c stage=…`, the rest is passed on. */
export const cdkArguments = (verb: 'diff' | 'destroy', argv: readonly string[], defaultStage: string): { readonly stage: string; readonly args: string[] } => {
  let stage = defaultStage;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--stage') stage = argv[(i += 1)] ?? '';
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else rest.push(arg);
  }
  if (!/^[a-z][a-z0-9]{0,15}$/.test(stage)) throw new Error(`The stage must be a short lower-case name (dev, prod, alice), not '${stage}'.\n${USAGE}`);
  return { stage, args: [verb, '--all', '-c', `stage=${stage}`, ...rest] };
};

const main = (): void => {
  const [verb, ...argv] = process.argv.slice(2);
  if (verb !== 'diff' && verb !== 'destroy') {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  let command: { stage: string; args: string[] };
  try {
    command = cdkArguments(verb, argv, process.env.SHOP_STAGE?.trim() || 'dev');
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  process.stdout.write(`cdk ${command.args.join(' ')}\n`);
  const cdk = path.join(__dirname, '..', 'node_modules', '.bin', process.platform === 'win32' ? 'cdk.cmd' : 'cdk');
  const result = spawnSync(cdk, command.args, { stdio: 'inherit' });
  const status = result.status ?? 1;
  if (verb === 'destroy' && status === 0) {
    const retained = retainedInAssembly(path.join(process.cwd(), 'cdk.out'));
    if (retained.length > 0) {
      process.stdout.write(`\nLeft in the account on purpose (DeletionPolicy ${[...new Set(retained.map((r) => r.policy))].join('/')}): data outlives a stack.\n`);
      for (const resource of retained) {
        process.stdout.write(`  ${resource.stack} ${resource.constructPath ?? resource.logicalId} (${resource.type})\n    ${deletionHint(resource)}\n`);
      }
      process.stdout.write('README, "Tearing down", says what else stays (the CDK bootstrap stack and its bucket).\n');
    }
  }
  process.exit(status);
};

if (require.main === module) main();
