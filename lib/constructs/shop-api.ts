import { CfnOutput, Duration, Lazy, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { CfnApi, CfnStage, HttpApi, HttpMethod, HttpNoneAuthorizer, HttpRoute, HttpRouteKey, HttpStage, type IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AccountRecovery, CfnUserPoolGroup, Mfa, UserPool, UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { checkCorsOrigins } from '../config/cors';
import { DEFAULT_THROTTLES } from '../config/throttles';
import { RouteLambdaIntegration } from './route-lambda-integration';
import { mirrorScope } from './stack-scope';

/** Who may call a route; mirrors `Access` in functions/shared/http.ts. */
export type RouteAccess = 'public' | 'user' | 'admin' | 'carrier';

/** Throttle of a stage or a route. */
export interface Throttle {
  readonly rateLimit: number;
  readonly burstLimit: number;
}

/** Props of {@link ShopApi}. */
export interface ShopApiProps {
  readonly alarmTopic: ITopic;
  /** Throttle of every route. @default DEFAULT_THROTTLES (lib/config/throttles.ts): 500 requests/s, burst 1,000 */
  readonly throttle?: Throttle;
  /**
   * Throttles of some routes; each must name a route the API has (synth fails otherwise).
   * @default DEFAULT_THROTTLES: `POST /orders` 100/s (burst 200), `GET /ready` (public, and it calls every dependency) 10/s (burst 20)
   */
  readonly routeThrottles?: Readonly<Record<string, Throttle>>;
  /**
   * Origins of browser front ends allowed to call the API (CORS): each an
   * `https` origin, or `http://localhost:<port>` / `http://127.0.0.1:<port>`,
   * as a browser sends it in `Origin`, without a wildcard (synth fails
   * otherwise). API Gateway then answers their preflights itself and adds
   * the CORS headers to every answer they get.
   * @default none: no CORS configuration, so browsers refuse cross-origin calls
   */
  readonly corsOrigins?: readonly string[];
  /**
   * Where the `$default` stage goes. A stage's route settings may name only
   * routes that exist when it is deployed, and services add their routes in
   * their own stacks, so in a stage of several stacks the stage lives in one
   * deployed after every route's (`ServerlessShop-<stage>-Ops`).
   * @default this construct's stack
   */
  readonly stageScope?: Construct;
}

/** Request headers a front end sends: the token, a JSON body, the idempotency key, a correlation id. */
export const CORS_ALLOW_HEADERS: readonly string[] = ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'];
/** Response headers a front end may read besides the safelisted ones: where a new order is, its correlation id, when to retry. */
export const CORS_EXPOSE_HEADERS: readonly string[] = ['location', 'x-correlation-id', 'retry-after'];
/** How long a browser may reuse a preflight's answer. */
const CORS_MAX_AGE = Duration.minutes(10);

const METHODS: Readonly<Record<string, HttpMethod>> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

/**
 * The HTTP API and who may use it: a Cognito user pool (with an `admin`
 * group) behind a JWT authorizer on every route that is not public, stage
 * and route throttling, access logs, a 5xx alarm, and CORS for the
 * front-end origins it is given (none by default). Users may protect
 * their account with an authenticator app (TOTP); it is not required, since
 * every shopper signs themselves up. Services add their
 * routes with {@link ShopApi.addRoutes}; the handler enforces the access
 * level again (the authorizer proves identity, the handler checks the group).
 */
export class ShopApi extends Construct {
  public readonly httpApi: HttpApi;
  public readonly userPool: UserPool;
  public readonly userPoolClient: UserPoolClient;
  private readonly authorizer: IHttpRouteAuthorizer;
  private readonly stage: CfnStage;
  private readonly routeThrottles: Readonly<Record<string, Throttle>>;
  private readonly throttledRoutes = new Set<string>();
  private readonly routeKeys = new Set<string>();
  private readonly routeMethods = new Set<string>();

  public constructor(scope: Construct, id: string, props: ShopApiProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Users', {
      selfSignUpEnabled: true,
      signInAliases: { email: true },
      autoVerify: { email: true },
      passwordPolicy: { minLength: 12, requireDigits: true, requireLowercase: true, requireUppercase: true, requireSymbols: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.userPool).acknowledge(
      {
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is offered (TOTP) but not required: shoppers sign themselves up, and requiring an authenticator app at sign-up would turn ' +
          'most of them away. Cognito sets MFA per pool, not per group, so admin and carrier accounts are expected to enrol TOTP.',
      },
      {
        id: 'AwsSolutions-COG8',
        reason:
          'The pool stays on the default (Essentials) feature plan: Plus threat protection is billed per monthly active user and is a ' +
          'cost decision for the shop owner, not a code default. Sign-up is already bounded by the password policy, API throttling and ' +
          'JWT validation; switch on with featurePlan PLUS and standardThreatProtectionMode FULL_FUNCTION.',
      },
    );
    this.userPoolClient = this.userPool.addClient('WebClient', {
      authFlows: { userPassword: true, userSrp: true },
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      preventUserExistenceErrors: true,
    });
    new CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: 'admin',
      description: 'May write the catalog, set stock and deliver shipments',
    });
    new CfnUserPoolGroup(this, 'CarrierGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: 'carrier',
      description: 'May mark shipments delivered',
    });
    this.authorizer = new HttpUserPoolAuthorizer('Cognito', this.userPool, { userPoolClients: [this.userPoolClient] });

    const throttle = props.throttle ?? DEFAULT_THROTTLES.throttle;
    const corsOrigins = checkCorsOrigins(props.corsOrigins ?? [], `${this.node.path} corsOrigins`);
    this.httpApi = new HttpApi(this, 'Api', {
      description: 'serverless-shop API',
      createDefaultStage: false,
      ...(corsOrigins.length > 0
        ? { corsPreflight: { allowOrigins: [...corsOrigins], allowHeaders: [...CORS_ALLOW_HEADERS], exposeHeaders: [...CORS_EXPOSE_HEADERS], maxAge: CORS_MAX_AGE } }
        : {}),
    });
    if (corsOrigins.length > 0) {
      // The methods are the routes', known once every service has added its own.
      (this.httpApi.node.defaultChild as CfnApi).addPropertyOverride('CorsConfiguration.AllowMethods', Lazy.list({ produce: () => [...this.routeMethods].sort() }));
    }
    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // What HttpApi's createDefaultStage makes, at the same path (and so logical id), in the stack given.
    const defaultStage = new HttpStage(mirrorScope(this.httpApi, props.stageScope ?? this), 'DefaultStage', { httpApi: this.httpApi, autoDeploy: true });
    const stage = defaultStage.node.defaultChild as CfnStage;
    this.stage = stage;
    this.routeThrottles = props.routeThrottles ?? DEFAULT_THROTTLES.routeThrottles;
    stage.defaultRouteSettings = { throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit };
    // Route settings may only name routes that exist, so they are filled in as routes are added.
    // A Lazy value is not case-converted by CDK: it must already use CloudFormation's keys.
    stage.routeSettings = Lazy.any({
      produce: () =>
        this.throttledRoutes.size === 0
          ? undefined
          : Object.fromEntries(
              [...this.throttledRoutes].map((key) => {
                const t = this.routeThrottles[key];
                return [key, { ThrottlingRateLimit: t.rateLimit, ThrottlingBurstLimit: t.burstLimit }];
              }),
            ),
    });
    stage.accessLogSettings = {
      destinationArn: accessLogs.logGroupArn,
      format: JSON.stringify({
        requestId: '$context.requestId',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latencyMs: '$context.responseLatency',
        sub: '$context.authorizer.claims.sub',
        error: '$context.error.message',
        integrationError: '$context.integrationErrorMessage',
      }),
    };

    new Alarm(this, 'ServerErrors', {
      alarmDescription: 'The shop API answered 5xx',
      metric: this.httpApi.metricServerError({ period: Duration.minutes(1) }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }).addAlarmAction(new SnsAction(props.alarmTopic));

    new CfnOutput(this, 'ApiUrl', { key: 'ApiUrl', value: this.httpApi.apiEndpoint, description: 'Base URL of the shop API' });
    new CfnOutput(this, 'UserPoolId', { key: 'UserPoolId', value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { key: 'UserPoolClientId', value: this.userPoolClient.userPoolClientId });
  }

  /**
   * Routes a service's route table (`'GET /orders/{id}': 'user'`, ...) to its
   * function, in the function's stack. Any route that is not public gets the
   * JWT authorizer.
   */
  public addRoutes(id: string, fn: IFunction, routes: Readonly<Record<string, RouteAccess>>): void {
    for (const [routeKey, access] of Object.entries(routes)) {
      const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
      const method = match ? METHODS[match[1]] : undefined;
      if (!match || !method) throw new Error(`Route '${routeKey}' of ${id} must be '<METHOD> /path' with a known method.`);
      // As HttpApi.addRoutes makes it, but in the function's stack: the service deploys its routes itself.
      const route = new HttpRoute(mirrorScope(this.httpApi, fn), `${method}${match[2]}`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(match[2], method),
        integration: new RouteLambdaIntegration(`${id}${routeKey.replace(/[^A-Za-z0-9]/g, '')}Integration`, fn, method),
        authorizer: access === 'public' ? new HttpNoneAuthorizer() : this.authorizer,
      });
      if (access === 'public') {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${id} declares '${routeKey}' public: it serves what anyone may read, without a token. Every route not declared public gets the Cognito JWT authorizer.`,
        });
      }
      this.routeKeys.add(routeKey);
      this.routeMethods.add(match[1]);
      if (Object.prototype.hasOwnProperty.call(this.routeThrottles, routeKey)) {
        this.throttledRoutes.add(routeKey);
        this.stage.node.addDependency(route);
      }
    }
  }

  /** Whether a route was added (`GET /orders/{id}`). */
  public hasRoute(routeKey: string): boolean {
    return this.routeKeys.has(routeKey);
  }
}
