import type { Shipment, ShipmentStatus } from '../../functions/shipping/domain/shipment';
import type { CreateShipmentOutcome, ShipmentRepository } from '../../functions/shipping/ports/shipment-repository';

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
