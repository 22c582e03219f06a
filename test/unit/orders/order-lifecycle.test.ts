import { needsReconciling, reconcilerIndexTime, type OrderStatus } from '../../../functions/orders/domain/order';
import { advanceOrder } from '../../../functions/orders/use-cases/advance-order';
import { InMemoryOrderRepository, order } from '../../fakes/order-repository';

/** The order lifecycle: PENDING → CONFIRMED → SHIPPED → DELIVERED, or → CANCELLED(reason) before it ships. */

const NOW = () => new Date('2026-03-02T00:00:00.000Z');

/** Whether an order in `from` moves to `to`. */
const moves = async (from: OrderStatus, to: Exclude<OrderStatus, 'PENDING'>): Promise<boolean> => {
  const orders = new InMemoryOrderRepository([order({ status: from })]);
  return (await advanceOrder({ orders, now: NOW }, order().orderId, to, to === 'CANCELLED' ? 'CUSTOMER_REQUEST' : undefined)) !== undefined;
};

describe('order status changes', () => {
  it.each([
    ['PENDING', 'CONFIRMED', true],
    ['PENDING', 'SHIPPED', true],
    ['PENDING', 'DELIVERED', true],
    ['PENDING', 'CANCELLED', true],
    ['CONFIRMED', 'SHIPPED', true],
    ['CONFIRMED', 'DELIVERED', true],
    ['CONFIRMED', 'CANCELLED', true],
    ['SHIPPED', 'DELIVERED', true],
    ['CONFIRMED', 'CONFIRMED', false],
    ['SHIPPED', 'CONFIRMED', false],
    ['SHIPPED', 'CANCELLED', false],
    ['DELIVERED', 'SHIPPED', false],
    ['DELIVERED', 'CANCELLED', false],
    ['CANCELLED', 'CONFIRMED', false],
    ['CANCELLED', 'SHIPPED', false],
    ['CANCELLED', 'DELIVERED', false],
  ] as const)('%s → %s: %p', async (from, to, expected) => {
    expect(await moves(from, to)).toBe(expected);
  });

  it('records every step in statusHistory, with the reason of a cancellation', async () => {
    const orders = new InMemoryOrderRepository([order()]);
    await advanceOrder({ orders, now: NOW }, order().orderId, 'CONFIRMED');
    await advanceOrder({ orders, now: NOW }, order().orderId, 'CANCELLED', 'CUSTOMER_REQUEST');
    expect(orders.orders.get(order().orderId)?.statusHistory).toEqual([
      { status: 'PENDING', at: order().createdAt },
      { status: 'CONFIRMED', at: NOW().toISOString() },
      { status: 'CANCELLED', at: NOW().toISOString(), reason: 'CUSTOMER_REQUEST' },
    ]);
  });
});

describe("the reconciler's index", () => {
  it.each([
    ['PENDING', undefined, true],
    ['CONFIRMED', undefined, false],
    ['PENDING', '2026-03-01T12:30:00.000Z', true],
    ['CONFIRMED', '2026-03-01T12:30:00.000Z', true],
    ['CANCELLED', '2026-03-01T12:30:00.000Z', false],
    ['SHIPPED', undefined, false],
    ['DELIVERED', undefined, false],
  ] as const)('holds a %s order with cancelRequestedAt %p: %p', (status, cancelRequestedAt, expected) => {
    expect(needsReconciling({ status, ...(cancelRequestedAt ? { cancelRequestedAt } : {}) })).toBe(expected);
  });

  it('ages a cancellation from its request and any other order from its creation', () => {
    expect(reconcilerIndexTime({ createdAt: '2026-03-01T00:00:00.000Z', cancelRequestedAt: '2026-03-01T12:30:00.000Z' })).toBe('2026-03-01T12:30:00.000Z');
    expect(reconcilerIndexTime({ createdAt: '2026-03-01T00:00:00.000Z' })).toBe('2026-03-01T00:00:00.000Z');
  });
});
