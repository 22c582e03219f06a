import * as z from 'zod';
import { addressSchema, cancellationReasonSchema, moneySchema, orderIdSchema, productIdSchema } from './common';

/**
 * The contract between the order saga (Step Functions) and its task
 * functions: what each task receives and returns, and the error names the
 * state machine's Retry and Catch match on.
 */

/** `errorType` names the saga reacts to. Task errors set these as `name`. */
export const SagaErrors = {
  /** Not enough stock for a line: cancel with OUT_OF_STOCK. */
  outOfStock: 'OutOfStockError',
  /** Another execution already handles this order (a redelivered OrderPlaced): stop, change nothing. */
  duplicateSaga: 'DuplicateSagaError',
  /** The provider declined the card: cancel with PAYMENT_DECLINED. */
  paymentDeclined: 'PaymentDeclinedError',
  /** The carrier does not serve the address: cancel with SHIPPING_UNAVAILABLE. */
  shippingUnavailable: 'ShippingUnavailableError',
  /** May pass if retried: retried with backoff and jitter. */
  transient: 'TransientError',
} as const;

const base = {
  orderId: orderIdSchema,
  correlationId: z.string().min(1).max(128),
};

const quantityLine = z.object({ productId: productIdSchema, quantity: z.number().int().min(1) });

export const reserveInventoryInput = z.object({
  ...base,
  /** Execution that owns the reservation; another execution is a duplicate saga. */
  executionId: z.string().min(1),
  items: z.array(quantityLine).min(1),
});
export type ReserveInventoryInput = z.infer<typeof reserveInventoryInput>;
export interface ReserveInventoryOutput {
  readonly reservedAt: string;
}

export const releaseInventoryInput = z.object(base);
export type ReleaseInventoryInput = z.infer<typeof releaseInventoryInput>;
export interface ReleaseInventoryOutput {
  /** False when there was nothing (left) to release. */
  readonly released: boolean;
}

export const chargePaymentInput = z.object({ ...base, amount: moneySchema, paymentToken: z.string().min(1) });
export type ChargePaymentInput = z.infer<typeof chargePaymentInput>;
export interface ChargePaymentOutput {
  readonly paymentId: string;
  readonly status: 'CAPTURED';
}

export const refundPaymentInput = z.object(base);
export type RefundPaymentInput = z.infer<typeof refundPaymentInput>;
export interface RefundPaymentOutput {
  readonly refunded: boolean;
}

export const createShipmentInput = z.object({ ...base, address: addressSchema, items: z.array(quantityLine).min(1) });
export type CreateShipmentInput = z.infer<typeof createShipmentInput>;
export interface CreateShipmentOutput {
  readonly shipmentId: string;
}

export const cancelShipmentInput = z.object(base);
export type CancelShipmentInput = z.infer<typeof cancelShipmentInput>;
export interface CancelShipmentOutput {
  readonly cancelled: boolean;
}

/**
 * What the output of a saga execution that SUCCEEDED says became of the order:
 * the saga's last state passes on its whole working document, which holds
 * `cancellation.reason` when it published OrderCancelled, and the shipment it
 * created when it published OrderConfirmed. (An execution that stopped at
 * `AlreadyHandled` has neither: another execution handled the order.)
 */
export const sagaOutcomeSchema = z.union([
  z.object({ cancellation: z.object({ reason: cancellationReasonSchema }) }).transform(({ cancellation }) => ({ kind: 'cancelled' as const, reason: cancellation.reason })),
  z.object({ results: z.object({ shipment: z.object({ shipmentId: z.string().min(1) }) }) }).transform(() => ({ kind: 'confirmed' as const })),
]);
export type SagaOutcome = z.output<typeof sagaOutcomeSchema>;
