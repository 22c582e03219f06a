import { chargePaymentInput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import { chargePayment } from '../use-cases/charge-payment';
import type { PaymentsDeps } from '../use-cases/deps';

/** Saga task ChargePayment. */
export const createChargePaymentHandler = (deps: PaymentsDeps) =>
  sagaTask('ChargePayment', chargePaymentInput, (input) => chargePayment(deps, input));
