import { OrderShipped, ShipmentDelivered } from '../../shared/contracts/events';
import type { CancelShipmentOutcome, CreateShipmentInput, ShipmentTombstone } from '../../shared/contracts/saga';
import { DependencyUnavailableError, TransientError } from '../../shared/errors';
import type { EventPublisher } from '../../shared/event-publisher';
import { ShipmentCancelledError, ShipmentNotDeliverableError, ShipmentNotFoundError, ShipmentNotShippableError, ShippingUnavailableError } from '../domain/errors';
import { CARRIER, shipmentIdFor, trackingNumberFor, type Shipment } from '../domain/shipment';
import type { CarrierCoverage } from '../ports/carrier-coverage';
import type { ShipmentRepository } from '../ports/shipment-repository';

/** Dependencies every shipping use case may need. */
export interface ShippingDeps {
  readonly shipments: ShipmentRepository;
  readonly now?: () => Date;
}

const nowOf = (deps: ShippingDeps): string => (deps.now ?? (() => new Date()))().toISOString();

/** A CREATED shipment for an order, to these lines at this address. */
const newShipment = (orderId: string, { address, items }: ShipmentTombstone, at: string): Shipment => ({
  shipmentId: shipmentIdFor(orderId),
  orderId,
  status: 'CREATED',
  address,
  items: items.map(({ productId, quantity }) => ({ productId, quantity })),
  carrier: CARRIER,
  trackingNumber: trackingNumberFor(orderId),
  createdAt: at,
  updatedAt: at,
});

/**
 * Creates the order's shipment, once. The id is derived from the order, so a
 * retry finds the shipment it (or an earlier attempt) wrote and answers the
 * same id; a cancelled shipment (its order's owner cancelled it before the
 * saga got here) is never revived: ShipmentCancelledError.
 */
export const createShipment = async (
  deps: ShippingDeps & { readonly coverage: CarrierCoverage },
  input: Pick<CreateShipmentInput, 'orderId' | 'address' | 'items'>,
): Promise<Shipment> => {
  if (!(await deps.coverage.serves(input.address))) throw new ShippingUnavailableError(input.address.country);
  const shipment = newShipment(input.orderId, input, nowOf(deps));
  const outcome = await deps.shipments.create(shipment);
  if (outcome.created) return shipment;
  if (outcome.existing.status === 'CANCELLED') throw new ShipmentCancelledError(shipment.shipmentId);
  return outcome.existing;
};

/** What {@link cancelShipment} found, and whether this call changed anything. */
export interface CancelShipmentResult {
  readonly outcome: CancelShipmentOutcome;
  /** True when this call cancelled the shipment or wrote its cancelled stand-in. */
  readonly changed: boolean;
}

/** Rounds of cancel / read / write before a shipment that keeps changing is reported as transient. */
const CANCEL_ROUNDS = 3;

/**
 * Cancels the order's shipment if it is still CREATED — the saga's
 * compensation, and the fence of a customer's cancellation. A SHIPPED or
 * DELIVERED shipment is never cancelled (reported, not thrown), nor is any
 * shipment changed twice, so it can run any number of times.
 *
 * With a `tombstone` (a customer cancelling) and no shipment yet, it writes a
 * CANCELLED shipment in its place (a conditional put), so the saga's
 * CreateShipment for the order will find it cancelled, throw
 * ShipmentCancelledError and compensate. If that put loses to a concurrent
 * create, the shipment just created is cancelled instead. A repeat finds the
 * stand-in and answers `cancelled-before-creation` again.
 */
export const cancelShipment = async (deps: ShippingDeps, orderId: string, tombstone?: ShipmentTombstone): Promise<CancelShipmentResult> => {
  const shipmentId = shipmentIdFor(orderId);
  for (let round = 0; round < CANCEL_ROUNDS; round += 1) {
    const at = nowOf(deps);
    if (await deps.shipments.cancel(shipmentId, at)) return { outcome: 'cancelled', changed: true };
    const current = await deps.shipments.get(shipmentId);
    if (current) {
      const outcome = outcomeOf(current);
      if (outcome) return { outcome, changed: false };
      continue; // CREATED after all: created between the cancel and the read; cancel it.
    }
    if (!tombstone) return { outcome: 'absent', changed: false };
    const standIn: Shipment = {
      ...newShipment(orderId, tombstone, at),
      status: 'CANCELLED',
      cancelledAt: at,
      cancelledBeforeCreation: true,
    };
    if ((await deps.shipments.create(standIn)).created) return { outcome: 'cancelled-before-creation', changed: true };
    // Lost to a concurrent CreateShipment: the next round cancels what it created.
  }
  throw new TransientError(`The shipment of order ${orderId} kept changing while it was being cancelled.`);
};

