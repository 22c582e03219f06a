import type { Page } from 'playwright-core';
import { fillOf as stateFill, openExecution, startConsoleScenario, STATE_FILLS, type ConsoleScenario } from './support/scenario';
import { eventsViewSuite } from './views/events-view';
import { functionsViewSuite } from './views/functions-view';

/*
 * The console in a real headless Chromium, on one local cloud: three orders
 * placed through the API (one confirmed, one whose payment is declined, one
 * whose OrderConfirmed the status consumer cannot take, so that it ends in a
 * dead-letter queue), and what a person sees of them: the happy path
 * highlighted, the compensations in their colour, the dead letter listed,
 * and its redrive, after which the order confirms. The Functions and Events
 * views' suites (./views) run first, on the same local cloud and orders, each
 * on a page of its own: one start-up of the whole shop serves them all.
 */

jest.setTimeout(120_000);

const { happy: HAPPY, compensation: COMPENSATION, failed: FAILED } = STATE_FILLS;

let scenario: ConsoleScenario;
let page: Page;

const fillOf = (state: string): Promise<string> => stateFill(page, state);

beforeAll(async () => {
  scenario = await startConsoleScenario();
  page = scenario.page;
}, 180_000);

afterAll(async () => {
  await scenario?.stop();
});

describe('the Functions view', () => functionsViewSuite(() => scenario));

describe('the Events view', () => eventsViewSuite(() => scenario));

describe('the console, in a browser', () => {
  it('lists the executions newest first, with status and reason', async () => {
    // Prepare
    const rows = page.locator('#executions tbody tr');
    await page.locator(`#executions tr[data-name="${scenario.placed.poisoned}"]`).waitFor();

    // Act
    const names = await rows.evaluateAll((all) => all.map((row) => row.getAttribute('data-name')));
    const started = await rows.evaluateAll((all) => all.map((row) => Number(row.getAttribute('data-started'))));
    const declined = page.locator(`#executions tr[data-name="${scenario.placed.declined}"]`);

    // Assess
    // The first two orders were placed together: either saga may have started first.
    expect(names).toHaveLength(3);
    expect(names[0]).toBe(scenario.placed.poisoned);
    expect(new Set(names.slice(1))).toEqual(new Set([scenario.placed.declined, scenario.placed.happy]));
    expect(started).toEqual([...started].sort((a, b) => b - a));
    await expect(declined.locator('.status').textContent()).resolves.toBe('COMPENSATED');
    await expect(declined.locator('.reason').textContent()).resolves.toBe('PaymentDeclinedError at ChargePayment');
    await expect(page.locator(`#executions tr[data-name="${scenario.placed.happy}"] .reason`).textContent()).resolves.toBe('');
  });

  it('draws a confirmed order with its happy path highlighted and no compensation taken', async () => {
    // Act
    await openExecution(page, scenario.placed.happy);

    // Assess
    for (const state of ['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']) await expect(fillOf(state)).resolves.toBe(HAPPY);
    await expect(page.locator('g.state.visited.compensation').count()).resolves.toBe(0);
    await expect(page.locator('path.edge.taken').count()).resolves.toBe(3);
    await expect(fillOf('ReleaseInventory')).resolves.toBe('rgb(255, 255, 255)');
  });

  it('draws a declined payment with the failed state marked and its compensations in their own colour', async () => {
    // Act
    await openExecution(page, scenario.placed.declined);

    // Assess
    await expect(fillOf('ReserveInventory')).resolves.toBe(HAPPY);
    await expect(fillOf('ChargePayment')).resolves.toBe(FAILED);
    await expect(page.locator('g.state[data-state="ChargePayment"] text').textContent()).resolves.toContain('✗');
    for (const state of ['PaymentDeclined', 'ReleaseInventory', 'PublishOrderCancelled']) await expect(fillOf(state)).resolves.toBe(COMPENSATION);
    await expect(fillOf('CreateShipment')).resolves.toBe('rgb(255, 255, 255)');
  });

  it("shows a state's input and error on click, with the payment token and address redacted", async () => {
    // Act
    await page.locator('g.state[data-state="ChargePayment"]').click();
    const panel = page.locator('#state-detail');

    // Assess
    await expect(panel.locator('.outcome').textContent()).resolves.toContain('error PaymentDeclinedError');
    const input = (await panel.locator('pre.input').textContent()) ?? '';
    expect(input).toContain('«redacted»');
    expect(input).toContain(scenario.placed.declined);
    expect(input).not.toContain('tok_decline');
    expect(input).not.toContain('1 Main St');
  });

  it('lists the dead letter and sends it back to its queue, after which the order confirms', async () => {
    // Prepare
    await page.locator('.tab[data-view="dead-letters"]').click();
    const queue = page.locator('section.dlq[data-queue*="OrderStatusConsumerDeadLetters"]');
    const message = queue.locator('.message');
    await message.first().waitFor();
    await expect(message.count()).resolves.toBe(1);
    await expect(message.locator('pre.body').textContent()).resolves.toContain(scenario.placed.poisoned);
    await expect(page.locator('#dead-letter-count').textContent()).resolves.toBe('1');

    // Act
    await message.locator('button.redrive').click();

    // Assess
    await page.locator('#dead-letter-notice', { hasText: 'sent back' }).waitFor();
    await expect(page.locator('#dead-letter-notice').textContent()).resolves.toMatch(/sent back to .*OrderStatus/);
    await message.waitFor({ state: 'detached' });
    expect(scenario.statusDeadLetters()).toBe(0);
    expect((await scenario.shop.reachedStatus(scenario.alice, { orderId: scenario.placed.poisoned }, 'CONFIRMED')).status).toBe('CONFIRMED');
  });
});

