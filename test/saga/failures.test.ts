import { SAGA_TYPES } from '../../lib/config/saga-type';
import { ORDER_ID, USER_ID, orderPlacedDetail } from '../fixtures/events';
import { shopSagaDefinition } from './support/definition';
import { alwaysFailing, defaultHandlers, failing, publishedEvents, runSaga } from './support/run-saga';
import {
  FailedEntryError,
  LambdaPlatformError,
  LambdaServiceError,
  PaymentDeclinedError,
  ShippingUnavailableError,
  providerUnavailable,
} from './support/task-errors';

/**
 * Technical failures: what is retried, what is compensated, and what needs a
 * person — for each saga type. A compensation that keeps failing is where
 * they part: the Standard saga pages a person after 20 retries; the Express
 * one hands the order to the durable repair after 3 (order-saga-express.test.ts).
 */

const times = (count: number, state: string): string[] => Array.from({ length: count }, () => state);
const cancelled = (reason: string, error: string) => ['OrderCancelled', { orderId: ORDER_ID, userId: USER_ID, reason, error }];

describe.each(SAGA_TYPES)('order saga (%s): technical failures', (type) => {
  const { definition } = shopSagaDefinition(type);

  it('retries transient errors and then goes on without compensating', async () => {
    // Prepare
    const flaky = failing([providerUnavailable(), new LambdaServiceError('Lambda.TooManyRequestsException')], defaultHandlers.ChargePayment);

    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: flaky } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', ...times(3, 'ChargePayment'), 'CreateShipment', 'PublishOrderConfirmed']);
    expect(publishedEvents(run).map(([type]) => type)).toEqual(['OrderConfirmed']);
  });

  it('retries a task whose execution environment crashed (Runtime.ExitError): tasks are idempotent', async () => {
    // Prepare
    const crashed = Object.assign(new Error('Runtime exited with error: exit status 137'), { name: 'Runtime.ExitError' });

    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ReserveInventory: failing([crashed], defaultHandlers.ReserveInventory) } });

    // Assess
    expect(run.tasks).toEqual(['ReserveInventory', 'ReserveInventory', 'ChargePayment', 'CreateShipment', 'PublishOrderConfirmed']);
    expect(publishedEvents(run).map(([type]) => type)).toEqual(['OrderConfirmed']);
  });

  it.each([
    ['timed out, as Lambda names it', 'Sandbox.Timedout', () => new LambdaPlatformError('Sandbox.Timedout', 'RequestId: 5f1c Error: Task timed out after 15.00 seconds')],
    ['timed out or ran out of memory, as the Step Functions guide names it', 'Lambda.Unknown', () => new LambdaPlatformError('', 'RequestId: 5f1c Process exited before completing request')],
    ['ran out of memory, as Lambda names it', 'Runtime.OutOfMemory', () => new LambdaPlatformError('Runtime.OutOfMemory', 'Runtime exited with error: signal: killed')],
    ['hit a client-side timeout of Step Functions', 'Lambda.ClientExecutionTimeoutException', () => new LambdaServiceError('Lambda.ClientExecutionTimeoutException', 'Client execution did not complete')],
    ['met an error code Lambda does not model', 'Lambda.AWSLambdaException', () => new LambdaServiceError('Lambda.AWSLambdaException', 'Bad gateway')],
    ['could not reach Lambda', 'Lambda.SdkClientException', () => new LambdaServiceError('Lambda.SdkClientException', 'Unable to execute HTTP request')],
  ] as const)('retries a task whose invocation %s (%s): tasks are idempotent', async (_what, name, error) => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: alwaysFailing(error) } });

    // Assess
    expect(run.tasks.filter((task) => task === 'ChargePayment')).toHaveLength(4);
    expect(publishedEvents(run)).toEqual([cancelled('TECHNICAL', name)]);
  });

  it('fails without compensating when a task result is over 256 KiB: States.DataLimitExceeded passes every Catch, as on AWS', async () => {
    // Prepare
    const oversized = () => ({ paymentId: 'pay-1', status: 'CAPTURED', receipt: 'r'.repeat(300 * 1024) });

    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: oversized } });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('States.DataLimitExceeded');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment']);
    expect(run.events).toEqual([]);
  });

  it('cancels as TECHNICAL, refunding then releasing, when the charge stays unavailable after three retries', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: alwaysFailing(providerUnavailable) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual(['ReserveInventory', ...times(4, 'ChargePayment'), 'RefundPayment', 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(run.states).toContain('ChargeFailed');
    expect(publishedEvents(run)).toEqual([cancelled('TECHNICAL', 'TransientError')]);
  });

  it('never retries a business error', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { ChargePayment: failing([new PaymentDeclinedError()], defaultHandlers.ChargePayment) } });

    // Assess
    expect(run.tasks.filter((task) => task === 'ChargePayment')).toHaveLength(1);
    expect(publishedEvents(run)).toEqual([cancelled('PAYMENT_DECLINED', 'PaymentDeclinedError')]);
  });

  it('does not retry an unexpected error and compensates from the step that failed', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { CreateShipment: alwaysFailing(() => new TypeError('address.country is undefined')) } });

    // Assess
    expect(run.tasks).toEqual([
      'ReserveInventory',
      'ChargePayment',
      'CreateShipment',
      'CancelShipment',
      'RefundPayment',
      'ReleaseInventory',
      'PublishOrderCancelled',
    ]);
    expect(publishedEvents(run)).toEqual([cancelled('TECHNICAL', 'TypeError')]);
  });

  it('releases a reservation whose outcome is unknown when reserving keeps failing', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: { ReserveInventory: alwaysFailing(() => new LambdaServiceError('Lambda.ServiceException', 'Internal error')) },
    });

    // Assess
    expect(run.tasks).toEqual([...times(4, 'ReserveInventory'), 'ReleaseInventory', 'PublishOrderCancelled']);
    expect(publishedEvents(run)).toEqual([cancelled('TECHNICAL', 'Lambda.ServiceException')]);
  });

  it('compensates everything when OrderConfirmed cannot be published', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, { handlers: { PublishOrderConfirmed: alwaysFailing(() => new FailedEntryError()) } });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual([
      'ReserveInventory',
      'ChargePayment',
      'CreateShipment',
      ...times(4, 'PublishOrderConfirmed'),
      'CancelShipment',
      'RefundPayment',
      'ReleaseInventory',
      'PublishOrderCancelled',
    ]);
    expect(run.states).toContain('ConfirmFailed');
    expect(publishedEvents(run)).toEqual([cancelled('TECHNICAL', 'EventBridge.FailedEntry')]);
  });

  it('retries a compensation until it succeeds and carries on with the chain', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        CreateShipment: alwaysFailing(() => new ShippingUnavailableError()),
        RefundPayment: failing([providerUnavailable(), providerUnavailable()], defaultHandlers.RefundPayment),
      },
    });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.tasks).toEqual([
      'ReserveInventory',
      'ChargePayment',
      'CreateShipment',
      ...times(3, 'RefundPayment'),
      'ReleaseInventory',
      'PublishOrderCancelled',
    ]);
    expect(publishedEvents(run)).toEqual([cancelled('SHIPPING_UNAVAILABLE', 'ShippingUnavailableError')]);
  });

});

