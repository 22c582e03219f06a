import { UnservedCountriesCoverage } from '../../../functions/shipping/adapters/unserved-countries-coverage';
import { trackingNumberFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { createCancelShipmentHandler } from '../../../functions/shipping/handlers/cancel-shipment';
import { createCreateShipmentHandler } from '../../../functions/shipping/handlers/create-shipment';
import { createGetShipmentHandler, getShipmentResponse } from '../../../functions/shipping/handlers/get-shipment';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { metrics } from '../../../functions/shared/powertools';
import { InMemoryShipmentRepository, shipment } from '../../fakes/shipment-repository';
import { ORDER_ID } from '../../fixtures/events';
import { invoke } from '../../support/lambda';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const address = { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const createInput = { orderId: ORDER_ID, correlationId: 'corr-1', address, items: [{ productId: 'p-mug', quantity: 2 }] };
/** CancelShipment as the orders service sends it when the order's owner cancels. */
const cancelInput = { orderId: ORDER_ID, correlationId: 'corr-1', tombstone: { address, items: [{ productId: 'p-mug', quantity: 2 }] } };


const setup = (seed: Shipment[] = []) => {
  const shipments = new InMemoryShipmentRepository(seed);
  const deps = { shipments, coverage: new UnservedCountriesCoverage(['AQ']), now: () => NOW };
  return {
    shipments,
    create: createCreateShipmentHandler(deps),
    cancel: createCancelShipmentHandler(deps),
    get: createGetShipmentHandler(deps),
  };
};

afterEach(() => jest.restoreAllMocks());

describe('CreateShipment', () => {
  it('creates one CREATED shipment per order with a deterministic id and tracking number', async () => {
    // Prepare
    const { create, shipments } = setup();

    // Act
    const output = await invoke(create, createInput);

    // Assess
    expect(output).toEqual({ shipmentId: `shp-${ORDER_ID}` });
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)).toEqual({
      shipmentId: `shp-${ORDER_ID}`,
      orderId: ORDER_ID,
      status: 'CREATED',
      address,
      items: [{ productId: 'p-mug', quantity: 2 }],
      carrier: 'SimCarrier',
      trackingNumber: expect.stringMatching(/^SIM[0-9A-F]{16}$/),
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
    });
    expect(trackingNumberFor(ORDER_ID)).toBe(shipments.shipments.get(`shp-${ORDER_ID}`)?.trackingNumber);
    expect(trackingNumberFor('11111111-2222-4333-8444-555555555555')).not.toBe(trackingNumberFor(ORDER_ID));
  });

  it('answers the same id on a retry without writing again, for CREATED and DELIVERED shipments', async () => {
    const { create, shipments } = setup();
    await invoke(create, createInput);
    const again = await invoke(create, createInput);
    expect(again).toEqual({ shipmentId: `shp-${ORDER_ID}` });
    expect(shipments.writes).toBe(1);

    const delivered = setup([shipment({ status: 'DELIVERED', deliveredAt: '2026-03-02T00:00:00.000Z' })]);
    expect(await invoke(delivered.create, createInput)).toEqual({ shipmentId: `shp-${ORDER_ID}` });
    expect(delivered.shipments.writes).toBe(0);
  });

  it('refuses to revive a cancelled shipment with ShipmentCancelledError, the name the saga catches', async () => {
    const { create, shipments } = setup([shipment({ status: 'CANCELLED' })]);
    await expect(invoke(create, createInput)).rejects.toMatchObject({ name: SagaErrors.shipmentCancelled });
    expect(SagaErrors.shipmentCancelled).toBe('ShipmentCancelledError');
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)?.status).toBe('CANCELLED');
  });

  it('fails with ShippingUnavailableError and writes nothing for an unserved country', async () => {
    const { create, shipments } = setup();
    await expect(invoke(create, { ...createInput, address: { ...address, country: 'AQ' } })).rejects.toMatchObject({
      name: SagaErrors.shippingUnavailable,
    });
    expect(shipments.shipments.size).toBe(0);
  });

  it('rejects input outside the saga contract', async () => {
    const { create, shipments } = setup();
    await expect(invoke(create, { ...createInput, items: [] })).rejects.toMatchObject({ name: 'ContractViolationError' });
    expect(shipments.shipments.size).toBe(0);
  });
});

