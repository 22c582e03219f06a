import type { CancellationReason } from '../../shared/contracts/common';
import { statusChange, type Order, type StatusChange } from '../domain/order';
import type { OrderRepository } from '../ports/order-repository';

/** Dependencies of {@link advanceOrder}. */
export interface AdvanceOrderDeps {
  readonly orders: OrderRepository;
  /** @default the clock */
  readonly now?: () => Date;
}

/**
 * Moves an order forward (PENDING → CONFIRMED → SHIPPED → DELIVERED, or to
 * CANCELLED from PENDING or CONFIRMED) with a conditional write. Returns the
 * order as changed, or `undefined` when it was not where the change may come
 * from — a late or repeated event — and then nothing was written.
 */
export const advanceOrder = (
  deps: AdvanceOrderDeps,
  orderId: string,
  to: StatusChange['to'],
  reason?: CancellationReason,
): Promise<Order | undefined> => deps.orders.transition(orderId, statusChange(to, (deps.now ?? (() => new Date()))().toISOString(), reason));
