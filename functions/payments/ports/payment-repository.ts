import type { Payment, PaymentStatus } from '../domain/payment';

/** A status change and the details that come with it. */
export interface PaymentTransition {
  readonly from: PaymentStatus;
  readonly to: PaymentStatus;
  readonly at: string;
  readonly chargeId?: string;
  readonly refundId?: string;
  readonly declineReason?: string;
}

/** Port: payments, one per order. Every change is conditional on the status it starts from. */
export interface PaymentRepository {
  get(orderId: string): Promise<Payment | undefined>;
  /** Records a new payment; false (nothing written) if the order already has one. */
  create(payment: Payment): Promise<boolean>;
  /** Counts one more charge attempt of a PENDING payment; undefined (nothing written) if it is not PENDING. */
  recordAttempt(orderId: string, at: string): Promise<Payment | undefined>;
  /** Moves the payment from `from` to `to`; false (nothing written) if its status is not `from`. */
  transition(orderId: string, change: PaymentTransition): Promise<boolean>;
}
