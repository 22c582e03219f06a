import { createStatusConsumer } from '../../../functions/orders/handlers/status-consumer';
import type { Order } from '../../../functions/orders/domain/order';
import { metrics } from '../../../functions/shared/powertools';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';
import {
  eventBridgeEvent,
  ORDER_ID,
  orderCancelledDetail,
  orderCancelledByCustomerDetail,
  orderConfirmedDetail,
  orderShippedDetail,
  queued,
  shipmentDeliveredDetail,
} from '../../fixtures/events';
import { invoke } from '../../support/lambda';

const SECOND_ORDER = '5b0c1d2e-3f40-4a51-8b62-7c8d9eaf0b1c';
const confirmed = queued(eventBridgeEvent('OrderConfirmed', 'shop.orders', orderConfirmedDetail));
const cancelled = queued(eventBridgeEvent('OrderCancelled', 'shop.orders', orderCancelledDetail));
const delivered = queued(eventBridgeEvent('ShipmentDelivered', 'shop.shipping', shipmentDeliveredDetail));
const shipped = queued(eventBridgeEvent('OrderShipped', 'shop.shipping', orderShippedDetail));
const cancelledByCustomer = queued(eventBridgeEvent('OrderCancelled', 'shop.orders', orderCancelledByCustomerDetail));

const setup = (seed: Order[] = [order({ orderId: ORDER_ID })]) => {
  const orders = new InMemoryOrderRepository(seed);
  let tick = 0;
  const now = () => new Date(Date.UTC(2026, 2, 2, 0, 0, (tick += 1)));
  return { orders, consumer: createStatusConsumer({ orders, now }) };
};

const statusOf = (orders: InMemoryOrderRepository) => orders.orders.get(ORDER_ID)?.status;

afterEach(() => jest.restoreAllMocks());

