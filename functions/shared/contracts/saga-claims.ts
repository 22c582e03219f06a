import * as z from '../zod';
import { cancellationReasonSchema } from './common';

/**
 * The claims of an Express order saga: one item per order in the saga's
 * claims table (`pk` = the order id), written by the saga's first state and
 * completed by its last. Express workflows have no execution history, so
 * this is where the reconciler learns what an order's saga did.
 */

/** The `outcome` a saga records on its claim when it ends. */
export const SAGA_CLAIM_OUTCOMES = {
  /** OrderConfirmed was published. */
  confirmed: 'CONFIRMED',
  /** OrderCancelled was published, with `reason`. */
  cancelled: 'CANCELLED',
  /** A compensation outlasted the Express retries: the cancellation state machine (named after the order) finishes it. */
  repair: 'REPAIR',
} as const;

/** A claim as the table holds it (attributes the reconciler reads). */
export const sagaClaimSchema = z.object({
  pk: z.string().check(z.minLength(1)),
  /** The execution that claimed the order (its ARN). */
  executionId: z.string().check(z.minLength(1)),
  /** When that execution started (ISO 8601). */
  claimedAt: z.string().check(z.minLength(1)),
  outcome: z.optional(z.enum([SAGA_CLAIM_OUTCOMES.confirmed, SAGA_CLAIM_OUTCOMES.cancelled, SAGA_CLAIM_OUTCOMES.repair])),
  reason: z.optional(cancellationReasonSchema),
});
export type SagaClaim = z.infer<typeof sagaClaimSchema>;
