import type { ReleaseInventoryInput, ReleaseInventoryOutput, ReserveInventoryInput, ReserveInventoryOutput } from '../../shared/contracts/saga';
import { DuplicateSagaError, OutOfStockError, ReservationTooLargeError } from '../domain/errors';
import { MAX_RESERVATION_LINES, mergeLines, type Reservation } from '../domain/inventory';
import type { InventoryMetrics } from '../ports/inventory-metrics';
import { nowOf, type StockDeps } from './stock';

/** Dependencies of the saga's inventory steps. */
export interface ReservationDeps extends StockDeps {
  readonly metrics: InventoryMetrics;
}

/**
 * Saga step ReserveInventory: takes every line from stock for the order, all
 * or nothing. A retry of the same execution succeeds without taking stock
 * twice; another execution for the same order is a duplicate saga and
 * changes nothing.
 *
 * @throws OutOfStockError when a product is short or has no stock recorded
 * @throws DuplicateSagaError when another execution owns the order's reservation
 */
export const reserveInventory = async (deps: ReservationDeps, input: ReserveInventoryInput): Promise<ReserveInventoryOutput> => {
  const lines = mergeLines(input.items);
  if (lines.length > MAX_RESERVATION_LINES) throw new ReservationTooLargeError(lines.length, MAX_RESERVATION_LINES);
  const reservation: Reservation = {
    orderId: input.orderId,
    executionId: input.executionId,
    lines,
    status: 'RESERVED',
    reservedAt: nowOf(deps),
  };
  const result = await deps.inventory.reserve(reservation, input.correlationId);
  switch (result.kind) {
    case 'reserved':
      return { reservedAt: reservation.reservedAt };
    case 'alreadyReserved':
      if (result.existing.executionId === input.executionId && result.existing.status === 'RESERVED') {
        return { reservedAt: result.existing.reservedAt };
      }
      throw new DuplicateSagaError(input.orderId, result.existing.executionId);
    case 'outOfStock':
      throw new OutOfStockError(result.productIds);
  }
};

/**
 * Compensation ReleaseInventory: gives back exactly what the order reserved,
 * once. Nothing reserved, already released, or released concurrently:
 * `released: false` and nothing written.
 */
export const releaseInventory = async (deps: ReservationDeps, input: ReleaseInventoryInput): Promise<ReleaseInventoryOutput> => {
  const reservation = await deps.inventory.getReservation(input.orderId);
  if (!reservation || reservation.status !== 'RESERVED') return { released: false };
  const released = await deps.inventory.release(reservation, nowOf(deps), input.correlationId);
  if (released) deps.metrics.compensationRun();
  return { released };
};
