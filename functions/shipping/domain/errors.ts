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
 * (a saga redelivered after its compensation). Recreating it would ship a
 * cancelled order, and retrying cannot change that.
 */
export class ShipmentCancelledError extends BusinessRuleError {
  public constructor(shipmentId: string) {
    super(`Shipment '${shipmentId}' was cancelled and cannot be created again.`);
    this.name = 'ShipmentCancelledError';
  }
}

/** HTTP 404: no such shipment. */
export class ShipmentNotFoundError extends NotFoundError {
  public constructor(shipmentId: string) {
    super('SHIPMENT_NOT_FOUND', `Shipment '${shipmentId}' does not exist.`);
    this.name = 'ShipmentNotFoundError';
  }
}

/** HTTP 409: a cancelled shipment cannot be delivered. */
export class ShipmentNotDeliverableError extends ConflictError {
  public constructor(shipmentId: string) {
    super('SHIPMENT_CANCELLED', `Shipment '${shipmentId}' was cancelled; it cannot be delivered.`);
    this.name = 'ShipmentNotDeliverableError';
  }
}
