import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Page } from 'playwright-core';
import { resolveQueue } from '../../lib/ops/redrive';
import { LOCAL_REGION } from '../../local/resources';
import { eventually } from '../e2e/support/eventually';
import { CONSOLE_FAULTS_FILE, startOpsScenario, type OpsScenario } from './support/ops-scenario';
import { fillOf as stateFill, STATE_FILLS } from './support/scenario';

/*
 * The console's Tables, Faults-and-cost and Express views and its redrive of
 * a rule target's dead letter, in a real headless Chromium, on one local
 * cloud synthesized with the Express saga and started with a faults file:
 * three orders placed through the API (confirmed, declined, out of stock),
 * thirty extra rows in the products table, and the confirmed order's
 * OrderPlaced waiting in the saga rule's dead-letter queue.
 */

jest.setTimeout(120_000);

const { happy: HAPPY, failed: FAILED } = STATE_FILLS;

let scenario: OpsScenario;
let page: Page;

const tab = (view: string) => page.locator(`.tab[data-view="${view}"]`).click();
const tableRow = (prefix: string) => page.locator(`#tables-list tr.table-row[data-table^="${prefix}"]`);
const fillOf = (state: string): Promise<string> => stateFill(page, state);
/** The list's rows of an order's Express executions, newest first (their names are Step Functions' own). */
const runsOf = (orderId: string) => page.locator(`#executions tr[data-order="${orderId}"]`);
/** Opens an order's newest execution and waits for its graph. */
const openNewest = async (orderId: string): Promise<void> => {
  await runsOf(orderId).first().click();
  await page.locator('#execution-header', { hasText: orderId }).waitFor();
  await page.locator('g.state.visited').first().waitFor();
};
const api = async (route: string): Promise<{ status: number; body: { error?: unknown } }> => {
  const response = await fetch(`${scenario.consoleUrl}${route}`);
  return { status: response.status, body: (await response.json()) as { error?: unknown } };
};

beforeAll(async () => {
  scenario = await startOpsScenario();
  page = scenario.page;
}, 240_000);

afterAll(async () => {
  await scenario?.stop();
});

describe('the Tables view, in a browser', () => {
  it("lists the template's tables with their keys and indexes, and shows the placed order's item as JSON with its address redacted", async () => {
    // Prepare
    await tab('tables');
    await tableRow('OrdersTable').waitFor();

    // Act
    await tableRow('OrdersTable').click();
    const item = page.locator('#items .item', { hasText: `ORDER#${scenario.placed.happy}` });
    await item.waitFor();

    // Assess
    const indexes = await page.locator('#tables-list tr.index-row[data-table^="OrdersTable"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-index')));
    expect(indexes.sort()).toEqual(['byUser', 'pendingByAge']);
    await expect(tableRow('OrdersTable').locator('td').nth(2).textContent()).resolves.toBe('pk');
    const json = (await item.locator('pre.item-json').textContent()) ?? '';
    expect(JSON.parse(json)).toMatchObject({ pk: `ORDER#${scenario.placed.happy}`, status: 'CONFIRMED', shippingAddress: '«redacted»' });
    expect(json).not.toContain('1 Main St');
  });

  it('pages through a table 25 items at a time, and back to the first page', async () => {
    // Prepare
    await tableRow('CatalogProductsTable').click();
    await page.locator('#items-header', { hasText: 'CatalogProductsTable · Scan · page 1' }).waitFor();
    const total = Number(await tableRow('CatalogProductsTable').locator('td.count').textContent());
    const firstKeys = await page.locator('#items .item').evaluateAll((items) => items.map((item) => item.getAttribute('data-key')));

    // Act
    await page.locator('#next-page').click();
    await page.locator('#items-header', { hasText: 'page 2' }).waitFor();
    const secondKeys = await page.locator('#items .item').evaluateAll((items) => items.map((item) => item.getAttribute('data-key')));
    const secondHeader = await page.locator('#items-header').textContent();
    await page.locator('#first-page').click();
    await page.locator('#items-header', { hasText: 'page 1' }).waitFor();

    // Assess
    expect(total).toBeGreaterThan(25);
    expect(firstKeys).toHaveLength(25);
    expect(secondKeys).toHaveLength(total - 25);
    expect(secondKeys.filter((key) => firstKeys.includes(key))).toEqual([]);
    expect(secondHeader).toContain(`page 2: items 26–${total} (last page)`);
    await expect(page.locator('#items-header').textContent()).resolves.toContain('page 1: items 1–25');
    await expect(page.locator('#next-page').isDisabled()).resolves.toBe(false);
  });

  it('looks up one partition key with a Query', async () => {
    // Prepare
    await tableRow('OrdersTable').click();
    await page.locator('#items-header', { hasText: 'OrdersTable · Scan' }).waitFor();

    // Act
    await page.locator('#key-value').fill(`ORDER#${scenario.placed.declined}`);
    await page.locator('#key-query').click();
    await page.locator('#items-header', { hasText: `Query pk = ORDER#${scenario.placed.declined}` }).waitFor();

    // Assess
    const keys = await page.locator('#items .item').evaluateAll((items) => items.map((item) => item.getAttribute('data-key')));
    expect(keys).toEqual([`pk = ORDER#${scenario.placed.declined}`]);
  });
});

