import * as z from '../../shared/zod';
import { moneySchema, productIdSchema, type Money } from '../../shared/contracts/common';
import { LOW_STOCK_UNITS } from '../../shared/contracts/events';

/**
 * A category is a lowercase slug (`coffee`, `kitchen-tools`): it appears in
 * URLs (`GET /products?category=coffee`) and is compared exactly, so one
 * spelling per category.
 */
export const categorySchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(40),
    z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug: letters a-z, digits, single hyphens between them (e.g. coffee, kitchen-tools)'),
  );

/**
 * The category a product stored before categories existed reads back as:
 * it keeps being shown and sold (orders, links and bookmarks to it keep
 * working) rather than disappearing or failing, until an admin gives it one.
 */
// Stryker disable next-line StringLiteral: only the DynamoDB adapter reads it, proven on DynamoDB Local by test/adapters/dynamodb-product-repository.test.ts (outside the mutation run)
export const UNCATEGORIZED = 'uncategorized';

/** Longest image URL accepted: browsers and CDNs handle far longer, but a product link needs no more. */
export const MAX_IMAGE_URL_LENGTH = 2048;

/**
 * A product image: an absolute `https` URL with a host name, no
 * credentials, no whitespace. Shop pages are served over HTTPS, where an
 * `http` image is blocked or flagged as mixed content.
 */
export const imageUrlSchema = z.string().check(
  z.maxLength(MAX_IMAGE_URL_LENGTH),
  z.regex(/^\S+$/, 'must not contain whitespace'),
  z.refine((value) => {
    if (!URL.canParse(value)) return false;
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname.includes('.') && url.username === '' && url.password === '';
  }, 'must be an absolute https URL with a host name and no credentials'),
);

/** A product as catalog owns it. Prices are integer minor units. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly category: string;
  readonly imageUrl?: string;
  readonly price: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * Units of a product on sale, as inventory last announced them (StockChanged).
 * `version` orders the announcements; a product inventory never announced has
 * none and 0 units.
 */
export interface Availability {
  readonly available: number;
  readonly version: number;
}

/** No stock record: nothing on sale. */
export const NO_AVAILABILITY: Availability = { available: 0, version: 0 };

/** A product with the units on sale: what the catalog shows. */
export interface CatalogProduct extends Product {
  readonly available: number;
}

/**
 * What every reader of the catalog sees of a product: its fields, whether any
 * unit is on sale, and how many when they are few (at most
 * {@link LOW_STOCK_UNITS}: "3 left"). Above that, inventory does not announce
 * each change (StockChanged), so the catalog's count may be behind and is not
 * shown.
 */
export interface ProductView extends Product {
  readonly inStock: boolean;
  readonly available?: number;
}

/** The view of a product: `inStock` says whether any unit is on sale, `available` how many while they are few. */
export const toView = ({ available, ...product }: CatalogProduct): ProductView => ({
  ...product,
  inStock: available > 0,
  ...(available <= LOW_STOCK_UNITS ? { available } : {}),
});

/** What an admin sends to create a product; `id` is optional (a slug), `category` is required. */
export const newProductSchema = z.strictObject({
  id: z.optional(productIdSchema),
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  description: z._default(z.string().check(z.trim(), z.maxLength(2000)), ''),
  category: categorySchema,
  imageUrl: z.optional(imageUrlSchema),
  price: moneySchema,
});
export type NewProduct = z.infer<typeof newProductSchema>;

/**
 * What an admin sends to change a product: some or all of the fields; the
 * others stay as they are. `imageUrl: null` removes the image.
 */
export const productChangesSchema = z
  .strictObject({
    name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))),
    description: z.optional(z.string().check(z.trim(), z.maxLength(2000))),
    category: z.optional(categorySchema),
    imageUrl: z.optional(z.nullable(imageUrlSchema)),
    price: z.optional(moneySchema),
  })
  .check(z.refine((changes) => Object.keys(changes).length > 0, { message: 'at least one of name, description, category, imageUrl, price is required' }));
export type ProductChanges = z.infer<typeof productChangesSchema>;

/** Applies changes, keeping identity and creation time. */
export const applyChanges = <P extends Product>(product: P, changes: ProductChanges, now: string): P => {
  const { imageUrl: _dropped, ...withoutImage } = product;
  const base = (changes.imageUrl === null ? withoutImage : product) as P;
  return {
    ...base,
    ...(changes.name !== undefined ? { name: changes.name } : {}),
    ...(changes.description !== undefined ? { description: changes.description } : {}),
    ...(changes.category !== undefined ? { category: changes.category } : {}),
    ...(typeof changes.imageUrl === 'string' ? { imageUrl: changes.imageUrl } : {}),
    ...(changes.price !== undefined ? { price: changes.price } : {}),
    updatedAt: now,
  };
};
