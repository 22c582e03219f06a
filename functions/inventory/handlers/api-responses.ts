import * as z from '../../shared/zod';
import { productIdSchema } from '../../shared/contracts/common';
import type { SameShape } from '../../shared/same-shape';
import { MAX_STOCK, type StockLevel } from '../domain/inventory';

/**
 * What inventory's routes answer, as a zod schema: the OpenAPI description
 * (lib/openapi) is generated from it, and `tsc` checks it against the type the
 * handlers answer with. Not imported by the handlers: nothing here goes into a
 * Lambda bundle.
 */

/** `GET` and `PUT /inventory/{productId}`: units on hand and not reserved by any order. */
export const stockLevelSchema = z.object({
  productId: productIdSchema,
  stock: z.number().check(z.int(), z.minimum(0), z.maximum(MAX_STOCK)),
  updatedAt: z.iso.datetime({ offset: true }),
});

/** `tsc` fails here if the schema and the stock level the handlers return differ. */
export const stockLevelMatchesSchema: SameShape<z.infer<typeof stockLevelSchema>, StockLevel> = true;
