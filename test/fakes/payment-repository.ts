import type { Payment } from '../../functions/payments/domain/payment';
import type { PaymentRepository, PaymentTransition } from '../../functions/payments/ports/payment-repository';

/**
 * In-memory {@link PaymentRepository} with the conditions of the DynamoDB
 * one: create only if absent, attempts and transitions only from the
 * expected status. No await between check and write, so concurrent calls
 * stay atomic.
 */
export class InMemoryPaymentRepository implements PaymentRepository {
  public readonly payments = new Map<string, Payment>();
  /** Writes that changed something, to assert that a refusal wrote nothing. */
  public writes = 0;

  public constructor(seed: readonly Payment[] = []) {
    for (const payment of seed) this.payments.set(payment.orderId, payment);
  }

  public async get(orderId: string): Promise<Payment | undefined> {
    return this.payments.get(orderId);
  }

  public async create(payment: Payment): Promise<boolean> {
    if (this.payments.has(payment.orderId)) return false;
    this.payments.set(payment.orderId, payment);
    this.writes += 1;
    return true;
  }

  public async recordAttempt(orderId: string, at: string): Promise<Payment | undefined> {
    const current = this.payments.get(orderId);
    if (current?.status !== 'PENDING') return undefined;
    const next: Payment = { ...current, attempts: current.attempts + 1, updatedAt: at };
    this.payments.set(orderId, next);
    this.writes += 1;
    return next;
  }

  public async transition(orderId: string, change: PaymentTransition): Promise<boolean> {
    const current = this.payments.get(orderId);
    if (current?.status !== change.from) return false;
    this.payments.set(orderId, {
      ...current,
      status: change.to,
      updatedAt: change.at,
      ...(change.chargeId !== undefined ? { chargeId: change.chargeId } : {}),
      ...(change.refundId !== undefined ? { refundId: change.refundId } : {}),
      ...(change.declineReason !== undefined ? { declineReason: change.declineReason } : {}),
    });
    this.writes += 1;
    return true;
  }
}

/** A payment fixture. */
export const payment = (overrides: Partial<Payment> = {}): Payment => ({
  orderId: '4f7a2c1e-9b3d-4e8f-a6b5-2c1d0e9f8a7b',
  paymentId: 'pay-1',
  amount: { amount: 2999, currency: 'EUR' },
  status: 'PENDING',
  attempts: 1,
  createdAt: '2026-03-01T12:00:00.000Z',
  updatedAt: '2026-03-01T12:00:00.000Z',
  ...overrides,
});
