import { MAX_LINE_QUANTITY, type Money, type PricedLine } from '../../shared/contracts/common';
import type { FieldIssue } from '../../shared/errors';
import { MixedCurrenciesError, OrderTooLargeError, UnknownProductError } from './errors';

/** A requested line after merging, remembering where it came from in the request. */
export interface MergedLine {
  readonly productId: string;
  readonly quantity: number;
  /** Indexes in the request's `items` that named this product. */
  readonly indexes: readonly number[];
}

/** A catalog price for a product. */
export interface PriceQuote {
  readonly productId: string;
  readonly name: string;
  readonly price: Money;
}

/**
 * Merges lines naming the same product (first occurrence keeps its place),
 * so an order never holds one product twice. The merged quantity obeys the
 * same per-line limit as a single line.
 */
export const mergeLines = (items: ReadonlyArray<{ readonly productId: string; readonly quantity: number }>): MergedLine[] => {
  const merged = new Map<string, { quantity: number; indexes: number[] }>();
  items.forEach(({ productId, quantity }, index) => {
    const line = merged.get(productId);
    if (line) {
      line.quantity += quantity;
      line.indexes.push(index);
    } else {
      merged.set(productId, { quantity, indexes: [index] });
    }
  });
  const lines = [...merged].map(([productId, { quantity, indexes }]) => ({ productId, quantity, indexes }));
  const tooMany = lines.filter((line) => line.quantity > MAX_LINE_QUANTITY);
  if (tooMany.length > 0) {
    throw new OrderTooLargeError(
      tooMany.map((line) => ({
        path: `items.${line.indexes[0]}.quantity`,
        message: `${line.productId} is ordered ${line.quantity} times in all; at most ${MAX_LINE_QUANTITY} per product`,
      })),
    );
  }
  return lines;
};

/** Priced lines and their total, in the one currency of the order. */
export interface PricedOrder {
  readonly items: PricedLine[];
  readonly total: Money;
}

/**
 * Prices merged lines with catalog's quotes. Unknown products are a 422
 * naming every request line that asked for one; more than one currency is a
 * 422 too. Sums stay exact integers of minor units.
 */
export const priceLines = (lines: readonly MergedLine[], quotes: readonly PriceQuote[]): PricedOrder => {
  const byId = new Map(quotes.map((quote) => [quote.productId, quote]));
  const unknown: FieldIssue[] = lines
    .filter((line) => !byId.has(line.productId))
    .flatMap((line) => line.indexes.map((index) => ({ path: `items.${index}.productId`, message: `unknown product '${line.productId}'` })))
    .sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  if (unknown.length > 0) throw new UnknownProductError(unknown);

  const items = lines.map((line) => {
    const { price } = byId.get(line.productId) as PriceQuote;
    return { productId: line.productId, quantity: line.quantity, unitPrice: { amount: price.amount, currency: price.currency } };
  });
  const currencies = [...new Set(items.map((item) => item.unitPrice.currency))];
  if (currencies.length > 1) throw new MixedCurrenciesError(currencies);
  const amount = items.reduce((sum, item) => sum + item.unitPrice.amount * item.quantity, 0);
  if (!Number.isSafeInteger(amount)) {
    throw new OrderTooLargeError([{ path: 'items', message: 'the order total is larger than the shop can charge' }]);
  }
  return { items, total: { amount, currency: currencies[0] as string } };
};
