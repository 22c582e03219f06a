import { ArnFormat, CfnOutput, RemovalPolicies, RemovalPolicy, Stack, Tags, type Environment } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { corsOriginsFromContext } from './config/cors';
import { sagaTypeFromContext, type SagaType } from './config/saga-type';
import { DEFAULT_STAGE_CONFIG, type StageConfig } from './config/stage';
import { throttlesFromContext, type ApiThrottles } from './config/throttles';
import { ORDERS_API_CALLEES } from '../functions/orders/breakers';
import { PAYMENT_PROVIDER_DEPENDENCY } from '../functions/payments/breakers';
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

/** Props of {@link ShopStacks}. */
export interface ShopStacksProps {
  /** Account and region of every stack. @default environment-agnostic */
  readonly env?: Environment;
  /** Version of the code, from `git describe`. @default 'unknown' */
  readonly version?: string;
  /** The API's throttles. @default the CDK context value `throttles` over DEFAULT_THROTTLES (lib/config/throttles.ts) */
  readonly throttles?: ApiThrottles;
  /** The order saga's workflow type. @default the CDK context value `saga`, else DEFAULT_SAGA_TYPE (lib/config/saga-type.ts) */
  readonly sagaType?: SagaType;
  /** The stage the stacks belong to (lib/config/stage.ts). @default a dev stage with every default */
  readonly stage?: StageConfig;
  /**
   * Origins of browser front ends allowed to call the API (see `ShopApiProps.corsOrigins`).
   * @default the CDK context value `corsOrigins` (a JSON array, lib/config/cors.ts), else the stage's, else none: no CORS configuration
   */
  readonly corsOrigins?: readonly string[];
}

/** What holds data a stage's `removal` decides the fate of when its stack is deleted. */
export const STATEFUL_RESOURCE_TYPES = ['AWS::DynamoDB::GlobalTable', 'AWS::DynamoDB::Table', 'AWS::Cognito::UserPool', 'AWS::Logs::LogGroup'] as const;

/** The stacks of a stage, in the order they deploy; a stack is named `<prefix>-<part>`. */
export const SHOP_STACK_PARTS = ['Shared', 'Catalog', 'Inventory', 'Payments', 'Shipping', 'Orders', 'Ops'] as const;
/** One of {@link SHOP_STACK_PARTS}. */
export type ShopStackPart = (typeof SHOP_STACK_PARTS)[number];

const DESCRIPTIONS: Readonly<Record<ShopStackPart, string>> = {
  Shared: 'the HTTP API and its users, the event bus, the alarm topic',
  Catalog: 'catalog service: products, prices, availability',
  Inventory: 'inventory service: stock and reservations',
  Payments: 'payments service: charges and refunds',
  Shipping: 'shipping service: shipments',
  Orders: 'orders service, with the order saga and the cancellation workflow',
  Ops: "the API's stage (deployed after every route), health checks, the dashboard and Lambda alarms",
};

/**
 * The whole shop as one stack per service plus a shared one and an
 * operations one. Services reach each other's resources only through weak
 * references (`Fn::GetStackOutput`, the `@aws-cdk/core:defaultCrossStackReferences`
 * flag), so no export ties a service's stack to another's: each deploys on
 * its own (`cdk deploy -e ServerlessShop-dev-Orders`). Shared constructs
 * (the bus, the API) make what a service adds to them in the service's own
 * stack, at the path they would have in one stack, so every resource keeps
 * one logical id across the shop. The class only composes; each construct
 * owns one concern.
 */
export class ShopStacks {
  /** Every stack, in {@link SHOP_STACK_PARTS} order. */
  public readonly stacks: Readonly<Record<ShopStackPart, Stack>>;

