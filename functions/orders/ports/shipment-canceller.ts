import type { CancelShipmentOutcome, ShipmentTombstone } from '../../shared/contracts/saga';

/**
 * Port: shipping's CancelShipment, as the orders service calls it when an
 * order's owner cancels it. The shipment's conditional write is what decides
 * between a cancellation and the carrier shipping it. Throws
 * DependencyUnavailableError when shipping cannot answer.
 */
export interface ShipmentCanceller {
  /** Cancels the order's shipment, or writes it cancelled (from `tombstone`) if the saga has not created it yet. */
  cancelShipment(orderId: string, correlationId: string, tombstone: ShipmentTombstone): Promise<CancelShipmentOutcome>;
}
