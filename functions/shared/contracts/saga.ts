import * as z from '../zod';
import { addressSchema, cancellationReasonSchema, moneySchema, orderIdSchema, productIdSchema, userIdSchema } from './common';

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
  /**
   * The order's shipment was cancelled before the saga could create it (its
   * owner cancelled the order): compensate and cancel with CUSTOMER_REQUEST.
   */
  shipmentCancelled: 'ShipmentCancelledError',
  /** May pass if retried: retried with backoff and jitter. */
  transient: 'TransientError',
} as const;

const base = {
  orderId: orderIdSchema,
  correlationId: z.string().check(z.minLength(1), z.maxLength(128)),
};

const quantityLine = z.object({ productId: productIdSchema, quantity: z.number().check(z.int(), z.minimum(1)) });

export const reserveInventoryInput = z.object({
  ...base,
  /** Execution that owns the reservation; another execution is a duplicate saga. */
  executionId: z.string().check(z.minLength(1)),
  items: z.array(quantityLine).check(z.minLength(1)),
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

export const chargePaymentInput = z.object({ ...base, amount: moneySchema, paymentToken: z.string().check(z.minLength(1)) });
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

export const createShipmentInput = z.object({ ...base, address: addressSchema, items: z.array(quantityLine).check(z.minLength(1)) });
export type CreateShipmentInput = z.infer<typeof createShipmentInput>;
export interface CreateShipmentOutput {
  readonly shipmentId: string;
}

/**
 * What a cancelled shipment is written with when none exists yet: the
 * order's address and lines, so the record is complete and a later
 * CreateShipment for the order finds it cancelled.
 */
export const shipmentTombstoneSchema = z.object({ address: addressSchema, items: z.array(quantityLine).check(z.minLength(1)) });
export type ShipmentTombstone = z.infer<typeof shipmentTombstoneSchema>;

/**
 * CancelShipment's input. The saga's compensation sends none of `tombstone`;
 * the orders service sends one when the order's owner cancels it, so that a
 * shipment the saga has not created yet never will be.
 */
export const cancelShipmentInput = z.object({ ...base, tombstone: z.optional(shipmentTombstoneSchema) });
export type CancelShipmentInput = z.infer<typeof cancelShipmentInput>;

/**
 * What CancelShipment found and did:
 * - `cancelled`: a CREATED shipment is now CANCELLED;
 * - `cancelled-before-creation`: there was no shipment, and a cancelled one
 *   now stands in its place (written by this call or an earlier one with a
 *   tombstone), so the saga's CreateShipment will fail and compensate;
 * - `already-cancelled`: a shipment that had been created was cancelled before;
 * - `absent`: no shipment, and no tombstone to write;
 * - `shipped`, `delivered`: too late, nothing was changed.
 */
export const cancelShipmentOutcomeSchema = z.enum(['cancelled', 'cancelled-before-creation', 'already-cancelled', 'absent', 'shipped', 'delivered']);
export type CancelShipmentOutcome = z.infer<typeof cancelShipmentOutcomeSchema>;

export interface CancelShipmentOutput {
  /** True when this call changed something (cancelled a shipment or wrote the cancelled stand-in). */
  readonly cancelled: boolean;
  readonly outcome: CancelShipmentOutcome;
}

/**
 * The input of the cancellation state machine (the orders service starts it
 * when an order's owner cancels it, with reason CUSTOMER_REQUEST; an Express
 * saga hands it an order whose compensation outlasted its retries, with the
 * saga's reason): the same paths the saga's compensation tasks and its
 * OrderCancelled read, `$.data.orderId`, `$.data.userId`,
 * `$.metadata.correlationId` and `$.cancellation.reason`.
 */
export const cancellationInputSchema = z.object({
  data: z.object({ orderId: orderIdSchema, userId: userIdSchema }),
  metadata: z.object({ correlationId: z.string().check(z.minLength(1), z.maxLength(128)) }),
  cancellation: z.object({ reason: cancellationReasonSchema }),
});
export type CancellationInput = z.infer<typeof cancellationInputSchema>;

/**
 * What the output of a saga execution that SUCCEEDED says became of the order:
 * the saga's last state passes on its whole working document, which holds
 * `cancellation.reason` when it published OrderCancelled, and the shipment it
 * created when it published OrderConfirmed. (An execution that stopped at
 * `AlreadyHandled` has neither: another execution handled the order.)
 */
export const sagaOutcomeSchema = z.union([
  z.pipe(
    z.object({ cancellation: z.object({ reason: cancellationReasonSchema }) }),
    z.transform(({ cancellation }) => ({ kind: 'cancelled' as const, reason: cancellation.reason })),
  ),
  z.pipe(z.object({ results: z.object({ shipment: z.object({ shipmentId: z.string().check(z.minLength(1)) }) }) }), z.transform(() => ({ kind: 'confirmed' as const }))),
]);
export type SagaOutcome = z.output<typeof sagaOutcomeSchema>;
