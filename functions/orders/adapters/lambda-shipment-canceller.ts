import * as z from '../../shared/zod';
import { cancelShipmentOutcomeSchema, type CancelShipmentInput, type CancelShipmentOutcome, type ShipmentTombstone } from '../../shared/contracts/saga';
import type { ShipmentCanceller } from '../ports/shipment-canceller';
import { defaultInvoke, type InvokeFn } from './function-invoke';

/**
 * What the orders service relies on in CancelShipment's answer (consumer
 * side): the outcome. Anything else makes the call a dependency error (503),
 * never a guess.
 */
export const cancelShipmentAnswerSchema = z.object({ cancelled: z.boolean(), outcome: cancelShipmentOutcomeSchema });

/** Shipping's CancelShipment function (`SHIPMENTS_CANCEL_FUNCTION`), invoked synchronously. */
export class LambdaShipmentCanceller implements ShipmentCanceller {
  public constructor(
    private readonly functionName: string,
    private readonly invoke: InvokeFn = defaultInvoke,
  ) {}

  public async cancelShipment(orderId: string, correlationId: string, tombstone: ShipmentTombstone): Promise<CancelShipmentOutcome> {
    const input: CancelShipmentInput = { orderId, correlationId, tombstone };
    const { outcome } = await this.invoke(this.functionName, input, cancelShipmentAnswerSchema);
    return outcome;
  }
}
