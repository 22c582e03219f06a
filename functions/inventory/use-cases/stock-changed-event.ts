import * as z from '../../shared/zod';
import { productIdSchema } from '../../shared/contracts/common';
import type { DataOf, EventDetail } from '../../shared/contracts/envelope';
import { StockChanged } from '../../shared/contracts/events';
import { ContractViolationError } from '../../shared/errors';
import { safeParse } from '../../shared/validation';

/**
 * A product's stock item as the inventory table stores it after a counted
 * write: what the outbox reads from the table's stream. `correlationId` is
 * missing on stock set before requests carried one.
 */
export const storedStockSchema = z.object({
  // Stryker disable next-line StringLiteral: the handler passes only PRODUCT# items to this schema (isStockWrite)
  pk: z.string().check(z.startsWith('PRODUCT#')),
  productId: productIdSchema,
  stock: z.number().check(z.int(), z.nonnegative()),
  version: z.number().check(z.int(), z.positive()),
  // Stryker disable next-line ObjectLiteral,BooleanLiteral: stock is written with toISOString() (UTC, Z) only; an offset is tolerated, never produced
  updatedAt: z.iso.datetime({ offset: true }),
  correlationId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
});
export type StoredStock = z.infer<typeof storedStockSchema>;

/**
 * The StockChanged detail the outbox publishes for one stock write. The
 * event id is the stream record's id, so a batch the pipe delivers again
 * yields the same id; the change happened when the item was written, and is
 * traced to the request that wrote it (or, for stock written before writes
 * carried one, to the product and version).
 */
export const stockChangedDetail = (stock: StoredStock, eventId: string): EventDetail<DataOf<typeof StockChanged>> => {
  const detail = {
    metadata: {
      eventId,
      version: StockChanged.version,
      occurredAt: stock.updatedAt,
      correlationId: stock.correlationId ?? `stock-${stock.productId}-v${stock.version}`,
    },
    data: { productId: stock.productId, available: stock.stock, version: stock.version },
  };
  const checked = safeParse(StockChanged.detail, detail);
  // Stryker disable next-line StringLiteral: defensive: the stock item passed its own schema first, so only a bug between the two schemas reaches it
  if (!checked.ok) throw new ContractViolationError(`StockChanged for product ${stock.productId}`, checked.issues);
  return checked.value;
};
