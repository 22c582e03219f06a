import { refundPaymentInput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import type { PaymentsDeps } from '../use-cases/deps';
import { refundPayment } from '../use-cases/refund-payment';

/** Saga compensation RefundPayment. */
export const createRefundPaymentHandler = (deps: PaymentsDeps) =>
  sagaTask('RefundPayment', refundPaymentInput, (input) => refundPayment(deps, input));
