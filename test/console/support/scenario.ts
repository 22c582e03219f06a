/**
 * What the console's tests and screenshots show: one local cloud with the
 * console on, three orders placed through the API — confirmed, declined,
 * and one whose OrderConfirmed the status consumer fails on until it lands
 * in the dead-letter queue — and a headless Chromium to look at it.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../local/console/browser';
import { startFreshLocalCloud, type FreshLocalCloud, type FreshLocalCloudOptions } from '../../../local/fresh-local-cloud';
import { eventually } from '../../e2e/support/eventually';
import { ShopClient, type OrderRequest } from '../../e2e/support/shop-client';
import { CollectedLog, type Caller } from '../../e2e/support/target';

/** The running scenario. */
export interface ConsoleScenario {
  readonly fresh: FreshLocalCloud;
  readonly browser: Browser;
  /** A page with the console open. */
  readonly page: Page;
  /** Opens the console in another page of the browser. */
  openPage(): Promise<Page>;
  readonly shop: ShopClient;
  readonly alice: Caller;
  readonly collected: CollectedLog;
  readonly consoleUrl: string;
  /** The order ids, which are the saga executions' names. */
  readonly placed: { readonly happy: string; readonly declined: string; readonly poisoned: string };
  /** Each order's correlation id (the API's request id, carried by its log lines, events and saga input). */
  readonly correlationIds: { readonly happy: string; readonly declined: string; readonly poisoned: string };
  /** How many messages wait in the status consumer's dead-letter queue. */
  statusDeadLetters(): number;
  stop(): Promise<void>;
}

const order = (paymentToken: string): OrderRequest => ({
  items: [{ productId: 'console-mug', quantity: 1 }],
  paymentToken,
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

/** A local cloud with its console and a browser, before the console is opened. */
export interface ConsoleCloud {
  readonly fresh: FreshLocalCloud;
  readonly browser: Browser;
  readonly shop: ShopClient;
  readonly admin: Caller;
  readonly alice: Caller;
  readonly collected: CollectedLog;
  readonly consoleUrl: string;
  /** Opens the console in a new page of the browser. */
  openPage(): Promise<Page>;
  stop(): Promise<void>;
}

/**
 * Starts a local cloud serving its console (strict IAM, fast retries; more
 * options, such as a synthesis context or faults, as given) and a headless
 * Chromium, and hands `arrange` both; everything stops if `arrange` fails.
 */
export const startConsoleCloud = async <T>(options: Partial<FreshLocalCloudOptions>, arrange: (cloud: ConsoleCloud) => Promise<T>): Promise<T> => {
  const collected = new CollectedLog();
  const [fresh, browser] = await Promise.all([startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.001, iam: 'strict', consolePort: 0, ...options }), launchChromium()]);
  const stop = async (): Promise<void> => {
    await browser.close();
    await fresh.stop();
  };
  try {
    const consoleUrl = fresh.cloud.consoleUrl;
    if (!consoleUrl) throw new Error('the local cloud serves no console');
    const shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 30_000, diagnostics: (id) => collected.describe(id) });
    const admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
    const alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
    const openPage = async (): Promise<Page> => {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(consoleUrl);
      return page;
    };
    return await arrange({ fresh, browser, shop, admin, alice, collected, consoleUrl, openPage, stop });
  } catch (error) {
    await stop();
    throw error;
  }
};

/** Starts the local cloud and the browser, places the three orders, and opens the console. */
export const startConsoleScenario = async (): Promise<ConsoleScenario> =>
  startConsoleCloud({}, async ({ fresh, browser, shop, admin, alice, collected, consoleUrl, openPage, stop }) => {
    const statusDeadLetters = (): number => {
      const queue = fresh.cloud.queueLogicalIds().find((id) => id.includes('OrderStatusConsumerDeadLetters'));
      if (!queue) throw new Error('no OrderStatusConsumerDeadLetters queue in the template');
      return fresh.cloud.queueMessages(queue).length;
    };
    await shop.stockProduct(admin, { id: 'console-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 50);

    const happy = await shop.placeAcceptedOrder(alice, order('tok_visa'));
    const declined = await shop.placeAcceptedOrder(alice, order('tok_decline'));
    for (const [placed, status] of [[happy, 'CONFIRMED'], [declined, 'CANCELLED']] as const) {
      const outcome = await shop.outcomeOf(alice, placed);
      if (outcome.status !== status) throw new Error(`order ${placed.orderId} ended ${outcome.status}, not ${status}:\n${collected.describe(placed.correlationId)}`);
    }
    const poisoned = await fresh.cloud.withFaults({ functions: { 'OrdersStatusConsumer*': { errorRate: 1 } } }, async () => {
      const placed = await shop.placeAcceptedOrder(alice, order('tok_visa'));
      await eventually('the OrderConfirmed event in the dead-letter queue', async () => statusDeadLetters(), (count) => count === 1, { timeoutMs: 60_000, diagnostics: () => collected.describe() });
      return placed;
    });
    const page = await openPage();
    const correlationOf = (placed: { readonly orderId: string; readonly correlationId?: string }): string => {
      if (!placed.correlationId) throw new Error(`order ${placed.orderId} was placed without an x-correlation-id in the answer`);
      return placed.correlationId;
    };
    return {
      fresh,
      browser,
      page,
      openPage,
      shop,
      alice,
      collected,
      consoleUrl,
      placed: { happy: happy.orderId, declined: declined.orderId, poisoned: poisoned.orderId },
      correlationIds: { happy: correlationOf(happy), declined: correlationOf(declined), poisoned: correlationOf(poisoned) },
      statusDeadLetters,
      stop,
    };
  });

/** The fills console.css gives the drawn graph's states: on the path taken, a compensation, failed there. */
export const STATE_FILLS = { happy: 'rgb(218, 251, 225)', compensation: 'rgb(255, 241, 214)', failed: 'rgb(255, 235, 233)' } as const;

/** The fill a person sees on a state of the drawn graph. */
export const fillOf = (page: Page, state: string): Promise<string> =>
  page.locator(`g.state[data-state="${state}"] rect`).evaluate((rect) => (globalThis as unknown as { getComputedStyle(element: unknown): { fill: string } }).getComputedStyle(rect).fill);

/** Opens an execution of the list (by its name) and waits for its graph. */
export const openExecution = async (page: Page, name: string): Promise<void> => {
  await page.locator(`#executions tr[data-name="${name}"]`).click();
  await page.locator('#execution-header', { hasText: name }).waitFor();
  await page.locator('g.state.visited').first().waitFor();
};
