import { shipmentIdFor, trackingNumberFor, type Shipment, type ShipmentStatus } from '../../functions/shipping/domain/shipment';
import type { CreateShipmentOutcome, ShipmentRepository } from '../../functions/shipping/ports/shipment-repository';
import { ORDER_ID } from '../fixtures/events';

/** A CREATED shipment of the fixtures' order (two mugs to Alice), with any field overridden. */
export const shipment = (overrides: Partial<Shipment> = {}): Shipment => ({
  shipmentId: shipmentIdFor(ORDER_ID),
  orderId: ORDER_ID,
  status: 'CREATED',
  address: { name: 'Alice', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
  items: [{ productId: 'p-mug', quantity: 2 }],
  carrier: 'SimCarrier',
  trackingNumber: trackingNumberFor(ORDER_ID),
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  ...overrides,
});

/** In-memory {@link ShipmentRepository} with the DynamoDB one's conditional behaviour. */
export class InMemoryShipmentRepository implements ShipmentRepository {
  public readonly shipments = new Map<string, Shipment>();
  /** Every successful write, for asserting that none happened. */
  public writes = 0;
  /**
   * Runs once, after the next read of a shipment and before it returns: a
   * concurrent writer (another Lambda) acting between two calls of the code under test.
   */
  public meanwhile: (() => void) | undefined;

  public constructor(seed: readonly Shipment[] = []) {
    for (const shipment of seed) this.shipments.set(shipment.shipmentId, shipment);
  }

  public async get(shipmentId: string): Promise<Shipment | undefined> {
    const found = this.shipments.get(shipmentId);
    const meanwhile = this.meanwhile;
    this.meanwhile = undefined;
    meanwhile?.();
    return found;
  }

  public async create(shipment: Shipment): Promise<CreateShipmentOutcome> {
    const existing = this.shipments.get(shipment.shipmentId);
    if (existing) return { created: false, existing };
    this.shipments.set(shipment.shipmentId, shipment);
    this.writes += 1;
    return { created: true };
  }

  public async cancel(shipmentId: string, at: string): Promise<boolean> {
    return (await this.transition(shipmentId, ['CREATED'], { status: 'CANCELLED', updatedAt: at, cancelledAt: at })) !== undefined;
  }

  public markShipped(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.transition(shipmentId, ['CREATED'], { status: 'SHIPPED', updatedAt: at, shippedAt: at });
  }

  public markDelivered(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.transition(shipmentId, ['CREATED', 'SHIPPED'], { status: 'DELIVERED', updatedAt: at, deliveredAt: at });
  }

  private async transition(shipmentId: string, from: readonly ShipmentStatus[], change: Partial<Shipment>): Promise<Shipment | undefined> {
    const current = this.shipments.get(shipmentId);
    if (current === undefined || !from.includes(current.status)) return undefined;
    const next = { ...current, ...change };
    this.shipments.set(shipmentId, next);
    this.writes += 1;
    return next;
  }
}
