import * as z from '../zod';

/** ISO 4217 code, upper case. */
export const currencySchema = z.string().check(z.regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code'));

/** Money as integer minor units (cents) with its currency. Never a float. */
export const moneySchema = z.strictObject({
  amount: z.number().check(z.int('must be an integer number of minor units'), z.nonnegative(), z.maximum(Number.MAX_SAFE_INTEGER)),
  currency: currencySchema,
});
export type Money = z.infer<typeof moneySchema>;

/** Ids chosen by our services or by an admin (products). */
export const productIdSchema = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'must be 1-64 letters, digits, - or _'));
export const orderIdSchema = z.uuid();
export const userIdSchema = z.string().check(z.minLength(1), z.maxLength(128));

/** Largest quantity of one product in one order line. */
export const MAX_LINE_QUANTITY = 1000;

/** A line of an order, priced by catalog at the time the order was placed. */
export const pricedLineSchema = z.strictObject({
  productId: productIdSchema,
  quantity: z.number().check(z.int(), z.minimum(1), z.maximum(MAX_LINE_QUANTITY)),
  unitPrice: moneySchema,
});
export type PricedLine = z.infer<typeof pricedLineSchema>;

/** Where a shipment goes. `country` decides whether the carrier serves it. */
export const addressSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  line1: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  line2: z.optional(z.string().check(z.trim(), z.maxLength(200))),
  city: z.string().check(z.trim(), z.minLength(1), z.maxLength(100)),
  postalCode: z.string().check(z.trim(), z.minLength(1), z.maxLength(20)),
  country: z.string().check(z.regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code')),
});
export type Address = z.infer<typeof addressSchema>;

/**
 * Why an order was cancelled: the saga's reasons, or `CUSTOMER_REQUEST` when
 * its owner cancelled it before it shipped.
 */
export const cancellationReasonSchema = z.enum(['OUT_OF_STOCK', 'PAYMENT_DECLINED', 'SHIPPING_UNAVAILABLE', 'TECHNICAL', 'CUSTOMER_REQUEST']);
export type CancellationReason = z.infer<typeof cancellationReasonSchema>;
