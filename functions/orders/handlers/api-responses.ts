import * as z from '../../shared/zod';
import { addressSchema, cancellationReasonSchema, moneySchema, orderIdSchema, pricedLineSchema } from '../../shared/contracts/common';
import type { SameShape } from '../../shared/same-shape';
import { getPaymentAnswerSchema } from '../adapters/lambda-payment-reader';
import { getShipmentAnswerSchema } from '../adapters/lambda-shipment-reader';
import { orderStatusSchema } from '../domain/order';
import type { toDetailsView, toOrderView, toPlacementView } from './views';

/**
 * What the orders routes answer, as zod schemas: the OpenAPI description
 * (lib/openapi) is generated from them, and `tsc` checks each against the
 * view the handlers build (./views.ts). Not imported by the handlers: nothing
 * here goes into a Lambda bundle.
 */

const timestamp = z.iso.datetime({ offset: true });

/** An order as its owner sees it (`GET /orders/{id}`, `POST /orders/{id}/cancel`). */
export const orderViewSchema = z.object({
  orderId: orderIdSchema,
  status: orderStatusSchema,
  items: z.array(pricedLineSchema).check(z.minLength(1)),
  total: moneySchema,
  shippingAddress: addressSchema,
  cancellationReason: z.optional(cancellationReasonSchema),
  cancellationRequestedAt: z.optional(timestamp.check(z.meta({ description: 'When its owner asked to cancel it.' }))),
  statusHistory: z.array(z.object({ status: orderStatusSchema, at: timestamp, reason: z.optional(cancellationReasonSchema) })),
  createdAt: timestamp,
  updatedAt: timestamp,
});

/** `POST /orders` (202): the order as it was accepted, for the first attempt and every retry with the same Idempotency-Key. */
export const placementViewSchema = z.object({
  orderId: orderIdSchema,
  status: z.literal('PENDING'),
  total: moneySchema,
  items: z.array(pricedLineSchema).check(z.minLength(1)),
});

/** `GET /orders`: the caller's orders, newest first. */
export const orderPageSchema = z.object({
  items: z.array(orderViewSchema),
  nextCursor: z.optional(z.string().check(z.meta({ description: 'Pass as `cursor` for the next page; absent on the last.' }))),
});

/**
 * `GET /orders/{id}/details`: the order with what payments and shipping know
 * of it. Payment and shipment are what the orders service reads from them
 * (its consumer-side contracts, which drop any other field); null while none exists.
 */
export const orderDetailsViewSchema = z.object({
  order: orderViewSchema,
  payment: getPaymentAnswerSchema.shape.payment,
  shipment: getShipmentAnswerSchema.shape.shipment,
});

/** `tsc` fails here if a schema and the view the handlers return differ. */
export const orderViewsMatchSchemas: [
  SameShape<z.infer<typeof orderViewSchema>, ReturnType<typeof toOrderView>>,
  SameShape<z.infer<typeof placementViewSchema>, ReturnType<typeof toPlacementView>>,
  SameShape<z.infer<typeof orderDetailsViewSchema>, ReturnType<typeof toDetailsView>>,
] = [true, true, true];
