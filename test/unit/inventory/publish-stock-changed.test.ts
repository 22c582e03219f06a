import { createPublishStockChangedHandler } from '../../../functions/inventory/handlers/publish-stock-changed';
import { StockChanged } from '../../../functions/shared/contracts/events';
import { stockChangedDetail } from '../../fixtures/events';
import { invoke } from '../../support/lambda';
import { streamRecordsOf } from '../../support/stream-records';

/** The stock item of the StockChanged fixture, as the inventory table stores it. */
const stockItem = (overrides: Record<string, unknown> = {}) => ({
  pk: `PRODUCT#${stockChangedDetail.data.productId}`,
  productId: stockChangedDetail.data.productId,
  stock: stockChangedDetail.data.available,
  version: stockChangedDetail.data.version,
  updatedAt: stockChangedDetail.metadata.occurredAt,
  correlationId: stockChangedDetail.metadata.correlationId,
  ...overrides,
});

/** A DynamoDB stream record as an EventBridge Pipe hands it to the enrichment. */
const streamRecord = streamRecordsOf({ table: 'stock', defaultEventName: 'MODIFY', sizeBytes: 128 });

describe('inventory outbox enrichment (stream batch → StockChanged details)', () => {
  it('turns each stock write into a StockChanged detail shaped like the fixture, keyed by the stream record', async () => {
    // Prepare
    const batch = [streamRecord('evt-1', stockItem(), 'INSERT'), streamRecord('evt-2', stockItem({ productId: 'p-tea', pk: 'PRODUCT#p-tea', stock: 0, version: 9 }))];

    // Act
    const details = await invoke(createPublishStockChangedHandler(), batch);

    // Assess
    expect(details).toEqual([
      { ...stockChangedDetail, metadata: { ...stockChangedDetail.metadata, eventId: 'evt-1' } },
      { metadata: { ...stockChangedDetail.metadata, eventId: 'evt-2' }, data: { productId: 'p-tea', available: 0, version: 9 } },
    ]);
    expect(details.every((d) => StockChanged.detail.safeParse(d).success)).toBe(true);
  });

  it('skips reservations and removals, and names stock written before requests carried a correlation id after the change', async () => {
    // Prepare
    const reservation = { pk: 'RESERVATION#o-1', orderId: 'o-1', status: 'RESERVED' };
    const legacy = stockItem({ correlationId: undefined, version: 1 });

    // Act
    const details = await invoke(createPublishStockChangedHandler(), [streamRecord('evt-r', reservation), streamRecord('evt-x', stockItem(), 'REMOVE'), streamRecord('evt-l', legacy)]);

    // Assess
    expect(details).toEqual([expect.objectContaining({ metadata: expect.objectContaining({ eventId: 'evt-l', correlationId: 'stock-p-mug-v1' }) })]);
  });

  it('fails the batch on a stock item that breaks its shape, so the pipe retries and parks it', async () => {
    // Prepare
    const broken = streamRecord('evt-b', stockItem({ stock: -1 }));

    // Act
    const result = invoke(createPublishStockChangedHandler(), [streamRecord('evt-1', stockItem()), broken]);

    // Assess
    await expect(result).rejects.toMatchObject({ name: 'ContractViolationError' });
  });
});
