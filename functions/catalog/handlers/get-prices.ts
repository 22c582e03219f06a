import * as z from '../../shared/zod';
import { moneySchema, productIdSchema } from '../../shared/contracts/common';
import { internalQuery } from '../../shared/middleware';
import { getPrices, type CatalogDeps } from '../use-cases/products';

/** Request of the price lookup the orders service invokes. */
export const getPricesRequest = z.object({
  productIds: z.array(productIdSchema).check(z.minLength(1), z.maxLength(100)),
  correlationId: z.optional(z.string()),
});

/** Answer of the price lookup; unknown ids are in `missing`. */
export const getPricesResponse = z.object({
  quotes: z.array(z.object({ productId: productIdSchema, name: z.string(), price: moneySchema })),
  missing: z.array(z.string()),
});
export type GetPricesResponse = z.infer<typeof getPricesResponse>;

/** Catalog's price lookup: the only source of prices for orders. */
export const createGetPricesHandler = (deps: CatalogDeps) =>
  internalQuery('GetPrices', getPricesRequest, ({ productIds }) => getPrices(deps, productIds));
