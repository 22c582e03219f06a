import type { Money } from '../../shared/contracts/common';

/** An order's payment as the orders service shows it in order details. */
export interface PaymentSummary {
  readonly paymentId: string;
  readonly status: string;
  readonly amount: Money;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly declineReason?: string;
}

/** Port: reads an order's payment from the payments service. Throws DependencyUnavailableError when it cannot. */
export interface PaymentReader {
  /** Null when the order has no payment (yet). */
  getPayment(orderId: string, correlationId: string): Promise<PaymentSummary | null>;
}
