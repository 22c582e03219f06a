import { createServer } from 'node:net';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { API_DESCRIPTION_PATH } from './api-description';
import { describeRunCost } from './cost/run-cost';
import { startDynamoDbLocal, JavaMissingError, type DynamoDbLocal } from './dynamodb/dynamodb-local';
import { UnsupportedFeatureError } from './errors';
import { IAM_MODES } from './iam/authorizer';
import { DeployRefusedError } from './iam/deploy-checks';
import { FaultConfigError, parseFaultConfig, readFaultsFile } from './fault-injection';
import type { FaultConfig } from './faults';
import { NodeOverrideError } from './lambda/node-binary';
import { LocalCloud } from './local-cloud';
import { HopLog } from './log';
import { seedDemoData } from './seed';
import { synthesizeUnlessCurrent } from './synthesize';
import type { FunctionWatcher } from './watch/function-watcher';
import { removeState, writeState } from './state-file';

const HELP = `npm start [-- options]    the whole shop on this machine

  --port N         HTTP API port (default 3000; 0 = any free port)
  --persist DIR    keep DynamoDB data and Step Functions executions in DIR across restarts
                   (default: in memory)
  --verbose        print payloads and every function log line
  --watch          keep the functions on their code as saved: a saved file under functions/
                   (or anything a handler imports) rebundles with the project's esbuild
                   settings and recycles only the functions whose bundle changed (idle
                   environments retire, busy ones finish their invocation first; tables,
                   queues and executions stay); a bundle that does not build keeps the old
                   code and prints esbuild's errors. The functions whose sources changed
                   last are built ahead, so their first save is fast too. A change to lib/,
                   bin/ or cdk.json is reported, not applied: restart to apply it
  --synth          synthesize even when nothing changed. Without it, cdk.out is reused
                   when nothing that feeds the synthesis changed since it was written
                   (bin/, lib/, functions/, cdk.json, cdk.context.json, package.json,
                   package-lock.json, tsconfig.json, --context, CDK_DEFAULT_ACCOUNT/REGION,
                   AWS_PROFILE/REGION, SHOP_VERSION, the git describe version), and the
                   progress line says which it did and why
  --no-synth       run the existing cdk.out as it is, without checking it
  --context K=V    CDK context for the synthesis, as cdk's -c (repeatable): e.g.
                   --context saga=express, --context observability=full
  --no-seed        do not create the demo products
  --faults FILE    inject faults described in FILE (JSON; see README "Fault injection",
                   local/faults.example.json)
  --fault-seed N   seed of the random draws (overrides the file's "seed"), to repeat a run
  --iam MODE       strict (default): deny what AWS would deny; soft: only report "AWS would
                   deny …"; off: evaluate no IAM
  --account-concurrency N
                   the account's concurrent Lambda executions (default 1000): reserved
                   concurrency carves from it; invocations beyond the limits are throttled
  --console-port N  port of the console, the page that shows sagas, logs, events, dead
                   letters, tables and cost (default 0: a free port; its URL is in the banner)
  --no-console     do not serve the console
  --help
`;


const ROOT = path.resolve(__dirname, '..');

/** The API's OpenAPI description (npm run openapi), which the AWS endpoint serves. */
const API_DESCRIPTION_FILE = path.join(ROOT, 'docs', 'openapi.json');

/** DynamoDB Local while start-up is under way, so a failure or Ctrl-C can stop it. */
let starting: Promise<DynamoDbLocal> | undefined;
const abortStartup = async (): Promise<void> => {
  const instance = await starting?.catch(() => undefined);
  await instance?.stop();
};


// The SDK warns on every client that Node 20 support ends in 2027; once is in the README.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (!`${warning.name} ${warning.message}`.includes('NodeVersionSupportWarning')) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

