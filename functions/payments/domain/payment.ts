import * as z from '../../shared/zod';
import type { Money } from '../../shared/contracts/common';

/**
 * PENDING: asked the provider, outcome not known yet (the Lambda may have
 * died after the provider charged). CAPTURED: money taken. DECLINED: the
 * provider said no. REFUNDED: captured, then given back. VOIDED: a pending
 * charge cancelled before it was known to have happened.
 */
export const paymentStatusSchema = z.enum(['PENDING', 'CAPTURED', 'DECLINED', 'REFUNDED', 'VOIDED']);
export type PaymentStatus = z.infer<typeof paymentStatusSchema>;

/** The payment of one order. There is at most one per order. */
export interface Payment {
  readonly orderId: string;
  readonly paymentId: string;
  readonly amount: Money;
  readonly status: PaymentStatus;
  /** How many times the provider was asked to charge (its `attempt`). */
  readonly attempts: number;
  readonly chargeId?: string;
  readonly refundId?: string;
  readonly declineReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Provider idempotency key of an order's charge: retries and voids name the same charge. */
export const chargeKeyOf = (orderId: string): string => `charge-${orderId}`;

/** Provider idempotency key of an order's refund. */
export const refundKeyOf = (orderId: string): string => `refund-${orderId}`;
