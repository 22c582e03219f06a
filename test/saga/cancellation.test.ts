import { cancellationInputSchema, sagaOutcomeSchema } from '../../functions/shared/contracts/saga';
import { ORDER_ID, USER_ID } from '../fixtures/events';
import { shopStateMachineDefinition } from './support/definition';
import { alwaysFailing, defaultHandlers, failing, publishedEvents, runSaga } from './support/run-saga';
import { FailedEntryError, providerUnavailable } from './support/task-errors';

/**
 * The cancellation state machine, as the app ships it: the orders service
 * starts it when an order's owner cancels it, an Express saga hands it an
 * order whose compensation outlasted the Express retries.
 */

const { definition, busArn } = shopStateMachineDefinition('OrderCancellation');
const input = cancellationInputSchema.parse({
  data: { orderId: ORDER_ID, userId: USER_ID },
  metadata: { correlationId: 'corr-cancel' },
  cancellation: { reason: 'CUSTOMER_REQUEST' },
});
const correlation = { orderId: ORDER_ID, correlationId: 'corr-cancel' };
const times = (count: number, state: string): string[] => Array.from({ length: count }, () => state);

describe('order cancellation', () => {
  it('cancels the shipment, refunds, then releases, then publishes OrderCancelled(CUSTOMER_REQUEST) on the shop bus', async () => {
    // Act
    const run = await runSaga(definition, input);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toEqual(['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.inputs.get('CancelShipment')).toEqual([correlation]);
    expect(run.inputs.get('RefundPayment')).toEqual([correlation]);
    expect(run.inputs.get('ReleaseInventory')).toEqual([correlation]);
    expect(publishedEvents(run)).toEqual([['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'CUSTOMER_REQUEST' }]]);
    expect(run.events[0]).toMatchObject({ source: 'shop.orders', eventBusName: busArn, detail: { metadata: { correlationId: 'corr-cancel', version: '1' } } });
  });

  it('ends with an output the reconciler reads as cancelled with CUSTOMER_REQUEST', async () => {
    const run = await runSaga(definition, input);
    expect(sagaOutcomeSchema.parse(run.output)).toEqual({ kind: 'cancelled', reason: 'CUSTOMER_REQUEST' });
  });

  it("publishes the reason it is given: an Express saga's repair cancels with the saga's reason", async () => {
    // Act
    const run = await runSaga(definition, { ...input, cancellation: { reason: 'TECHNICAL' } });

    // Assess
    expect(publishedEvents(run)).toEqual([['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason: 'TECHNICAL' }]]);
    expect(sagaOutcomeSchema.parse(run.output)).toEqual({ kind: 'cancelled', reason: 'TECHNICAL' });
  });

  it('goes on when the shipment is already cancelled (the orders service cancels it before it starts the state machine)', async () => {
    const run = await runSaga(definition, input, { handlers: { CancelShipment: () => ({ cancelled: false, outcome: 'already-cancelled' }) } });
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['CancelShipment', 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled']);
  });

  it('undoes nothing twice: compensations that find nothing to undo still lead to OrderCancelled', async () => {
    const run = await runSaga(definition, input, { handlers: { RefundPayment: () => ({ refunded: false }), ReleaseInventory: () => ({ released: false }) } });
    expect(run.status).toBe('SUCCEEDED');
    expect(publishedEvents(run).map(([type]) => type)).toEqual(['OrderCancelled']);
  });

  it('retries a compensation through an outage and carries on', async () => {
    // Act
    const run = await runSaga(definition, input, { handlers: { RefundPayment: failing(Array.from({ length: 5 }, providerUnavailable), defaultHandlers.RefundPayment) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['CancelShipment', ...times(6, 'RefundPayment'), 'ReleaseInventory', 'PublishOrderCancelled']);
  });

  it('publishes CompensationFailed and fails (the alarm calls a person) when a compensation keeps failing, and never says the order is cancelled', async () => {
    // Act
    const run = await runSaga(definition, input, { handlers: { ReleaseInventory: alwaysFailing(providerUnavailable) } });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('CompensationFailed');
    expect(run.tasks).toEqual(['CancelShipment', 'RefundPayment', ...times(21, 'ReleaseInventory'), 'PublishCompensationFailed']);
    expect(publishedEvents(run)).toEqual([
      ['CompensationFailed', { orderId: ORDER_ID, step: 'ReleaseInventory', error: 'TransientError', cause: expect.stringContaining('payment provider unavailable') }],
    ]);
  });

  it('fails with CancellationNotPublished when OrderCancelled cannot be put after all retries', async () => {
    const run = await runSaga(definition, input, { handlers: { PublishOrderCancelled: alwaysFailing(() => new FailedEntryError()) } });
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('CancellationNotPublished');
    expect(run.tasks).toEqual(['CancelShipment', 'RefundPayment', 'ReleaseInventory', ...times(21, 'PublishOrderCancelled')]);
  });
});
