import { shipmentIdFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { createShippingApi } from '../../../functions/shipping/handlers/api';
import { OrderShipped, ShipmentDelivered } from '../../../functions/shared/contracts/events';
import { TransientError } from '../../../functions/shared/errors';
import { RecordingEventPublisher } from '../../fakes/recording-event-publisher';
import { InMemoryShipmentRepository, shipment } from '../../fakes/shipment-repository';
import { ORDER_ID, orderShippedDetail, shipmentDeliveredDetail } from '../../fixtures/events';
import { admin, alice, bodyOf, httpEvent, invoke, type TestCaller } from '../../support/lambda';

const NOW = new Date('2026-03-03T09:00:00.000Z');
const SHIPMENT_ID = shipmentIdFor(ORDER_ID);
const carrier: TestCaller = { sub: 'carrier-1', groups: ['carrier'] };


const setup = (seed: Shipment[] = [shipment()]) => {
  const shipments = new InMemoryShipmentRepository(seed);
  const events = new RecordingEventPublisher();
  return { shipments, events, api: createShippingApi({ shipments, events, now: () => NOW }) };
};

const deliver = (id: string, caller: TestCaller = carrier) =>
  httpEvent({ routeKey: 'POST /shipments/{id}/deliver', pathParameters: { id }, caller, headers: { 'x-correlation-id': 'corr-carrier' } });
const ship = (id: string, caller: TestCaller = carrier) =>
  httpEvent({ routeKey: 'POST /shipments/{id}/ship', pathParameters: { id }, caller, headers: { 'x-correlation-id': 'corr-carrier' } });

describe('POST /shipments/{id}/ship', () => {
  it('ships a CREATED shipment and publishes OrderShipped per its contract', async () => {
    // Prepare
    const { api, shipments, events } = setup();

    // Act
    const result = await invoke(api, ship(SHIPMENT_ID));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ ...shipment(), status: 'SHIPPED', updatedAt: NOW.toISOString(), shippedAt: NOW.toISOString() });
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('SHIPPED');
    const [published, ...others] = events.published;
    expect(others).toEqual([]);
    expect(published).toMatchObject({ detailType: 'OrderShipped', source: 'shop.shipping', correlationId: 'corr-carrier' });
    expect(OrderShipped.data.safeParse(published?.data).success).toBe(true);
    expect(Object.keys(published?.data ?? {}).sort()).toEqual(Object.keys(orderShippedDetail.data).sort());
    expect(published?.data).toEqual({ orderId: ORDER_ID, shipmentId: SHIPMENT_ID, shippedAt: NOW.toISOString() });
  });

  it('answers a repeated ship the same way, without writing, and publishes again', async () => {
    const { api, shipments, events } = setup();
    const first = await invoke(api, ship(SHIPMENT_ID));
    const second = await invoke(api, ship(SHIPMENT_ID, admin));
    expect(second.statusCode).toBe(200);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(shipments.writes).toBe(1);
    expect(events.published.map((e) => e.detailType)).toEqual(['OrderShipped', 'OrderShipped']);
  });

  it('refuses a cancelled shipment (the order was cancelled first) with 409 SHIPMENT_CANCELLED, and a delivered one with 409 SHIPMENT_DELIVERED', async () => {
    const cancelled = setup([shipment({ status: 'CANCELLED', cancelledBeforeCreation: true })]);
    const delivered = setup([shipment({ status: 'DELIVERED', deliveredAt: '2026-03-02T00:00:00.000Z' })]);
    const answers = [await invoke(cancelled.api, ship(SHIPMENT_ID)), await invoke(delivered.api, ship(SHIPMENT_ID))];
    expect(answers.map((a) => [a.statusCode, (bodyOf(a) as { code: string }).code])).toEqual([
      [409, 'SHIPMENT_CANCELLED'],
      [409, 'SHIPMENT_DELIVERED'],
    ]);
    expect(cancelled.shipments.writes + delivered.shipments.writes).toBe(0);
    expect([...cancelled.events.published, ...delivered.events.published]).toEqual([]);
  });

  it('answers 404 for an unknown shipment, and lets only carriers and admins ship', async () => {
    const { api, shipments, events } = setup();
    const unknown = await invoke(api, ship(shipmentIdFor('11111111-2222-4333-8444-555555555555')));
    const asCustomer = await invoke(api, ship(SHIPMENT_ID, alice));
    expect([unknown.statusCode, asCustomer.statusCode]).toEqual([404, 403]);
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('CREATED');
    expect(events.published).toEqual([]);
  });

  it('answers 503 with Retry-After when OrderShipped cannot be published, and a retry publishes it', async () => {
    const { api, events, shipments } = setup();
    events.failWith = new TransientError('PutEvents rejected OrderShipped');
    const failed = await invoke(api, ship(SHIPMENT_ID));
    events.failWith = undefined;
    const retried = await invoke(api, ship(SHIPMENT_ID));
    expect([failed.statusCode, failed.headers?.['retry-after'], retried.statusCode]).toEqual([503, '1', 200]);
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('SHIPPED');
    expect(events.published.map((e) => e.detailType)).toEqual(['OrderShipped']);
  });
});

