import { Construct } from 'constructs';
import { shippingRoutes } from '../../functions/shipping/routes';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import type { ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link ShippingService}. */
export interface ShippingServiceProps {
  readonly api: ShopApi;
  /** The bus the carrier's steps are announced on (OrderShipped, ShipmentDelivered). */
  readonly bus: ShopBus;
  /**
   * Countries the simulated carrier does not serve: a shipment to one of
   * them fails with SHIPPING_UNAVAILABLE.
   * @default ['AQ']
   */
  readonly unservedCountries?: readonly string[];
  /** @default 'unknown' */
  readonly version?: string;
}

const COUNTRY_CODE = /^[A-Z]{2}$/;

/**
 * Shipments, one per order: the saga's CreateShipment / CancelShipment tasks
 * (CancelShipment is also what the orders service invokes when a customer
 * cancels), the GetShipment query for order details, and the carrier's
 * routes, which ship (OrderShipped) and deliver (ShipmentDelivered). Each
 * function can make only the calls it makes.
 */
export class ShippingService extends Construct {
  public readonly table: ServiceTable['table'];
  /** Saga task CreateShipment. */
  public readonly createFunction: ShopFunction;
  /** Saga compensation CancelShipment; the orders service invokes it too, when a customer cancels. */
  public readonly cancelFunction: ShopFunction;
  /** Internal query GetShipment, invoked by the orders service. Read-only. */
  public readonly getShipmentFunction: ShopFunction;
  /** `POST /shipments/{id}/ship` and `POST /shipments/{id}/deliver`. */
  public readonly apiFunction: ShopFunction;

  public constructor(scope: Construct, id: string, props: ShippingServiceProps) {
    super(scope, id);
    const unserved = props.unservedCountries ?? ['AQ'];
    const invalid = unserved.filter((code) => !COUNTRY_CODE.test(code));
    if (invalid.length > 0) {
      throw new Error(`ShippingService unservedCountries must be ISO 3166-1 alpha-2 codes in upper case; got ${invalid.join(', ')}.`);
    }

    this.table = new ServiceTable(this, 'Shipments').table;
    const tableEnv = { TABLE_NAME: this.table.tableName };
    const fn = (fnId: string, entry: string, description: string, environment: Record<string, string> = tableEnv, traced = false) =>
      new ShopFunction(this, fnId, { service: 'shipping', entry: `shipping/entries/${entry}`, description, environment, version: props.version, traced });

    this.createFunction = fn(
      'CreateShipment',
      'create-shipment.ts',
      'Saga task: create the order shipment',
      { ...tableEnv, UNSERVED_COUNTRIES: unserved.join(',') },
      true,
    );
    this.table.grant(this.createFunction, 'dynamodb:PutItem', 'dynamodb:GetItem');

    this.cancelFunction = fn('CancelShipment', 'cancel-shipment.ts', 'Cancel the order shipment: saga compensation and customer cancellation', tableEnv, true);
    // PutItem writes the cancelled stand-in when a customer cancels before the saga created the shipment.
    this.table.grant(this.cancelFunction, 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:PutItem');

    this.getShipmentFunction = fn('GetShipment', 'get-shipment.ts', 'The shipment of an order, for order details');
    this.table.grant(this.getShipmentFunction, 'dynamodb:GetItem');

    this.apiFunction = fn('Api', 'api.ts', 'Shipping HTTP routes: ship a shipment, mark it delivered', {
      ...tableEnv,
      EVENT_BUS_NAME: props.bus.bus.eventBusName,
    });
    this.table.grant(this.apiFunction, 'dynamodb:UpdateItem', 'dynamodb:GetItem');
    props.bus.bus.grantPutEventsTo(this.apiFunction);
    props.api.addRoutes('Shipping', this.apiFunction, shippingRoutes);
  }
}
