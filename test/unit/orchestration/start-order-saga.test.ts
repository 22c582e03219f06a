import { createStartOrderSagaHandler } from '../../../functions/orchestration/handlers/start-order-saga';
import type { SagaStarter, StartOutcome } from '../../../functions/orchestration/ports/saga-starter';
import { eventBridgeEvent, ORDER_ID, orderPlacedDetail } from '../../fixtures/events';
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
    await invoke(createStartOrderSagaHandler({ starter }), orderPlaced());
    expect([...starter.executions.keys()]).toEqual([ORDER_ID]);
    expect(JSON.parse(starter.executions.get(ORDER_ID) ?? '{}')).toEqual(orderPlacedDetail);
  });

  it('changes nothing on a redelivered OrderPlaced', async () => {
    const starter = new InMemorySagaStarter();
    const handler = createStartOrderSagaHandler({ starter });
    await invoke(handler, orderPlaced());
    await expect(invoke(handler, orderPlaced())).resolves.toBeUndefined();
    expect(starter.executions.size).toBe(1);
  });

  it('fails (so EventBridge retries, then dead-letters) when Step Functions is unavailable', async () => {
    const starter: SagaStarter = { start: async () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })) };
    await expect(invoke(createStartOrderSagaHandler({ starter }), orderPlaced())).rejects.toThrow('throttled');
  });

  it('refuses an event outside the OrderPlaced contract without starting anything', async () => {
    const starter = new InMemorySagaStarter();
    const broken = eventBridgeEvent('OrderPlaced', 'shop.orders', { ...orderPlacedDetail, data: { ...orderPlacedDetail.data, total: { amount: -1, currency: 'EUR' } } });
    await expect(invoke(createStartOrderSagaHandler({ starter }), broken)).rejects.toMatchObject({ name: 'ContractViolationError' });
    expect(starter.executions.size).toBe(0);
  });
});
