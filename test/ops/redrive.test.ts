import { EventBridgeClient, ListEventBusesCommand, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { LOCAL_REGION } from '../../local/resources';
import { QueueChoiceError, redrive, resolveQueue, type RedriveClients, type RedriveOptions } from '../../lib/ops/redrive';
import { eventually } from '../e2e/support/eventually';
import { ShopClient, type OrderRequest } from '../e2e/support/shop-client';
import { CollectedLog, type Caller } from '../e2e/support/target';

/*
 * `npm run redrive` against the local cloud, through the same SDK calls it
 * makes on AWS: orders left behind by dead-lettered hops are recovered by
 * sending each message back to its function, and what cannot be sent back
 * stays in its queue with the reason.
 */

jest.setTimeout(240_000);

let fresh: FreshLocalCloud;
let shop: ShopClient;
let clients: RedriveClients;
let alice: Caller;
const collected = new CollectedLog();
const lines: string[] = [];

const request = (): OrderRequest => ({
  items: [{ productId: 'redrive-mug', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

/** The logical id of the one queue whose id starts with `prefix`. */
const queueId = (prefix: string): string => {
  const matches = fresh.cloud.queueLogicalIds().filter((id) => id.startsWith(prefix) && /^[A-Za-z]+[0-9A-F]{8}$/.test(id));
  if (matches.length !== 1) throw new Error(`expected one queue ${prefix}…, found ${matches.join(', ') || 'none'}`);
  return matches[0];
};

const depth = (prefix: string): number => fresh.cloud.queueMessages(queueId(prefix)).length;

const waitForDeadLetter = (prefix: string) =>
  // A queued consumer's event moves to its dead-letter queue at the 31st receive, 30 × 0.3 s (its visibility timeout, scaled) after it failed first.
  eventually(`a message in ${prefix}`, async () => depth(prefix), (count) => count > 0, { timeoutMs: 90_000, diagnostics: () => collected.describe() });

const run = (queue: string, options: Partial<RedriveOptions> = {}) => redrive(clients, { queue, log: (line) => lines.push(line), ...options });

let stuckBeforeSaga: string;
let stuckAfterSaga: string;
let stuckInOutbox: string;

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.001, scheduleScale: 0, iam: 'strict' });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 20_000, diagnostics: (id) => collected.describe(id) });
  const admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
  await shop.stockProduct(admin, { id: 'redrive-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 20);
  // Any signature will do locally; these keys stand for an operator (an administrator there), as the CLI's do.
  const config = { endpoint: fresh.cloud.awsEndpointUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'operator', secretAccessKey: 'operator' } };
  clients = { sqs: new SQSClient(config), lambda: new LambdaClient(config), events: new EventBridgeClient(config), stepFunctions: new SFNClient(config) };

  // Three orders left behind, one per kind of dead letter.
  await fresh.cloud.withFaults({ functions: { 'OrderSagaStarter*': { errorRate: 1 } } }, async () => {
    stuckBeforeSaga = (await shop.placeAcceptedOrder(alice, request())).orderId;
    await waitForDeadLetter('EventsStartOrderSagaStarterDeadLetters');
  });
  await fresh.cloud.withFaults({ functions: { 'OrdersStatusConsumer*': { errorRate: 1 } } }, async () => {
    stuckAfterSaga = (await shop.placeAcceptedOrder(alice, request())).orderId;
    await waitForDeadLetter('EventsOrderStatusConsumerDeadLetters');
  });
  await fresh.cloud.withFaults({ functions: { 'OrdersPublishOrderPlaced*': { errorRate: 1 } } }, async () => {
    stuckInOutbox = (await shop.placeAcceptedOrder(alice, request())).orderId;
    await waitForDeadLetter('EventsOrdersOutboxDeadLetters');
  });
}, 240_000);

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await fresh?.stop();
});

beforeEach(() => {
  lines.length = 0;
});