/** Fails at once, before the slow steps, when the API port is taken (EADDRINUSE, handled below). */
const assertPortFree = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '3000' },
      persist: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'no-synth': { type: 'boolean', default: false },
      synth: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      context: { type: 'string', multiple: true },
      'no-seed': { type: 'boolean', default: false },
      faults: { type: 'string' },
      'fault-seed': { type: 'string' },
      iam: { type: 'string', default: 'strict' },
      'account-concurrency': { type: 'string', default: '1000' },
      'console-port': { type: 'string', default: '0' },
      'no-console': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be a port number, not '${values.port}'`);
  const persistDir = values.persist ? path.resolve(values.persist) : undefined;
  const faults = readFaultOptions(values.faults, values['fault-seed']);
  const iam = IAM_MODES.find((mode) => mode === values.iam);
  if (!iam) throw new Error(`--iam must be one of ${IAM_MODES.join(', ')}, not '${String(values.iam)}'`);
  const accountConcurrency = Number(values['account-concurrency']);
  if (!Number.isInteger(accountConcurrency) || accountConcurrency < 1) throw new Error(`--account-concurrency must be a whole number, 1 or more, not '${values['account-concurrency']}'`);

  const consolePort = Number(values['console-port']);
  if (!Number.isInteger(consolePort) || consolePort < 0 || consolePort > 65535) throw new Error(`--console-port must be a port number, not '${values['console-port']}'`);

  const context = Object.fromEntries(
    (values.context ?? []).map((pair) => {
      const equals = pair.indexOf('=');
      if (equals <= 0) throw new Error(`--context must be key=value (as cdk's -c), not '${pair}'`);
      return [pair.slice(0, equals), pair.slice(equals + 1)];
    }),
  );
  if (values['no-synth'] && values.synth) throw new Error('--synth and --no-synth contradict each other: choose one');
  if (values['no-synth'] && Object.keys(context).length > 0) throw new Error('--context applies to the synthesis, which --no-synth skips: synthesize with it (npx cdk synth -c …) or drop --no-synth');

  if (port !== 0) await assertPortFree(port);
  const started = Date.now();
  const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
  const step = (text: string) => process.stdout.write(`  … ${text} (${elapsed()})\n`);
  process.stdout.write('serverless-shop local cloud\n');

  const dynamoDb = startDynamoDbLocal(persistDir ? { dataDir: persistDir } : {});
  starting = dynamoDb;
  dynamoDb.catch(() => undefined);
  const onEarlySignal = () => {
    process.stdout.write('\nStopping during start-up…\n');
    void abortStartup().then(() => process.exit(130));
  };
  process.once('SIGINT', onEarlySignal);
  process.once('SIGTERM', onEarlySignal);
  if (!values['no-synth']) await synthesizeUnlessCurrent({ context, force: values.synth, progress: step });
  const log = new HopLog({ verbose: values.verbose });
  const cloud = await LocalCloud.start({ assemblyDir: path.join(ROOT, 'cdk.out'), apiPort: port, persistDir, log, dynamoDb, progress: step, faults, ...(values.faults !== undefined ? { faultsFile: values.faults } : {}), iam, accountConcurrency, apiDescription: API_DESCRIPTION_FILE, ...(values['no-console'] ? {} : { consolePort }) });
  starting = undefined;
  process.off('SIGINT', onEarlySignal);
  process.off('SIGTERM', onEarlySignal);

  let watcher: FunctionWatcher | undefined;
  let stoppingSince: number | undefined;
  const shutdown = async (signal: string) => {
    if (stoppingSince !== undefined) {
      // One Ctrl-C reaches us twice (from the terminal and relayed by tsx): only a later press forces.
      if (Date.now() - stoppingSince < 1000) return;
      process.stdout.write('\nForced exit.\n');
      process.exit(1);
    }
    stoppingSince = Date.now();
    process.stdout.write(`\n${signal}: stopping (in-flight work may finish for up to 10 s; press Ctrl-C again to force)…\n`);
    await watcher?.close();
    await cloud.stop(10_000);
    removeState();
    process.stdout.write(`${describeRunCost(cloud.meter.usage())}\n`);
    process.stdout.write('Stopped. Nothing left running.\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  writeState({ pid: process.pid, apiUrl: cloud.apiUrl, awsEndpointUrl: cloud.awsEndpointUrl, controlUrl: cloud.controlUrl, startedAt: new Date().toISOString() });
  if (!values['no-seed']) {
    step('seeding demo products through the API');
    const admin = cloud.issuer.mint({ username: 'admin', groups: ['admin'] });
    await log.muted(() => cloud.withoutFaults(() => seedDemoData(cloud.apiUrl, admin.token)));
  }

  const api = cloud.apiUrl;
  process.stdout.write(`
Ready in ${elapsed()}.

  API             ${api}
  console         ${cloud.consoleUrl ?? 'off (--no-console)'}   (sagas, functions and logs, events, dead letters, tables, faults and cost)
  AWS endpoint    ${cloud.awsEndpointUrl}   (AWS CLI/SDK: --endpoint-url, any credentials)
  API description ${cloud.awsEndpointUrl}${API_DESCRIPTION_PATH}   (OpenAPI 3.1; requests: docs/shop.http)
  token issuer    ${cloud.controlUrl}
  IAM             ${iamBanner(cloud)}
  not enforced    ${cloud.notEnforced.join(', ')}
${lambdaBanner(cloud)}
${faultBanner(cloud)}

Tokens: npm run -s token -- alice        (a user; add --admin or --carrier for those groups)

Place an order and watch it confirm:

  TOKEN=$(npm run -s token -- alice)
  ORDER=$(curl -s -X POST ${api}/orders -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"items":[{"productId":"p-mug","quantity":1}],"paymentToken":"tok_visa","shippingAddress":{"name":"Alice","line1":"1 Main St","city":"Springfield","postalCode":"12345","country":"US"}}' | sed -E 's/.*"orderId":"([^"]+)".*/\\1/')
  curl -s ${api}/orders/$ORDER -H "authorization: Bearer $TOKEN"

Ctrl-C stops everything.
`);
  if (values.watch) {
    // Loaded only when asked for: esbuild and the watcher are no part of a plain start.
    const { startWatchMode } = await import('./watch/watch-mode');
    watcher = startWatchMode(cloud, log, ROOT);
  }
};

/** The faults file (checked) with `--fault-seed` applied over its seed. */
const readFaultOptions = (file: string | undefined, seed: string | undefined): FaultConfig | undefined => {
  const config = file === undefined ? {} : readFaultsFile(path.resolve(file));
  if (seed === undefined) return file === undefined ? undefined : config;
  if (!/^\d+$/.test(seed)) throw new FaultConfigError(`--fault-seed must be a whole number from 0 to 4294967295, not '${seed}'`);
  return parseFaultConfig({ ...config, seed: Number(seed) }, '--fault-seed');
};

/** The banner's IAM line: the mode, and what it means. */
const iamBanner = (cloud: LocalCloud): string => {
  switch (cloud.iam.mode) {
    case 'strict':
      return 'strict: every call and hop is allowed only if the template\'s policies allow it on AWS (--iam soft|off)';
    case 'soft':
      return 'soft: what AWS would deny is reported in red and let through';
    case 'off':
      return 'off: no policy is evaluated';
  }
};

/** The banner's Lambda lines: which Node runs the functions, and, loudly, when it is not the template's major. */
const lambdaBanner = (cloud: LocalCloud): string => {
  const indent = `\n${' '.repeat(18)}`;
  const lines = `  lambda node     ${cloud.lambdaNodes.lines.join(indent)}`;
  if (cloud.lambdaNodes.warnings.length === 0) return lines;
  const warning = cloud.lambdaNodes.warnings.map((line) => `  !! ${line}`).join('\n');
  return `${lines}\n\n${warning}\n`;
};

/** The banner's fault lines: what is broken on purpose, and the seed to repeat the run. */
const faultBanner = (cloud: LocalCloud): string => {
  const indent = `\n${' '.repeat(18)}`;
  if (cloud.activeFaults.length === 0) return `  faults          none (seed ${cloud.faultSeed}; --faults FILE injects some)`;
  return `  faults          seed ${cloud.faultSeed} (repeat with --fault-seed ${cloud.faultSeed})${cloud.activeFaults.map((line) => `${indent}${line}`).join('')}`;
};

main().catch(async (error: unknown) => {
  await abortStartup();
  const code = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
  if (error instanceof UnsupportedFeatureError || error instanceof JavaMissingError || error instanceof FaultConfigError || error instanceof NodeOverrideError) process.stderr.write(`\n${error.message}\n`);
  else if (error instanceof DeployRefusedError) process.stderr.write(`\n${error.message}\n\n${error.denial ? "Fix the template's permissions, or run with --iam soft to see every denial without stopping." : 'Fix the template: AWS refuses this setting whatever the IAM mode.'}\n`);
  else if (code === 'EADDRINUSE') {
    process.stderr.write(`\nThe API port is already in use: stop what runs there, or choose another with 'npm start -- --port N' (0 = any free port).\n`);
  } else process.stderr.write(`\nThe local cloud could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  removeState();
  process.exit(1);
});
