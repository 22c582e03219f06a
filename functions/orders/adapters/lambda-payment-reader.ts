import * as z from '../../shared/zod';
import { moneySchema } from '../../shared/contracts/common';
import type { PaymentReader, PaymentSummary } from '../ports/payment-reader';
import { defaultInvoke, type InvokeFn } from './function-invoke';

/**
 * What the orders service relies on in the payments service's GetPayment
 * answer: our own copy of that contract (consumer side), so orders never
 * imports payments' code. Extra fields are ignored; missing or changed ones
 * make the call a dependency error (503) rather than a wrong answer.
 */
export const getPaymentAnswerSchema = z.object({
  payment: z.nullable(
    z.object({
      paymentId: z.string().check(z.minLength(1)),
      status: z.string().check(z.minLength(1)),
      amount: moneySchema,
      createdAt: z.string(),
      updatedAt: z.string(),
      declineReason: z.optional(z.string()),
    }),
  ),
});

/** An order's payment from the payments service's GetPayment function (`PAYMENTS_QUERY_FUNCTION`). */
export class LambdaPaymentReader implements PaymentReader {
  public constructor(
    private readonly functionName: string,
    private readonly invoke: InvokeFn = defaultInvoke,
  ) {}

  public async getPayment(orderId: string, correlationId: string): Promise<PaymentSummary | null> {
    const { payment } = await this.invoke(this.functionName, { orderId, correlationId }, getPaymentAnswerSchema);
    return payment;
  }
}
