import { ArnFormat, CfnOutput, RemovalPolicies, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { corsOriginsFromContext } from './config/cors';
import { sagaTypeFromContext, type SagaType } from './config/saga-type';
import { DEFAULT_STAGE_CONFIG, type StageConfig } from './config/stage';
import { throttlesFromContext, type ApiThrottles } from './config/throttles';
import { ShopApi } from './constructs/shop-api';
import { ShopBus } from './constructs/shop-bus';
import { OrderCancellation } from './orchestration/order-cancellation';
import { OrderSaga } from './orchestration/order-saga';
import { ShopDashboard } from './ops/shop-dashboard';
import { CatalogService } from './services/catalog';
import { HealthCheck } from './services/health';
import { InventoryService } from './services/inventory';
import { OrdersService } from './services/orders';
import { PaymentsService } from './services/payments';
import { ShippingService } from './services/shipping';

/** Props of {@link ShopStack}. */
export interface ShopStackProps extends StackProps {
  /** Version of the code, from `git describe`. @default 'unknown' */
  readonly version?: string;
  /** The API's throttles. @default the CDK context value `throttles` over DEFAULT_THROTTLES (lib/config/throttles.ts) */
  readonly throttles?: ApiThrottles;
  /** The order saga's workflow type. @default the CDK context value `saga`, else DEFAULT_SAGA_TYPE (lib/config/saga-type.ts) */
  readonly sagaType?: SagaType;
  /** The stage this stack belongs to (lib/config/stage.ts). @default a dev stage with every default */
  readonly stage?: StageConfig;
  /**
   * Origins of browser front ends allowed to call the API (see `ShopApiProps.corsOrigins`).
   * @default the CDK context value `corsOrigins` (a JSON array, lib/config/cors.ts), else the stage's, else none: no CORS configuration
   */
  readonly corsOrigins?: readonly string[];
}

/** What holds data a stage's `removal` decides the fate of when its stack is deleted. */
export const STATEFUL_RESOURCE_TYPES = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table', 'AWS::Cognito::UserPool', 'AWS::Logs::LogGroup'] as const;

/** The whole shop. The stack only composes; each construct owns one concern. */
export class ShopStack extends Stack {
  public constructor(scope: Construct, id: string, props: ShopStackProps = {}) {
    super(scope, id, props);
    const version = props.version ?? 'unknown';
    const stage = props.stage ?? DEFAULT_STAGE_CONFIG;
    Tags.of(this).add('app', 'serverless-shop');
    Tags.of(this).add('stage', stage.name);
    Tags.of(this).add('version', version);
    // dev: the data goes with the stack; prod: tables, users and logs stay when the stack is deleted (README "Tear down").
    RemovalPolicies.of(this).apply(stage.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY, { applyToResourceTypes: [...STATEFUL_RESOURCE_TYPES] });
    const alarmTopic = new Topic(this, 'Alarms', { displayName: 'serverless-shop alarms', enforceSSL: true });
    // A topic policy replaces SNS's default one, which let the account's alarms publish: enforceSSL writes a policy
    // whose only statement is its Deny, so CloudWatch must be allowed again (for this account's alarms only).
    alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': this.account },
        },
      }),
    );
    for (const email of stage.alarmEmails) alarmTopic.addSubscription(new EmailSubscription(email));
    const throttles = props.throttles ?? throttlesFromContext(this.node.tryGetContext('throttles'));
    const corsContext: unknown = this.node.tryGetContext('corsOrigins');
    const corsOrigins = props.corsOrigins ?? (corsContext !== undefined ? corsOriginsFromContext(corsContext) : stage.corsOrigins);
    const api = new ShopApi(this, 'Api', { alarmTopic, throttle: throttles.throttle, routeThrottles: throttles.routeThrottles, corsOrigins });
    // A throttle for a route the API does not have is a typo: AWS would refuse the stage, so synth says so first.
    this.node.addValidation({
      validate: () => (throttles.namedRoutes ?? []).filter((key) => !api.hasRoute(key)).map((key) => `A throttle is configured for route '${key}', which the API does not have.`),
    });
    const bus = new ShopBus(this, 'Events', { alarmTopic });

    const catalog = new CatalogService(this, 'Catalog', { api, bus, version });
    const inventory = new InventoryService(this, 'Inventory', { api, bus, version });
    const payments = new PaymentsService(this, 'Payments', { version });
    const shipping = new ShippingService(this, 'Shipping', { api, bus, version });
    const cancellation = new OrderCancellation(this, 'OrderCancellation', {
      bus,
      alarmTopic,
      cancelShipment: shipping.cancelFunction,
      refundPayment: payments.refundFunction,
      releaseInventory: inventory.releaseFunction,
    });
    const orders = new OrdersService(this, 'Orders', {
      api,
      bus,
      version,
      pricesFunction: catalog.pricesFunction,
      paymentQueryFunction: payments.getPaymentFunction,
      shipmentQueryFunction: shipping.getShipmentFunction,
      shipmentCancelFunction: shipping.cancelFunction,
      cancellationStateMachine: cancellation.stateMachine,
    });
    const saga = new OrderSaga(this, 'OrderSaga', {
      bus,
      version,
      alarmTopic,
      type: props.sagaType ?? sagaTypeFromContext(this.node.tryGetContext('saga')),
      repair: cancellation.stateMachine,
      reserveInventory: inventory.reserveFunction,
      releaseInventory: inventory.releaseFunction,
      chargePayment: payments.chargeFunction,
      refundPayment: payments.refundFunction,
      createShipment: shipping.createFunction,
      cancelShipment: shipping.cancelFunction,
    });

    orders.addReconciler({ stateMachine: saga.stateMachine, sagaClaims: saga.claims, bus, alarmTopic, version });

    const health = new HealthCheck(this, 'Health', {
      api,
      version,
      tables: { catalog: catalog.table, inventory: inventory.table, orders: orders.table, payments: payments.table, shipping: shipping.table },
      bus: bus.bus,
      stateMachines: { 'order-saga': saga.stateMachine, 'order-cancellation': cancellation.stateMachine },
      functions: {
        'catalog-get-prices': catalog.pricesFunction,
        'payments-get-payment': payments.getPaymentFunction,
        'shipping-get-shipment': shipping.getShipmentFunction,
      },
    });

    new ShopDashboard(this, 'Dashboard', {
      alarmTopic,
      api,
      bus,
      orders,
      stateMachines: { 'Order saga': saga.stateMachine, 'Order cancellation': cancellation.stateMachine },
      functions: [
        ...[catalog.apiFunction, catalog.pricesFunction, catalog.availabilityConsumer],
        ...[inventory.apiFunction, inventory.reserveFunction, inventory.releaseFunction, inventory.enrichmentFunction],
        ...[payments.chargeFunction, payments.refundFunction, payments.getPaymentFunction],
        ...[shipping.apiFunction, shipping.createFunction, shipping.cancelFunction, shipping.getShipmentFunction],
        ...[orders.apiFunction, orders.enrichmentFunction, orders.statusConsumer, ...(orders.reconciler ? [orders.reconciler.function] : [])],
        ...(saga.starter ? [saga.starter] : []),
        health.function,
      ],
    });

    new CfnOutput(this, 'EventBusName', { key: 'EventBusName', value: bus.bus.eventBusName });
    new CfnOutput(this, 'AlarmTopicArn', { key: 'AlarmTopicArn', value: alarmTopic.topicArn });
  }
}
