import { OrderTooLargeError } from '../../../functions/orders/domain/errors';
import { mergeLines, priceLines, type PriceQuote } from '../../../functions/orders/domain/pricing';
import { MAX_LINE_QUANTITY } from '../../../functions/shared/contracts/common';

const quote = (productId: string, amount: number, currency = 'EUR'): PriceQuote => ({ productId, name: productId, price: { amount, currency } });

describe('mergeLines', () => {
  it(`accepts a product ordered exactly ${MAX_LINE_QUANTITY} times in all, over several lines`, () => {
    // Act
    const lines = mergeLines([
      { productId: 'p-mug', quantity: 400 },
      { productId: 'p-tea', quantity: 1 },
      { productId: 'p-mug', quantity: MAX_LINE_QUANTITY - 400 },
    ]);

    // Assess
    expect(lines).toEqual([
      { productId: 'p-mug', quantity: MAX_LINE_QUANTITY, indexes: [0, 2] },
      { productId: 'p-tea', quantity: 1, indexes: [1] },
    ]);
  });

  it('refuses one unit more, naming the first line of each product over the limit', () => {
    const act = () =>
      mergeLines([
        { productId: 'p-tea', quantity: 1 },
        { productId: 'p-mug', quantity: 1 },
        { productId: 'p-mug', quantity: MAX_LINE_QUANTITY },
        { productId: 'p-cup', quantity: 999 },
        { productId: 'p-cup', quantity: 2 },
      ]);
    expect(act).toThrow(OrderTooLargeError);
    expect(act).toThrow(
      expect.objectContaining({
        status: 422,
        code: 'ORDER_TOO_LARGE',
        issues: [
          { path: 'items.1.quantity', message: expect.stringMatching(new RegExp(`^p-mug .*${MAX_LINE_QUANTITY + 1}.*${MAX_LINE_QUANTITY}`)) },
          { path: 'items.3.quantity', message: expect.stringMatching(/^p-cup .*1001/) },
        ],
      }),
    );
  });
});

describe('priceLines', () => {
  it('prices each line with its quote and totals them in integer minor units', () => {
    const priced = priceLines(mergeLines([{ productId: 'p-mug', quantity: 3 }, { productId: 'p-tea', quantity: 2 }]), [quote('p-tea', 499), quote('p-mug', 1250)]);
    expect(priced).toEqual({
      items: [
        { productId: 'p-mug', quantity: 3, unitPrice: { amount: 1250, currency: 'EUR' } },
        { productId: 'p-tea', quantity: 2, unitPrice: { amount: 499, currency: 'EUR' } },
      ],
      total: { amount: 4748, currency: 'EUR' },
    });
  });

  it('names every request line of an unknown product, in request order (items.2 before items.10)', () => {
    const ghosts: Record<number, string> = { 2: 'p-ghost', 3: 'p-phantom', 10: 'p-ghost' };
    const items = Array.from({ length: 11 }, (_, i) => ({ productId: ghosts[i] ?? `p-${i}`, quantity: 1 }));
    const quotes = items.filter((item) => !Object.values(ghosts).includes(item.productId)).map((item) => quote(item.productId, 100));
    expect(() => priceLines(mergeLines(items), quotes)).toThrow(
      expect.objectContaining({
        status: 422,
        code: 'UNKNOWN_PRODUCT',
        issues: [
          { path: 'items.2.productId', message: expect.stringContaining('p-ghost') },
          { path: 'items.3.productId', message: expect.stringContaining('p-phantom') },
          { path: 'items.10.productId', message: expect.stringContaining('p-ghost') },
        ],
      }),
    );
  });

  it('accepts a total of exactly 2^53 - 1 minor units and refuses one above it, which a float cannot count exactly', () => {
    const max = Number.MAX_SAFE_INTEGER;
    expect(priceLines(mergeLines([{ productId: 'p-gold', quantity: 1 }]), [quote('p-gold', max)]).total).toEqual({ amount: max, currency: 'EUR' });
    expect(() => priceLines(mergeLines([{ productId: 'p-gold', quantity: 1 }, { productId: 'p-mug', quantity: 1 }]), [quote('p-gold', max), quote('p-mug', 1)])).toThrow(
      expect.objectContaining({ status: 422, code: 'ORDER_TOO_LARGE', issues: [{ path: 'items', message: expect.stringContaining('total') }] }),
    );
  });

  it('refuses two currencies in one order', () => {
    expect(() => priceLines(mergeLines([{ productId: 'p-mug', quantity: 1 }, { productId: 'p-usd', quantity: 1 }]), [quote('p-mug', 1), quote('p-usd', 1, 'USD')])).toThrow(
      expect.objectContaining({ status: 422, code: 'MIXED_CURRENCIES' }),
    );
  });
});
