import * as z from 'zod';
import { moneySchema, productIdSchema, type Money } from '../../shared/contracts/common';

/** A product as catalog owns it. Prices are integer minor units. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly price: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What an admin sends to create a product; `id` is optional (a slug). */
export const newProductSchema = z
  .object({
    id: productIdSchema.optional(),
    name: z.string().trim().min(1).max(200),
    description: z.string().trim().max(2000).default(''),
    price: moneySchema,
  })
  .strict();
export type NewProduct = z.infer<typeof newProductSchema>;

/** What an admin sends to change a product: some or all of the fields. */
export const productChangesSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().trim().max(2000).optional(),
    price: moneySchema.optional(),
  })
  .strict()
  .refine((changes) => Object.keys(changes).length > 0, { message: 'at least one of name, description, price is required' });
export type ProductChanges = z.infer<typeof productChangesSchema>;

/** Applies changes, keeping identity and creation time. */
export const applyChanges = (product: Product, changes: ProductChanges, now: string): Product => ({
  ...product,
  ...(changes.name !== undefined ? { name: changes.name } : {}),
  ...(changes.description !== undefined ? { description: changes.description } : {}),
  ...(changes.price !== undefined ? { price: changes.price } : {}),
  updatedAt: now,
});
