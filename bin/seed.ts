/**
 * `npm run seed -- [--api URL] [--token TOKEN] [--stage NAME] [--outputs FILE]`
 *
 * Loads the demo catalog (the products and stock `npm start` seeds locally,
 * from local/seed.ts) into a deployed stage through its HTTP API, as an
 * admin. Safe to run again: what is there is left alone, and the run says so.
 *
 * The API: `--api`, else SHOP_API_URL, else the `ApiUrl` output in the
 * outputs file (`cdk-outputs.json`, written by `npm run deploy`; `--stage`
 * picks a stage when it holds several). The token: `--token`, else
 * SHOP_ADMIN_TOKEN: a Cognito ID token of a member of the `admin` group
 * (README, "Deploy to AWS").
 *
 * Exit status: 0 when the catalog is there, 1 when the API refused or could
 * not be reached (the message says which), 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { findStackOutput, readStackOutputs, StackOutputError } from '../lib/ops/stack-outputs';
import { DEMO_PRODUCTS, seedCatalog, SeedError, type SeededProduct } from '../local/seed';

const USAGE = 'usage: npm run seed -- [--api URL] [--token ID_TOKEN] [--stage NAME] [--outputs cdk-outputs.json]\n' +
  '  the API URL also from SHOP_API_URL, the token from SHOP_ADMIN_TOKEN (an ID token of a user in the admin group)';

const fail = (message: string, status: number): never => {
  process.stderr.write(`${message}\n`);
  process.exit(status);
};

const describe = (done: SeededProduct): string => {
  const product = { created: 'created', kept: 'already there, left as it is', categorized: 'already there, given its category' }[done.product];
  const stock = done.stock === 'set' ? `stock set to ${String(done.units)}` : `stock kept${done.units === undefined ? '' : ` (${String(done.units)} units)`}`;
  return `${done.id}: ${product}; ${stock}`;
};

const main = async (): Promise<void> => {
  let values: { api?: string; token?: string; stage?: string; outputs?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { api: { type: 'string' }, token: { type: 'string' }, stage: { type: 'string' }, outputs: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`, 2);
  }
  if (values.help) return fail(USAGE, 0);

  let apiUrl = values.api?.trim() || process.env.SHOP_API_URL?.trim() || undefined;
  let from = values.api ? '--api' : apiUrl ? 'SHOP_API_URL' : '';
  if (!apiUrl) {
    const file = values.outputs ?? 'cdk-outputs.json';
    try {
      const found = findStackOutput(readStackOutputs(file), 'ApiUrl', values.stage);
      apiUrl = found.value;
      from = `${file}, stack ${found.stack}`;
    } catch (error) {
      if (error instanceof StackOutputError || error instanceof SyntaxError) return fail(`${error.message}\nNo API URL: pass --api or set SHOP_API_URL.\n${USAGE}`, 2);
      throw error;
    }
  }
  const token = values.token?.trim() || process.env.SHOP_ADMIN_TOKEN?.trim();
  if (!token) return fail(`No admin token: pass --token or set SHOP_ADMIN_TOKEN (README, "Deploy to AWS", shows how to get one).\n${USAGE}`, 2);

  process.stdout.write(`Seeding the demo catalog (${String(DEMO_PRODUCTS.length)} products) into ${apiUrl} (from ${from})\n`);
  try {
    const report = await seedCatalog(apiUrl, token, {
      onProduct: (done, index, total) => process.stdout.write(`  [${String(index)}/${String(total)}] ${describe(done)}\n`),
    });
    if (report.unchanged) {
      process.stdout.write('Nothing to do: the demo catalog was already there. Nothing was changed.\n');
    } else {
      const created = report.products.filter((p) => p.product === 'created').length;
      const stocked = report.products.filter((p) => p.stock === 'set').length;
      process.stdout.write(`Done: ${String(created)} product(s) created, ${String(stocked)} stock level(s) set; the rest was already there and left alone.\n`);
    }
  } catch (error) {
    if (error instanceof SeedError) return fail(`Seed failed: ${error.message}`, 1);
    throw error;
  }
};

void main();
