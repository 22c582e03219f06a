import type { Reservation, ReservationStatus, StockLevel } from '../domain/inventory';

/** The part of a stored reservation a conflicting reserve reports. */
export interface ExistingReservation {
  readonly executionId: string;
  readonly status: ReservationStatus;
  readonly reservedAt: string;
}

/**
 * Outcome of an all-or-nothing reservation: done; refused because the order
 * already has a reservation (nothing changed); or refused because some
 * products were short (nothing changed).
 */
export type ReserveResult =
  | { readonly kind: 'reserved' }
  | { readonly kind: 'alreadyReserved'; readonly existing: ExistingReservation }
  | { readonly kind: 'outOfStock'; readonly productIds: readonly string[] };

/**
 * Port: stock levels and per-order reservations.
 *
 * Every write that changes a product's stock also counts it (a version that
 * only grows) and records the correlation id of the request that caused it:
 * the table's stream announces each change as a StockChanged event (the
 * outbox), and the version lets consumers ignore one that arrives late. A
 * write that would not change the count writes nothing, so nothing is
 * announced.
 */
export interface InventoryRepository {
  getStock(productId: string): Promise<StockLevel | undefined>;
  /**
   * Sets the on-hand count, creating the product's stock if there was none.
   * Setting the count it already has changes nothing. Returns the level as
   * stored (unchanged: the one that was there).
   */
  putStock(level: StockLevel, correlationId?: string): Promise<StockLevel>;
  getReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * Takes every line from stock and records the reservation, atomically: a
   * product that is missing or short, or an existing reservation for the
   * order, changes nothing. Stock never goes negative.
   */
  reserve(reservation: Reservation, correlationId?: string): Promise<ReserveResult>;
  /**
   * Marks the reservation RELEASED and gives its lines back, atomically, only
   * if it is still RESERVED. False (and nothing changed) otherwise.
   */
  release(reservation: Reservation, releasedAt: string, correlationId?: string): Promise<boolean>;
}
