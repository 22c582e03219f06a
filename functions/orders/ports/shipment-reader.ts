import type { Address } from '../../shared/contracts/common';

/** An order's shipment as the orders service shows it in order details. */
export interface ShipmentSummary {
  readonly shipmentId: string;
  readonly status: string;
  readonly address: Address;
  readonly items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>;
  readonly carrier: string;
  readonly trackingNumber: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly deliveredAt?: string;
}

/** Port: reads an order's shipment from the shipping service. Throws DependencyUnavailableError when it cannot. */
export interface ShipmentReader {
  /** Null when the order has no shipment (yet). */
  getShipment(orderId: string, correlationId: string): Promise<ShipmentSummary | null>;
}
