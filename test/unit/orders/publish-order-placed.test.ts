import type { Order } from '../../../functions/orders/domain/order';
import { createPublishOrderPlacedHandler } from '../../../functions/orders/handlers/publish-order-placed';
import { OrderPlaced } from '../../../functions/shared/contracts/events';
import { order } from '../../fakes/order-repository';
import { orderPlacedDetail } from '../../fixtures/events';
import { invoke } from '../../support/lambda';
import { streamRecordsOf } from '../../support/stream-records';

/** The order of the OrderPlaced fixture, as the orders table stores it. */
const fixtureOrder = (): Order =>
  order({
    orderId: orderPlacedDetail.data.orderId,
    userId: orderPlacedDetail.data.userId,
    items: orderPlacedDetail.data.items,
    total: orderPlacedDetail.data.total,
    paymentToken: orderPlacedDetail.data.paymentToken,
    shippingAddress: orderPlacedDetail.data.shippingAddress,
    correlationId: orderPlacedDetail.metadata.correlationId,
    createdAt: orderPlacedDetail.data.placedAt,
    updatedAt: orderPlacedDetail.data.placedAt,
    statusHistory: [{ status: 'PENDING', at: orderPlacedDetail.data.placedAt }],
  });

const storedItem = (o: Order): Record<string, unknown> => ({
  pk: `ORDER#${o.orderId}`,
  type: 'ORDER',
  ...o,
  gsi1pk: o.userId,
  gsi1sk: `${o.createdAt}#${o.orderId}`,
});

/** A DynamoDB stream record as an EventBridge Pipe hands it to the enrichment. */
const streamRecord = streamRecordsOf({ table: 'orders', defaultEventName: 'INSERT', sizeBytes: 512 });

describe('outbox enrichment (stream batch → OrderPlaced details)', () => {
  it('turns each new-order record into an OrderPlaced detail shaped like the fixture', async () => {
    // Prepare
    const other = order({ orderId: '11111111-2222-4333-8444-555555555555', userId: 'user-bob', correlationId: 'corr-bob' });
    const batch = [streamRecord('stream-evt-1', storedItem(fixtureOrder())), streamRecord('stream-evt-2', storedItem(other))];

    // Act
    const details = await invoke(createPublishOrderPlacedHandler(), batch);

    // Assess
    expect(details).toHaveLength(2);
    const [first, second] = details;
    expect(first).toEqual({
      ...orderPlacedDetail,
      metadata: { ...orderPlacedDetail.metadata, eventId: 'stream-evt-1', occurredAt: orderPlacedDetail.data.placedAt },
    });
    expect(Object.keys(first?.metadata ?? {}).sort()).toEqual(Object.keys(orderPlacedDetail.metadata).sort());
    expect(Object.keys(first?.data ?? {}).sort()).toEqual(Object.keys(orderPlacedDetail.data).sort());
    for (const detail of details) expect(OrderPlaced.detail.safeParse(detail).success).toBe(true);
    expect(second).toMatchObject({ metadata: { eventId: 'stream-evt-2', correlationId: 'corr-bob' }, data: { orderId: other.orderId, userId: 'user-bob' } });
  });

  it('gives a redelivered record the same event id', async () => {
    const handler = createPublishOrderPlacedHandler();
    const record = streamRecord('stream-evt-1', storedItem(fixtureOrder()));
    const [once] = await invoke(handler, [record]);
    const [again] = await invoke(handler, [record]);
    expect(again).toEqual(once);
  });

  it('publishes nothing for records that are not new orders', async () => {
    const idempotency = { pk: 'IDEMPOTENCY#user-alice#k', type: 'IDEMPOTENCY', requestHash: 'abc', orderId: fixtureOrder().orderId, createdAt: 'x', expiresAt: 1 };
    const batch = [
      streamRecord('stream-evt-1', idempotency),
      streamRecord('stream-evt-2', storedItem({ ...fixtureOrder(), status: 'CONFIRMED' }), 'MODIFY'),
      streamRecord('stream-evt-3', storedItem(fixtureOrder())),
    ];
    const details = await invoke(createPublishOrderPlacedHandler(), batch);
    expect(details.map((d) => d.metadata.eventId)).toEqual(['stream-evt-3']);
  });

  it('fails the batch when a stored order breaks the contract, so the pipe retries and dead-letters it', async () => {
    const broken = { ...storedItem(fixtureOrder()), total: { amount: 29.99, currency: 'EUR' } };
    await expect(invoke(createPublishOrderPlacedHandler(), [streamRecord('stream-evt-1', broken)])).rejects.toMatchObject({
      name: 'ContractViolationError',
    });
    await expect(invoke(createPublishOrderPlacedHandler(), { Records: [] })).rejects.toMatchObject({ name: 'ContractViolationError' });
  });
});
