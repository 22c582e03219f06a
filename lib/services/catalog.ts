import { AttributeType } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { catalogRoutes } from '../../functions/catalog/routes';
import { CATEGORY_INDEX, LISTING_INDEX } from '../../functions/catalog/table-layout';
import { StockChanged } from '../../functions/shared/contracts/events';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import type { QueuedConsumer, ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link CatalogService}. */
export interface CatalogServiceProps {
  readonly api: ShopApi;
  /** Where inventory's StockChanged events come from. */
  readonly bus: ShopBus;
  /** @default 'unknown' */
  readonly version?: string;
}

/**
 * Products, their prices and the units on sale: public reads, admin writes,
 * a price lookup for orders, and a consumer of inventory's StockChanged
 * events that keeps each product's `available` current without reading
 * inventory's table.
 *
 * Listings are queries of two sparse indexes ordered by product id — every
 * product (`listing`) and one category's (`byCategory`) — so a page never
 * scans the table and a cursor stays valid while products are added.
 */
export class CatalogService extends Construct {
  public readonly table: ServiceTable['table'];
  /** Invoked by the orders service for current prices. Read-only. */
  public readonly pricesFunction: ShopFunction;
  /** The catalog's HTTP routes. */
  public readonly apiFunction: ShopFunction;
  /** Records the units on sale from StockChanged events. */
  public readonly availabilityConsumer: ShopFunction;
  /** The rule, queue and dead-letter queue that feed {@link availabilityConsumer}. */
  public readonly availabilityQueue: QueuedConsumer;

  public constructor(scope: Construct, id: string, props: CatalogServiceProps) {
    super(scope, id);
    this.table = new ServiceTable(this, 'Products', {
      globalSecondaryIndexes: [
        { indexName: LISTING_INDEX, partitionKey: { name: 'listing', type: AttributeType.STRING }, sortKey: { name: 'id', type: AttributeType.STRING } },
        { indexName: CATEGORY_INDEX, partitionKey: { name: 'category', type: AttributeType.STRING }, sortKey: { name: 'id', type: AttributeType.STRING } },
      ],
    }).table;
    const environment = { TABLE_NAME: this.table.tableName };

    const api = (this.apiFunction = new ShopFunction(this, 'Api', {
      service: 'catalog',
      entry: 'catalog/entries/api.ts',
      description: 'Catalog HTTP routes',
      environment,
      version: props.version,
    }));
    // Exactly what the routes call: get; create, update and delete are conditional UpdateItems (they never touch the
    // availability the consumer writes); listings query the two indexes, and nothing else of them.
    api.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    api.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:Query'],
        resources: [LISTING_INDEX, CATEGORY_INDEX].map((index) => `${this.table.tableArn}/index/${index}`),
      }),
    );
    props.api.addRoutes('Catalog', api, catalogRoutes);

    this.pricesFunction = new ShopFunction(this, 'GetPrices', {
      service: 'catalog',
      entry: 'catalog/entries/get-prices.ts',
      description: 'Current prices for the orders service',
      environment,
      version: props.version,
    });
    this.pricesFunction.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:BatchGetItem'], resources: [this.table.tableArn] }));

    this.availabilityConsumer = new ShopFunction(this, 'AvailabilityConsumer', {
      service: 'catalog',
      entry: 'catalog/entries/availability-consumer.ts',
      description: 'Records the units on sale from inventory StockChanged events, newest version wins',
      environment,
      version: props.version,
    });
    this.availabilityConsumer.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    this.availabilityQueue = props.bus.addQueuedConsumer(this, 'CatalogAvailability', {
      description: 'Stock changes for the catalog',
      eventPattern: { source: [StockChanged.source], detailType: [StockChanged.detailType] },
      consumer: this.availabilityConsumer,
      deadLetters: { id: 'CatalogAvailabilityConsumerDeadLetters', what: 'StockChanged events the catalog consumer failed on' },
    });
  }
}
