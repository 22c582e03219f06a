import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findStackOutput, StackOutputError, type StackOutputs } from '../../lib/ops/stack-outputs';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { DEMO_PRODUCTS } from '../../local/seed';
import { ShopClient } from '../e2e/support/shop-client';
import { CollectedLog, type Caller } from '../e2e/support/target';

/*
 * `npm run seed` as an operator runs it against a deployed stage, here the
 * local cloud (the same API, routes, authorizer and functions): the demo
 * catalog arrives, a rerun changes nothing and says so, and each way of
 * getting it wrong (a non-admin's token, a rejected token, a URL where no
 * API answers, no URL at all) ends with a message that says what to fix.
 */

jest.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run seed -- <args>`, with none of the operator's SHOP_* variables unless given. */
const seed = (args: readonly string[], env: Record<string, string> = {}): Promise<Run> => {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'SHOP_API_URL' && name !== 'SHOP_ADMIN_TOKEN'));
  return new Promise((resolve) => {
    execFile(TSX, ['bin/seed.ts', ...args], { cwd: ROOT, env: { ...base, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
};

/** A port nothing listens on (taken, then released). */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
};

let fresh: FreshLocalCloud;
let shop: ShopClient;
let admin: Caller;
let alice: Caller;
let workDir: string;
const collected = new CollectedLog();

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.01, scheduleScale: 0 });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 20_000, diagnostics: (id) => collected.describe(id) });
  admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
  workDir = mkdtempSync(path.join(tmpdir(), 'shop-seed-'));
}, 240_000);

afterAll(async () => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await fresh?.stop();
});

describe('npm run seed against a stage', () => {
  it('refuses a token that is not an admin\'s, says so, and writes nothing', async () => {
    // Act
    const run = await seed(['--api', fresh.cloud.apiUrl, '--token', alice.token]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/403: the token is not an admin's/);
    expect((await shop.call('GET', '/products/p-mug')).status).toBe(404);
  });

  it('refuses a token the API rejects (401) and tells the operator to sign in again', async () => {
    // Act
    const run = await seed(['--api', fresh.cloud.apiUrl], { SHOP_ADMIN_TOKEN: `${admin.token.slice(0, -6)}AAAAAA` });

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/401: the API refused the token .* Sign in again/);
  });

  it('loads the demo catalog with a line per product, and every product is on sale with its stock', async () => {
    // Act
    const run = await seed([], { SHOP_API_URL: `${fresh.cloud.apiUrl}/`, SHOP_ADMIN_TOKEN: admin.token });

    // Assess
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`into ${fresh.cloud.apiUrl}/ (from SHOP_API_URL)`);
    for (const [index, product] of DEMO_PRODUCTS.entries()) {
      expect(run.stdout).toContain(`[${String(index + 1)}/${String(DEMO_PRODUCTS.length)}] ${product.id}: created; stock set to ${String(product.stock)}`);
      expect(await shop.stockOf(alice, product.id)).toBe(product.stock);
      expect(await shop.product(product.id)).toMatchObject({ name: product.name, category: product.category, price: product.price });
    }
    expect(run.stdout).toContain(`Done: ${String(DEMO_PRODUCTS.length)} product(s) created, ${String(DEMO_PRODUCTS.length)} stock level(s) set`);
  });

  it('changes nothing on a rerun, says so, and keeps stock an operator changed since', async () => {
    // Prepare
    await shop.setStock(admin, 'p-beans', 7);

    // Act
    const run = await seed(['--api', fresh.cloud.apiUrl, '--token', admin.token]);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('p-beans: already there, left as it is; stock kept (7 units)');
    expect(run.stdout).toContain('Nothing to do: the demo catalog was already there. Nothing was changed.');
    expect(await shop.stockOf(alice, 'p-beans')).toBe(7);
  });

  it('finds the API in the outputs file by stage, whichever stack holds it', async () => {
    // Prepare: two stages in one outputs file, prod pointing where nothing answers
    const outputs = path.join(workDir, 'cdk-outputs.json');
    writeFileSync(outputs, JSON.stringify({
      'ServerlessShop-prod-Shared': { ApiUrl: `http://127.0.0.1:${String(await closedPort())}` },
      'ServerlessShop-dev-Shared': { ApiUrl: fresh.cloud.apiUrl, UserPoolId: 'local' },
      'ServerlessShop-dev-Orders': { OrdersTableName: 'x' },
    }));

    // Act
    const ambiguous = await seed(['--outputs', outputs, '--token', admin.token]);
    const dev = await seed(['--outputs', outputs, '--stage', 'dev', '--token', admin.token]);

    // Assess
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain("Several stacks have an output 'ApiUrl' (ServerlessShop-prod-Shared, ServerlessShop-dev-Shared): pass --stage to choose.");
    expect(dev.code).toBe(0);
    expect(dev.stdout).toContain(`from ${outputs}, stack ServerlessShop-dev-Shared`);
    expect(dev.stdout).toContain('Nothing to do');
  });

  it('names the URL when no API answers there, and asks for a URL or token when there is none', async () => {
    // Prepare
    const nowhere = `http://127.0.0.1:${String(await closedPort())}`;

    // Act
    const unreachable = await seed(['--api', nowhere, '--token', admin.token]);
    const noUrl = await seed(['--outputs', path.join(workDir, 'missing.json'), '--token', admin.token]);
    const noToken = await seed(['--api', fresh.cloud.apiUrl]);

    // Assess
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`Cannot reach the API at ${nowhere} (ECONNREFUSED)`);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/Cannot read .*missing\.json.*\nNo API URL: pass --api or set SHOP_API_URL/);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('No admin token: pass --token or set SHOP_ADMIN_TOKEN');
  });
});

describe('findStackOutput', () => {
  const outputs: StackOutputs = {
    ServerlessShop: { ApiUrl: 'https://one.example' },
  };

  it('takes the single stage-less stack whatever the stage asked, as long as it is alone', () => {
    expect(findStackOutput(outputs, 'ApiUrl', 'dev')).toEqual({ stack: 'ServerlessShop', value: 'https://one.example' });
    expect(findStackOutput(outputs, 'ApiUrl')).toEqual({ stack: 'ServerlessShop', value: 'https://one.example' });
  });

  it('never guesses: an unknown key or stage is an error naming the stacks that have it', () => {
    const staged: StackOutputs = { 'ServerlessShop-dev-Shared': { ApiUrl: 'https://dev.example' } };
    expect(() => findStackOutput(staged, 'UserPoolId')).toThrow(new StackOutputError("No stack has an output 'UserPoolId'."));
    expect(() => findStackOutput(staged, 'ApiUrl', 'prod')).toThrow(new StackOutputError("No stack of stage 'prod' has an output 'ApiUrl' (these do: ServerlessShop-dev-Shared)."));
  });
});