describe('POST /shipments/{id}/deliver', () => {
  it('marks a CREATED shipment delivered and publishes ShipmentDelivered per its contract', async () => {
    // Prepare
    const { api, shipments, events } = setup();

    // Act
    const result = await invoke(api, deliver(SHIPMENT_ID));

    // Assess
    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({ ...shipment(), status: 'DELIVERED', updatedAt: NOW.toISOString(), deliveredAt: NOW.toISOString() });
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('DELIVERED');
    expect(events.published).toHaveLength(1);
    const [published] = events.published;
    expect(published).toMatchObject({ detailType: 'ShipmentDelivered', source: 'shop.shipping', correlationId: 'corr-carrier' });
    expect(ShipmentDelivered.data.safeParse(published?.data).success).toBe(true);
    expect(Object.keys(published?.data ?? {}).sort()).toEqual(Object.keys(shipmentDeliveredDetail.data).sort());
    expect(published?.data).toEqual({ orderId: ORDER_ID, shipmentId: SHIPMENT_ID, deliveredAt: NOW.toISOString() });
  });

  it('answers a repeated delivery the same way, without writing, and publishes again', async () => {
    const { api, shipments, events } = setup();
    const first = await invoke(api, deliver(SHIPMENT_ID));
    const second = await invoke(api, deliver(SHIPMENT_ID, admin));
    expect(second.statusCode).toBe(200);
    expect(bodyOf(second)).toEqual(bodyOf(first));
    expect(shipments.writes).toBe(1);
    expect(events.published.map((e) => e.data)).toEqual([events.published[0]?.data, events.published[0]?.data]);
  });

  it('delivers a SHIPPED shipment too, keeping when it shipped', async () => {
    const { api, shipments } = setup([shipment({ status: 'SHIPPED', shippedAt: '2026-03-02T00:00:00.000Z' })]);
    const result = await invoke(api, deliver(SHIPMENT_ID));
    expect(result.statusCode).toBe(200);
    expect(shipments.shipments.get(SHIPMENT_ID)).toMatchObject({ status: 'DELIVERED', shippedAt: '2026-03-02T00:00:00.000Z', deliveredAt: NOW.toISOString() });
  });

  it('refuses a cancelled shipment with 409 SHIPMENT_CANCELLED and publishes nothing', async () => {
    const { api, shipments, events } = setup([shipment({ status: 'CANCELLED' })]);
    const result = await invoke(api, deliver(SHIPMENT_ID));
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toMatchObject({ code: 'SHIPMENT_CANCELLED' });
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('CANCELLED');
    expect(events.published).toHaveLength(0);
  });

  it('answers 404 for an unknown shipment and 422 for a malformed id', async () => {
    const { api, shipments, events } = setup([]);
    const unknown = await invoke(api, deliver(shipmentIdFor('11111111-2222-4333-8444-555555555555')));
    const malformed = await invoke(api, deliver('shp-not-an-order'));
    expect(unknown.statusCode).toBe(404);
    expect(bodyOf(unknown)).toMatchObject({ code: 'SHIPMENT_NOT_FOUND' });
    expect(malformed.statusCode).toBe(422);
    expect(bodyOf(malformed)).toMatchObject({ errors: [{ path: 'id', message: expect.stringContaining('shp-') }] });
    expect(shipments.shipments.size).toBe(0);
    expect(events.published).toHaveLength(0);
  });

  it('lets only carriers and admins deliver (403 for a customer, 401 for nobody)', async () => {
    const { api, shipments } = setup();
    const asCustomer = await invoke(api, deliver(SHIPMENT_ID, alice));
    const anonymous = await invoke(api, httpEvent({ routeKey: 'POST /shipments/{id}/deliver', pathParameters: { id: SHIPMENT_ID } }));
    expect([asCustomer.statusCode, anonymous.statusCode]).toEqual([403, 401]);
    expect(shipments.shipments.get(SHIPMENT_ID)?.status).toBe('CREATED');
  });

  it('answers 503 with Retry-After when the event cannot be published, and a retry completes it', async () => {
    const { api, events } = setup();
    events.failWith = new TransientError('PutEvents rejected ShipmentDelivered');
    const failed = await invoke(api, deliver(SHIPMENT_ID));
    expect(failed.statusCode).toBe(503);
    expect(failed.headers?.['retry-after']).toBe('1');

    events.failWith = undefined;
    const retried = await invoke(api, deliver(SHIPMENT_ID));
    expect(retried.statusCode).toBe(200);
    expect(events.published).toHaveLength(1);
  });
});
