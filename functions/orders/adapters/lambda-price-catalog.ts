import * as z from '../../shared/zod';
import { moneySchema, productIdSchema } from '../../shared/contracts/common';
import type { PriceCatalog, PriceLookup } from '../ports/price-catalog';
import { defaultInvoke, type InvokeFn } from './function-invoke';

/**
 * What the orders service relies on in catalog's GetPrices answer. Our own
 * copy (a consumer-side contract): catalog may add fields, but if it drops or
 * changes one of these, the call fails as a dependency error instead of
 * pricing an order with garbage.
 */
export const priceLookupSchema = z.object({
  quotes: z.array(z.object({ productId: productIdSchema, name: z.string(), price: moneySchema })),
  missing: z.array(z.string()),
});

/** Prices from catalog's GetPrices function (`CATALOG_PRICES_FUNCTION`). */
export class LambdaPriceCatalog implements PriceCatalog {
  public constructor(
    private readonly functionName: string,
    private readonly invoke: InvokeFn = defaultInvoke,
  ) {}

  public getPrices(productIds: readonly string[], correlationId: string): Promise<PriceLookup> {
    return this.invoke(this.functionName, { productIds: [...productIds], correlationId }, priceLookupSchema);
  }
}
