import * as z from 'zod';
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
  payment: z
    .object({
      paymentId: z.string().min(1),
      status: z.string().min(1),
      amount: moneySchema,
      createdAt: z.string(),
      updatedAt: z.string(),
      declineReason: z.string().optional(),
    })
    .nullable(),
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
