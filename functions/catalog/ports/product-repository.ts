import type { Availability, CatalogProduct, Product, ProductChanges } from '../domain/product';

/** A page of products and the cursor of the next one. */
export interface ProductPage {
  readonly items: readonly CatalogProduct[];
  readonly nextCursor?: string;
}

/** Which products a listing pages through. */
export interface ProductQuery {
  readonly limit: number;
  readonly cursor?: string;
  /** Only this category. @default every category */
  readonly category?: string;
}

/** Port: where products, and the units on sale inventory announced for them, live. */
export interface ProductRepository {
  get(id: string): Promise<CatalogProduct | undefined>;
  /** Products for these ids; missing ids are simply absent. */
  getMany(ids: readonly string[]): Promise<Product[]>;
  /**
   * A page of products in ascending id order (ids compared as UTF-8 bytes).
   * A cursor resumes after the last product of its page, so products added
   * meanwhile never make a page repeat or skip one that was there.
   * @throws ValidationError (`INVALID_CURSOR`) for a cursor of another listing
   */
  list(query: ProductQuery): Promise<ProductPage>;
  /**
   * Creates the product, keeping whatever availability was recorded for its
   * id already (stock can be announced before the product exists).
   * @throws ProductAlreadyExistsError if the id is taken
   */
  create(product: Product): Promise<CatalogProduct>;
  /**
   * Applies changes to the product's own fields, never to its availability.
   * @throws ProductNotFoundError if there is no such product
   */
  update(id: string, changes: ProductChanges, now: string): Promise<CatalogProduct>;
  /**
   * Deletes the product; its recorded availability stays, for the day it is
   * created again. @throws ProductNotFoundError if there was none
   */
  delete(id: string): Promise<void>;
  /**
   * Records inventory's announcement of the units on sale, unless one with
   * the same or a higher version was recorded: false then, and nothing
   * changed. Works whether or not the product exists.
   */
  recordAvailability(productId: string, availability: Availability): Promise<boolean>;
}
