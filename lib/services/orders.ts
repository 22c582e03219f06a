import type { Duration } from 'aws-cdk-lib';
import { AttributeType, ProjectionType, StreamViewType } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ordersRoutes } from '../../functions/orders/routes';
import { BY_USER_INDEX, PENDING_INDEX } from '../../functions/orders/table-layout';
import { OrderCancelled, OrderConfirmed, OrderPlaced, OrderShipped, ShipmentDelivered } from '../../functions/shared/contracts/events';
import { breakerEnvironment, type BreakerProps } from '../constructs/breaker-settings';
import { ServiceTable } from '../constructs/service-table';
import type { ShopApi } from '../constructs/shop-api';
import type { ShopBus } from '../constructs/shop-bus';
import { ShopFunction } from '../constructs/shop-function';
import { TableOutbox } from '../constructs/table-outbox';
import { OrderReconciler, type OrderReconcilerProps } from './order-reconciler';

/** Props of {@link OrdersService}. */
export interface OrdersServiceProps {
  readonly api: ShopApi;
  /** Where OrderPlaced goes (through the outbox pipe) and status events come from. */
  readonly bus: ShopBus;
  /** Catalog's GetPrices: the only source of prices. */
  readonly pricesFunction: IFunction;
  /** Payments' GetPayment query, for order details. */
  readonly paymentQueryFunction: IFunction;
  /** Shipping's GetShipment query, for order details. */
  readonly shipmentQueryFunction: IFunction;
  /** Shipping's CancelShipment, which a customer's cancellation invokes first: the fence against the carrier. */
  readonly shipmentCancelFunction: IFunction;
  /** The cancellation state machine (refund, release, OrderCancelled) a customer's cancellation starts. */
  readonly cancellationStateMachine: StateMachine;
  /**
   * Retries of a stream batch (enrichment or PutEvents failing) before the
   * pipe parks it in the outbox dead-letter queue. Each retry holds the
   * shard, so the budget is minutes (about a quarter of an hour with the
   * backoff), not the stream's 24 hours: past it the batch is parked and the
   * reconciler starts the orders' sagas.
   * @default 20
   */
  readonly outboxRetryAttempts?: number;
  /**
   * How long the HTTP function waits for GetPrices, GetPayment or
   * GetShipment before answering 503 + Retry-After; above those functions'
   * own AWS call deadlines, below the HTTP function's timeout.
   * @default Duration.seconds(2)
   */
  readonly queryDeadline?: Duration;
  /**
   * The circuit breakers of the HTTP function's calls to other services
   * (one per callee, shared by every environment: the items
   * `BREAKER#<callee>` of the orders table, which its GetItem and
   * UpdateItem grant covers). An open circuit answers 503 + Retry-After
   * without calling.
   * @default 5 failures, open for 30 s, each environment trusting its last read for 1 s
   */
  readonly callBreaker?: BreakerProps;
  /** @default 'unknown' */
  readonly version?: string;
}

/**
 * Orders: the HTTP routes (a customer's cancellation among them), the table,
 * the transactional outbox that publishes OrderPlaced, and the consumer that
 * moves orders through their statuses.
 *
 * The outbox is the table's stream read by an EventBridge Pipe: the HTTP
 * function only writes the order, and the pipe — filtering new orders,
 * enriching them into OrderPlaced details — puts them on the bus. A write
 * and its event therefore cannot disagree.
 *
 * Grants name exactly what is called: the `byUser` index rather than every
 * index, and the unqualified query and enrichment functions (they are
 * invoked by name, never by version or alias).
 */
export class OrdersService extends Construct {
  public readonly table: ServiceTable['table'];
  /** The outbox: orders table stream → enrichment → bus. */
  public readonly pipe: CfnPipe;
  /** The HTTP routes. */
  public readonly apiFunction: ShopFunction;
  /** Turns stream records into OrderPlaced details for the pipe. */
  public readonly enrichmentFunction: ShopFunction;
  /** Applies OrderConfirmed / OrderCancelled / OrderShipped / ShipmentDelivered. */
  public readonly statusConsumer: ShopFunction;
  /** Where the pipe parks batches it could not publish. */
  public readonly outboxDeadLetterQueue: IQueue;

  private readonly cancellation: Pick<OrderReconcilerProps, 'cancellationStateMachine' | 'shipmentCancelFunction'>;

  /**
   * Adds the reconciler of orders left behind (see {@link OrderReconciler}),
   * once the saga it reads exists.
   */
  public addReconciler(props: Omit<OrderReconcilerProps, 'ordersTable' | 'cancellationStateMachine' | 'shipmentCancelFunction'>): OrderReconciler {
    this.addedReconciler = new OrderReconciler(this, 'Reconciler', { ...props, ...this.cancellation, ordersTable: this.table });
    return this.addedReconciler;
  }

