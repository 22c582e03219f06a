import { reserveInventoryInput, sagaOutcomeSchema } from '../../functions/shared/contracts/saga';
import { SAGA_TYPES } from '../../lib/config/saga-type';
import { ORDER_ID, USER_ID, orderPlacedDetail } from '../fixtures/events';
import { shopSagaDefinition } from './support/definition';
import { alwaysFailing, publishedEvents, runSaga, type TaskHandler } from './support/run-saga';
import { DuplicateSagaError, OutOfStockError, PaymentDeclinedError, ShipmentCancelledError, ShippingUnavailableError } from './support/task-errors';

/**
 * The saga's business outcomes, run on the app's synthesized definition, of
 * each type (`-c saga=standard|express`): the business path is the same; the
 * Express saga's claim and outcome records are its bookkeeping (see
 * order-saga-express.test.ts).
 */

const correlation = { orderId: ORDER_ID, correlationId: orderPlacedDetail.metadata.correlationId };

describe.each(SAGA_TYPES)('order saga (%s): business outcomes', (type) => {
  /** The definition the app ships (ShopStack), not a test stack's. */
  const { definition, busArn } = shopSagaDefinition(type);

  it('reserves, charges, ships and publishes OrderConfirmed', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
    expect(run.states.at(-1)).toBe('PublishOrderConfirmed');
    expect(publishedEvents(run)).toEqual([
      [
        'OrderConfirmed',
        { orderId: ORDER_ID, userId: USER_ID, total: orderPlacedDetail.data.total, paymentId: 'pay-1', shipmentId: `shp-${ORDER_ID}` },
      ],
    ]);
    const [confirmed] = run.events;
    expect(confirmed.eventBusName).toBe(busArn);
    expect(confirmed.detail.metadata).toEqual({
      eventId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      version: '1',
      occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      correlationId: orderPlacedDetail.metadata.correlationId,
    });
    expect(confirmed.detail.metadata.eventId).not.toBe(orderPlacedDetail.metadata.eventId);
  });

  it('gives every task the payload of its contract', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail);

    // Assess
    expect(run.inputs.get('ReserveInventory')).toEqual([{ ...correlation, executionId: run.executionArn, items: orderPlacedDetail.data.items }]);
    expect(run.inputs.get('ChargePayment')).toEqual([{ ...correlation, amount: orderPlacedDetail.data.total, paymentToken: 'tok_visa' }]);
    expect(run.inputs.get('CreateShipment')).toEqual([
      { ...correlation, address: orderPlacedDetail.data.shippingAddress, items: orderPlacedDetail.data.items },
    ]);
  });

  it('cancels with OUT_OF_STOCK without compensating when stock is short', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ReserveInventory: alwaysFailing(() => new OutOfStockError()) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'PublishOrderCancelled']);
    expect(run.states).toEqual(['ReserveInventory', 'OutOfStock', 'PublishOrderCancelled']);
    expect(publishedEvents(run)).toEqual([['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'OUT_OF_STOCK', error: 'OutOfStockError' }]]);
  });

  it('releases the stock, and only that, when the card is declined', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: alwaysFailing(() => new PaymentDeclinedError()) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.inputs.get('ReleaseInventory')).toEqual([correlation]);
    expect(publishedEvents(run)).toEqual([
      ['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'PAYMENT_DECLINED', error: 'PaymentDeclinedError' }],
    ]);
  });

  it('refunds then releases when the carrier does not serve the address', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { CreateShipment: alwaysFailing(() => new ShippingUnavailableError()) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.inputs.get('RefundPayment')).toEqual([correlation]);
    expect(publishedEvents(run)).toEqual([
      ['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'SHIPPING_UNAVAILABLE', error: 'ShippingUnavailableError' }],
    ]);
  });

  it('refunds then releases, and cancels with CUSTOMER_REQUEST, when its owner cancelled the order before the shipment was created', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { CreateShipment: alwaysFailing(() => new ShipmentCancelledError(ORDER_ID)) } });

    // Assess: no retry (retrying cannot revive the shipment), no CancelShipment (there is nothing of the saga's to cancel).
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.states).toContain('CancelledByCustomer');
    expect(run.inputs.get('RefundPayment')).toEqual([correlation]);
    expect(run.inputs.get('ReleaseInventory')).toEqual([correlation]);
    expect(publishedEvents(run)).toEqual([
      ['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'CUSTOMER_REQUEST', error: 'ShipmentCancelledError' }],
    ]);
    expect(sagaOutcomeSchema.parse(run.output)).toEqual({ kind: 'cancelled', reason: 'CUSTOMER_REQUEST' });
  });

  it('lets a redelivered OrderPlaced end in AlreadyHandled without touching anything', async () => {
    // Prepare
    const owners = new Map<string, string>();
    const reserve: TaskHandler = (input) => {
      const { orderId, executionId } = reserveInventoryInput.parse(input);
      const owner = owners.get(orderId);
      if (owner !== undefined && owner !== executionId) throw new DuplicateSagaError(orderId);
      owners.set(orderId, executionId);
      return { reservedAt: '2026-03-01T12:00:01.000Z' };
    };

    // Act
    const first = await runSaga(definition, orderPlacedDetail, { handlers: { ReserveInventory: reserve }, executionName: 'first' });
    const redelivered = await runSaga(definition, orderPlacedDetail, { handlers: { ReserveInventory: reserve }, executionName: 'redelivered' });

    // Assess
    expect(first.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
    expect(redelivered.status).toBe('SUCCEEDED');
    expect(redelivered.tasks).toEqual(['ReserveInventory']);
    expect(redelivered.states).toEqual(['ReserveInventory', 'AlreadyHandled']);
    expect(redelivered.events).toEqual([]);
    expect(owners.get(ORDER_ID)).toBe(first.executionArn);
  });
});
