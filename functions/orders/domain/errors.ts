import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../../shared/errors';

/** 404: no such order, or not the caller's (the same answer, so ids cannot be probed). */
export class OrderNotFoundError extends NotFoundError {
  public constructor(orderId: string) {
    super('ORDER_NOT_FOUND', `Order '${orderId}' does not exist.`);
    this.name = 'OrderNotFoundError';
  }
}

/** 409: an Idempotency-Key was reused with a different request. */
export class IdempotencyKeyReusedError extends ConflictError {
  public constructor() {
    super('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** 422: catalog does not know some products; each offending line is named. */
export class UnknownProductError extends ValidationError {
  public constructor(issues: readonly FieldIssue[]) {
    super(issues, 'UNKNOWN_PRODUCT');
    this.name = 'UnknownProductError';
  }
}

/** 422: the products are priced in more than one currency; an order has one. */
export class MixedCurrenciesError extends ValidationError {
  public constructor(currencies: readonly string[]) {
    super([{ path: 'items', message: `products are priced in ${currencies.join(', ')}; one order must use one currency` }], 'MIXED_CURRENCIES');
    this.name = 'MixedCurrenciesError';
  }
}

/** 422: merged lines or the total exceed what one order may hold. */
export class OrderTooLargeError extends ValidationError {
  public constructor(issues: readonly FieldIssue[]) {
    super(issues, 'ORDER_TOO_LARGE');
    this.name = 'OrderTooLargeError';
  }
}

/** 409: the order has shipped (or been delivered): it can no longer be cancelled. */
export class OrderNotCancellableError extends ConflictError {
  public constructor(orderId: string, status: 'SHIPPED' | 'DELIVERED') {
    super('ORDER_NOT_CANCELLABLE', `Order '${orderId}' is ${status}; it can no longer be cancelled.`);
    this.name = 'OrderNotCancellableError';
  }
}
