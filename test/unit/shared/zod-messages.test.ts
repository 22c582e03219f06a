import { config } from 'zod/v4/core';
import type * as Order from '../../../functions/orders/domain/order';
import type * as Validation from '../../../functions/shared/validation';

/*
 * The functions' schemas are zod/mini, which sets no messages of its own
 * (every issue would read "Invalid input"): functions/shared/zod.ts sets
 * zod's English ones. Classic zod sets them too, on its first schema, in a
 * configuration every copy of zod in the process shares, and the tooling
 * loaded beside the tests uses classic zod: so the suite forgets the
 * messages and loads the functions' modules afresh, as a Lambda bundle
 * starts.
 */

describe("the functions' validation messages", () => {
  it('are English with only the functions loaded: a number too small, a wrong type, an unknown field', () => {
    // Prepare
    config({ localeError: undefined });
    const request = { items: [{ productId: 'p-mug', quantity: 0 }], shippingAddress: 'home', total: 1 };

    // Act
    let parsed: ReturnType<typeof Validation.safeParse> | undefined;
    jest.isolateModules(() => {
      const { placeOrderRequestSchema } = jest.requireActual<typeof Order>('../../../functions/orders/domain/order');
      const { safeParse } = jest.requireActual<typeof Validation>('../../../functions/shared/validation');
      parsed = safeParse(placeOrderRequestSchema, request);
    });

    // Assess
    expect(parsed).toEqual({
      ok: false,
      issues: [
        { path: 'items.0.quantity', message: 'Too small: expected number to be >=1' },
        { path: 'shippingAddress', message: 'Invalid input: expected object, received string' },
        { path: 'total', message: 'unknown field' },
      ],
    });
  });
});