describe('the Faults and cost view, in a browser', () => {
  it('shows the faults the local cloud was started with: the file, the seed, each pattern with its functions and rates', async () => {
    // Act
    await tab('faults-cost');
    const row = page.locator('#function-faults tr[data-pattern="CatalogAvailability*"]');
    await row.waitFor();

    // Assess
    await expect(page.locator('#faults-summary').textContent()).resolves.toBe(`From ${CONSOLE_FAULTS_FILE}, seed 42 (repeat the draws with --fault-seed 42).`);
    const cells = await row.locator('td').allTextContents();
    expect(cells[1]).toMatch(/^CatalogAvailabilityConsumer/);
    expect(cells.slice(2)).toEqual(['—', '50 % (+20 ms)', '—', '—', '—']);
    await expect(page.locator('#other-faults li').allTextContents()).resolves.toEqual(['DynamoDB: index reads 200 ms behind at 20 %']);
  });

  it('shows what the run has cost per million orders, and follows a new order live', async () => {
    // Prepare
    const summary = page.locator('#cost-summary');
    await summary.locator('text=/per million orders/').waitFor();
    const before = Number(/(\d+) orders? so far/.exec((await summary.textContent()) ?? '')?.[1]);

    // Act
    await scenario.shop.placeAcceptedOrder(scenario.alice, { items: [{ productId: 'ops-mug', quantity: 1 }], paymentToken: 'tok_visa', shippingAddress: { name: 'A', line1: '2 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } });
    await page.locator('#cost-summary', { hasText: `${before + 1} orders so far` }).waitFor();

    // Assess
    expect(before).toBeGreaterThanOrEqual(3);
    const total = (await page.locator('#cost-lines tfoot td.money').first().textContent()) ?? '';
    expect(Number(total.replace('$', ''))).toBeGreaterThan(0);
    await expect(page.locator('#cost-lines tr[data-component="Step Functions"] td').nth(3).textContent()).resolves.toMatch(/Express executions/);
  });
});

describe('Express executions, in a browser', () => {
  it('lists them with status and reason, and says AWS keeps none', async () => {
    // Act
    await tab('sagas');
    await runsOf(scenario.placed.outOfStock).waitFor();

    // Assess
    const row = (orderId: string) => runsOf(orderId).first();
    await expect(row(scenario.placed.happy).locator('.status').textContent()).resolves.toBe('SUCCEEDED');
    await expect(row(scenario.placed.declined).locator('.status').textContent()).resolves.toBe('COMPENSATED');
    await expect(row(scenario.placed.declined).locator('.reason').textContent()).resolves.toBe('PaymentDeclinedError at ChargePayment');
    await expect(row(scenario.placed.outOfStock).locator('.reason').textContent()).resolves.toBe('OutOfStockError at ReserveInventory');
    await expect(row(scenario.placed.happy).locator('td').nth(2).textContent()).resolves.toMatch(/^OrderSaga.* \(Express\)$/);
    await expect(page.locator('#executions-caption').textContent()).resolves.toContain('AWS keeps none of their executions');
  });

  it('draws the path an Express execution took, and says what its execution logs hold of it', async () => {
    // Act
    await openNewest(scenario.placed.declined);

    // Assess
    await expect(fillOf('ClaimOrder')).resolves.toBe(HAPPY);
    await expect(fillOf('ChargePayment')).resolves.toBe(FAILED);
    const note = (await page.locator('#execution-note').textContent()) ?? '';
    expect(note).toMatch(/^Express: AWS keeps no history of this execution, so on AWS its execution logs \(level ERROR, without execution data\) hold [1-9]\d* records? of this execution\./);
    await openNewest(scenario.placed.happy);
    await expect(page.locator('#execution-note').textContent()).resolves.toContain('hold 0 records of this execution');
  });
});

describe('redrive of every dead letter, in a browser', () => {
  it("sends a rule target's dead letter back to its state machine: a second execution of the order stops at AlreadyHandled", async () => {
    // Prepare
    await tab('dead-letters');
    const message = page.locator('section.dlq[data-queue*="StartOrderSagaDeadLetters"] .message');
    await message.first().waitFor();
    const button = message.locator('button.redrive');
    await expect(button.textContent()).resolves.toMatch(/^Redrive to OrderSaga/);

    // Act
    await button.click();

    // Assess
    await page.locator('#dead-letter-notice', { hasText: 'sent back' }).waitFor();
    await expect(page.locator('#dead-letter-notice').textContent()).resolves.toMatch(/^Message .* \(OrderPlaced .*dead-lettered by rule .*StartOrderSaga\w* \(ThrottlingException\)\) sent back to OrderSaga/);
    await message.waitFor({ state: 'detached' });
    expect(scenario.fresh.cloud.queueMessages(scenario.sagaDeadLetters)).toHaveLength(0);
    await tab('sagas');
    const runs = runsOf(scenario.placed.happy);
    await eventually('the second execution of the order', () => runs.count(), (count) => count === 2, { timeoutMs: 10_000 });
    await openNewest(scenario.placed.happy);
    await page.locator('g.state.visited[data-state="AlreadyHandled"]').waitFor();
    // The claim is taken: the Catch of ClaimOrder ends the execution at AlreadyHandled, which succeeds.
    // The graph shows the state once it is entered; the list and header say SUCCEEDED at their next poll.
    await eventually('the second execution to succeed', () => runs.first().getAttribute('data-status'), (status) => status !== 'RUNNING', { timeoutMs: 10_000 });
    await expect(runs.first().getAttribute('data-status')).resolves.toBe('SUCCEEDED');
    await expect(runs.first().locator('.reason').textContent()).resolves.toMatch(/ at ClaimOrder$/);
    const header = await eventually('the header to leave RUNNING', () => page.locator('#execution-header').textContent(), (text) => !(text ?? '').includes('· RUNNING'), { timeoutMs: 10_000 });
    expect(header).toMatch(new RegExp(`^${scenario.placed.happy} \\(execution [0-9a-f-]{36}\\) · SUCCEEDED`));
  });

  it('lists a message no service dead-lettered with why it cannot go back, and refuses its redrive with a 409, keeping it', async () => {
    // Prepare
    const sqs = new SQSClient({ endpoint: scenario.fresh.cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'tester', secretAccessKey: 'tester' } });
    const { url, arn } = await resolveQueue(sqs, 'StartOrderSagaDeadLetters');
    const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"hello":"world"}' }));
    sqs.destroy();
    await tab('dead-letters');
    const message = page.locator(`.message[data-message-id="${MessageId ?? ''}"]`);
    await message.waitFor();

    // Act
    const response = await fetch(`${scenario.consoleUrl}/api/dead-letters/redrive`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ queue: arn, messageId: MessageId }) });

    // Assess
    expect(response.status).toBe(409);
    expect(((await response.json()) as { error: string }).error).toMatch(/neither SQS, EventBridge nor a pipe dead-lettered it/);
    await expect(message.locator('button.redrive').isDisabled()).resolves.toBe(true);
    await expect(message.locator('.not-redrivable').textContent()).resolves.toMatch(/^Not redrivable: neither SQS, EventBridge nor a pipe/);
    expect(scenario.fresh.cloud.queueMessages(scenario.sagaDeadLetters).map((waiting) => waiting.messageId)).toEqual([MessageId]);
  });
});