describe('order saga (standard): what needs a person', () => {
  const { definition } = shopSagaDefinition('standard');

  it('publishes CompensationFailed and fails the execution when a compensation keeps failing', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        ChargePayment: alwaysFailing(() => new PaymentDeclinedError()),
        ReleaseInventory: alwaysFailing(providerUnavailable),
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('CompensationFailed');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', ...times(21, 'ReleaseInventory'), 'PublishCompensationFailed']);
    expect(run.states.slice(-3)).toEqual(['ReleaseInventoryFailed', 'PublishCompensationFailed', 'CompensationFailed']);
    expect(publishedEvents(run)).toEqual([
      [
        'CompensationFailed',
        {
          orderId: ORDER_ID,
          step: 'ReleaseInventory',
          error: 'TransientError',
          cause: JSON.stringify({ errorType: 'TransientError', errorMessage: 'payment provider unavailable', trace: [] }),
        },
      ],
    ]);
  });

  it('stops compensating at the first compensation that cannot succeed', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        PublishOrderConfirmed: alwaysFailing(() => new FailedEntryError()),
        CancelShipment: alwaysFailing(() => new LambdaServiceError('Lambda.ServiceException')),
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.tasks.filter((task) => task === 'RefundPayment' || task === 'ReleaseInventory' || task === 'PublishOrderCancelled')).toEqual([]);
    expect(publishedEvents(run)).toEqual([
      ['CompensationFailed', { orderId: ORDER_ID, step: 'CancelShipment', error: 'Lambda.ServiceException', cause: 'Rate exceeded' }],
    ]);
  });

  it('fails the execution when OrderCancelled cannot be published after its retries', async () => {
    // Act
    const run = await runSaga(definition, orderPlacedDetail, {
      handlers: {
        ChargePayment: alwaysFailing(() => new PaymentDeclinedError()),
        PublishOrderCancelled: alwaysFailing(() => new FailedEntryError()),
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.failure?.error).toBe('CancellationNotPublished');
    expect(run.tasks).toEqual(['ReserveInventory', 'ChargePayment', 'ReleaseInventory', ...times(21, 'PublishOrderCancelled')]);
    expect(run.events).toEqual([]);
  });
});
