import { SagaErrors } from '../../shared/contracts/saga';
import { BusinessRuleError, NotFoundError } from '../../shared/errors';

/** No stock has ever been recorded for the product. */
export class InventoryNotFoundError extends NotFoundError {
  public constructor(productId: string) {
    super('INVENTORY_NOT_FOUND', `No stock is recorded for product '${productId}'.`);
    this.name = 'InventoryNotFoundError';
  }
}

/** Not enough units on hand for one or more lines: the saga cancels with OUT_OF_STOCK. */
export class OutOfStockError extends BusinessRuleError {
  /** The products whose stock was short (or never recorded). */
  public readonly productIds: readonly string[];

  public constructor(productIds: readonly string[]) {
    super(`Not enough stock for: ${productIds.join(', ')}.`);
    this.productIds = productIds;
    this.name = SagaErrors.outOfStock;
  }
}

/**
 * Another saga execution already reserved (or released) stock for this
 * order, e.g. after a redelivered OrderPlaced. This execution must stop and
 * change nothing.
 */
export class DuplicateSagaError extends BusinessRuleError {
  public constructor(orderId: string, ownerExecutionId: string) {
    super(`Order ${orderId} is already handled by execution ${ownerExecutionId}.`);
    this.name = SagaErrors.duplicateSaga;
  }
}

/** An order with more distinct products than one stock transaction can hold. Retrying cannot help. */
export class ReservationTooLargeError extends BusinessRuleError {
  public constructor(lines: number, max: number) {
    super(`A reservation holds at most ${max} distinct products, not ${lines}.`);
    this.name = 'ReservationTooLargeError';
  }
}