describe('the console API of these views', () => {
  it('answers 400 or 404, never a 5xx, for a missing or unknown table or index and a cursor it did not hand out', async () => {
    // Prepare
    const products = (await api(`/api/table-items?table=${scenario.productsTable}`)).body as { next?: string };
    const orders = encodeURIComponent(scenario.fresh.cloud.tables.get([...scenario.fresh.cloud.tables.keys()].find((id) => id.startsWith('OrdersTable')) ?? '') ?? '');

    // Act
    const answers = await Promise.all(
      ['/api/table-items', '/api/table-items?table=NoSuchTable', `/api/table-items?table=${orders}&index=noSuchIndex`, `/api/table-items?table=${orders}&cursor=not-a-cursor`, `/api/table-items?table=${orders}&cursor=${products.next ?? ''}`].map(api),
    );

    // Assess
    expect(typeof products.next).toBe('string');
    expect(answers.map((answer) => answer.status)).toEqual([400, 404, 404, 400, 400]);
    expect(answers.map((answer) => answer.body.error)).toEqual([
      expect.stringMatching(/^table is required/),
      expect.stringMatching(/^No table NoSuchTable in the template; its tables: .*OrdersTable/),
      expect.stringMatching(/has no index noSuchIndex; its indexes: byUser, pendingByAge$/),
      expect.stringMatching(/^cursor is not one this console handed out/),
      expect.stringMatching(/^cursor belongs to another table/),
    ]);
  });
});