describe('npm run redrive', () => {
  it('left the three orders PENDING to begin with', async () => {
    for (const orderId of [stuckBeforeSaga, stuckAfterSaga, stuckInOutbox]) expect((await shop.order(alice, orderId)).status).toBe('PENDING');
  });

  it('refuses a queue it cannot single out, naming the candidates', async () => {
    await expect(run('DeadLetters')).rejects.toThrow(QueueChoiceError);
    await expect(run('DeadLetters')).rejects.toThrow(/fits \d+ queues; say which:[\s\S]*StartOrderSagaStarterDeadLetters/);
    await expect(run('NoSuchQueue')).rejects.toThrow(/No queue is named like 'NoSuchQueue'\. Dead-letter queues here:/);
  });

  it('changes nothing on a dry run, and leaves the message visible for the real one', async () => {
    const report = await run('StartOrderSagaStarterDeadLetters', { dryRun: true });

    expect(report).toMatchObject({ redriven: 0, deleted: 0 });
    expect(report.kept).toEqual([expect.objectContaining({ reason: expect.stringMatching(/^dry run: would send OrderPlaced .*\(order .*\).*dead-lettered by queue EventsStartOrderSagaQueue\w* to EventsStartOrderSagaQueue/) })]);
    expect(depth('EventsStartOrderSagaStarterDeadLetters')).toBe(1);
    expect((await shop.order(alice, stuckBeforeSaga)).status).toBe('PENDING');
  });

  it('sends a queue\'s dead letter back to its queue: the starter gets it again, the saga starts and the order confirms', async () => {
    const event = fresh.cloud.queueMessages(queueId('EventsStartOrderSagaStarterDeadLetters'))[0]?.body;

    const report = await run('StartOrderSagaStarterDeadLetters');

    expect(report).toMatchObject({ redriven: 1, redrivenNotDeleted: 0, kept: [] });
    expect(depth('EventsStartOrderSagaStarterDeadLetters')).toBe(0);
    expect(lines.join('\n')).toMatch(/redriven .*: OrderPlaced .*dead-lettered by queue EventsStartOrderSagaQueue\w* → EventsStartOrderSagaQueue/);
    expect((await shop.outcomeOf(alice, { orderId: stuckBeforeSaga })).status).toBe('CONFIRMED');

    // The same event redriven again, this time as the rule's dead letter (EventBridge could not deliver it to the queue):
    // the starter runs, finds the saga's name taken, and nothing starts twice.
    const startersBefore = collected.count(/OrderSagaStarter/);
    const sagasBefore = collected.count(/^\S+ SAGA .* started/);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrlOf('EventsStartOrderSagaDeadLetters'),
        MessageBody: event ?? '',
        MessageAttributes: {
          RULE_ARN: { DataType: 'String', StringValue: await ruleArnOf('EventsStartOrderSaga') },
          TARGET_ARN: { DataType: 'String', StringValue: (await resolveQueue(clients.sqs, 'EventsStartOrderSagaQueue')).arn },
          ERROR_CODE: { DataType: 'String', StringValue: 'NO_PERMISSIONS' },
        },
      }),
    );
    const again = await run('EventsStartOrderSagaDeadLetters');

    expect(again).toMatchObject({ redriven: 1, kept: [] });
    expect(lines.join('\n')).toMatch(/dead-lettered by rule EventsStartOrderSaga\w* \(NO_PERMISSIONS\) → EventsStartOrderSagaQueue/);
    await eventually('the starter runs again', async () => collected.count(/OrderSagaStarter/), (count) => count > startersBefore, { timeoutMs: 10_000, diagnostics: () => collected.describe() });
    expect(collected.count(/^\S+ SAGA .* started/)).toBe(sagasBefore);
    expect((await shop.order(alice, stuckBeforeSaga)).status).toBe('CONFIRMED');
  });

  it('sends the status consumer\'s dead letter back: the order hears the outcome it missed', async () => {
    const report = await run('OrderStatusConsumerDeadLetters');

    // Its OrderConfirmed, and any other status event of the order that failed 30 times while the consumer was down.
    expect(report).toMatchObject({ redrivenNotDeleted: 0, kept: [] });
    expect(report.redriven).toBeGreaterThanOrEqual(1);
    expect((await shop.outcomeOf(alice, { orderId: stuckAfterSaga })).status).toBe('CONFIRMED');
  });

  it('sends a rule\'s dead letter back to its function target, with the constant input the target has', async () => {
    const runsBefore = collected.count(/FN +OrdersReconciler\w* \d+ ms/);
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: await queueUrlOf('ReconcilerScheduleDeadLetters'),
        MessageBody: JSON.stringify({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} }),
        MessageAttributes: {
          RULE_ARN: { DataType: 'String', StringValue: await ruleArnOf('OrdersReconcilerSchedule') },
          TARGET_ARN: { DataType: 'String', StringValue: functionArnOf('OrdersReconciler') },
          ERROR_CODE: { DataType: 'String', StringValue: 'Lambda.TooManyRequestsException' },
        },
      }),
    );

    const report = await run('ReconcilerScheduleDeadLetters');

    expect(report).toMatchObject({ redriven: 1, kept: [] });
    expect(lines.join('\n')).toMatch(/redriven .*: Scheduled Event, dead-lettered by rule OrdersReconcilerSchedule\w* \(Lambda.TooManyRequestsException\) → OrdersReconciler/);
    await eventually('the reconciler runs', async () => collected.count(/FN +OrdersReconciler\w* \d+ ms/), (count) => count > runsBefore, { timeoutMs: 10_000, diagnostics: () => collected.describe() });
  });

  it('finds nothing left on a second run', async () => {
    const report = await run('OrderStatusConsumerDeadLetters');

    expect(report).toMatchObject({ redriven: 0, kept: [] });
  });

  it('keeps a message for a target the rule no longer has, saying why', async () => {
    await clients.sqs.send(new SendMessageCommand({
      QueueUrl: await queueUrlOf('EventsStartOrderSagaDeadLetters'),
      MessageBody: '{"detail-type":"OrderPlaced"}',
      MessageAttributes: {
        RULE_ARN: { DataType: 'String', StringValue: await ruleArnOf('EventsStartOrderSaga') },
        TARGET_ARN: { DataType: 'String', StringValue: functionArnOf('OrdersStatusConsumer') },
      },
    }));

    const report = await run('EventsStartOrderSagaDeadLetters');

    expect(report.redriven).toBe(0);
    expect(report.kept).toEqual([expect.objectContaining({ reason: expect.stringMatching(/no longer targets OrdersStatusConsumer/) })]);
    // Kept messages are visible again at once, for the next person.
    expect((await run('EventsStartOrderSagaDeadLetters')).kept).toHaveLength(1);
  });

  it('explains an outbox batch instead of sending it anywhere, and deletes it only when asked', async () => {
    const kept = await run('OrdersOutboxDeadLetters');

    expect(kept.redriven).toBe(0);
    expect(kept.kept).toEqual([expect.objectContaining({ reason: expect.stringMatching(/stream record\(s\) .*could not publish.*the order reconciler starts their sagas/) })]);
    expect(depth('EventsOrdersOutboxDeadLetters')).toBe(1);

    const deleted = await run('OrdersOutboxDeadLetters', { deletePipeBatches: true });

    expect(deleted).toMatchObject({ deleted: 1, kept: [] });
    expect(depth('EventsOrdersOutboxDeadLetters')).toBe(0);
    expect((await shop.order(alice, stuckInOutbox)).status).toBe('PENDING');
  });

  it('asked IAM for every call it made, as the operator', () => {
    expect(fresh.cloud.iam.authorizer.denials).toEqual([]);
  });
});

async function queueUrlOf(name: string): Promise<string> {
  return (await resolveQueue(clients.sqs, name)).url;
}

async function ruleArnOf(prefix: string): Promise<string> {
  const buses = await clients.events.send(new ListEventBusesCommand({}));
  const arns: string[] = [];
  for (const bus of buses.EventBuses ?? []) {
    const rules = await clients.events.send(new ListRulesCommand({ EventBusName: bus.Name }));
    for (const rule of rules.Rules ?? []) if (rule.Name?.startsWith(prefix) && rule.Arn) arns.push(rule.Arn);
  }
  if (arns.length !== 1) throw new Error(`expected one rule ${prefix}…, found ${arns.join(', ') || 'none'}`);
  return arns[0];
}

function functionArnOf(prefix: string): string {
  const fn = fresh.cloud.runtime.functions().find((candidate) => candidate.name.startsWith(prefix));
  if (!fn) throw new Error(`no function ${prefix}…`);
  return fn.arn;
}
