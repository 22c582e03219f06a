import { Construct } from 'constructs';
import { catalogRoutes } from '../../functions/catalog/routes';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link CatalogService}. */
export interface CatalogServiceProps {
  readonly api: ShopApi;
  /** @default 'unknown' */
  readonly version?: string;
}

/** Products and their prices: public reads, admin writes, a price lookup for orders. */
export class CatalogService extends Construct {
  public readonly table: ServiceTable['table'];
  /** Invoked by the orders service for current prices. Read-only. */
  public readonly pricesFunction: ShopFunction;

  public constructor(scope: Construct, id: string, props: CatalogServiceProps) {
    super(scope, id);
    this.table = new ServiceTable(this, 'Products').table;
    const environment = { TABLE_NAME: this.table.tableName };

    const api = new ShopFunction(this, 'Api', {
      service: 'catalog',
      entry: 'catalog/entries/api.ts',
      description: 'Catalog HTTP routes',
      environment,
      version: props.version,
    });
    // Exactly what the routes call: get, list (Scan), create and update (conditional Put), delete.
    this.table.grant(api, 'dynamodb:GetItem', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem');
    props.api.addRoutes('Catalog', api, catalogRoutes);

    this.pricesFunction = new ShopFunction(this, 'GetPrices', {
      service: 'catalog',
      entry: 'catalog/entries/get-prices.ts',
      description: 'Current prices for the orders service',
      environment,
      version: props.version,
    });
    this.table.grant(this.pricesFunction, 'dynamodb:BatchGetItem');
  }
}
