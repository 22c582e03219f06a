import * as z from '../../shared/zod';
import { addressSchema } from '../../shared/contracts/common';
import type { ShipmentReader, ShipmentSummary } from '../ports/shipment-reader';
import { defaultInvoke, type InvokeFn } from './function-invoke';

/**
 * What the orders service relies on in the shipping service's GetShipment
 * answer: our own copy of that contract (consumer side). Extra fields are
 * ignored; missing or changed ones make the call a dependency error (503).
 */
export const getShipmentAnswerSchema = z.object({
  shipment: z.nullable(
    z.object({
      shipmentId: z.string().check(z.minLength(1)),
      status: z.string().check(z.minLength(1)),
      address: addressSchema,
      items: z.array(z.object({ productId: z.string(), quantity: z.number().check(z.int()) })),
      carrier: z.string(),
      trackingNumber: z.string(),
      createdAt: z.string(),
      updatedAt: z.string(),
      deliveredAt: z.optional(z.string()),
    }),
  ),
});

/** An order's shipment from the shipping service's GetShipment function (`SHIPMENTS_QUERY_FUNCTION`). */
export class LambdaShipmentReader implements ShipmentReader {
  public constructor(
    private readonly functionName: string,
    private readonly invoke: InvokeFn = defaultInvoke,
  ) {}

  public async getShipment(orderId: string, correlationId: string): Promise<ShipmentSummary | null> {
    const { shipment } = await this.invoke(this.functionName, { orderId, correlationId }, getShipmentAnswerSchema);
    return shipment;
  }
}
