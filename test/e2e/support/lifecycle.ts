import { randomBytes } from 'node:crypto';
import { eventually } from './eventually';
import type { ApiReply, OrderRequest, OrderView, ShopClient } from './shop-client';
import type { Caller } from './target';

/** Units each lifecycle product starts with, so every scenario can check its own stock comes back. */
export const LIFECYCLE_STOCK = 20;

/** What the lifecycle scenarios share: products of this run, orders, cancellations, and what a cancelled order must look like. */
export class Lifecycle {
  private readonly run = randomBytes(3).toString('hex');
  /** Products this run created, for a deployed stack's clean-up. */
  public readonly createdProducts: string[] = [];

  public constructor(
    private readonly shop: ShopClient,
    private readonly owner: Caller,
    private readonly admin: Caller,
    private readonly waitMs: number,
    private readonly diagnostics: () => string,
  ) {}

  /** A product of this run with {@link LIFECYCLE_STOCK} units. */
  public async stockedProduct(name: string): Promise<string> {
    const id = `life-${this.run}-${name}`;
    await this.shop.stockProduct(this.admin, { id, name, price: { amount: 900, currency: 'EUR' } }, LIFECYCLE_STOCK);
    this.createdProducts.push(id);
    return id;
  }

  public order(productId: string, quantity = 2): OrderRequest {
    return {
      items: [{ productId, quantity }],
      paymentToken: 'tok_visa',
      shippingAddress: { name: 'Alice Example', line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' },
    };
  }

  public cancel(caller: Caller, orderId: string): Promise<ApiReply> {
    return this.shop.call('POST', `/orders/${orderId}/cancel`, { as: caller });
  }

  public waitFor(orderId: string, what: string, done: (order: OrderView) => boolean): Promise<OrderView> {
    return eventually(`order ${orderId} ${what}`, () => this.shop.order(this.owner, orderId), done, { timeoutMs: this.waitMs, diagnostics: this.diagnostics });
  }

  /**
   * What a customer can see of a cancelled order: CANCELLED with the reason,
   * its money not kept (never captured, voided or refunded), its shipment
   * cancelled or never made, and every unit back on sale.
   */
  public async expectFullyCancelled(orderId: string, productId: string, onSale = LIFECYCLE_STOCK): Promise<void> {
    const cancelled = await this.waitFor(orderId, 'cancelled', (o) => o.status === 'CANCELLED');
    expect(cancelled.cancellationReason).toBe('CUSTOMER_REQUEST');
    expect(cancelled.statusHistory.filter((entry) => entry.status === 'CANCELLED')).toHaveLength(1);
    const details = await this.shop.details(this.owner, orderId);
    expect({ payment: details.payment === null ? 'never charged' : details.payment.status }).toEqual({ payment: expect.stringMatching(/^(never charged|REFUNDED|VOIDED|DECLINED)$/) });
    expect({ shipment: details.shipment === null ? 'none' : details.shipment.status }).toEqual({ shipment: expect.stringMatching(/^(none|CANCELLED)$/) });
    expect(await this.shop.stockOf(this.owner, productId)).toBe(onSale);
  }
}
