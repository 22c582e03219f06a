import type { Page } from 'playwright-core';
import { eventually } from '../../e2e/support/eventually';
import type { ConsoleScenario } from '../support/scenario';

/*
 * Run by console.test.ts, on the one local cloud and scenario every view's
 * suite shares. The console's Functions view in a real headless Chromium, on one local
 * cloud with three orders placed through the API (confirmed, declined, and
 * one whose OrderConfirmed the status consumer fails on until it is
 * dead-lettered): the functions table counts what ran, and the "logs" link
 * of an order in Orders and sagas opens that order's log lines, of every
 * function that worked on it, and only those.
 */

/** The Functions view's tests, on a page of their own. */
export const functionsViewSuite = (started: () => ConsoleScenario): void => {
  let scenario: ConsoleScenario;
  let page: Page;

  /** The name the local cloud runs a function under, from the start of its logical id (`PaymentsChargePayment` → `PaymentsChargePayment3FC11F09`). */
  const functionNamed = (prefix: string): string => {
    const found = scenario.fresh.cloud.runtime.functions().find((fn) => fn.name.startsWith(prefix));
    if (!found) throw new Error(`no function ${prefix}* in the template`);
    return found.name;
  };

  /** What a row of the log pane shows, with the attributes that say whose line it is. */
  const logRows = (): Promise<Array<{ fn: string; correlationId: string; level: string; message: string }>> =>
    page.locator('#logs tbody tr:not(.fields)').evaluateAll((rows) =>
      rows.map((row) => ({
        fn: row.getAttribute('data-function') ?? '',
        correlationId: row.getAttribute('data-correlation-id') ?? '',
        level: row.querySelector('td.level')?.textContent ?? '',
        message: row.querySelector('td.message')?.textContent ?? '',
      })),
    );

  beforeAll(async () => {
    scenario = started();
    page = await scenario.openPage();
  });

  afterAll(async () => {
    await page?.close();
  });

  describe('the Functions view, in a browser', () => {
    it("counts each function's invocations, cold starts and errors, with p50 and p99 durations", async () => {
      // Prepare
      const charge = functionNamed('PaymentsChargePayment');
      const reserve = functionNamed('InventoryReserveInventory');
      const usage = scenario.fresh.cloud.meter.usage().functions;
      const cell = (fn: string, column: string) => page.locator(`#functions-table tr[data-function="${fn}"] td.${column}`);

      // Act
      await page.locator('.tab[data-view="functions"]').click();

      // Assess
      for (const fn of [charge, reserve]) {
        // The cost meter counts every invocation too: the table must agree with it.
        const expected = String(usage[fn]?.invocations ?? 0);
        await eventually(`${fn}'s invocations in the table`, () => cell(fn, 'invocations').textContent(), (text) => text === expected);
        await expect(cell(fn, 'p50').textContent()).resolves.toMatch(/^\d+(\.\d+)? m?s$/);
        await expect(cell(fn, 'p99').textContent()).resolves.toMatch(/^\d+(\.\d+)? m?s$/);
        expect(Number(await cell(fn, 'cold-starts').textContent())).toBeGreaterThanOrEqual(1);
      }
      // Three orders were charged, and one of the charges was declined.
      expect(Number(await cell(charge, 'invocations').textContent())).toBeGreaterThanOrEqual(3);
      expect(Number(await cell(charge, 'errors').textContent())).toBeGreaterThanOrEqual(1);
      await expect(cell(charge, 'errors').getAttribute('title')).resolves.toContain('PaymentDeclinedError');
      await expect(cell(charge, 'name').textContent()).resolves.toBe('PaymentsChargePayment');
    });

    it("opens an order's log lines from its logs link in Orders and sagas: every function that worked on it, and nothing else", async () => {
      // Prepare
      const correlationId = scenario.correlationIds.declined;
      await page.locator('.tab[data-view="sagas"]').click();
      const link = page.locator(`#executions tr[data-name="${scenario.placed.declined}"] a.logs-link`);

      // Act
      await link.click();
      await page.locator('#logs tbody tr').first().waitFor();
      // Lines of the order keep arriving for a moment (the status consumer): wait for the charge's failure.
      const rows = await eventually('the declined charge among the order\'s lines', logRows, (all) => all.some((row) => row.fn.startsWith('PaymentsChargePayment') && row.level === 'ERROR'));

      // Assess
      expect(new URL(page.url()).hash).toBe(`#functions?correlationId=${encodeURIComponent(correlationId)}`);
      await expect(page.locator('#log-correlation').inputValue()).resolves.toBe(correlationId);
      expect(rows.every((row) => row.correlationId === correlationId)).toBe(true);
      const functions = new Set(rows.map((row) => row.fn.replace(/[0-9A-F]{8}$/, '')));
      for (const fn of ['OrdersApi', 'OrderSagaStarter', 'InventoryReserveInventory', 'PaymentsChargePayment', 'InventoryReleaseInventory']) expect(functions).toContain(fn);
      expect(functions).not.toContain('ShippingCreateShipment');
      expect(rows.some((row) => row.message.includes('PaymentDeclinedError'))).toBe(true);
      const everyLine = await page.locator('#logs tbody').textContent();
      for (const other of [scenario.placed.happy, scenario.placed.poisoned]) expect(everyLine).not.toContain(other);
      await expect(page.locator('#logs-caption').textContent()).resolves.toMatch(new RegExp(`log lines of correlation id ${correlationId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} from \\d+ functions`));
    });

    it("shows a failure no code logged with the order whose event it was: the poisoned order's consumer failures", async () => {
      // Prepare
      const correlationId = scenario.correlationIds.poisoned;

      // Act: the page still shows the declined order's lines, so wait for this order's
      await page.goto(`${scenario.consoleUrl}/#functions?correlationId=${encodeURIComponent(correlationId)}`);
      await page.locator('#logs-caption', { hasText: `of correlation id ${correlationId}` }).waitFor();
      await page.locator('#logs tbody tr').first().waitFor();
      const rows = await eventually('the status consumer\'s failures among the order\'s lines', logRows, (all) => all.some((row) => row.fn.startsWith('OrdersStatusConsumer')));

      // Assess
      const consumer = rows.filter((row) => row.fn.startsWith('OrdersStatusConsumer'));
      expect(consumer.length).toBeGreaterThanOrEqual(1);
      // On failure, the rows the pane showed and every hop of the order (a row of another order here
      // was once the declined order's, left on the page while this filter's lines loaded).
      const unexpected = consumer.filter((row) => !(row.level === 'ERROR' && row.message.includes('InjectedFault') && row.correlationId === correlationId));
      if (unexpected.length > 0) {
        throw new Error(`the consumer's lines of the poisoned order are not only its injected failures: ${JSON.stringify(unexpected)}\n${String(scenario.statusDeadLetters())} in the dead-letter queue; the order's hops:\n${scenario.collected.describe(correlationId)}`);
      }
      expect(rows.filter((row) => row.correlationId !== correlationId)).toEqual([]);
    });

    it('keeps the filters in the URL: a reload shows the same lines, and one function narrows them', async () => {
      // Prepare
      const correlationId = scenario.correlationIds.happy;
      const charge = functionNamed('PaymentsChargePayment');
      await page.goto(`${scenario.consoleUrl}/#functions?correlationId=${encodeURIComponent(correlationId)}`);
      await page.locator('#logs tbody tr').first().waitFor();

      // Act
      await page.locator('#log-function').selectOption(charge);
      await page.waitForURL(/function=/);
      await page.reload();
      await page.locator(`#logs tbody tr[data-function="${charge}"]`).first().waitFor();
      const rows = await logRows();

      // Assess
      expect(rows.length).toBeGreaterThanOrEqual(1);
      expect(rows.every((row) => row.fn === charge && row.correlationId === correlationId)).toBe(true);
      await expect(page.locator('#log-function').inputValue()).resolves.toBe(charge);
      await expect(page.locator('.tab[data-view="functions"]').getAttribute('class')).resolves.toContain('active');
    });

    it('shows a line in full on click', async () => {
      // Prepare
      const row = page.locator('#logs tbody tr:not(.platform):not(.fields)').first();
      const requestId = await row.getAttribute('data-request-id');
      const message = await row.locator('td.message').textContent();

      // Act
      await row.click();
      const fields = page.locator('#logs tbody tr.fields pre').first();
      await fields.waitFor();

      // Assess
      expect(JSON.parse((await fields.textContent()) ?? '')).toMatchObject({ correlation_id: scenario.correlationIds.happy, function_request_id: requestId, message });
    });
  });

  describe('the functions and logs API', () => {
    it('answers the functions with their counts, and the log lines of one order', async () => {
      // Act
      const functions = (await (await fetch(`${scenario.consoleUrl}/api/functions`)).json()) as { bounds: { invocations: number }; functions: Array<{ name: string; invocations: number }> };
      const logs = (await (await fetch(`${scenario.consoleUrl}/api/logs?correlationId=${encodeURIComponent(scenario.correlationIds.happy)}&limit=5`)).json()) as { lines: Array<{ correlationId: string }>; matched: number };

      // Assess
      expect(functions.bounds.invocations).toBeGreaterThan(0);
      expect(functions.functions.map((fn) => fn.name)).toEqual(expect.arrayContaining(scenario.fresh.cloud.runtime.functions().map((fn) => fn.name)));
      expect(logs.lines).toHaveLength(5);
      expect(logs.matched).toBeGreaterThan(5);
      expect(logs.lines.every((line) => line.correlationId === scenario.correlationIds.happy)).toBe(true);
    });

    it('answers 400 with a reason for a bad parameter, and 405 for a method other than GET', async () => {
      // Act
      const answers = await Promise.all(
        ['/api/logs?limit=0', '/api/logs?limit=abc', '/api/logs?limit=1001', '/api/logs?function=NoSuchFunction', '/api/logs?correlationid=typo', '/api/functions?limit=3'].map(async (route) => {
          const response = await fetch(`${scenario.consoleUrl}${route}`);
          return { status: response.status, error: ((await response.json()) as { error?: unknown }).error };
        }),
      );
      const post = await fetch(`${scenario.consoleUrl}/api/logs`, { method: 'POST' });

      // Assess
      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 400]);
      expect(answers[3]?.error).toMatch(/no function NoSuchFunction; the functions are .*PaymentsChargePayment/);
      expect(answers[4]?.error).toBe('Unknown parameter correlationid: this route takes correlationId, function, limit');
      expect(post.status).toBe(405);
    });
  });
};
