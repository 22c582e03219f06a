import { DependencyUnavailableError } from '../../functions/shared/errors';
import type { PaymentReader, PaymentSummary } from '../../functions/orders/ports/payment-reader';
import type { ShipmentReader, ShipmentSummary } from '../../functions/orders/ports/shipment-reader';

/** Payments by order id; `available = false` makes every read fail as a dependency outage. */
export class FakePaymentReader implements PaymentReader {
  public readonly payments = new Map<string, PaymentSummary>();
  public available = true;

  public async getPayment(orderId: string): Promise<PaymentSummary | null> {
    if (!this.available) throw new DependencyUnavailableError('payments GetPayment failed.', 1);
    return this.payments.get(orderId) ?? null;
  }
}

/** Shipments by order id; `available = false` makes every read fail as a dependency outage. */
export class FakeShipmentReader implements ShipmentReader {
  public readonly shipments = new Map<string, ShipmentSummary>();
  public available = true;

  public async getShipment(orderId: string): Promise<ShipmentSummary | null> {
    if (!this.available) throw new DependencyUnavailableError('shipping GetShipment failed.', 1);
    return this.shipments.get(orderId) ?? null;
  }
}
