import { DynamoDbShipmentRepository } from '../../functions/shipping/adapters/dynamodb-shipment-repository';
import { shipmentIdFor } from '../../functions/shipping/domain/shipment';
import { shipment } from '../fakes/shipment-repository';
import { ORDER_ID } from '../fixtures/events';
import { createTestTable, scanAll, testDocumentClient } from '../support/dynamodb';

const SHIPMENT_ID = shipmentIdFor(ORDER_ID);

describe('DynamoDbShipmentRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let repository: DynamoDbShipmentRepository;

  beforeEach(async () => {
    tableName = await createTestTable();
    repository = new DynamoDbShipmentRepository(tableName, client);
  });
  afterAll(() => client.destroy());

  it('creates a shipment once, keyed SHIPMENT#<id>, and hands back the existing one afterwards', async () => {
    expect(await repository.create(shipment())).toEqual({ created: true });
    expect(await repository.create(shipment({ createdAt: '2026-03-09T00:00:00.000Z' }))).toEqual({ created: false, existing: shipment() });
    expect(await scanAll(client, tableName)).toEqual([{ pk: `SHIPMENT#${SHIPMENT_ID}`, ...shipment() }]);
  });

  it('lets exactly one of concurrent creates write', async () => {
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => repository.create(shipment())));
    expect(outcomes.filter((o) => o.created)).toHaveLength(1);
    expect(await scanAll(client, tableName)).toHaveLength(1);
  });

  it('cancels only a CREATED shipment, and a cancelled one cannot be delivered', async () => {
    await repository.create(shipment());
    expect(await repository.cancel(SHIPMENT_ID, '2026-03-02T00:00:00.000Z')).toBe(true);
    expect(await repository.cancel(SHIPMENT_ID, '2026-03-02T00:00:01.000Z')).toBe(false);
    expect(await repository.markDelivered(SHIPMENT_ID, '2026-03-02T00:00:02.000Z')).toBeUndefined();
    expect(await repository.get(SHIPMENT_ID)).toEqual(shipment({ status: 'CANCELLED', updatedAt: '2026-03-02T00:00:00.000Z', cancelledAt: '2026-03-02T00:00:00.000Z' }));
  });

  it('ships only a CREATED shipment; a shipped one can be delivered but not cancelled or shipped again', async () => {
    await repository.create(shipment());
    const shipped = await repository.markShipped(SHIPMENT_ID, '2026-03-02T08:00:00.000Z');
    expect(shipped).toEqual(shipment({ status: 'SHIPPED', updatedAt: '2026-03-02T08:00:00.000Z', shippedAt: '2026-03-02T08:00:00.000Z' }));
    expect(await repository.markShipped(SHIPMENT_ID, '2026-03-02T08:00:01.000Z')).toBeUndefined();
    expect(await repository.cancel(SHIPMENT_ID, '2026-03-02T08:00:02.000Z')).toBe(false);
    expect(await repository.markDelivered(SHIPMENT_ID, '2026-03-03T09:00:00.000Z')).toMatchObject({
      status: 'DELIVERED',
      shippedAt: '2026-03-02T08:00:00.000Z',
      deliveredAt: '2026-03-03T09:00:00.000Z',
    });
  });

  it('never ships a cancelled shipment (the fence a customer cancellation puts up)', async () => {
    await repository.create(shipment({ status: 'CANCELLED', cancelledAt: '2026-03-01T00:00:00.000Z', cancelledBeforeCreation: true }));
    expect(await repository.markShipped(SHIPMENT_ID, '2026-03-02T08:00:00.000Z')).toBeUndefined();
    expect(await repository.create(shipment())).toMatchObject({ created: false, existing: { status: 'CANCELLED', cancelledBeforeCreation: true } });
  });

  it('delivers only a CREATED shipment, and a delivered one cannot be cancelled', async () => {
    await repository.create(shipment());
    const delivered = await repository.markDelivered(SHIPMENT_ID, '2026-03-03T09:00:00.000Z');
    expect(delivered).toEqual(shipment({ status: 'DELIVERED', updatedAt: '2026-03-03T09:00:00.000Z', deliveredAt: '2026-03-03T09:00:00.000Z' }));
    expect(await repository.markDelivered(SHIPMENT_ID, '2026-03-03T10:00:00.000Z')).toBeUndefined();
    expect(await repository.cancel(SHIPMENT_ID, '2026-03-03T10:00:00.000Z')).toBe(false);
    expect((await repository.get(SHIPMENT_ID))?.deliveredAt).toBe('2026-03-03T09:00:00.000Z');
  });

  it('never creates a shipment by cancelling or delivering a missing one', async () => {
    expect(await repository.cancel(SHIPMENT_ID, '2026-03-02T00:00:00.000Z')).toBe(false);
    expect(await repository.markDelivered(SHIPMENT_ID, '2026-03-02T00:00:00.000Z')).toBeUndefined();
    expect(await repository.markShipped(SHIPMENT_ID, '2026-03-02T00:00:00.000Z')).toBeUndefined();
    expect(await scanAll(client, tableName)).toHaveLength(0);
  });
});
