import type { Money } from '../../functions/shared/contracts/common';
import { DependencyUnavailableError } from '../../functions/shared/errors';
import type { PriceLookup, PriceCatalog } from '../../functions/orders/ports/price-catalog';

/** A catalog of fixed prices that can be made unavailable, recording what it was asked. */
export class FakePriceCatalog implements PriceCatalog {
  public readonly prices: Map<string, Money>;
  public available = true;
  public readonly calls: Array<{ productIds: readonly string[]; correlationId: string }> = [];

  public constructor(prices: Readonly<Record<string, Money>> = { 'p-mug': { amount: 1250, currency: 'EUR' }, 'p-tea': { amount: 499, currency: 'EUR' } }) {
    this.prices = new Map(Object.entries(prices));
  }

  public async getPrices(productIds: readonly string[], correlationId: string): Promise<PriceLookup> {
    this.calls.push({ productIds, correlationId });
    if (!this.available) throw new DependencyUnavailableError('catalog GetPrices failed.', 1);
    return {
      quotes: productIds.flatMap((id) => {
        const price = this.prices.get(id);
        return price ? [{ productId: id, name: id, price }] : [];
      }),
      missing: productIds.filter((id) => !this.prices.has(id)),
    };
  }
}