  public constructor(scope: Construct, prefix: string, props: ShopStacksProps = {}) {
    const version = props.version ?? 'unknown';
    const stage = props.stage ?? DEFAULT_STAGE_CONFIG;
    const stacks = Object.fromEntries(
      SHOP_STACK_PARTS.map((part) => {
        const tags = { app: 'serverless-shop', stage: stage.name, version };
        // The stack's own tags (CloudFormation gives them to every resource it can tag), and each resource's in the template.
        const stack = new Stack(scope, `${prefix}-${part}`, { env: props.env, description: `serverless-shop (${stage.name}): ${DESCRIPTIONS[part]}`, tags });
        for (const [key, value] of Object.entries(tags)) Tags.of(stack).add(key, value);
        // dev: the data goes with the stack; prod: tables, users and logs stay when the stack is deleted (README "Tear down").
        RemovalPolicies.of(stack).apply(stage.removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY, { applyToResourceTypes: [...STATEFUL_RESOURCE_TYPES] });
        return [part, stack];
      }),
    ) as Record<ShopStackPart, Stack>;
    this.stacks = stacks;
    const { Shared: shared, Ops: ops } = stacks;

    const alarmTopic = new Topic(shared, 'Alarms', { displayName: 'serverless-shop alarms', enforceSSL: true });
    // A topic policy replaces SNS's default one, which let the account's alarms publish: enforceSSL writes a policy
    // whose only statement is its Deny, so CloudWatch must be allowed again (for this account's alarms only).
    alarmTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': shared.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': shared.account },
        },
      }),
    );
    for (const email of stage.alarmEmails) alarmTopic.addSubscription(new EmailSubscription(email));
    const throttles = props.throttles ?? throttlesFromContext(scope.node.tryGetContext('throttles'));
    const corsContext: unknown = scope.node.tryGetContext('corsOrigins');
    const corsOrigins = props.corsOrigins ?? (corsContext !== undefined ? corsOriginsFromContext(corsContext) : stage.corsOrigins);
    const api = new ShopApi(shared, 'Api', { alarmTopic, throttle: throttles.throttle, routeThrottles: throttles.routeThrottles, corsOrigins, stageScope: ops });
    // A throttle for a route the API does not have is a typo: AWS would refuse the stage, so synth says so first.
    ops.node.addValidation({
      validate: () => (throttles.namedRoutes ?? []).filter((key) => !api.hasRoute(key)).map((key) => `A throttle is configured for route '${key}', which the API does not have.`),
    });
    const bus = new ShopBus(shared, 'Events', { alarmTopic });

    const catalog = new CatalogService(stacks.Catalog, 'Catalog', { api, bus, version });
    const inventory = new InventoryService(stacks.Inventory, 'Inventory', { api, bus, version });
    const payments = new PaymentsService(stacks.Payments, 'Payments', { version });
    const shipping = new ShippingService(stacks.Shipping, 'Shipping', { api, bus, version });
    const cancellation = new OrderCancellation(stacks.Orders, 'OrderCancellation', {
      bus,
      alarmTopic,
      cancelShipment: shipping.cancelFunction,
      refundPayment: payments.refundFunction,
      releaseInventory: inventory.releaseFunction,
    });
    const orders = new OrdersService(stacks.Orders, 'Orders', {
      api,
      bus,
      version,
      pricesFunction: catalog.pricesFunction,
      paymentQueryFunction: payments.getPaymentFunction,
      shipmentQueryFunction: shipping.getShipmentFunction,
      shipmentCancelFunction: shipping.cancelFunction,
      cancellationStateMachine: cancellation.stateMachine,
    });
    const saga = new OrderSaga(stacks.Orders, 'OrderSaga', {
      bus,
      version,
      alarmTopic,
      type: props.sagaType ?? sagaTypeFromContext(scope.node.tryGetContext('saga')),
      repair: cancellation.stateMachine,
      reserveInventory: inventory.reserveFunction,
      releaseInventory: inventory.releaseFunction,
      chargePayment: payments.chargeFunction,
      refundPayment: payments.refundFunction,
      createShipment: shipping.createFunction,
      cancelShipment: shipping.cancelFunction,
    });

    orders.addReconciler({ stateMachine: saga.stateMachine, sagaClaims: saga.claims, bus, alarmTopic, version });

    const health = new HealthCheck(ops, 'Health', {
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

    new ShopDashboard(ops, 'Dashboard', {
      alarmTopic,
      api,
      bus,
      orders,
      stateMachines: { 'Order saga': saga.stateMachine, 'Order cancellation': cancellation.stateMachine },
      breakers: { payments: [PAYMENT_PROVIDER_DEPENDENCY], orders: Object.values(ORDERS_API_CALLEES) },
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

    new CfnOutput(shared, 'EventBusName', { key: 'EventBusName', value: bus.bus.eventBusName });
    new CfnOutput(shared, 'AlarmTopicArn', { key: 'AlarmTopicArn', value: alarmTopic.topicArn });
  }
}
