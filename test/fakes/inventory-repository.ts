import type { Reservation, StockLevel } from '../../functions/inventory/domain/inventory';
import { stockCovers } from '../../functions/inventory/domain/stock-condition';
import type { InventoryRepository, ReserveResult } from '../../functions/inventory/ports/inventory-repository';

/**
 * In-memory {@link InventoryRepository} with the conditions of the DynamoDB
 * one: reserve is all-or-nothing (an existing reservation or any short line
 * changes nothing), release happens only from RESERVED. Each method checks
 * and writes without awaiting in between, so concurrent calls stay atomic.
 */
export class InMemoryInventoryRepository implements InventoryRepository {
  public readonly stock = new Map<string, StockLevel>();
  public readonly reservations = new Map<string, Reservation>();
  /** Writes that changed something, to assert that a refusal wrote nothing. */
  public writes = 0;

  public constructor(seed: readonly StockLevel[] = []) {
    for (const level of seed) this.stock.set(level.productId, level);
  }

  public async getStock(productId: string): Promise<StockLevel | undefined> {
    return this.stock.get(productId);
  }

  public async putStock(level: StockLevel): Promise<StockLevel> {
    const current = this.stock.get(level.productId);
    if (current?.stock === level.stock) return current;
    this.stock.set(level.productId, level);
    this.writes += 1;
    return level;
  }

  public async getReservation(orderId: string): Promise<Reservation | undefined> {
    return this.reservations.get(orderId);
  }

  public async reserve(reservation: Reservation): Promise<ReserveResult> {
    const existing = this.reservations.get(reservation.orderId);
    if (existing) {
      return { kind: 'alreadyReserved', existing: { executionId: existing.executionId, status: existing.status, reservedAt: existing.reservedAt } };
    }
    const short = reservation.lines.filter((l) => !stockCovers(this.stock.get(l.productId)?.stock, l.quantity)).map((l) => l.productId);
    if (short.length > 0) return { kind: 'outOfStock', productIds: short };
    for (const line of reservation.lines) {
      const level = this.stock.get(line.productId) as StockLevel;
      this.stock.set(line.productId, { ...level, stock: level.stock - line.quantity, updatedAt: reservation.reservedAt });
    }
    this.reservations.set(reservation.orderId, reservation);
    this.writes += 1;
    return { kind: 'reserved' };
  }

  public async release(reservation: Reservation, releasedAt: string): Promise<boolean> {
    const stored = this.reservations.get(reservation.orderId);
    if (stored?.status !== 'RESERVED') return false;
    for (const line of reservation.lines) {
      const stock = (this.stock.get(line.productId)?.stock ?? 0) + line.quantity;
      this.stock.set(line.productId, { productId: line.productId, stock, updatedAt: releasedAt });
    }
    this.reservations.set(reservation.orderId, { ...stored, status: 'RELEASED', releasedAt });
    this.writes += 1;
    return true;
  }
}

/** A stock level fixture. */
export const stockLevel = (productId: string, stock: number): StockLevel => ({ productId, stock, updatedAt: '2026-01-01T00:00:00.000Z' });
