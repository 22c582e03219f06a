import type { Product } from '../domain/product';

/** A page of products and the cursor of the next one. */
export interface ProductPage {
  readonly items: readonly Product[];
  readonly nextCursor?: string;
}

/** Port: where products live. */
export interface ProductRepository {
  get(id: string): Promise<Product | undefined>;
  /** Products for these ids; missing ids are simply absent. */
  getMany(ids: readonly string[]): Promise<Product[]>;
  list(limit: number, cursor?: string): Promise<ProductPage>;
  /** Creates; throws ProductAlreadyExistsError if the id is taken. */
  create(product: Product): Promise<void>;
  /** Replaces an existing product; throws ProductNotFoundError if gone. */
  update(product: Product): Promise<void>;
  /** Deletes; throws ProductNotFoundError if there was none. */
  delete(id: string): Promise<void>;
}
