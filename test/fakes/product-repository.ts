import { ProductAlreadyExistsError, ProductNotFoundError } from '../../functions/catalog/domain/errors';
import { applyChanges, NO_AVAILABILITY, type Availability, type CatalogProduct, type Product, type ProductChanges } from '../../functions/catalog/domain/product';
import type { ProductPage, ProductQuery, ProductRepository } from '../../functions/catalog/ports/product-repository';
import { ValidationError } from '../../functions/shared/errors';

/**
 * In-memory {@link ProductRepository} with the behaviour of the DynamoDB one:
 * conditional create, update and delete; listings in id order whose cursor
 * is the last id of the page; availability kept apart from the product's
 * fields and recorded only for a higher version, with or without a product.
 */
export class InMemoryProductRepository implements ProductRepository {
  public readonly products = new Map<string, Product>();
  public readonly availability = new Map<string, Availability>();

  public constructor(seed: readonly Product[] = []) {
    for (const product of seed) this.products.set(product.id, product);
  }

  public async get(id: string): Promise<CatalogProduct | undefined> {
    const product = this.products.get(id);
    return product ? this.withAvailability(product) : undefined;
  }

  public async getMany(ids: readonly string[]): Promise<Product[]> {
    return ids.flatMap((id) => (this.products.has(id) ? [this.products.get(id) as Product] : []));
  }

  public async list({ limit, cursor, category }: ProductQuery): Promise<ProductPage> {
    if (cursor !== undefined && !cursor.startsWith(`${category ?? ''}|`)) {
      throw new ValidationError([{ path: 'cursor', message: 'is not a cursor of this listing' }], 'INVALID_CURSOR');
    }
    const after = cursor?.slice(cursor.indexOf('|') + 1);
    const matching = [...this.products.values()]
      .filter((p) => category === undefined || p.category === category)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .filter((p) => after === undefined || p.id > after);
    const items = matching.slice(0, limit).map((p) => this.withAvailability(p));
    const last = items.at(-1);
    return { items, ...(matching.length > limit && last ? { nextCursor: `${category ?? ''}|${last.id}` } : {}) };
  }

  public async create(product: Product): Promise<CatalogProduct> {
    if (this.products.has(product.id)) throw new ProductAlreadyExistsError(product.id);
    this.products.set(product.id, product);
    return this.withAvailability(product);
  }

  public async update(id: string, changes: ProductChanges, now: string): Promise<CatalogProduct> {
    const current = this.products.get(id);
    if (!current) throw new ProductNotFoundError(id);
    const next = applyChanges(current, changes, now);
    this.products.set(id, next);
    return this.withAvailability(next);
  }

  public async delete(id: string): Promise<void> {
    if (!this.products.delete(id)) throw new ProductNotFoundError(id);
  }

  public async recordAvailability(productId: string, availability: Availability): Promise<boolean> {
    if ((this.availability.get(productId)?.version ?? 0) >= availability.version) return false;
    this.availability.set(productId, availability);
    return true;
  }

  private withAvailability(product: Product): CatalogProduct {
    return { ...product, available: (this.availability.get(product.id) ?? NO_AVAILABILITY).available };
  }
}

/** A product fixture. */
export const product = (overrides: Partial<Product> = {}): Product => ({
  id: 'p-mug',
  name: 'Mug',
  description: 'A mug',
  category: 'kitchen',
  price: { amount: 1250, currency: 'EUR' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});
