import { DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { LOCAL_REGION } from '../../local/resources';
import { eventually } from './support/eventually';
import { ShopClient, type OrderRequest } from './support/shop-client';
import { CollectedLog, sagaContext, sagaTypeUnderTest, type Caller } from './support/target';

/*
 * The order reconciler as AWS runs it: its EventBridge schedule fires, the
 * rule invokes it with the template's input (orders PENDING for over 10
 * minutes, 100 a run), and it drives the orders the dead-letter queues left
 * behind to the outcome already decided. The orders are made to look an hour
 * old by moving their key in the pending index back in time, the one thing
 * the test does that the shop does not; everything else is the real path,
 * with IAM strict. The saga that never started is made by failing what starts
 * it: the Standard saga's starter function, or, for the Express saga (which
 * its rule starts itself), the outbox's enrichment, so that OrderPlaced never
 * reaches the bus.
 */

jest.setTimeout(240_000);

let fresh: FreshLocalCloud;
let shop: ShopClient;
let alice: Caller;
let dynamo: DynamoDBClient;
const collected = new CollectedLog();

const request = (): OrderRequest => ({
  items: [{ productId: 'reconcile-mug', quantity: 1 }],
  paymentToken: 'tok_visa',
  shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
});

const deadLetters = (prefix: string): number => {
  const queue = fresh.cloud.queueLogicalIds().find((id) => id.startsWith(prefix) && /^[A-Za-z]+[0-9A-F]{8}$/.test(id));
  if (!queue) throw new Error(`no queue ${prefix}…`);
  return fresh.cloud.queueMessages(queue).length;
};

const waitForDeadLetter = (prefix: string) =>
  eventually(`a message in ${prefix}`, async () => deadLetters(prefix), (count) => count > 0, { timeoutMs: 90_000, diagnostics: () => collected.describe() });

/** Moves the order's place in the pending index an hour back, as if it had been stuck that long. */
const ageByAnHour = async (orderId: string): Promise<void> => {
  const table = [...fresh.cloud.tables.entries()].find(([logicalId]) => logicalId.startsWith('OrdersTable'))?.[1];
  if (!table) throw new Error('no orders table');
  const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
  await dynamo.send(
    new UpdateItemCommand({
      TableName: table,
      Key: { pk: { S: `ORDER#${orderId}` } },
      UpdateExpression: 'SET gsi2sk = :aged',
      ConditionExpression: 'attribute_exists(gsi2sk)',
      ExpressionAttributeValues: { ':aged': { S: `${anHourAgo}#${orderId}` } },
    }),
  );
};

beforeAll(async () => {
  fresh = await startFreshLocalCloud({ log: collected.log, retryDelayScale: 0.001, scheduleScale: 0, iam: 'strict', ...sagaContext() });
  shop = new ShopClient({ apiUrl: fresh.cloud.apiUrl, waitMs: 20_000, diagnostics: (id) => collected.describe(id) });
  const admin = { name: 'admin', token: fresh.cloud.issuer.mint({ username: 'admin@example.com', groups: ['admin'] }).token };
  alice = { name: 'alice', token: fresh.cloud.issuer.mint({ username: 'alice@example.com' }).token };
  dynamo = new DynamoDBClient({ endpoint: fresh.cloud.dynamoDbEndpoint, region: LOCAL_REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await shop.stockProduct(admin, { id: 'reconcile-mug', name: 'Mug', price: { amount: 1200, currency: 'EUR' } }, 20);
}, 240_000);

afterAll(async () => {
  dynamo?.destroy();
  await fresh?.stop();
});

describe('the order reconciler, fired by its schedule', () => {
  it('starts the saga an order never got, applies the outcome an order never heard, and leaves a young order to its retries', async () => {
    let neverStarted = '';
    let neverHeard = '';
    let stuckRecently = '';
    const express = sagaTypeUnderTest() === 'express';
    const [starter, starterDeadLetters] = express ? ['OrdersPublishOrderPlaced*', 'EventsOrdersOutboxDeadLetters'] : ['OrderSagaStarter*', 'EventsStartOrderSagaStarterDeadLetters'];
    await fresh.cloud.withFaults({ functions: { [starter]: { errorRate: 1 } } }, async () => {
      // One at a time: the outbox may park both orders' records in one batch, or each in its own.
      for (const [i, stuck] of ['never started', 'stuck recently'].entries()) {
        const { orderId } = await shop.placeAcceptedOrder(alice, request());
        if (i === 0) neverStarted = orderId;
        else stuckRecently = orderId;
        await eventually(`the order ${stuck} in the dead-letter queue`, async () => deadLetters(starterDeadLetters), (count) => count === i + 1, {
          timeoutMs: 90_000,
          diagnostics: () => collected.describe(),
        });
      }
    });
    await fresh.cloud.withFaults({ functions: { 'OrdersStatusConsumer*': { errorRate: 1 } } }, async () => {
      neverHeard = (await shop.placeAcceptedOrder(alice, request())).orderId;
      await waitForDeadLetter('EventsOrderStatusConsumerDeadLetters');
    });
    for (const orderId of [neverStarted, neverHeard, stuckRecently]) expect((await shop.order(alice, orderId)).status).toBe('PENDING');
    await ageByAnHour(neverStarted);
    await ageByAnHour(neverHeard);

    const schedule = fresh.cloud.scheduledRuleLogicalIds().find((id) => id.startsWith('OrdersReconcilerSchedule'));
    if (!schedule) throw new Error('no reconciler schedule in the template');
    fresh.cloud.fireSchedule(schedule);

    expect((await shop.outcomeOf(alice, { orderId: neverStarted })).status).toBe('CONFIRMED');
    expect((await shop.outcomeOf(alice, { orderId: neverHeard })).status).toBe('CONFIRMED');
    // The run that reached the aged orders queried the index before them: the young one was never a candidate.
    expect((await shop.order(alice, stuckRecently)).status).toBe('PENDING');
    expect(fresh.cloud.iam.authorizer.denials).toEqual([]);
  });
});
