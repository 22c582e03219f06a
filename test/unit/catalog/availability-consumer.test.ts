import { createAvailabilityConsumer } from '../../../functions/catalog/handlers/availability-consumer';
import { StockChanged } from '../../../functions/shared/contracts/events';
import { InMemoryProductRepository, product } from '../../fakes/product-repository';
import { eventBridgeEvent, queued, stockChangedDetail } from '../../fixtures/events';
import { invoke } from '../../support/lambda';

const stockChanged = (data: Partial<typeof stockChangedDetail.data>) =>
  eventBridgeEvent(StockChanged.detailType, StockChanged.source, { ...stockChangedDetail, data: { ...stockChangedDetail.data, ...data } });

const setup = () => {
  const products = new InMemoryProductRepository([product({ id: 'p-mug' })]);
  return { products, consumer: createAvailabilityConsumer({ products }) };
};

describe('catalog availability consumer (StockChanged → available)', () => {
  it('records the units of the fixture event on its product', async () => {
    // Prepare
    const { products, consumer } = setup();

    // Act
    const result = await invoke(consumer, queued(eventBridgeEvent(StockChanged.detailType, StockChanged.source, stockChangedDetail)));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect((await products.get('p-mug'))?.available).toBe(stockChangedDetail.data.available);
  });

  it('keeps the newest version whatever order events arrive in, and ignores a repeat', async () => {
    // Prepare
    const { products, consumer } = setup();

    // Act
    await invoke(consumer, queued(stockChanged({ available: 5, version: 7 })));
    await invoke(consumer, queued(stockChanged({ available: 9, version: 6 }), stockChanged({ available: 1, version: 7 })));
    const afterOlder = (await products.get('p-mug'))?.available;
    await invoke(consumer, queued(stockChanged({ available: 2, version: 8 })));

    // Assess
    expect(afterOlder).toBe(5);
    expect(products.availability.get('p-mug')).toEqual({ available: 2, version: 8 });
  });

  it('records units for a product catalog does not have yet, which its creation then shows', async () => {
    // Prepare
    const { products, consumer } = setup();

    // Act
    await invoke(consumer, queued(stockChanged({ productId: 'p-later', available: 4, version: 1 })));
    const created = await products.create(product({ id: 'p-later' }));

    // Assess
    expect(created.available).toBe(4);
  });

  it('reports an event that breaks its contract or is of another type as failed, recording nothing', async () => {
    // Prepare
    const { products, consumer } = setup();
    const negative = stockChanged({ available: -1 });
    const foreign = eventBridgeEvent('OrderPlaced', 'shop.orders', stockChangedDetail);

    // Act
    const result = await invoke(consumer, queued(negative, foreign, stockChanged({ available: 3, version: 2 })));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-2' }] });
    expect(products.availability.get('p-mug')).toEqual({ available: 3, version: 2 });
  });

  it('reports the event as failed when the table is unavailable, so the queue delivers it again', async () => {
    // Prepare
    const { products, consumer } = setup();
    products.recordAvailability = async () => {
      throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    };

    // Act
    const result = await invoke(consumer, queued(stockChanged({})));

    // Assess
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'msg-1' }] });
  });
});