describe('order status consumer', () => {
  it('moves an order PENDING → CONFIRMED → DELIVERED, recording each step and counting it', async () => {
    // Prepare
    const { orders, consumer } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    await invoke(consumer, confirmed);
    await invoke(consumer, delivered);

    // Assess
    expect(orders.orders.get(ORDER_ID)).toMatchObject({
      status: 'DELIVERED',
      updatedAt: '2026-03-02T00:00:02.000Z',
      statusHistory: [
        { status: 'PENDING', at: order().createdAt },
        { status: 'CONFIRMED', at: '2026-03-02T00:00:01.000Z' },
        { status: 'DELIVERED', at: '2026-03-02T00:00:02.000Z' },
      ],
    });
    expect(addMetric.mock.calls.map(([name]) => name)).toEqual(['OrdersConfirmed', 'OrdersDelivered']);
  });

  it('ignores a duplicate or late event without writing or failing', async () => {
    const { orders, consumer } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');
    await invoke(consumer, confirmed);
    await invoke(consumer, delivered);
    const writes = orders.writes;

    await expect(invoke(consumer, confirmed)).resolves.toEqual({ batchItemFailures: [] });
    await expect(invoke(consumer, delivered)).resolves.toEqual({ batchItemFailures: [] });

    expect(orders.writes).toBe(writes);
    expect(statusOf(orders)).toBe('DELIVERED');
    expect(orders.orders.get(ORDER_ID)?.statusHistory).toHaveLength(3);
    expect(addMetric).toHaveBeenCalledTimes(2);
  });

  it('accepts a delivery that overtakes the confirmation, then ignores the late confirmation', async () => {
    const { orders, consumer } = setup();
    await invoke(consumer, delivered);
    await invoke(consumer, confirmed);
    expect(statusOf(orders)).toBe('DELIVERED');
    expect(orders.orders.get(ORDER_ID)?.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'DELIVERED']);
  });

  it('cancels a PENDING order with its reason, counted by reason, and keeps CANCELLED terminal', async () => {
    // Prepare
    const { orders, consumer } = setup();
    const single = metrics.singleMetric();
    const addDimension = jest.spyOn(single, 'addDimension');
    const addMetric = jest.spyOn(single, 'addMetric');
    jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);

    // Act
    await invoke(consumer, cancelled);
    await invoke(consumer, confirmed);
    await invoke(consumer, delivered);
    await invoke(consumer, cancelled);

    // Assess
    expect(orders.orders.get(ORDER_ID)).toMatchObject({
      status: 'CANCELLED',
      cancellationReason: 'PAYMENT_DECLINED',
      statusHistory: [{ status: 'PENDING' }, { status: 'CANCELLED', reason: 'PAYMENT_DECLINED' }],
    });
    expect(orders.writes).toBe(1);
    expect(addDimension.mock.calls).toEqual([['reason', 'PAYMENT_DECLINED']]);
    expect(addMetric.mock.calls).toEqual([
      ['OrdersCancelled', 'Count', 1],
      ['SagaDuration', 'Milliseconds', 1000],
    ]);
  });

  it('counts the saga duration once per order, from its placement to the saga decision, in an EMF record of its own with the outcome', async () => {
    // Prepare: placed at 11:59:59, decided (the event's occurredAt) at 12:00:00
    const { consumer } = setup([order({ orderId: ORDER_ID }), order({ orderId: SECOND_ORDER })]);
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const laterCancellation = { ...orderCancelledDetail, metadata: { ...orderCancelledDetail.metadata, occurredAt: '2026-03-01T12:00:04.500Z' }, data: { ...orderCancelledDetail.data, orderId: SECOND_ORDER } };

    // Act
    try {
      await invoke(consumer, confirmed);
      await invoke(consumer, confirmed);
      await invoke(consumer, queued(eventBridgeEvent('OrderCancelled', 'shop.orders', laterCancellation)));
      await invoke(consumer, delivered);
    } finally {
      process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    }

    // Assess
    const durations = printed.mock.calls
      .map(([line]) => JSON.parse(String(line)) as Record<string, unknown> & { _aws: { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } })
      .filter((record) => 'SagaDuration' in record);
    expect(durations.map((record) => [record.outcome, record.SagaDuration])).toEqual([
      ['CONFIRMED', 1000],
      ['CANCELLED', 5500],
    ]);
    // One series whatever the outcome: the outcome is a property of the record, for Logs Insights.
    for (const record of durations) {
      expect(record._aws.CloudWatchMetrics).toEqual([{ Namespace: 'ServerlessShopTest', Dimensions: [['service']], Metrics: [{ Name: 'SagaDuration', Unit: 'Milliseconds' }] }]);
    }
  });

  it('moves an order PENDING → CONFIRMED → SHIPPED → DELIVERED, counting the shipment', async () => {
    // Prepare
    const { orders, consumer } = setup();
    const addMetric = jest.spyOn(metrics, 'addMetric');

    // Act
    for (const event of [confirmed, shipped, delivered]) await invoke(consumer, event);

    // Assess
    expect(orders.orders.get(ORDER_ID)?.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'CONFIRMED', 'SHIPPED', 'DELIVERED']);
    expect(addMetric.mock.calls.map(([name]) => name)).toEqual(['OrdersConfirmed', 'OrdersShipped', 'OrdersDelivered']);
  });

  it('ships an order whose confirmation has not arrived, then ignores the late confirmation and a late shipment after delivery', async () => {
    const { orders, consumer } = setup();
    for (const event of [shipped, confirmed, delivered, shipped]) await invoke(consumer, event);
    expect(orders.orders.get(ORDER_ID)?.statusHistory.map((h) => h.status)).toEqual(['PENDING', 'SHIPPED', 'DELIVERED']);
  });

  it("cancels a confirmed order (its owner cancelled it), keeping the request's time, and never a shipped one", async () => {
    // Prepare
    const requested = '2026-03-01T12:30:00.000Z';
    const { orders, consumer } = setup([order({ orderId: ORDER_ID, status: 'CONFIRMED', cancelRequestedAt: requested })]);
    const shippedFirst = setup([order({ orderId: ORDER_ID, status: 'CONFIRMED' })]);
    await invoke(shippedFirst.consumer, shipped);

    // Act
    await invoke(consumer, cancelledByCustomer);
    await invoke(shippedFirst.consumer, cancelledByCustomer);

    // Assess
    expect(orders.orders.get(ORDER_ID)).toMatchObject({ status: 'CANCELLED', cancellationReason: 'CUSTOMER_REQUEST', cancelRequestedAt: requested });
    expect(statusOf(shippedFirst.orders)).toBe('SHIPPED');
    expect(shippedFirst.orders.writes).toBe(1);
  });

  it('changes nothing for an unknown order', async () => {
    const { orders, consumer } = setup([]);
    await expect(invoke(consumer, confirmed)).resolves.toEqual({ batchItemFailures: [] });
    expect(orders.orders.size).toBe(0);
  });

  it('reports an event outside its contract as failed, writing nothing', async () => {
    const { orders, consumer } = setup();
    const broken = eventBridgeEvent('OrderCancelled', 'shop.orders', { ...orderCancelledDetail, data: { ...orderCancelledDetail.data, reason: 'BORED' } });
    const foreign = eventBridgeEvent('OrderPlaced', 'shop.orders', orderConfirmedDetail);
    const noEnvelope = { detail: orderConfirmedDetail };

    const response = await invoke(consumer, queued(broken, foreign, noEnvelope));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-2' }, { itemIdentifier: 'msg-3' }] });
    expect(orders.writes).toBe(0);
  });
});
