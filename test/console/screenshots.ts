/**
 * `npm run console:screenshots`: a PNG of each view of the console, written
 * to docs/console/ for the README, from the scenarios its tests drive: a
 * confirmed order, a declined one, a dead-lettered event (the sagas, the
 * dead letters, the declined order's log lines, the events timeline); then,
 * on the Express saga with a faults file, the tables and the faults and cost.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startOpsScenario } from './support/ops-scenario';
import { openExecution, startConsoleScenario } from './support/scenario';

const OUT = path.resolve(__dirname, '..', '..', 'docs', 'console');

const main = async (): Promise<void> => {
  mkdirSync(OUT, { recursive: true });
  process.stdout.write('Starting a local cloud and placing three orders…\n');
  const scenario = await startConsoleScenario();
  try {
    const { page, placed, correlationIds, consoleUrl } = scenario;
    const shots: Array<[string, () => Promise<void>]> = [
      ['saga-confirmed.png', () => openExecution(page, placed.happy)],
      [
        'saga-declined.png',
        async () => {
          await openExecution(page, placed.declined);
          await page.locator('g.state[data-state="ChargePayment"]').click();
          await page.locator('#state-detail pre.input').waitFor();
        },
      ],
      [
        'dead-letters.png',
        async () => {
          await page.locator('.tab[data-view="dead-letters"]').click();
          await page.locator('section.dlq .message').first().waitFor();
        },
      ],
      [
        'functions.png',
        async () => {
          // The declined order's log lines, as its "logs" link in Orders and sagas opens them.
          await page.goto(`${consoleUrl}/#functions?correlationId=${encodeURIComponent(correlationIds.declined)}`);
          await page.locator('#functions-table tbody tr').first().waitFor();
          await page.locator('#logs tbody tr.level-ERROR').first().waitFor();
        },
      ],
      [
        'events.png',
        async () => {
          await page.goto(`${consoleUrl}/#events`);
          await page.locator('#events-timeline tbody tr[data-status="dead-lettered"]').first().click();
          await page.locator('#event-detail pre.event-json').waitFor();
        },
      ],
    ];
    await shoot(page, shots);
  } finally {
    await scenario.stop();
  }
  process.stdout.write('Starting a local cloud with the Express saga and a faults file, and placing three orders…\n');
  const ops = await startOpsScenario();
  try {
    const { page, placed } = ops;
    await shoot(page, [
      [
        'tables.png',
        async () => {
          await page.locator('.tab[data-view="tables"]').click();
          await page.locator('#tables-list tr.table-row[data-table^="OrdersTable"]').click();
          await page.locator('#items .item', { hasText: placed.happy }).waitFor();
        },
      ],
      [
        'faults-cost.png',
        async () => {
          await page.locator('.tab[data-view="faults-cost"]').click();
          await page.locator('#function-faults tbody tr').first().waitFor();
          await page.locator('#cost-summary', { hasText: 'per million orders' }).waitFor();
        },
      ],
    ]);
  } finally {
    await ops.stop();
  }
};

/** Prepares each view and writes its PNG. */
const shoot = async (page: Page, shots: ReadonlyArray<[string, () => Promise<void>]>): Promise<void> => {
  for (const [file, prepare] of shots) {
    await prepare();
    await page.screenshot({ path: path.join(OUT, file), fullPage: true });
    process.stdout.write(`  docs/console/${file}\n`);
  }
};

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
