import { canonicalJson, idempotencyKeySchema, requestHash } from '../../../functions/orders/domain/idempotency';

describe('requestHash', () => {
  const request = { items: [{ productId: 'p-mug', quantity: 2 }], shippingAddress: { name: 'Alice', city: 'Springfield' }, paymentToken: 'tok_visa' };

  it('is the same for the same request with its keys in another order, at every level', () => {
    const reordered = { paymentToken: 'tok_visa', shippingAddress: { city: 'Springfield', name: 'Alice' }, items: [{ quantity: 2, productId: 'p-mug' }] };
    expect(requestHash(reordered)).toBe(requestHash(request));
  });

  it.each([
    ['a quantity', { ...request, items: [{ productId: 'p-mug', quantity: 3 }] }],
    ['a product', { ...request, items: [{ productId: 'p-tea', quantity: 2 }] }],
    ['a nested string', { ...request, shippingAddress: { name: 'Alice', city: 'Shelbyville' } }],
    ['the order of the lines', { ...request, items: [{ productId: 'p-mug', quantity: 2 }, { productId: 'p-tea', quantity: 1 }] }],
    ['a missing field', { items: request.items, shippingAddress: request.shippingAddress }],
  ])('differs when only %s differs, so the key is not replayed for another order', (_what, other) => {
    expect(requestHash(other)).not.toBe(requestHash(request));
  });

  it('differs between lines in another order', () => {
    const two = [{ productId: 'p-mug', quantity: 1 }, { productId: 'p-tea', quantity: 1 }];
    expect(requestHash({ items: two })).not.toBe(requestHash({ items: [...two].reverse() }));
  });
});

describe('canonicalJson', () => {
  it('sorts object keys at every level, keeps array order, and drops undefined members as JSON does', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'x', c: null }, 2], e: undefined, c: true })).toBe('{"a":[{"c":null,"d":"x"},2],"b":1,"c":true}');
  });

  it('writes what JSON cannot hold as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson([undefined])).toBe('[null]');
  });
});

describe('the Idempotency-Key header', () => {
  it.each(['a', 'checkout_42.retry:1-b', 'k'.repeat(255)])('accepts %s', (key) => {
    expect(idempotencyKeySchema.safeParse(key).success).toBe(true);
  });

  it.each(['', 'k'.repeat(256), 'has space', 'slash/', 'ü'])('refuses %j', (key) => {
    expect(idempotencyKeySchema.safeParse(key).success).toBe(false);
  });
});
