import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SharedBundler } from '../../lib/constructs/esbuild-bundler';
import { SHOP_ENTRY_METADATA } from '../../lib/constructs/entry-metadata';
import type { DynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import type { InvokeResult } from '../../local/lambda/lambda-runtime';
import { LocalCloud } from '../../local/local-cloud';
import { HopLog } from '../../local/log';
import type { FunctionWatcher } from '../../local/watch/function-watcher';
import { startWatchMode } from '../../local/watch/watch-mode';

/**
 * `npm start -- --watch` against a started local cloud: a project in a
 * temporary directory (functions/, lib/, bin/, cdk.json) whose assembly
 * holds two functions built from it, as a synthesis would leave them (an
 * entry and its chunks per asset). The template has no table, so no DynamoDB
 * Local is needed.
 */
const root = mkdtempSync(path.join(tmpdir(), 'watch-mode-'));
const write = (file: string, text: string): void => {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), text);
};
const GREETING = 'functions/hello/greeting.ts';
write(GREETING, "export const greeting = 'v1';\n");
// Imported only by import(): a chunk of Hello's asset, loaded when an invocation asks for it.
const FAREWELL = 'functions/hello/farewell.ts';
write(FAREWELL, "export const farewell = 'bye v1';\n");
write(
  'functions/hello/entries/api.ts',
  `import { greeting } from '../greeting';
export const handler = async (event: { sleepMs?: number; farewell?: boolean }) => {
  if (event.farewell) return { farewell: (await import('../farewell')).farewell };
  const loaded = greeting;
  if (event.sleepMs) await new Promise((resolve) => setTimeout(resolve, event.sleepMs));
  return { greeting: loaded };
};
`,
);
write('functions/other/entries/api.ts', "export const handler = async () => ({ other: 'v1' });\n");
// Other's sources were last modified an hour ago, Hello's now: Hello is the likelier to be saved next.
utimesSync(path.join(root, 'functions/other/entries/api.ts'), new Date(Date.now() - 3_600_000), new Date(Date.now() - 3_600_000));
write('lib/stack.ts', 'export {};\n');
write('bin/app.ts', 'export {};\n');
write('cdk.json', '{}\n');

