import { newId } from '../../shared/ids';
import { ProductNotFoundError } from '../domain/errors';
import { applyChanges, type NewProduct, type Product, type ProductChanges } from '../domain/product';
import type { ProductPage, ProductRepository } from '../ports/product-repository';

/** Dependencies of the catalog use cases. */
export interface CatalogDeps {
  readonly products: ProductRepository;
  readonly now?: () => Date;
}

const nowOf = (deps: CatalogDeps): string => (deps.now ?? (() => new Date()))().toISOString();

export const createProduct = async (deps: CatalogDeps, input: NewProduct): Promise<Product> => {
  const now = nowOf(deps);
  const product: Product = {
    id: input.id ?? newId(),
    name: input.name,
    description: input.description,
    price: input.price,
    createdAt: now,
    updatedAt: now,
  };
  await deps.products.create(product);
  return product;
};

export const getProduct = async (deps: CatalogDeps, id: string): Promise<Product> => {
  const product = await deps.products.get(id);
  if (!product) throw new ProductNotFoundError(id);
  return product;
};

export const listProducts = (deps: CatalogDeps, limit: number, cursor?: string): Promise<ProductPage> =>
  deps.products.list(limit, cursor);

export const updateProduct = async (deps: CatalogDeps, id: string, changes: ProductChanges): Promise<Product> => {
  const current = await getProduct(deps, id);
  const next = applyChanges(current, changes, nowOf(deps));
  await deps.products.update(next);
  return next;
};

export const deleteProduct = (deps: CatalogDeps, id: string): Promise<void> => deps.products.delete(id);

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
