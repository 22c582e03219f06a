import * as z from '../../shared/zod';
import { moneySchema, orderIdSchema } from '../../shared/contracts/common';
import { internalQuery } from '../../shared/middleware';
import { paymentStatusSchema } from '../domain/payment';
import type { PaymentQueryDeps } from '../use-cases/deps';
import { getPayment } from '../use-cases/get-payment';

/** Request of the payment lookup the orders service invokes for order details. */
export const getPaymentRequest = z.object({
  orderId: orderIdSchema,
  correlationId: z.optional(z.string()),
});
export type GetPaymentRequest = z.infer<typeof getPaymentRequest>;

/** Answer of the payment lookup: the order's payment, or null if it was never charged. */
export const getPaymentResponse = z.object({
  payment: z.nullable(
    z.object({
      paymentId: z.string().check(z.minLength(1)),
      status: paymentStatusSchema,
      amount: moneySchema,
      createdAt: z.iso.datetime({ offset: true }),
      updatedAt: z.iso.datetime({ offset: true }),
      declineReason: z.optional(z.string()),
    }),
  ),
});
export type GetPaymentResponse = z.infer<typeof getPaymentResponse>;

/** Payments' lookup for other services: read-only, no provider ids. */
export const createGetPaymentHandler = (deps: PaymentQueryDeps) =>
  internalQuery('GetPayment', getPaymentRequest, ({ orderId }): Promise<GetPaymentResponse> => getPayment(deps, orderId));
