import { InventoryNotFoundError } from '../domain/errors';
import type { StockChange, StockLevel } from '../domain/inventory';
import type { InventoryRepository } from '../ports/inventory-repository';

/** Dependencies of the stock use cases. */
export interface StockDeps {
  readonly inventory: InventoryRepository;
  /** @default the system clock */
  readonly now?: () => Date;
}

/** The clock of a use case, as an ISO timestamp. */
export const nowOf = (deps: { readonly now?: () => Date }): string => (deps.now ?? (() => new Date()))().toISOString();

/** Units of a product on hand and not reserved. */
export const getStockLevel = async (deps: StockDeps, productId: string): Promise<StockLevel> => {
  const level = await deps.inventory.getStock(productId);
  if (!level) throw new InventoryNotFoundError(productId);
  return level;
};

/**
 * Sets the on-hand count (a stock take or a delivery from a supplier). The
 * same count again changes nothing (and announces nothing): the answer is
 * the level as it stands, `updatedAt` when it last changed.
 */
export const setStockLevel = async (deps: StockDeps, productId: string, change: StockChange, correlationId?: string): Promise<StockLevel> =>
  deps.inventory.putStock({ productId, stock: change.stock, updatedAt: nowOf(deps) }, correlationId);
