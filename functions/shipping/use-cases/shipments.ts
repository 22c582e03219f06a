import { ShipmentDelivered } from '../../shared/contracts/events';
import type { CreateShipmentInput } from '../../shared/contracts/saga';
import type { EventPublisher } from '../../shared/event-publisher';
import { ShipmentCancelledError, ShipmentNotDeliverableError, ShipmentNotFoundError, ShippingUnavailableError } from '../domain/errors';
import { CARRIER, shipmentIdFor, trackingNumberFor, type Shipment } from '../domain/shipment';
import type { CarrierCoverage } from '../ports/carrier-coverage';
import type { ShipmentRepository } from '../ports/shipment-repository';

/** Dependencies every shipping use case may need. */
export interface ShippingDeps {
  readonly shipments: ShipmentRepository;
  readonly now?: () => Date;
}

const nowOf = (deps: ShippingDeps): string => (deps.now ?? (() => new Date()))().toISOString();

/**
 * Creates the order's shipment, once. The id is derived from the order, so a
 * retry finds the shipment it (or an earlier attempt) wrote and answers the
 * same id; a shipment cancelled by a compensation is never revived.
 */
export const createShipment = async (
  deps: ShippingDeps & { readonly coverage: CarrierCoverage },
  input: Pick<CreateShipmentInput, 'orderId' | 'address' | 'items'>,
): Promise<Shipment> => {
  if (!(await deps.coverage.serves(input.address))) throw new ShippingUnavailableError(input.address.country);
  const now = nowOf(deps);
  const shipment: Shipment = {
    shipmentId: shipmentIdFor(input.orderId),
    orderId: input.orderId,
    status: 'CREATED',
    address: input.address,
    items: input.items.map(({ productId, quantity }) => ({ productId, quantity })),
    carrier: CARRIER,
    trackingNumber: trackingNumberFor(input.orderId),
    createdAt: now,
    updatedAt: now,
  };
  const outcome = await deps.shipments.create(shipment);
  if (outcome.created) return shipment;
  if (outcome.existing.status === 'CANCELLED') throw new ShipmentCancelledError(shipment.shipmentId);
  return outcome.existing;
};

/** What CancelShipment found and did. Only `cancelled` wrote anything. */
export type CancelShipmentOutcome = 'cancelled' | 'absent' | 'already-cancelled' | 'delivered';

/**
 * Compensation: cancels the order's shipment if it is still CREATED. Absent,
 * already cancelled or delivered shipments are left alone, so the
 * compensation can run any number of times.
 */
export const cancelShipment = async (deps: ShippingDeps, orderId: string): Promise<CancelShipmentOutcome> => {
  const shipmentId = shipmentIdFor(orderId);
  if (await deps.shipments.cancel(shipmentId, nowOf(deps))) return 'cancelled';
  const current = await deps.shipments.get(shipmentId);
  if (!current) return 'absent';
  return current.status === 'DELIVERED' ? 'delivered' : 'already-cancelled';
};

/** The order's shipment, if it has one. */
export const getShipmentOfOrder = async (deps: ShippingDeps, orderId: string): Promise<Shipment | undefined> =>
  deps.shipments.get(shipmentIdFor(orderId));

/** What delivering did: `changed` is false when the shipment was already delivered. */
export interface DeliveryOutcome {
  readonly shipment: Shipment;
  readonly changed: boolean;
}

/**
 * Marks a shipment delivered (CREATED → DELIVERED, conditional) and announces
 * it with ShipmentDelivered. Delivering a delivered shipment answers the same
 * shipment and publishes again: if an earlier attempt crashed between the
 * write and the publish, the retry is what gets the event out (consumers are
 * idempotent). A cancelled shipment is a conflict; an unknown one, not found.
 */
export const deliverShipment = async (
  deps: ShippingDeps & { readonly events: EventPublisher },
  shipmentId: string,
  correlationId: string,
): Promise<DeliveryOutcome> => {
  const outcome = await markDelivered(deps, shipmentId);
  const { shipment } = outcome;
  await deps.events.publish(
    ShipmentDelivered,
    { orderId: shipment.orderId, shipmentId: shipment.shipmentId, deliveredAt: shipment.deliveredAt ?? shipment.updatedAt },
    correlationId,
  );
  return outcome;
};

const markDelivered = async (deps: ShippingDeps, shipmentId: string): Promise<DeliveryOutcome> => {
  const delivered = await deps.shipments.markDelivered(shipmentId, nowOf(deps));
  if (delivered) return { shipment: delivered, changed: true };
  const current = await deps.shipments.get(shipmentId);
  if (!current) throw new ShipmentNotFoundError(shipmentId);
  if (current.status === 'CANCELLED') throw new ShipmentNotDeliverableError(shipmentId);
  return { shipment: current, changed: false };
};
