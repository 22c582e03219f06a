import * as z from 'zod';
import { OrderConfirmed } from '../../../functions/shared/contracts/events';
import { jsonResponse } from '../../../functions/shared/http';
import { httpApi, queuedEventConsumer, sagaTask } from '../../../functions/shared/middleware';
import { logger, tracer } from '../../../functions/shared/powertools';
import { eventBridgeEvent, ORDER_ID, orderConfirmedDetail, queued } from '../../fixtures/events';
import { httpEvent, invoke } from '../../support/lambda';

/**
 * What a person following one order sees: every log line of the order's
 * request, events and saga tasks carries Powertools' standard
 * `correlation_id` key, and the saga tasks' traces are annotated with the
 * order and correlation ids X-Ray searches by. Tracing is off in tests, so
 * the annotations are asserted on the tracer's `putAnnotation`.
 */

/** The JSON lines the shared logger printed (POWERTOOLS_DEV sends them to the global console). */
const printedLines = (): (() => Array<Record<string, unknown>>) => {
  const printed: unknown[] = [];
  for (const method of ['info', 'warn', 'error'] as const) jest.spyOn(console, method).mockImplementation((...args: unknown[]) => void printed.push(args[0]));
  return () => printed.map((line) => JSON.parse(String(line)) as Record<string, unknown>);
};

beforeEach(() => {
  // Each invocation re-decides debug sampling, which sets the level back to the tests' SILENT: keep INFO here.
  jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined);
  logger.setLogLevel('INFO');
});
afterEach(() => {
  logger.setLogLevel('SILENT');
  jest.restoreAllMocks();
});

describe('saga tasks', () => {
  const schema = z.object({ orderId: z.string(), correlationId: z.string() });

  it('log under correlation_id (not correlationId) and annotate the trace with the order and correlation ids', async () => {
    // Prepare
    const lines = printedLines();
    const annotate = jest.spyOn(tracer, 'putAnnotation');
    const task = sagaTask('ReserveInventory', schema, async () => {
      logger.info('reserving');
      return { reserved: true };
    });

    // Act
    await invoke(task, { orderId: ORDER_ID, correlationId: 'corr-saga-1' });

    // Assess
    expect(lines().map((line) => line.message)).toEqual(['reserving', 'ReserveInventory done']);
    for (const line of lines()) {
      expect(line).toMatchObject({ correlation_id: 'corr-saga-1', orderId: ORDER_ID, task: 'ReserveInventory' });
      expect(line).not.toHaveProperty('correlationId');
    }
    expect(annotate.mock.calls).toEqual(expect.arrayContaining([['orderId', ORDER_ID], ['correlationId', 'corr-saga-1']]));
  });

  it('does not carry one invocation\'s correlation id into the next one\'s lines', async () => {
    const lines = printedLines();
    const task = sagaTask('ChargePayment', schema, async () => ({ charged: true }));

    await invoke(task, { orderId: 'o-1', correlationId: 'corr-a' });
    await invoke(task, { orderId: 'o-2', correlationId: 'corr-b' });

    expect(lines().map((line) => [line.orderId, line.correlation_id])).toEqual([['o-1', 'corr-a'], ['o-2', 'corr-b']]);
  });
});

describe('HTTP routes', () => {
  it('log under the request\'s x-correlation-id as correlation_id, annotate the trace with it, and answer with it', async () => {
    // Prepare
    const lines = printedLines();
    const annotate = jest.spyOn(tracer, 'putAnnotation');
    const api = httpApi({ 'GET /things/{id}': 'public' } as const, {
      'GET /things/{id}': async () => {
        logger.info('reading a thing');
        return jsonResponse(200, {});
      },
    });

    // Act
    const result = await invoke(api, httpEvent({ routeKey: 'GET /things/{id}', pathParameters: { id: 't-1' }, headers: { 'x-correlation-id': 'corr-http-1' } }));

    // Assess
    expect(result.headers?.['x-correlation-id']).toBe('corr-http-1');
    expect(lines()).toEqual([expect.objectContaining({ message: 'reading a thing', correlation_id: 'corr-http-1', routeKey: 'GET /things/{id}' })]);
    expect(lines()[0]).not.toHaveProperty('correlationId');
    expect(annotate).toHaveBeenCalledWith('correlationId', 'corr-http-1');
  });
});

describe('queued event consumers', () => {
  it('log each event under its own correlation id and drop it before the next message', async () => {
    // Prepare
    const lines = printedLines();
    const consumer = queuedEventConsumer([OrderConfirmed], async () => undefined);
    const second = { ...orderConfirmedDetail, metadata: { ...orderConfirmedDetail.metadata, correlationId: 'corr-second' } };

    // Act
    await invoke(consumer, queued(eventBridgeEvent('OrderConfirmed', 'shop.orders', orderConfirmedDetail), 'not json', eventBridgeEvent('OrderConfirmed', 'shop.orders', second)));

    // Assess
    expect(lines().map((line) => [line.message, line.correlation_id])).toEqual([
      ['Event received', 'corr-1234'],
      ['Event failed; the queue delivers it again', undefined],
      ['Event received', 'corr-second'],
    ]);
  });
});