const assembly = path.join(root, 'cdk.out');
const functionResource = (name: string) => {
  const asset = path.join(assembly, `asset.${name}`);
  mkdirSync(asset, { recursive: true });
  SharedBundler.of(path.join(root, 'functions')).localBundling(path.join(root, 'functions', name, 'entries', 'api.ts')).tryBundle(asset, { image: undefined as never });
  return {
    Type: 'AWS::Lambda::Function',
    Metadata: { 'aws:asset:path': `asset.${name}`, [SHOP_ENTRY_METADATA]: `${name}/entries/api.ts` },
    Properties: { Handler: 'index.handler', Runtime: `nodejs${process.versions.node.split('.')[0]}.x`, Timeout: 10 },
  };
};
write(
  'cdk.out/Watch.template.json',
  JSON.stringify({
    Resources: {
      Users: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      UsersClient: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'Users' } } },
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'Api', ProtocolType: 'HTTP' } },
      ApiStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Api' }, StageName: '$default', AutoDeploy: true } },
      HelloIntegration: {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: { ApiId: { Ref: 'Api' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': ['Hello', 'Arn'] }, PayloadFormatVersion: '2.0' },
      },
      HelloRoute: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: { ApiId: { Ref: 'Api' }, RouteKey: 'GET /hello', AuthorizationType: 'NONE', Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'HelloIntegration' }]] } },
      },
      Hello: functionResource('hello'),
      Other: functionResource('other'),
    },
  }),
);
write('cdk.out/manifest.json', JSON.stringify({ version: '48.0.0', artifacts: { Watch: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Watch.template.json' } } } }));

const noDynamoDb: DynamoDbLocal = { endpoint: 'http://127.0.0.1:9', port: 9, process: undefined as never, stop: async () => undefined };
const lines: string[] = [];
const log = new HopLog({ verbose: false, color: false, write: (text) => void lines.push(...text.split('\n').filter((line) => line.trim() !== '')) });
let cloud: LocalCloud;
let watcher: FunctionWatcher;

/** The log lines the watcher writes after `save` (waits for them: a file watch answers within milliseconds). */
const linesAfter = async (save: () => void, pattern: RegExp): Promise<string[]> => {
  const before = lines.length;
  save();
  const deadline = Date.now() + 15_000;
  while (!lines.slice(before).some((line) => pattern.test(line))) {
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} after the save:\n${lines.slice(before).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await watcher.settled();
  return lines.slice(before);
};

const payloadOf = (result: InvokeResult): unknown => {
  if (!result.ok) throw new Error(`${result.error.errorType}: ${result.error.errorMessage}`);
  return result.payload;
};

beforeAll(async () => {
  cloud = await LocalCloud.start({ assemblyDir: assembly, apiPort: 0, log, iam: 'off', dynamoDb: Promise.resolve(noDynamoDb), scheduleScale: 0 });
  watcher = startWatchMode(cloud, log, root);
  const deadline = Date.now() + 15_000;
  while (!lines.some((line) => /built ahead/.test(line)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  await watcher?.close();
  await cloud?.stop(1000);
  rmSync(root, { recursive: true, force: true });
});

describe('npm start -- --watch', () => {
  it('builds ahead the functions whose own sources changed last, newest first', () => {
    expect(lines.filter((line) => /built ahead/.test(line))).toEqual([expect.stringMatching(/INFO {2}--watch: Hello, Other built ahead in \d+ ms \(their sources changed last\)/)]);
  });

  it('serves the next request of a function that includes the saved file from the new code, and recycles no other function', async () => {
    expect(await (await fetch(`${cloud.apiUrl}/hello`)).json()).toEqual({ greeting: 'v1' });
    expect(payloadOf(await cloud.runtime.invoke('Other', {}))).toEqual({ other: 'v1' });

    const logged = await linesAfter(() => write(GREETING, "export const greeting = 'v2';\n"), /reload/);

    expect(logged.filter((line) => /reload/.test(line))).toEqual([expect.stringMatching(/INFO {2}reload \(functions\/hello\/greeting\.ts; built in \d+ ms\): Hello recycled/)]);
    const hello = await cloud.runtime.invoke('Hello', {});
    expect(payloadOf(hello)).toEqual({ greeting: 'v2' });
    expect(hello.coldStartMs).toEqual(expect.any(Number));
    expect(await (await fetch(`${cloud.apiUrl}/hello`)).json()).toEqual({ greeting: 'v2' });
    const other = await cloud.runtime.invoke('Other', {});
    expect(other.coldStartMs).toBeUndefined();
  });

  it('lets an invocation in flight during the reload finish on the code it started with', async () => {
    const inFlight = cloud.runtime.invoke('Hello', { sleepMs: 1500 });
    await new Promise((resolve) => setTimeout(resolve, 200));

    await linesAfter(() => write(GREETING, "export const greeting = 'v3';\n"), /reload/);
    const next = await cloud.runtime.invoke('Hello', {});

    expect(payloadOf(next)).toEqual({ greeting: 'v3' });
    expect(payloadOf(await inFlight)).toEqual({ greeting: 'v2' });
  });

  it('serves a saved module the handler imports dynamically from the new asset: the entry and its chunks', async () => {
    expect(readdirSync(path.join(assembly, 'asset.hello')).filter((file) => file.endsWith('.mjs')).length).toBeGreaterThan(1);
    expect(payloadOf(await cloud.runtime.invoke('Hello', { farewell: true }))).toEqual({ farewell: 'bye v1' });

    const logged = await linesAfter(() => write(FAREWELL, "export const farewell = 'bye v2';\n"), /reload/);

    expect(logged.filter((line) => /reload/.test(line))).toEqual([expect.stringMatching(/reload \(functions\/hello\/farewell\.ts; built in \d+ ms\): Hello recycled/)]);
    const served = cloud.runtime.resolve('Hello')?.codeDir ?? '';
    expect(readdirSync(served).filter((file) => file.endsWith('.mjs')).length).toBeGreaterThan(1);
    expect(payloadOf(await cloud.runtime.invoke('Hello', { farewell: true }))).toEqual({ farewell: 'bye v2' });
    expect(payloadOf(await cloud.runtime.invoke('Hello', {}))).toEqual({ greeting: 'v3' });
  });

  it('keeps the old code when the saved file does not build, and prints where the error is', async () => {
    const logged = await linesAfter(() => write(GREETING, 'export const greeting = ;\n'), /does not build/);

    expect(logged.join('\n')).toMatch(/\[ERROR\] Unexpected ";"\n.*functions\/hello\/greeting\.ts:1:24:\n.*export const greeting = ;/);
    expect(payloadOf(await cloud.runtime.invoke('Hello', {}))).toEqual({ greeting: 'v3' });

    await linesAfter(() => write(GREETING, "export const greeting = 'v4';\n"), /reload/);
    expect(payloadOf(await cloud.runtime.invoke('Hello', {}))).toEqual({ greeting: 'v4' });
  });

  it('recycles nothing when a saved file is in no bundle', async () => {
    const logged = await linesAfter(() => write('functions/hello/notes.ts', 'export const unused = 1;\n'), /no function's bundle changed/);

    expect(logged.some((line) => /reload/.test(line))).toBe(false);
    expect((await cloud.runtime.invoke('Hello', {})).coldStartMs).toBeUndefined();
  });

  it('says a restart is needed when infrastructure code changes', async () => {
    const logged = await linesAfter(() => write('lib/stack.ts', 'export const changed = true;\n'), /infrastructure changed/);

    expect(logged.join('\n')).toMatch(/infrastructure changed \(lib\/stack\.ts\): the running cloud still has the old template\. Restart npm start/);
  });
});
