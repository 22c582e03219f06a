import { StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import type { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { inventoryRoutes } from '../../functions/inventory/routes';
import { LOW_STOCK_UNITS, StockChanged } from '../../functions/shared/contracts/events';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import type { ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';
import { TableOutbox } from '../constructs/table-outbox';

/** Props of {@link InventoryService}. */
export interface InventoryServiceProps {
  /** The API its stock routes are added to. */
  readonly api: ShopApi;
  /** Where StockChanged goes, through the outbox pipe. */
  readonly bus: ShopBus;
  /** Version reported in logs. @default 'unknown' */
  readonly version?: string;
}

const STOCK_ITEM = { pk: { S: [{ prefix: 'PRODUCT#' }] } };
const COUNTED = { version: { N: [{ exists: true }] } };
/** The counts at or below the threshold, as a stream record carries numbers (strings). */
const LOW_COUNTS = Array.from({ length: LOW_STOCK_UNITS + 1 }, (_, units) => String(units));

/**
 * The pipe filters of the inventory outbox (a record passes if any matches):
 * writes of stock items (`PRODUCT#<id>`; reservations are left out) that were
 * counted (`version`), and whose change is news to the catalog
 * ({@link LOW_STOCK_UNITS}): a product's first count, or a change that ends or
 * starts at or below the threshold — the stream carries the old image for
 * that. Every counted write changes the units on sale — a reservation or a
 * release moves at least one unit, and setting the count it already has
 * writes nothing, so the stream gets no record — which makes each record that
 * passes one real change, published once. Filtering in the pipe rather than
 * in the enrichment means the changes nobody needs cost no pipe request, no
 * invocation and no event.
 */
export const STOCK_CHANGE_FILTERS = [
  { eventName: ['INSERT'], dynamodb: { Keys: STOCK_ITEM, NewImage: COUNTED } },
  { eventName: ['MODIFY'], dynamodb: { Keys: STOCK_ITEM, NewImage: { ...COUNTED, stock: { N: LOW_COUNTS } } } },
  { eventName: ['MODIFY'], dynamodb: { Keys: STOCK_ITEM, NewImage: COUNTED, OldImage: { stock: { N: LOW_COUNTS } } } },
] as const;

/**
 * Stock per product and the reservations orders hold: stock routes for users
 * and admins, and the saga's ReserveInventory / ReleaseInventory tasks. One
 * table, partition key only (`PRODUCT#<id>`, `RESERVATION#<orderId>`), so a
 * reservation and the stock it takes change in one transaction.
 *
 * Every change of a product's units that is news (StockChanged: a new
 * product, or a count at or below the low-stock threshold before or after)
 * is announced through a transactional outbox (the table's stream → a pipe
 * that filters those changes → an enrichment → the bus), so other services
 * (catalog's availability) follow stock without reading this table, and no
 * crash can write the stock without its event or the event without the stock.
 */
export class InventoryService extends Construct {
  public readonly table: ServiceTable['table'];
  /** The HTTP routes. */
  public readonly apiFunction: ShopFunction;
  /** Saga task ReserveInventory. */
  public readonly reserveFunction: ShopFunction;
  /** Saga compensation ReleaseInventory. */
  public readonly releaseFunction: ShopFunction;
  /** Turns stock-item stream records into StockChanged details for the pipe. */
  public readonly enrichmentFunction: ShopFunction;
  /** The outbox: inventory table stream → filter → enrichment → bus. */
  public readonly outboxPipe: CfnPipe;
  /** Where the outbox parks batches it could not publish. */
  public readonly outboxDeadLetterQueue: IQueue;

  public constructor(scope: Construct, id: string, props: InventoryServiceProps) {
    super(scope, id);
    this.table = new ServiceTable(this, 'Stock', { stream: StreamViewType.NEW_AND_OLD_IMAGES }).table;
    const environment = { TABLE_NAME: this.table.tableName };

    const api = (this.apiFunction = new ShopFunction(this, 'Api', {
      service: 'inventory',
      entry: 'inventory/entries/api.ts',
      description: 'Inventory HTTP routes',
      environment,
      version: props.version,
    }));
    // GET reads the stock; PUT is one conditional UpdateItem (it writes nothing when the count is unchanged).
    this.table.grant(api, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    props.api.addRoutes('Inventory', api, inventoryRoutes);

    this.reserveFunction = new ShopFunction(this, 'ReserveInventory', {
      service: 'inventory',
      entry: 'inventory/entries/reserve-inventory.ts',
      description: 'Saga task: reserve the stock of an order, all or nothing',
      environment,
      version: props.version,
      traced: true,
    });
    // One TransactWriteItems: a Put of the reservation and an Update per line (IAM authorizes each item's own action).
    this.table.grant(this.reserveFunction, 'dynamodb:PutItem', 'dynamodb:UpdateItem');

    this.releaseFunction = new ShopFunction(this, 'ReleaseInventory', {
      service: 'inventory',
      entry: 'inventory/entries/release-inventory.ts',
      description: 'Saga compensation: give back the stock an order reserved, once',
      environment,
      version: props.version,
      traced: true,
    });
    this.table.grant(this.releaseFunction, 'dynamodb:GetItem', 'dynamodb:UpdateItem');

    this.enrichmentFunction = new ShopFunction(this, 'PublishStockChanged', {
      service: 'inventory',
      entry: 'inventory/entries/publish-stock-changed.ts',
      description: 'Outbox enrichment: stock-item stream records to StockChanged details',
      version: props.version,
    });
    const outbox = new TableOutbox(this, 'Outbox', {
      table: this.table,
      bus: props.bus,
      event: StockChanged,
      enrichment: this.enrichmentFunction,
      filters: STOCK_CHANGE_FILTERS,
      deadLetters: { id: 'InventoryOutboxDeadLetters', what: 'StockChanged batches the inventory outbox could not publish' },
      description: 'Transactional outbox: every change of the units of a product to StockChanged on the shop bus',
    });
    this.outboxPipe = outbox.pipe;
    this.outboxDeadLetterQueue = outbox.deadLetterQueue;
  }
}
