import type { Shipment } from '../../functions/shipping/domain/shipment';
import type { CreateShipmentOutcome, ShipmentRepository } from '../../functions/shipping/ports/shipment-repository';

/** In-memory {@link ShipmentRepository} with the DynamoDB one's conditional behaviour. */
export class InMemoryShipmentRepository implements ShipmentRepository {
  public readonly shipments = new Map<string, Shipment>();
  /** Every successful write, for asserting that none happened. */
  public writes = 0;

  public constructor(seed: readonly Shipment[] = []) {
    for (const shipment of seed) this.shipments.set(shipment.shipmentId, shipment);
  }

  public async get(shipmentId: string): Promise<Shipment | undefined> {
    return this.shipments.get(shipmentId);
  }

  public async create(shipment: Shipment): Promise<CreateShipmentOutcome> {
    const existing = this.shipments.get(shipment.shipmentId);
    if (existing) return { created: false, existing };
    this.shipments.set(shipment.shipmentId, shipment);
    this.writes += 1;
    return { created: true };
  }

  public async cancel(shipmentId: string, at: string): Promise<boolean> {
    return (await this.fromCreated(shipmentId, { status: 'CANCELLED', updatedAt: at })) !== undefined;
  }

  public markDelivered(shipmentId: string, at: string): Promise<Shipment | undefined> {
    return this.fromCreated(shipmentId, { status: 'DELIVERED', updatedAt: at, deliveredAt: at });
  }

  private async fromCreated(shipmentId: string, change: Partial<Shipment>): Promise<Shipment | undefined> {
    const current = this.shipments.get(shipmentId);
    if (current?.status !== 'CREATED') return undefined;
    const next = { ...current, ...change };
    this.shipments.set(shipmentId, next);
    this.writes += 1;
    return next;
  }
}
