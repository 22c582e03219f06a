import { Construct } from 'constructs';
import { inventoryRoutes } from '../../functions/inventory/routes';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link InventoryService}. */
export interface InventoryServiceProps {
  /** The API its stock routes are added to. */
  readonly api: ShopApi;
  /** Version reported in logs. @default 'unknown' */
  readonly version?: string;
}

/**
 * Stock per product and the reservations orders hold: stock routes for users
 * and admins, and the saga's ReserveInventory / ReleaseInventory tasks. One
 * table, partition key only (`PRODUCT#<id>`, `RESERVATION#<orderId>`), so a
 * reservation and the stock it takes change in one transaction.
 */
export class InventoryService extends Construct {
  public readonly table: ServiceTable['table'];
  /** Saga task ReserveInventory. */
  public readonly reserveFunction: ShopFunction;
  /** Saga compensation ReleaseInventory. */
  public readonly releaseFunction: ShopFunction;

  public constructor(scope: Construct, id: string, props: InventoryServiceProps) {
    super(scope, id);
    this.table = new ServiceTable(this, 'Stock').table;
    const environment = { TABLE_NAME: this.table.tableName };

    const api = new ShopFunction(this, 'Api', {
      service: 'inventory',
      entry: 'inventory/entries/api.ts',
      description: 'Inventory HTTP routes',
      environment,
      version: props.version,
    });
    this.table.grant(api, 'dynamodb:GetItem', 'dynamodb:PutItem');
    props.api.addRoutes('Inventory', api, inventoryRoutes);

    this.reserveFunction = new ShopFunction(this, 'ReserveInventory', {
      service: 'inventory',
      entry: 'inventory/entries/reserve-inventory.ts',
      description: 'Saga task: reserve the stock of an order, all or nothing',
      environment,
      version: props.version,
    });
    // One TransactWriteItems: a Put of the reservation and an Update per line (IAM authorizes each item's own action).
    this.table.grant(this.reserveFunction, 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    this.releaseFunction = new ShopFunction(this, 'ReleaseInventory', {
      service: 'inventory',
      entry: 'inventory/entries/release-inventory.ts',
      description: 'Saga compensation: give back the stock an order reserved, once',
      environment,
      version: props.version,
    });
    this.table.grant(this.releaseFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
  }
}
