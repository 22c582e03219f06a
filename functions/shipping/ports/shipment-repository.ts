import type { Shipment } from '../domain/shipment';

/** What a create found: it wrote the shipment, or one with that id already existed. */
export type CreateShipmentOutcome = { readonly created: true } | { readonly created: false; readonly existing: Shipment };

/** Port: where shipments live. Every status change is conditional on the current status. */
export interface ShipmentRepository {
  get(shipmentId: string): Promise<Shipment | undefined>;
  /** Writes the shipment (CREATED, or a CANCELLED stand-in) only if none with its id exists. */
  create(shipment: Shipment): Promise<CreateShipmentOutcome>;
  /** CREATED → CANCELLED. False (nothing written) when it is not CREATED (or absent). */
  cancel(shipmentId: string, at: string): Promise<boolean>;
  /** CREATED → SHIPPED. The shipped shipment, or undefined (nothing written) when it was not CREATED. */
  markShipped(shipmentId: string, at: string): Promise<Shipment | undefined>;
  /** CREATED or SHIPPED → DELIVERED. The delivered shipment, or undefined (nothing written) when it was neither. */
  markDelivered(shipmentId: string, at: string): Promise<Shipment | undefined>;
}