  private addedReconciler?: OrderReconciler;

  /** The reconciler, once {@link OrdersService.addReconciler} added it. */
  public get reconciler(): OrderReconciler | undefined {
    return this.addedReconciler;
  }

  public constructor(scope: Construct, id: string, props: OrdersServiceProps) {
    super(scope, id);
    this.cancellation = { cancellationStateMachine: props.cancellationStateMachine, shipmentCancelFunction: props.shipmentCancelFunction };

    this.table = new ServiceTable(this, 'Orders', {
      globalSecondaryIndexes: [
        {
          indexName: BY_USER_INDEX,
          partitionKey: { name: 'gsi1pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: AttributeType.STRING },
        },
        {
          indexName: PENDING_INDEX,
          partitionKey: { name: 'gsi2pk', type: AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: AttributeType.STRING },
          projectionType: ProjectionType.KEYS_ONLY,
        },
      ],
      stream: StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: 'expiresAt',
    }).table;

    this.apiFunction = new ShopFunction(this, 'Api', {
      service: 'orders',
      entry: 'orders/entries/api.ts',
      description: 'Orders HTTP routes',
      serviceCallDeadline: props.queryDeadline,
      environment: {
        TABLE_NAME: this.table.tableName,
        CATALOG_PRICES_FUNCTION: props.pricesFunction.functionName,
        PAYMENTS_QUERY_FUNCTION: props.paymentQueryFunction.functionName,
        SHIPMENTS_QUERY_FUNCTION: props.shipmentQueryFunction.functionName,
        SHIPMENTS_CANCEL_FUNCTION: props.shipmentCancelFunction.functionName,
        CANCELLATION_STATE_MACHINE_ARN: props.cancellationStateMachine.stateMachineArn,
        ...breakerEnvironment(`OrdersService '${id}': callBreaker`, 'CALL', props.callBreaker),
      },
      version: props.version,
    });
    // PutItem claims an Idempotency-Key and writes the order; DeleteItem gives back the key of an invalid request;
    // UpdateItem records and withdraws a customer's cancellation request, and counts the failures of its callees (BREAKER#…).
    this.apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    this.apiFunction.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${BY_USER_INDEX}`] }));
    this.apiFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [props.pricesFunction, props.paymentQueryFunction, props.shipmentQueryFunction, props.shipmentCancelFunction].map((fn) => fn.functionArn),
      }),
    );
    props.cancellationStateMachine.grantStartExecution(this.apiFunction);
    props.api.addRoutes('Orders', this.apiFunction, ordersRoutes);

    this.enrichmentFunction = new ShopFunction(this, 'PublishOrderPlaced', {
      service: 'orders',
      entry: 'orders/entries/publish-order-placed.ts',
      description: 'Outbox enrichment: new-order stream records to OrderPlaced details',
      version: props.version,
    });

    const outbox = new TableOutbox(this, 'Outbox', {
      table: this.table,
      bus: props.bus,
      event: OrderPlaced,
      enrichment: this.enrichmentFunction,
      filters: [{ eventName: ['INSERT'], dynamodb: { NewImage: { type: { S: ['ORDER'] } } } }],
      deadLetters: { id: 'OrdersOutboxDeadLetters', what: 'OrderPlaced batches the orders outbox could not publish' },
      description: 'Transactional outbox: new orders to OrderPlaced on the shop bus',
      retryAttempts: props.outboxRetryAttempts,
    });
    this.pipe = outbox.pipe;
    this.outboxDeadLetterQueue = outbox.deadLetterQueue;

    const statusEvents = [OrderConfirmed, OrderCancelled, OrderShipped, ShipmentDelivered];
    const statusSources = [...new Set(statusEvents.map((event) => event.source))];
    this.statusConsumer = new ShopFunction(this, 'StatusConsumer', {
      service: 'orders',
      entry: 'orders/entries/status-consumer.ts',
      description: 'Moves orders forward on OrderConfirmed, OrderCancelled, OrderShipped and ShipmentDelivered',
      environment: { TABLE_NAME: this.table.tableName },
      version: props.version,
    });
    this.statusConsumer.addToRolePolicy(new PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [this.table.tableArn] }));
    props.bus.addQueuedConsumer(this, 'OrderStatus', {
      description: 'Order status changes for the orders service',
      eventPattern: {
        source: statusSources,
        detailType: statusEvents.map((event) => event.detailType),
      },
      consumer: this.statusConsumer,
      deadLetters: { id: 'OrderStatusConsumerDeadLetters', what: 'Order status events the consumer failed on' },
    });
  }
}
