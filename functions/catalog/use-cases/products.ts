import { newId } from '../../shared/ids';
import { ProductNotFoundError } from '../domain/errors';
import { toView, type Availability, type NewProduct, type Product, type ProductChanges, type ProductView } from '../domain/product';
import type { ProductQuery, ProductRepository } from '../ports/product-repository';

/** Dependencies of the catalog use cases. */
export interface CatalogDeps {
  readonly products: ProductRepository;
  readonly now?: () => Date;
}

/** A page of products as readers see them. */
export interface ProductViewPage {
  readonly items: readonly ProductView[];
  readonly nextCursor?: string;
}

const nowOf = (deps: CatalogDeps): string => (deps.now ?? (() => new Date()))().toISOString();

/** Creates a product; it shows the units inventory already announced for its id (0 if none). */
export const createProduct = async (deps: CatalogDeps, input: NewProduct): Promise<ProductView> => {
  const now = nowOf(deps);
  const product: Product = {
    id: input.id ?? newId(),
    name: input.name,
    description: input.description,
    category: input.category,
    // Stryker disable next-line ConditionalExpression: an imageUrl of undefined is dropped by JSON and by the document client (removeUndefinedValues)
    ...(input.imageUrl !== undefined ? { imageUrl: input.imageUrl } : {}),
    price: input.price,
    createdAt: now,
    updatedAt: now,
  };
  return toView(await deps.products.create(product));
};

export const getProduct = async (deps: CatalogDeps, id: string): Promise<ProductView> => {
  const product = await deps.products.get(id);
  if (!product) throw new ProductNotFoundError(id);
  return toView(product);
};

/** A page of products, in id order; with `category`, only that category's. */
export const listProducts = async (deps: CatalogDeps, query: ProductQuery): Promise<ProductViewPage> => {
  const page = await deps.products.list(query);
  return { items: page.items.map(toView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) };
};

/** Changes the fields given; the others, and the units on sale, stay as they are. */
export const updateProduct = async (deps: CatalogDeps, id: string, changes: ProductChanges): Promise<ProductView> =>
  toView(await deps.products.update(id, changes, nowOf(deps)));

export const deleteProduct = (deps: CatalogDeps, id: string): Promise<void> => deps.products.delete(id);

/**
 * Records the units on sale inventory announced (StockChanged), unless a
 * change as new or newer is recorded already: events arrive at least once
 * and in any order, and only the version says which is newer. True if it
 * was recorded.
 */
export const recordAvailability = (deps: CatalogDeps, productId: string, availability: Availability): Promise<boolean> =>
  deps.products.recordAvailability(productId, availability);

/** A priced product, as the orders service needs it. */
export interface PriceQuote {
  readonly productId: string;
  readonly name: string;
  readonly price: Product['price'];
}

/** Current prices for these products; unknown ids are listed in `missing`. */
export const getPrices = async (
  deps: CatalogDeps,
  productIds: readonly string[],
): Promise<{ quotes: PriceQuote[]; missing: string[] }> => {
  const unique = [...new Set(productIds)];
  const found = await deps.products.getMany(unique);
  const byId = new Map(found.map((p) => [p.id, p]));
  return {
    quotes: found.map((p) => ({ productId: p.id, name: p.name, price: p.price })),
    missing: unique.filter((id) => !byId.has(id)),
  };
};
