import * as z from '../../shared/zod';
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
    category: categorySchema.check(z.meta({ description: 'A lowercase slug; products created before categories read back as `uncategorized`.' })),
    imageUrl: z.optional(z.string().check(z.maxLength(MAX_IMAGE_URL_LENGTH), z.meta({ description: 'An absolute https URL.' }))),
    price: moneySchema,
    available: z.optional(
      z
        .number()
        .check(
          z.int(),
          z.minimum(0),
          z.maximum(LOW_STOCK_UNITS),
          z.meta({ description: `Units on sale, shown only while there are ${LOW_STOCK_UNITS} or fewer ("3 left").` }),
        ),
    ),
    inStock: z.boolean().check(z.meta({ description: 'Whether at least one unit is on sale.' })),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .check(z.meta({ description: 'A product with whether it is in stock, and how many units are left while they are few.' }));

/** `GET /products`: a page of products in product-id order. */
export const productPageSchema = z.object({
  items: z.array(productViewSchema),
  nextCursor: z.optional(z.string().check(z.meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }))),
});

/** `tsc` fails here if the schema and the view the handlers return differ. */
export const productViewMatchesSchema: SameShape<z.infer<typeof productViewSchema>, ProductView> = true;