/** What an existing shipment means for a cancellation; undefined for a CREATED one, which can still be cancelled. */
const outcomeOf = (shipment: Shipment): CancelShipmentOutcome | undefined => {
  switch (shipment.status) {
    case 'CREATED':
      return undefined;
    case 'CANCELLED':
      return shipment.cancelledBeforeCreation === true ? 'cancelled-before-creation' : 'already-cancelled';
    case 'SHIPPED':
      return 'shipped';
    case 'DELIVERED':
      return 'delivered';
  }
};

/** The order's shipment, if it has one. */
export const getShipmentOfOrder = async (deps: ShippingDeps, orderId: string): Promise<Shipment | undefined> =>
  deps.shipments.get(shipmentIdFor(orderId));

/** Attempts of a carrier's conditional write when the shipment changes under it (another carrier request). */
const CHANGE_ROUNDS = 3;

/** What shipping or delivering did: `changed` is false when the shipment was already there. */
export interface ShipmentChange {
  readonly shipment: Shipment;
  readonly changed: boolean;
}

/**
 * Hands a shipment to the carrier (CREATED → SHIPPED, conditional) and
 * announces it with OrderShipped. This write is the fence against a
 * customer's cancellation, which cancels only a CREATED shipment: whichever
 * conditional write comes first wins. Shipping a shipped shipment answers it
 * and publishes again, so a retry heals a crash between the write and the
 * publish (consumers are idempotent). Cancelled or delivered: a conflict;
 * unknown: not found.
 */
export const shipShipment = async (
  deps: ShippingDeps & { readonly events: EventPublisher },
  shipmentId: string,
  correlationId: string,
): Promise<ShipmentChange> => {
  const outcome = await markShipped(deps, shipmentId);
  const { shipment } = outcome;
  await deps.events.publish(
    OrderShipped,
    { orderId: shipment.orderId, shipmentId: shipment.shipmentId, shippedAt: shipment.shippedAt ?? shipment.updatedAt },
    correlationId,
  );
  return outcome;
};

const markShipped = async (deps: ShippingDeps, shipmentId: string): Promise<ShipmentChange> => {
  for (let round = 0; round < CHANGE_ROUNDS; round += 1) {
    const shipped = await deps.shipments.markShipped(shipmentId, nowOf(deps));
    if (shipped) return { shipment: shipped, changed: true };
    const current = await deps.shipments.get(shipmentId);
    if (!current) throw new ShipmentNotFoundError(shipmentId);
    if (current.status === 'CANCELLED' || current.status === 'DELIVERED') throw new ShipmentNotShippableError(shipmentId, current.status);
    if (current.status === 'SHIPPED') return { shipment: current, changed: false };
  }
  throw new DependencyUnavailableError(`Shipment '${shipmentId}' kept changing while it was being shipped; please retry.`);
};

/**
 * Marks a shipment delivered (CREATED or SHIPPED → DELIVERED, conditional)
 * and announces it with ShipmentDelivered. Delivering a delivered shipment
 * answers the same shipment and publishes again: if an earlier attempt
 * crashed between the write and the publish, the retry is what gets the
 * event out (consumers are idempotent). A cancelled shipment is a conflict;
 * an unknown one, not found.
 */
export const deliverShipment = async (
  deps: ShippingDeps & { readonly events: EventPublisher },
  shipmentId: string,
  correlationId: string,
): Promise<ShipmentChange> => {
  const outcome = await markDelivered(deps, shipmentId);
  const { shipment } = outcome;
  await deps.events.publish(
    ShipmentDelivered,
    { orderId: shipment.orderId, shipmentId: shipment.shipmentId, deliveredAt: shipment.deliveredAt ?? shipment.updatedAt },
    correlationId,
  );
  return outcome;
};

const markDelivered = async (deps: ShippingDeps, shipmentId: string): Promise<ShipmentChange> => {
  for (let round = 0; round < CHANGE_ROUNDS; round += 1) {
    const delivered = await deps.shipments.markDelivered(shipmentId, nowOf(deps));
    if (delivered) return { shipment: delivered, changed: true };
    const current = await deps.shipments.get(shipmentId);
    if (!current) throw new ShipmentNotFoundError(shipmentId);
    if (current.status === 'CANCELLED') throw new ShipmentNotDeliverableError(shipmentId);
    if (current.status === 'DELIVERED') return { shipment: current, changed: false };
  }
  throw new DependencyUnavailableError(`Shipment '${shipmentId}' kept changing while it was being delivered; please retry.`);
};
