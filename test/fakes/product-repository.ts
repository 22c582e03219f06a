import { ProductAlreadyExistsError, ProductNotFoundError } from '../../functions/catalog/domain/errors';
import type { Product } from '../../functions/catalog/domain/product';
import type { ProductPage, ProductRepository } from '../../functions/catalog/ports/product-repository';

/** In-memory {@link ProductRepository} with the same conditional behaviour as the DynamoDB one. */
export class InMemoryProductRepository implements ProductRepository {
  public readonly products = new Map<string, Product>();

  public constructor(seed: readonly Product[] = []) {
    for (const product of seed) this.products.set(product.id, product);
  }

  public async get(id: string): Promise<Product | undefined> {
    return this.products.get(id);
  }

  public async getMany(ids: readonly string[]): Promise<Product[]> {
    return ids.flatMap((id) => (this.products.has(id) ? [this.products.get(id) as Product] : []));
  }

  public async list(limit: number, cursor?: string): Promise<ProductPage> {
    const all = [...this.products.values()].sort((a, b) => a.id.localeCompare(b.id));
    const start = cursor ? Number(cursor) : 0;
    const items = all.slice(start, start + limit);
    return { items, ...(start + limit < all.length ? { nextCursor: String(start + limit) } : {}) };
  }

  public async create(product: Product): Promise<void> {
    if (this.products.has(product.id)) throw new ProductAlreadyExistsError(product.id);
    this.products.set(product.id, product);
  }

  public async update(product: Product): Promise<void> {
    if (!this.products.has(product.id)) throw new ProductNotFoundError(product.id);
    this.products.set(product.id, product);
  }

  public async delete(id: string): Promise<void> {
    if (!this.products.delete(id)) throw new ProductNotFoundError(id);
  }
}

/** A product fixture. */
export const product = (overrides: Partial<Product> = {}): Product => ({
  id: 'p-mug',
  name: 'Mug',
  description: 'A mug',
  price: { amount: 1250, currency: 'EUR' },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  ...overrides,
});
