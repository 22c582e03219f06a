import { createStartOrderSagaHandler } from '../../../functions/orchestration/handlers/start-order-saga';
import type { SagaStarter, StartOutcome } from '../../../functions/orchestration/ports/saga-starter';
import { eventBridgeEvent, ORDER_ID, orderPlacedDetail, queued } from '../../fixtures/events';
import { invoke } from '../../support/lambda';

/** In-memory Step Functions names: a name can be used once. */
class InMemorySagaStarter implements SagaStarter {
  public readonly executions = new Map<string, string>();

  public async start(name: string, input: string): Promise<StartOutcome> {
    if (this.executions.has(name)) return 'already-started';
    this.executions.set(name, input);
    return 'started';
  }
}

const orderPlaced = () => eventBridgeEvent('OrderPlaced', 'shop.orders', orderPlacedDetail);

describe('saga starter', () => {
  it('starts one execution named after the order, with the OrderPlaced detail as input', async () => {
    const starter = new InMemorySagaStarter();
    await invoke(createStartOrderSagaHandler({ starter }), queued(orderPlaced()));
    expect([...starter.executions.keys()]).toEqual([ORDER_ID]);
    expect(JSON.parse(starter.executions.get(ORDER_ID) ?? '{}')).toEqual(orderPlacedDetail);
  });

  it('changes nothing on a redelivered OrderPlaced', async () => {
    const starter = new InMemorySagaStarter();
    const handler = createStartOrderSagaHandler({ starter });
    await invoke(handler, queued(orderPlaced()));
    await expect(invoke(handler, queued(orderPlaced()))).resolves.toEqual({ batchItemFailures: [] });
    expect(starter.executions.size).toBe(1);
  });

  it('reports the event failed (so the queue delivers it again, then dead-letters it) when Step Functions is unavailable', async () => {
    const starter: SagaStarter = { start: async () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })) };
    await expect(invoke(createStartOrderSagaHandler({ starter }), queued(orderPlaced()))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
  });

  it('reports only the events of a batch that failed, and starts the others', async () => {
    // Prepare: the second order's start fails.
    const [first, second, fourth] = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '44444444-4444-4444-8444-444444444444'];
    const executions: string[] = [];
    const starter: SagaStarter = {
      start: async (name) => {
        if (name === second) throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
        executions.push(name);
        return 'started';
      },
    };
    const withOrder = (orderId: string) => eventBridgeEvent('OrderPlaced', 'shop.orders', { ...orderPlacedDetail, data: { ...orderPlacedDetail.data, orderId } });

    // Act
    const response = await invoke(createStartOrderSagaHandler({ starter }), queued(withOrder(first), withOrder(second), 'not json', withOrder(fourth)));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-2' }, { itemIdentifier: 'msg-3' }] });
    expect(executions).toEqual([first, fourth]);
  });

  it('refuses an event outside the OrderPlaced contract without starting anything', async () => {
    const starter = new InMemorySagaStarter();
    const broken = eventBridgeEvent('OrderPlaced', 'shop.orders', { ...orderPlacedDetail, data: { ...orderPlacedDetail.data, total: { amount: -1, currency: 'EUR' } } });
    await expect(invoke(createStartOrderSagaHandler({ starter }), queued(broken))).resolves.toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
    expect(starter.executions.size).toBe(0);
  });
});
