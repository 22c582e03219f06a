import { ConflictError, NotFoundError } from '../../shared/errors';

export class ProductNotFoundError extends NotFoundError {
  public constructor(productId: string) {
    super('PRODUCT_NOT_FOUND', `Product '${productId}' does not exist.`);
    this.name = 'ProductNotFoundError';
  }
}

export class ProductAlreadyExistsError extends ConflictError {
  public constructor(productId: string) {
    super('PRODUCT_EXISTS', `Product '${productId}' already exists.`);
    this.name = 'ProductAlreadyExistsError';
  }
}
