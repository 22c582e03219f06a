import * as z from 'zod';
import { moneySchema, productIdSchema } from '../../shared/contracts/common';
import { LOW_STOCK_UNITS } from '../../shared/contracts/events';
import type { SameShape } from '../../shared/same-shape';
import { categorySchema, MAX_IMAGE_URL_LENGTH, type ProductView } from '../domain/product';

/**
 * What catalog's routes answer, as zod schemas. The OpenAPI description
 * (lib/openapi) is generated from them, and `tsc` checks each against the
 * type the handlers answer with, so neither can drift from the other. Not
 * imported by the handlers: nothing here goes into a Lambda bundle.
 */

const timestamp = z.iso.datetime({ offset: true });

/** A product as every reader sees it (`GET /products/{id}`, and the answer of every write). */
export const productViewSchema = z
  .object({
    id: productIdSchema,
    name: z.string(),
    description: z.string(),
    category: categorySchema.meta({ description: 'A lowercase slug; products created before categories read back as `uncategorized`.' }),
    imageUrl: z.string().max(MAX_IMAGE_URL_LENGTH).meta({ description: 'An absolute https URL.' }).optional(),
    price: moneySchema,
    available: z
      .number()
      .int()
      .min(0)
      .max(LOW_STOCK_UNITS)
      .meta({ description: `Units on sale, shown only while there are ${LOW_STOCK_UNITS} or fewer ("3 left").` })
      .optional(),
    inStock: z.boolean().meta({ description: 'Whether any unit is on sale.' }),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ description: 'A product with whether it is in stock, and how many units are left while they are few.' });

/** `GET /products`: a page of products in product-id order. */
export const productPageSchema = z.object({
  items: z.array(productViewSchema),
  nextCursor: z.string().meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }).optional(),
});

/** `tsc` fails here if the schema and the view the handlers return differ. */
export const productViewMatchesSchema: SameShape<z.infer<typeof productViewSchema>, ProductView> = true;
