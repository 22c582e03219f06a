import type { PaymentStatus } from '../domain/payment';
import type { Money } from '../../shared/contracts/common';
import type { PaymentQueryDeps } from './deps';

/** What other services may know about an order's payment (no provider ids). */
export interface PaymentView {
  readonly paymentId: string;
  readonly status: PaymentStatus;
  readonly amount: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly declineReason?: string;
}

/** The order's payment as the order details show it, or null if it was never charged. */
export const getPayment = async (deps: PaymentQueryDeps, orderId: string): Promise<{ payment: PaymentView | null }> => {
  const payment = await deps.payments.get(orderId);
  if (!payment) return { payment: null };
  const { paymentId, status, amount, createdAt, updatedAt, declineReason } = payment;
  // Stryker disable next-line ConditionalExpression: a declineReason of undefined is dropped when the answer is serialized to JSON for the caller
  return { payment: { paymentId, status, amount, createdAt, updatedAt, ...(declineReason !== undefined ? { declineReason } : {}) } };
};