describe('the console API', () => {
  const post = async (body: string, contentType = 'application/json'): Promise<{ status: number; error: unknown }> => {
    const response = await fetch(`${scenario.consoleUrl}/api/dead-letters/redrive`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: response.status, error: ((await response.json()) as { error?: unknown }).error };
  };

  it('refuses a redrive of anything but a message waiting in a dead-letter queue, never with a 5xx', async () => {
    // Prepare
    const dlq = scenario.fresh.cloud.queueLogicalIds().find((id) => id.includes('OrderStatusConsumerDeadLetters')) ?? '';
    const workQueue = scenario.fresh.cloud.queueLogicalIds().find((id) => id.includes('OrderStatusQueue')) ?? '';
    const dlqName = ((await (await fetch(`${scenario.consoleUrl}/api/dead-letters`)).json()) as Array<{ logicalId: string; name: string }>).find((queue) => queue.logicalId === dlq)?.name ?? '';

    // Act
    const answers = [
      await post('not json'),
      await post('[1]'),
      await post(JSON.stringify({ queue: 1, messageId: 'x' })),
      await post(JSON.stringify({ queue: 'NoSuchQueue', messageId: 'x' })),
      await post(JSON.stringify({ queue: workQueue, messageId: 'x' })),
      await post(JSON.stringify({ queue: dlqName, messageId: 'no-such-message' })),
      await post('{}', 'text/plain'),
    ];

    // Assess
    expect(dlqName).not.toBe('');
    expect(workQueue).not.toBe('');
    expect(answers.map((answer) => answer.status)).toEqual([400, 400, 400, 404, 404, 404, 415]);
    for (const answer of answers) expect(typeof answer.error).toBe('string');
  });

  it('answers 404 for what it does not serve, and 400 for a bad list limit', async () => {
    // Act
    const statuses = await Promise.all(['/api/nothing', '/api/execution?arn=arn:aws:states:us-east-1:000000000000:execution:Nope:nope', '/api/executions?limit=0', '/api/execution'].map(async (route) => (await fetch(`${scenario.consoleUrl}${route}`)).status));

    // Assess
    expect(statuses).toEqual([404, 404, 400, 400]);
  });
});
