import type { ChargePaymentInput, ChargePaymentOutput } from '../../shared/contracts/saga';
import { TransientError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import { PaymentClosedError, PaymentDeclinedError } from '../domain/errors';
import { chargeKeyOf, type Payment } from '../domain/payment';
import { PaymentDeclinedByProviderError } from '../ports/payment-provider';
import { MAX_STATE_READS, nowOf, type PaymentsDeps } from './deps';
import { callProvider } from './provider-calls';

/**
 * What an existing payment means for a charge: its result when captured, its
 * error when declined or closed, `undefined` when it is still PENDING.
 */
const settledOutcome = (payment: Payment): ChargePaymentOutput | undefined => {
  switch (payment.status) {
    case 'CAPTURED':
      return { paymentId: payment.paymentId, status: 'CAPTURED' };
    case 'DECLINED':
      throw new PaymentDeclinedError(payment.orderId, payment.declineReason ?? 'declined');
    case 'REFUNDED':
    case 'VOIDED':
      throw new PaymentClosedError(payment.orderId, payment.status);
    case 'PENDING':
      return undefined;
  }
};

type Attempt = { readonly kind: 'settled'; readonly output: ChargePaymentOutput } | { readonly kind: 'charge'; readonly payment: Payment };

/** Creates the PENDING payment, or counts one more attempt of it, or finds it already settled. */
const beginAttempt = async (deps: PaymentsDeps, input: ChargePaymentInput): Promise<Attempt> => {
  for (let read = 0; read < MAX_STATE_READS; read += 1) {
    const existing = await deps.payments.get(input.orderId);
    if (!existing) {
      const at = nowOf(deps);
      const payment: Payment = {
        orderId: input.orderId,
        paymentId: (deps.newId ?? newId)(),
        amount: input.amount,
        status: 'PENDING',
        attempts: 1,
        createdAt: at,
        updatedAt: at,
      };
      if (await deps.payments.create(payment)) return { kind: 'charge', payment };
      continue;
    }
    const output = settledOutcome(existing);
    if (output) return { kind: 'settled', output };
    const counted = await deps.payments.recordAttempt(input.orderId, nowOf(deps));
    if (counted) return { kind: 'charge', payment: counted };
  }
  throw new TransientError(`The payment of order ${input.orderId} kept changing while it was being charged.`);
};

/** After a conditional write lost a race, the payment's settled state decides. */
const settledAfterRace = async (deps: PaymentsDeps, orderId: string): Promise<ChargePaymentOutput> => {
  const current = await deps.payments.get(orderId);
  const output = current ? settledOutcome(current) : undefined;
  if (!output) throw new TransientError(`The payment of order ${orderId} changed while it was being charged.`);
  return output;
};

/**
 * Saga step ChargePayment: captures the order's amount once. The payment is
 * recorded PENDING before the provider is asked, so a Lambda that dies
 * mid-call leaves a trace the refund step can void. Repeats return the
 * recorded outcome; every status change is conditional on PENDING.
 *
 * @throws PaymentDeclinedError when the provider declines (now or before)
 * @throws PaymentClosedError when the payment was already refunded or voided
 * @throws TransientError when the provider is unavailable (the payment stays PENDING)
 */
export const chargePayment = async (deps: PaymentsDeps, input: ChargePaymentInput): Promise<ChargePaymentOutput> => {
  const attempt = await beginAttempt(deps, input);
  if (attempt.kind === 'settled') return attempt.output;
  const { payment } = attempt;

  let chargeId: string;
  try {
    ({ chargeId } = await callProvider('ChargePayment', () =>
      deps.provider.charge({ idempotencyKey: chargeKeyOf(input.orderId), amount: input.amount, token: input.paymentToken, attempt: payment.attempts }),
    ));
  } catch (error) {
    if (!(error instanceof PaymentDeclinedByProviderError)) throw error;
    // Stryker disable next-line BlockStatement: without the throw, settledAfterRace reads back the DECLINED just written and throws the same
    if (await deps.payments.transition(input.orderId, { from: 'PENDING', to: 'DECLINED', at: nowOf(deps), declineReason: error.reason })) {
      throw new PaymentDeclinedError(input.orderId, error.reason);
    }
    return settledAfterRace(deps, input.orderId);
  }

  // Stryker disable next-line BlockStatement: without the return, settledAfterRace reads back the CAPTURED just written and answers the same
  if (await deps.payments.transition(input.orderId, { from: 'PENDING', to: 'CAPTURED', at: nowOf(deps), chargeId })) {
    return { paymentId: payment.paymentId, status: 'CAPTURED' };
  }
  return settledAfterRace(deps, input.orderId);
};
