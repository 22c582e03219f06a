import { BusinessRuleError, ConflictError, NotFoundError } from '../../shared/errors';
import { SagaErrors } from '../../shared/contracts/saga';

/** Saga: the carrier does not serve the address. The order is cancelled with SHIPPING_UNAVAILABLE. */
export class ShippingUnavailableError extends BusinessRuleError {
  public constructor(country: string) {
    super(`The carrier does not deliver to ${country}.`);
    this.name = SagaErrors.shippingUnavailable;
  }
}

/**
 * Saga: CreateShipment ran for an order whose shipment was already cancelled
 * — its owner cancelled the order before the saga got here (a cancelled
 * stand-in was written in the shipment's place). Creating it would ship a
 * cancelled order, and retrying cannot change that: the saga compensates and
 * cancels with CUSTOMER_REQUEST.
 */
export class ShipmentCancelledError extends BusinessRuleError {
  public constructor(shipmentId: string) {
    super(`Shipment '${shipmentId}' was cancelled and cannot be created again.`);
    this.name = SagaErrors.shipmentCancelled;
  }
}

/** HTTP 404: no such shipment. */
export class ShipmentNotFoundError extends NotFoundError {
  public constructor(shipmentId: string) {
    super('SHIPMENT_NOT_FOUND', `Shipment '${shipmentId}' does not exist.`);
    this.name = 'ShipmentNotFoundError';
  }
}

/** HTTP 409: a cancelled shipment cannot be shipped: the order was cancelled first. */
export class ShipmentNotShippableError extends ConflictError {
  public constructor(shipmentId: string, status: 'CANCELLED' | 'DELIVERED') {
    super(
      status === 'CANCELLED' ? 'SHIPMENT_CANCELLED' : 'SHIPMENT_DELIVERED',
      status === 'CANCELLED' ? `Shipment '${shipmentId}' was cancelled; it cannot be shipped.` : `Shipment '${shipmentId}' was already delivered.`,
    );
    this.name = 'ShipmentNotShippableError';
  }
}

/** HTTP 409: a cancelled shipment cannot be delivered. */
export class ShipmentNotDeliverableError extends ConflictError {
  public constructor(shipmentId: string) {
    super('SHIPMENT_CANCELLED', `Shipment '${shipmentId}' was cancelled; it cannot be delivered.`);
    this.name = 'ShipmentNotDeliverableError';
  }
}
