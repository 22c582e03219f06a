import { ORDER_ID, USER_ID, orderPlacedDetail } from '../fixtures/events';
import { createTestTable } from '../support/dynamodb';
import { shopSagaDefinition } from './support/definition';
import { alwaysFailing, defaultHandlers, failing, publishedEvents, runSaga } from './support/run-saga';
import { FailedEntryError, OutOfStockError, PaymentDeclinedError, ShippingUnavailableError, providerUnavailable } from './support/task-errors';

/**
 * What only the Express saga does, run on the app's definition synthesized
 * with `-c saga=express`: the claim that keeps at-least-once starts to one
 * saga per order, the outcome it records for the reconciler, and the
 * hand-over of a compensation that outlasts the Express retries to the
 * durable (Standard) repair. The claim is written to DynamoDB Local.
 */

const { definition } = shopSagaDefinition('express');
const times = (count: number, state: string): string[] => Array.from({ length: count }, () => state);
/** The repair (the cancellation state machine) the shop wires, as the test lookups name it. */
const REPAIR = expect.stringMatching(/^OrderCancellationStateMachine/);

describe('order saga (Express): the claim', () => {
  it('claims the order for this execution, then records CONFIRMED once OrderConfirmed is out', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail);

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.bookkeeping).toEqual(['ClaimOrder', 'RecordConfirmed']);
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
    expect(run.claim).toEqual({
      pk: ORDER_ID,
      executionId: run.executionArn,
      claimedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      outcome: 'CONFIRMED',
      endedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('ends a second execution for the same order at AlreadyHandled before any side effect (at-least-once starts)', async () => {
    // Prepare
    const claimsTable = await createTestTable();
    const first = await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'first' });

    // Act
    const duplicate = await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'duplicate' });

    // Assess
    expect(duplicate.status).toBe('SUCCEEDED');
    expect(duplicate.bookkeeping).toEqual(['ClaimOrder']);
    expect(duplicate.states).toEqual(['AlreadyHandled']);
    expect(duplicate.tasks).toEqual([]);
    expect(duplicate.events).toEqual([]);
    expect(duplicate.claim).toMatchObject({ executionId: first.executionArn, outcome: 'CONFIRMED' });
  });

  it('ends a duplicate that starts while the first one runs at AlreadyHandled too: the claim is written before the reservation', async () => {
    // Prepare: the duplicate starts while the first execution waits on the payment provider.
    const claimsTable = await createTestTable();
    let duplicate: Awaited<ReturnType<typeof runSaga>> | undefined;
    const charge = async () => {
      duplicate ??= await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'duplicate' });
      return defaultHandlers.ChargePayment(undefined, 1);
    };

    // Act
    const first = await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'first', handlers: { ChargePayment: charge } });

    // Assess
    expect(first.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
    expect(duplicate?.states).toEqual(['AlreadyHandled']);
    expect(duplicate?.tasks).toEqual([]);
  });

  it('lets the execution that holds the claim write it again: a retry after a lost answer goes on', async () => {
    // Prepare: the same execution (same ARN) claims twice, as a retried PutItem would.
    const claimsTable = await createTestTable();
    await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'same', handlers: { ChargePayment: alwaysFailing(() => new PaymentDeclinedError()) } });

    // Act
    const again = await runSaga(definition, orderPlacedDetail, { claimsTable, executionName: 'same' });

    // Assess
    expect(again.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
  });

  it('keeps the claim of an order out of stock, whose reservation rolled back, and records the cancellation with its reason', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ReserveInventory: alwaysFailing(() => new OutOfStockError()) } });

    // Assess
    expect(run.bookkeeping).toEqual(['ClaimOrder', 'RecordCancelled']);
    expect(run.claim).toMatchObject({ executionId: run.executionArn, outcome: 'CANCELLED', reason: 'OUT_OF_STOCK' });
  });
});

describe('order saga (Express): the 5-minute limit and the durable repair', () => {
  it('retries a compensation for seconds, then hands the order to the repair named after it, with the reason, and records REPAIR', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: { CreateShipment: alwaysFailing(() => new ShippingUnavailableError()), RefundPayment: alwaysFailing(providerUnavailable) },
    });

    // Assess: no CompensationFailed, nobody paged: the repair retries as long as a Standard saga would.
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', ...times(4, 'RefundPayment'), 'HandToRepair']);
    expect(run.states.slice(-2)).toEqual(['RefundPaymentFailed', 'HandToRepair']);
    expect(run.started).toEqual([
      {
        state: 'HandToRepair',
        stateMachineArn: REPAIR,
        name: ORDER_ID,
        input: { data: { orderId: ORDER_ID, userId: USER_ID }, metadata: { correlationId: orderPlacedDetail.metadata.correlationId }, cancellation: { reason: 'SHIPPING_UNAVAILABLE' } },
      },
    ]);
    expect(run.events).toEqual([]);
    expect(run.bookkeeping).toEqual(['ClaimOrder', 'RecordRepair']);
    expect(run.claim).toMatchObject({ outcome: 'REPAIR' });
  });

  it('hands the order to the repair when OrderCancelled cannot be published', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: { ChargePayment: alwaysFailing(() => new PaymentDeclinedError()), PublishOrderCancelled: alwaysFailing(() => new FailedEntryError()) },
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'ReleaseInventory', ...times(4, 'PublishOrderCancelled'), 'HandToRepair']);
    expect(run.states).toContain('CancellationNotPublished');
    expect(run.started.map((start) => start.input)).toEqual([expect.objectContaining({ cancellation: { reason: 'PAYMENT_DECLINED' } })]);
  });

  it('takes a repair already under way for the order (its name taken) as handed over', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        ChargePayment: alwaysFailing(() => new PaymentDeclinedError()),
        ReleaseInventory: alwaysFailing(providerUnavailable),
        HandToRepair: alwaysFailing(() => Object.assign(new Error('Execution Already Exists'), { name: 'ExecutionAlreadyExists' })),
      },
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks.filter((task) => task === 'HandToRepair')).toHaveLength(1);
    expect(run.claim).toMatchObject({ outcome: 'REPAIR' });
  });

  it('publishes CompensationFailed and fails (which alarms) when even the hand-over fails after its retries', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        ChargePayment: alwaysFailing(() => new PaymentDeclinedError()),
        ReleaseInventory: alwaysFailing(providerUnavailable),
        HandToRepair: alwaysFailing(() => Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable' })),
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('CompensationFailed');
    expect(run.tasks.slice(-5)).toEqual([...times(4, 'HandToRepair'), 'PublishCompensationFailed']);
    expect(publishedEvents(run)).toEqual([
      ['CompensationFailed', { orderId: ORDER_ID, step: 'ReleaseInventory', error: expect.stringMatching(/^StepFunctions\./), cause: expect.any(String) }],
    ]);
    expect(run.claim).not.toHaveProperty('outcome');
  });

  it('rides out a short outage of a compensation within the Express retries, without the repair', async () => {
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        CreateShipment: alwaysFailing(() => new ShippingUnavailableError()),
        RefundPayment: failing([providerUnavailable(), providerUnavailable(), providerUnavailable()], defaultHandlers.RefundPayment),
      },
    });
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', ...times(4, 'RefundPayment'), 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.started).toEqual([]);
    expect(run.claim).toMatchObject({ outcome: 'CANCELLED', reason: 'SHIPPING_UNAVAILABLE' });
  });
});
