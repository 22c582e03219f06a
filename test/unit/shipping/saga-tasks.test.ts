import { UnservedCountriesCoverage } from '../../../functions/shipping/adapters/unserved-countries-coverage';
import { shipmentIdFor, trackingNumberFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { createCancelShipmentHandler } from '../../../functions/shipping/handlers/cancel-shipment';
import { createCreateShipmentHandler } from '../../../functions/shipping/handlers/create-shipment';
import { createGetShipmentHandler, getShipmentResponse } from '../../../functions/shipping/handlers/get-shipment';
import { SagaErrors } from '../../../functions/shared/contracts/saga';
import { metrics } from '../../../functions/shared/powertools';
import { InMemoryShipmentRepository } from '../../fakes/shipment-repository';
import { ORDER_ID } from '../../fixtures/events';
import { invoke } from '../../support/lambda';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const address = { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };
const createInput = { orderId: ORDER_ID, correlationId: 'corr-1', address, items: [{ productId: 'p-mug', quantity: 2 }] };

const shipment = (overrides: Partial<Shipment> = {}): Shipment => ({
  shipmentId: shipmentIdFor(ORDER_ID),
  orderId: ORDER_ID,
  status: 'CREATED',
  address,
  items: [{ productId: 'p-mug', quantity: 2 }],
  carrier: 'SimCarrier',
  trackingNumber: trackingNumberFor(ORDER_ID),
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  ...overrides,
});

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

  it('refuses to revive a cancelled shipment with ShipmentCancelledError', async () => {
    const { create, shipments } = setup([shipment({ status: 'CANCELLED' })]);
    await expect(invoke(create, createInput)).rejects.toMatchObject({ name: 'ShipmentCancelledError' });
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
    const addDimension = jest.spyOn(single, 'addDimension');
    const addMetric = jest.spyOn(single, 'addMetric');
    jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);

    // Act
    const first = await invoke(cancel, { orderId: ORDER_ID, correlationId: 'corr-1' });
    const second = await invoke(cancel, { orderId: ORDER_ID, correlationId: 'corr-1' });

    // Assess
    expect([first, second]).toEqual([{ cancelled: true }, { cancelled: false }]);
    expect(shipments.shipments.get(`shp-${ORDER_ID}`)).toMatchObject({ status: 'CANCELLED', updatedAt: NOW.toISOString() });
    expect(shipments.writes).toBe(1);
    expect(addDimension).toHaveBeenCalledWith('step', 'CancelShipment');
    expect(addMetric).toHaveBeenCalledTimes(1);
    expect(addMetric).toHaveBeenCalledWith('CompensationsRun', 'Count', 1);
  });

  it('changes nothing when there is no shipment or it was delivered', async () => {
    const none = setup();
    expect(await invoke(none.cancel, { orderId: ORDER_ID, correlationId: 'corr-1' })).toEqual({ cancelled: false });
    expect(none.shipments.shipments.size).toBe(0);

    const delivered = setup([shipment({ status: 'DELIVERED', deliveredAt: '2026-03-02T00:00:00.000Z' })]);
    expect(await invoke(delivered.cancel, { orderId: ORDER_ID, correlationId: 'corr-1' })).toEqual({ cancelled: false });
    expect(delivered.shipments.shipments.get(`shp-${ORDER_ID}`)?.status).toBe('DELIVERED');
    expect(delivered.shipments.writes).toBe(0);
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
