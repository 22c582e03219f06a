/**
 * `npm run redrive -- <queue> [--local | --aws] [--dry-run] [--max N] [--delete-pipe-batches]`
 *
 * Sends a dead-letter queue's messages back to their function, queue or state machine (see
 * `lib/ops/redrive.ts`). `--local` works on the local cloud running in this
 * folder (`npm start`); `--aws` on the account and region of your AWS
 * credentials (the default chain: AWS_PROFILE, AWS_REGION...). Without
 * either, the local cloud when one is running here, else AWS.
 *
 * Exit status: 0 when every message was redriven (or the queue was empty),
 * 1 when some were left in the queue (each printed with why), 2 for a usage
 * error or a queue that cannot be found.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { QueueChoiceError, redrive, type RedriveClients } from '../lib/ops/redrive';
import { LOCAL_REGION } from '../local/resources';
import { readState } from '../local/state-file';

const USAGE = 'usage: npm run redrive -- <queue name, part of a name, or URL> [--local | --aws] [--dry-run] [--max N] [--delete-pipe-batches]';

const fail = (message: string, status: number): never => {
  process.stderr.write(`${message}\n`);
  process.exit(status);
};

interface Args {
  readonly queue: string;
  readonly where?: 'local' | 'aws';
  readonly dryRun: boolean;
  readonly deletePipeBatches: boolean;
  readonly max?: number;
}

const parseArgs = (argv: readonly string[]): Args => {
  const positional: string[] = [];
  let where: 'local' | 'aws' | undefined;
  let dryRun = false;
  let deletePipeBatches = false;
  let max: number | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--local' || arg === '--aws') {
      if (where && where !== arg.slice(2)) fail(`--local and --aws exclude each other\n${USAGE}`, 2);
      where = arg === '--local' ? 'local' : 'aws';
    } else if (arg === '--dry-run') dryRun = true;
    else if (arg === '--delete-pipe-batches') deletePipeBatches = true;
    else if (arg === '--max') {
      const value = Number(argv[(i += 1)]);
      if (!Number.isInteger(value) || value < 1) fail(`--max takes a whole number of messages, at least 1\n${USAGE}`, 2);
      max = value;
    } else if (arg === '--help' || arg === '-h') fail(USAGE, 0);
    else if (arg.startsWith('-')) fail(`unknown option ${arg}\n${USAGE}`, 2);
    else positional.push(arg);
  }
  if (positional.length !== 1) fail(USAGE, 2);
  return { queue: positional[0], where, dryRun, deletePipeBatches, max };
};

const clientsFor = (where: 'local' | 'aws' | undefined): { clients: RedriveClients; label: string } => {
  const state = where === 'aws' ? undefined : readState();
  if (where === 'local' && !state) fail("No local cloud is running here: start it with 'npm start' in this folder, or use --aws.", 2);
  if (state) {
    // The local endpoint takes any signature; these keys stand for the operator (an administrator there).
    const config = { endpoint: state.awsEndpointUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'redrive', secretAccessKey: 'redrive' } };
    return {
      clients: { sqs: new SQSClient(config), lambda: new LambdaClient(config), events: new EventBridgeClient(config), stepFunctions: new SFNClient(config) },
      label: `the local cloud at ${state.awsEndpointUrl}`,
    };
  }
  const clients = { sqs: new SQSClient({}), lambda: new LambdaClient({}), events: new EventBridgeClient({}), stepFunctions: new SFNClient({}) };
  return { clients, label: 'AWS (the account and region of your credentials)' };
};

const main = async (): Promise<void> => {
  const args = parseArgs(process.argv.slice(2));
  const { clients, label } = clientsFor(args.where);
  process.stdout.write(`On ${label}\n`);
  try {
    const report = await redrive(clients, {
      queue: args.queue,
      dryRun: args.dryRun,
      deletePipeBatches: args.deletePipeBatches,
      ...(args.max !== undefined ? { max: args.max } : {}),
      log: (line) => process.stdout.write(`${line}\n`),
    });
    const parts = [`${report.redriven} redriven`, `${report.kept.length} left in the queue`];
    if (report.deleted > 0) parts.push(`${report.deleted} pipe batch(es) deleted`);
    if (report.redrivenNotDeleted > 0) parts.push(`${report.redrivenNotDeleted} redriven but still in the queue (the next run sends them again, harmlessly)`);
    process.stdout.write(`${parts.join(', ')}\n`);
    process.exitCode = report.kept.length > 0 ? 1 : 0;
  } catch (error) {
    if (error instanceof QueueChoiceError) fail(error.message, 2);
    if (error instanceof Error && (error.name === 'CredentialsProviderError' || /Region is missing/.test(error.message))) {
      fail(`No AWS credentials or region: ${error.message}. Set AWS_PROFILE and AWS_REGION, or use --local with 'npm start' running.`, 2);
    }
    throw error;
  } finally {
    for (const client of Object.values(clients)) client.destroy();
  }
};

void main();