describe('CancelShipment', () => {
  it('cancels a CREATED shipment once and counts the compensation', async () => {
    // Prepare
    const { cancel, shipments } = setup([shipment()]);
    const single = metrics.singleMetric();
    const addMetadata = jest.spyOn(single, 'addMetadata');
    const addMetric = jest.spyOn(single, 'addMetric');
    jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);

    // Act
    const first = await invoke(cancel, { orderId: ORDER_ID, correlationId: 'corr-1' });
    const second = await invoke(cancel, { orderId: ORDER_ID, correlationId: 'corr-1' });

    // Assess
    expect([first, second]).toEqual([
      { cancelled: true, outcome: 'cancelled' },
      { cancelled: false, outcome: 'already-cancelled' },
    ]);
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)).toMatchObject({ status: 'CANCELLED', updatedAt: NOW.toISOString(), cancelledAt: NOW.toISOString() });
    expect(shipments.writes).toBe(1);
    expect(addMetadata).toHaveBeenCalledWith('step', 'CancelShipment');
    expect(addMetric).toHaveBeenCalledTimes(1);
    expect(addMetric).toHaveBeenCalledWith('CompensationsRun', 'Count', 1);
  });

  it('changes nothing without a tombstone when there is no shipment, and never cancels a shipped or delivered one', async () => {
    // Prepare
    const none = setup();
    const shipped = setup([shipment({ status: 'SHIPPED', shippedAt: '2026-03-02T00:00:00.000Z' })]);
    const delivered = setup([shipment({ status: 'DELIVERED', deliveredAt: '2026-03-02T00:00:00.000Z' })]);

    // Act
    const answers = await Promise.all([none, shipped, delivered].map(({ cancel }) => invoke(cancel, { orderId: ORDER_ID, correlationId: 'corr-1' })));
    const withTombstone = await Promise.all([shipped, delivered].map(({ cancel }) => invoke(cancel, cancelInput)));

    // Assess
    expect(answers).toEqual([
      { cancelled: false, outcome: 'absent' },
      { cancelled: false, outcome: 'shipped' },
      { cancelled: false, outcome: 'delivered' },
    ]);
    expect(withTombstone).toEqual([
      { cancelled: false, outcome: 'shipped' },
      { cancelled: false, outcome: 'delivered' },
    ]);
    expect(none.shipments.shipments.size).toBe(0);
    expect([shipped, delivered].map((s) => s.shipments.shipments.get(`shp-${ORDER_ID}`)?.status)).toEqual(['SHIPPED', 'DELIVERED']);
    expect(shipped.shipments.writes + delivered.shipments.writes).toBe(0);
  });

  it('with a tombstone and no shipment, writes it cancelled, so the saga can never create it', async () => {
    // Prepare
    const { cancel, create, shipments } = setup();

    // Act
    const first = await invoke(cancel, cancelInput);
    const repeated = await invoke(cancel, cancelInput);
    const sagaLater = invoke(create, createInput);

    // Assess
    expect([first, repeated]).toEqual([
      { cancelled: true, outcome: 'cancelled-before-creation' },
      { cancelled: false, outcome: 'cancelled-before-creation' },
    ]);
    await expect(sagaLater).rejects.toMatchObject({ name: SagaErrors.shipmentCancelled });
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)).toEqual({
      ...shipment({ createdAt: NOW.toISOString(), updatedAt: NOW.toISOString() }),
      status: 'CANCELLED',
      cancelledAt: NOW.toISOString(),
      cancelledBeforeCreation: true,
    });
    expect(shipments.writes).toBe(1);
  });

  it('cancels the shipment a concurrent CreateShipment wrote when that won the race against the tombstone', async () => {
    // Prepare: CreateShipment writes between CancelShipment's read (nothing there) and its put of the tombstone.
    const { cancel, shipments } = setup();
    shipments.meanwhile = () => void shipments.shipments.set(`shp-${ORDER_ID}`, shipment());

    // Act
    const answer = await invoke(cancel, cancelInput);

    // Assess
    expect(answer).toEqual({ cancelled: true, outcome: 'cancelled' });
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)).toMatchObject({ status: 'CANCELLED', cancelledAt: NOW.toISOString() });
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)?.cancelledBeforeCreation).toBeUndefined();
  });

  it('tells a shipment the saga cancelled apart from one cancelled before creation', async () => {
    const { cancel } = setup([shipment({ status: 'CANCELLED', cancelledAt: '2026-03-01T01:00:00.000Z' })]);
    expect(await invoke(cancel, cancelInput)).toEqual({ cancelled: false, outcome: 'already-cancelled' });
  });

  it('rejects a tombstone outside its contract', async () => {
    const { cancel, shipments } = setup();
    await expect(invoke(cancel, { ...cancelInput, tombstone: { address, items: [] } })).rejects.toMatchObject({ name: 'ContractViolationError' });
    expect(shipments.shipments.size).toBe(0);
  });
});

describe('GetShipment', () => {
  it("answers the order's shipment, or null, within its exported contract", async () => {
    const { get } = setup([shipment()]);
    const found = await invoke(get, { orderId: ORDER_ID, correlationId: 'corr-1' });
    const missing = await invoke(get, { orderId: '11111111-2222-4333-8444-555555555555' });
    expect(getShipmentResponse.parse(found)).toEqual({ shipment: shipment() });
    expect(missing).toEqual({ shipment: null });
  });

  it('rejects a request that is not an order id', async () => {
    const { get } = setup();
    await expect(invoke(get, { orderId: 'nope' })).rejects.toMatchObject({ name: 'ContractViolationError' });
  });
});
