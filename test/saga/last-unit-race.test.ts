import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { ShopClient, type OrderView } from '../e2e/support/shop-client';
import { CollectedLog, type Caller } from '../e2e/support/target';

/*
 * The last unit of a product, wanted by five shoppers at once, while DynamoDB
 * cancels transactions with TransactionConflict as it does under contention
 * (DynamoDB Local never does). The reservation's conditional transaction and
 * the saga's retries must still sell the unit at most once, never take stock
 * below zero, and decide every order.
 */

jest.setTimeout(120_000);

let fresh: FreshLocalCloud;
const collected = new CollectedLog();

beforeAll(async () => {
  fresh = await startFreshLocalCloud({
    log: collected.log,
    retryDelayScale: 0.01,
    faults: { seed: 11, dynamodb: { transactionConflictRate: 0.3, throttleRate: 0.05 } },
  });
}, 120_000);

afterAll(async () => {
  await fresh?.stop();
});

it('sells the last unit at most once under transaction conflicts, and decides every order', async () => {
  // Prepare
  const { cloud } = fresh;
  const shop = new ShopClient({ apiUrl: cloud.apiUrl, waitMs: 30_000, diagnostics: (id) => collected.describe(id) });
  const caller = (name: string, groups: string[] = []): Caller => ({ name, token: cloud.issuer.mint({ username: `${name}@example.com`, groups }).token });
  const admin = caller('admin', ['admin']);
  await cloud.withoutFaults(() => shop.stockProduct(admin, { id: 'race-last', name: 'Last one', price: { amount: 500, currency: 'EUR' } }, 1));
  const shoppers = ['ann', 'ben', 'cid', 'dee', 'eve'].map((name) => caller(name));
  const request = {
    items: [{ productId: 'race-last', quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: { name: 'A', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  };

  // Act
  const outcomes: Array<OrderView & { shopper: string }> = await Promise.all(
    shoppers.map(async (shopper) => ({ ...(await shop.outcomeOf(shopper, await shop.placeAcceptedOrder(shopper, request))), shopper: shopper.name })),
  );

  // Assess
  const confirmed = outcomes.filter((order) => order.status === 'CONFIRMED');
  const stock = await cloud.withoutFaults(() => shop.stockOf(admin, 'race-last'));
  expect(confirmed.length).toBeLessThanOrEqual(1);
  expect(stock).toBe(1 - confirmed.length);
  for (const order of outcomes.filter((o) => o.status !== 'CONFIRMED')) {
    expect({ shopper: order.shopper, status: order.status, reason: order.cancellationReason }).toEqual({
      shopper: order.shopper,
      status: 'CANCELLED',
      reason: expect.stringMatching(/^(OUT_OF_STOCK|TECHNICAL)$/),
    });
  }
  expect(collected.count(/injected TransactionConflict/)).toBeGreaterThan(0);
});
