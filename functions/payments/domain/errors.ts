import { SagaErrors } from '../../shared/contracts/saga';
import { BusinessRuleError } from '../../shared/errors';
import type { PaymentStatus } from './payment';

/** The provider declined the order's payment: the saga cancels with PAYMENT_DECLINED. */
export class PaymentDeclinedError extends BusinessRuleError {
  /** The provider's reason, e.g. `card_declined`. */
  public readonly reason: string;

  public constructor(orderId: string, reason: string) {
    super(`The payment of order ${orderId} was declined: ${reason}.`);
    this.reason = reason;
    this.name = SagaErrors.paymentDeclined;
  }
}

/**
 * The order's payment was already refunded or voided: charging it again
 * would take money for an order the shop has given up. Retrying cannot help.
 */
export class PaymentClosedError extends BusinessRuleError {
  public constructor(orderId: string, status: PaymentStatus) {
    super(`The payment of order ${orderId} is ${status} and cannot be charged again.`);
    this.name = 'PaymentClosedError';
  }
}
