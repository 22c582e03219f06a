import type { PriceQuote } from '../domain/pricing';

/** Catalog's answer: quotes for known products, and the ids it does not know. */
export interface PriceLookup {
  readonly quotes: readonly PriceQuote[];
  readonly missing: readonly string[];
}

/**
 * Port: current prices, from catalog (the only source of prices). Throws
 * DependencyUnavailableError when catalog cannot answer.
 */
export interface PriceCatalog {
  getPrices(productIds: readonly string[], correlationId: string): Promise<PriceLookup>;
}
