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

/** Port: stock levels and per-order reservations. */
export interface InventoryRepository {
  getStock(productId: string): Promise<StockLevel | undefined>;
  /** Sets the on-hand count, creating the product's stock if there was none. */
  putStock(level: StockLevel): Promise<void>;
  getReservation(orderId: string): Promise<Reservation | undefined>;
  /**
   * Takes every line from stock and records the reservation, atomically: a
   * product that is missing or short, or an existing reservation for the
   * order, changes nothing. Stock never goes negative.
   */
  reserve(reservation: Reservation): Promise<ReserveResult>;
  /**
   * Marks the reservation RELEASED and gives its lines back, atomically, only
   * if it is still RESERVED. False (and nothing changed) otherwise.
   */
  release(reservation: Reservation, releasedAt: string): Promise<boolean>;
}
