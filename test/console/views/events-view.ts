import type { Locator, Page } from 'playwright-core';
import { eventually } from '../../e2e/support/eventually';
import type { ConsoleScenario } from '../support/scenario';

/*
 * Run by console.test.ts, on the one local cloud and scenario every view's
 * suite shares. The console's Events view in a real headless Chromium, on one local cloud
 * with three orders placed through the API (confirmed, declined, and one
 * whose OrderConfirmed the status consumer fails on until its queue moves it
 * to the dead-letter queue): each order's events on the bus with the rules
 * they matched and what each target got, the dead-lettered delivery pointing
 * to the Dead-letters view, and an event shown in full, redacted.
 */

/** The Events view's tests, on a page of their own. */
export const eventsViewSuite = (started: () => ConsoleScenario): void => {
  let scenario: ConsoleScenario;
  let page: Page;

  /** The timeline's rows of one detail-type, once there is one. */
  const rowsOf = async (detailType: string): Promise<Locator> => {
    const rows = page.locator(`#events-timeline tbody tr[data-detail-type="${detailType}"]`);
    await rows.first().waitFor();
    return rows;
  };

  const openEvents = async (query: string): Promise<void> => {
    await page.goto(`${scenario.consoleUrl}/#events?${query}`);
    await page.locator('#events-timeline tbody tr').first().waitFor();
  };

  beforeAll(async () => {
    scenario = started();
    page = await scenario.openPage();
  });

  afterAll(async () => {
    await page?.close();
  });

  describe('the Events view, in a browser', () => {
    it("shows an order's events newest first, OrderPlaced with the rule it matched and its target delivered", async () => {
      // Prepare
      const correlationId = scenario.correlationIds.happy;

      // Act
      await page.locator('.tab[data-view="events"]').click();
      await page.locator('#events-correlation').fill(correlationId);
      await page.locator('#events-correlation').press('Enter');
      await page.waitForURL(/#events\?correlationId=/);
      const placed = await rowsOf('OrderPlaced');
      await rowsOf('OrderConfirmed');

      // Assess
      const rows = page.locator('#events-timeline tbody tr');
      const types = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-detail-type')));
      expect(types.indexOf('OrderConfirmed')).toBeLessThan(types.indexOf('OrderPlaced'));
      await expect(rows.locator('td.correlation').allTextContents()).resolves.toEqual(types.map(() => expect.stringContaining(correlationId.slice(0, 12))));
      await expect(placed.count()).resolves.toBe(1);
      await expect(placed.locator('.source').textContent()).resolves.toBe('shop.orders');
      await expect(placed.locator('td.status').textContent()).resolves.toBe('delivered');
      const rule = placed.locator('.rule');
      await expect(rule.getAttribute('data-rule')).resolves.toMatch(/StartOrderSaga/);
      await expect(rule.locator('.target').getAttribute('data-outcome')).resolves.toBe('delivered');
      await expect(rule.locator('.target').textContent()).resolves.toMatch(/StartOrderSagaQueue ✓/);
    });

    it('shows the poisoned OrderConfirmed dead-lettered behind its queue, with a link to the Dead-letters view', async () => {
      // Prepare
      await openEvents(`correlationId=${encodeURIComponent(scenario.correlationIds.poisoned)}`);
      const confirmed = await rowsOf('OrderConfirmed');
      const target = confirmed.locator('.target[data-target*="OrderStatusQueue"]');

      await eventually('the OrderConfirmed dead-lettered', () => confirmed.getAttribute('data-status'), (status) => status === 'dead-lettered');
      const outcome = await target.getAttribute('data-outcome');
      const told = await target.getAttribute('title');
      const link = await confirmed.locator('a.dlq-link').getAttribute('title');

      // Act
      await confirmed.locator('a.dlq-link').click();

      // Assess
      expect(outcome).toBe('dead-lettered');
      expect(told).toMatch(/delivered; its consumer failed \d+× and the queue moved it to .*OrderStatusConsumerDeadLetters/);
      expect(link).toMatch(/^\S*OrderStatusConsumerDeadLetters\S*: see it, and send its messages back, in Dead letters$/);
      expect(new URL(page.url()).hash).toBe('#dead-letters');
      await page.locator('#dead-letters').waitFor({ state: 'visible' });
      const queue = page.locator('section.dlq[data-queue*="OrderStatusConsumerDeadLetters"]');
      await expect(queue.locator('pre.body').textContent()).resolves.toContain(scenario.placed.poisoned);
    });

    it('shows an event in full on click, with the payment token and address redacted', async () => {
      // Prepare
      await openEvents(`correlationId=${encodeURIComponent(scenario.correlationIds.declined)}`);
      const placed = await rowsOf('OrderPlaced');

      // Act
      await placed.click();
      const json = page.locator('#event-detail pre.event-json');
      await json.waitFor();

      // Assess
      const event = JSON.parse((await json.textContent()) ?? '{}') as { 'detail-type': string; detail: { data: { orderId: string; paymentToken: string; shippingAddress: string } } };
      expect(event['detail-type']).toBe('OrderPlaced');
      expect(event.detail.data.orderId).toBe(scenario.placed.declined);
      expect(event.detail.data.paymentToken).toBe('«redacted»');
      expect(event.detail.data.shippingAddress).toBe('«redacted»');
      await expect(page.locator('#event-detail table.targets tbody tr').getAttribute('data-outcome')).resolves.toBe('delivered');
      await expect(placed.getAttribute('class')).resolves.toContain('selected');
    });

    it('narrows the timeline to one bus, and links an event to its order\'s log lines', async () => {
      // Prepare
      await openEvents('');
      const shopBus = await page.locator('#events-timeline tbody tr[data-detail-type="OrderPlaced"]').first().getAttribute('data-bus');

      // Act
      await page.locator('#events-bus').selectOption(shopBus ?? '');
      await page.waitForURL(/bus=/);
      await page.locator('#events-caption', { hasText: `on ${shopBus ?? ''}` }).waitFor();
      const buses = await page.locator('#events-timeline tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-bus')));
      await (await rowsOf('OrderPlaced')).first().locator('a.logs-link').click();

      // Assess
      expect(buses.length).toBeGreaterThanOrEqual(6);
      expect(new Set(buses)).toEqual(new Set([shopBus]));
      await page.waitForURL(/#functions\?correlationId=/);
      await page.locator('#logs tbody tr').first().waitFor();
    });
  });

  describe('the events API', () => {
    const get = async (route: string): Promise<{ status: number; body: { error?: unknown; events?: unknown[] } }> => {
      const response = await fetch(`${scenario.consoleUrl}${route}`);
      return { status: response.status, body: (await response.json()) as { error?: unknown; events?: unknown[] } };
    };

    it('answers 400 with a reason for a bad parameter, and 404 for an event it does not keep', async () => {
      // Act
      const answers = await Promise.all(['/api/events?limit=0', '/api/events?limit=501', '/api/events?bus=NoSuchBus', '/api/events?limit=1&limit=2', '/api/event?bus=default', '/api/event?bus=default&id=no-such-event'].map(get));

      // Assess
      expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 400, 400, 404]);
      expect(answers[2]?.body.error).toMatch(/^bus: no bus NoSuchBus; the buses are default, /);
      for (const answer of answers) expect(typeof answer.body.error).toBe('string');
    });

    it('answers at most the limit, newest first', async () => {
      // Act
      const answer = (await get('/api/events?limit=2')).body as { events: Array<{ at: number }>; matched: number };

      // Assess
      expect(answer.events).toHaveLength(2);
      expect(answer.matched).toBeGreaterThan(2);
      expect(answer.events[0]?.at).toBeGreaterThanOrEqual(answer.events[1]?.at ?? Infinity);
    });
  });
};
