import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ApplicationLogLevel, Architecture, CfnFunction, Code, Function as LambdaFunction, LoggingFormat, Runtime, SystemLogLevel, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { observabilityFromContext } from '../config/observability';
import { SHOP_ENTRY_METADATA } from './entry-metadata';
import { SharedBundler } from './esbuild-bundler';
import { iamWildcardResource, XRAY_WILDCARD_REASON } from './nag';

/** Where the functions' sources live. */
export const FUNCTIONS_DIR = path.join(__dirname, '..', '..', 'functions');

/** Props of {@link ShopFunction}. */
export interface ShopFunctionProps {
  /** Service the function belongs to; becomes POWERTOOLS_SERVICE_NAME. */
  readonly service: string;
  /** Entry file, relative to `functions/` (e.g. `catalog/entries/api.ts`). */
  readonly entry: string;
  /** What the function does, shown in the console. */
  readonly description: string;
  /** Extra environment; the Powertools and version variables are always set. */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** How long its logs are kept. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Version reported by /health and in logs. @default 'unknown' */
  readonly version?: string;
  /**
   * Deadline of each AWS SDK call the function makes, every attempt included
   * (`SHOP_AWS_DEADLINE_MS`). Below the deadline of any caller of this
   * function, and below its own timeout.
   * @default Duration.millis(1500), or half the timeout when that is shorter
   */
  readonly awsCallDeadline?: Duration;
  /**
   * Deadline of each synchronous call to another service's function
   * (`SHOP_CALL_DEADLINE_MS`); a call site may shorten it. Below the
   * function's timeout, and above the deadlines of the functions it calls.
   * @default Duration.seconds(2), or half the timeout when that is shorter
   */
  readonly serviceCallDeadline?: Duration;
  /**
   * Whether the function runs inside a traced saga execution (a saga task):
   * then it traces in PassThrough mode and may send its subsegments. Other
   * functions are never in a sampled trace (an HTTP API does not trace, a
   * stream breaks the trace) and get no X-Ray grant.
   * @default false
   */
  readonly traced?: boolean;
  /** Anything else a Lambda function accepts, for the rare function that needs it. */
  readonly overrides?: Partial<FunctionProps>;
}

/** Metrics namespace of every function. */
export const METRICS_NAMESPACE = 'ServerlessShop';

/**
 * Every Lambda function of the shop: the newest Node.js runtime, arm64, an
 * ESM bundle built by esbuild (tree-shaken, AWS SDK included so the bundle is
 * the same everywhere it runs; see {@link SharedBundler}), a log group with
 * retention, and the Powertools environment. Fixed here once so no function
 * drifts.
 *
 * Observability follows the context value `observability` (see
 * lib/config/observability.ts): JSON logs at its application level, Lambda's
 * platform lines at its system level (WARN drops START/END/REPORT), and
 * PassThrough tracing — a function is traced when its caller's trace is
 * sampled (a saga execution, and what its events reach), never as a trace
 * of its own: Lambda's Active tracing samples by a fixed rule (the first
 * request each second and 5 % after) that no sampling rule changes, which
 * made five traces of every order.
 *
 * Its role starts empty rather than with the AWS managed
 * AWSLambdaBasicExecutionRole (logs:CreateLogGroup and writes to any log
 * group): it may write only to the function's own log group, which the
 * stack creates. Grants add the rest.
 */
export class ShopFunction extends LambdaFunction {
  /** The service it belongs to (its POWERTOOLS_SERVICE_NAME): the dashboard and the alarms group functions by it. */
  public readonly service: string;
  /**
   * Whether it is a saga task (`traced`): its function errors include the
   * business errors the saga catches (a declined card, no stock), so they are
   * not a failure of the function.
   */
  public readonly sagaTask: boolean;

  public constructor(scope: Construct, id: string, props: ShopFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const entry = path.join(FUNCTIONS_DIR, props.entry);
    const timeout = props.overrides?.timeout ?? props.timeout ?? Duration.seconds(10);
    const fitting = (ms: number) => Duration.millis(Math.min(ms, Math.floor(timeout.toMilliseconds() / 2)));
    const awsCallDeadline = props.awsCallDeadline ?? fitting(1500);
    const serviceCallDeadline = props.serviceCallDeadline ?? fitting(2000);
    for (const [name, deadline] of [['awsCallDeadline', awsCallDeadline], ['serviceCallDeadline', serviceCallDeadline]] as const) {
      if (deadline.toMilliseconds() < 1 || deadline.toMilliseconds() >= timeout.toMilliseconds()) {
        throw new Error(`${id}: ${name} (${deadline.toHumanString()}) must be at least 1 ms and shorter than the function timeout (${timeout.toHumanString()}): a call must give up before Lambda stops the function.`);
      }
    }
    const observability = observabilityFromContext(scope.node.tryGetContext('observability'));
    const ownRole = props.overrides?.role ? undefined : new Role(scope, `${id}ServiceRole`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    super(scope, id, {
      code: Code.fromAsset(FUNCTIONS_DIR, {
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          image: DockerImage.fromRegistry('unused-local-bundling-only'),
          // CDK caches bundles by source and options: the entry must be part of them.
          environment: { SHOP_ENTRY: props.entry },
          local: SharedBundler.of(FUNCTIONS_DIR).localBundling(entry),
        },
      }),
      handler: 'index.handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout,
      // Lambda's default without a TracingConfig is PassThrough too, but without the role's X-Ray grant.
      tracing: props.traced ? Tracing.PASS_THROUGH : Tracing.DISABLED,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[observability.logLevel],
      systemLogLevelV2: SystemLogLevel[observability.systemLogLevel],
      role: ownRole,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: '--enable-source-maps',
        SHOP_VERSION: props.version ?? 'unknown',
        SHOP_AWS_DEADLINE_MS: String(awsCallDeadline.toMilliseconds()),
        SHOP_CALL_DEADLINE_MS: String(serviceCallDeadline.toMilliseconds()),
        ...props.environment,
      },
      ...props.overrides,
    });
    this.service = props.service;
    this.sagaTask = props.traced ?? false;
    // Which source the bundle is built from, for the local cloud's --watch (CloudFormation and Lambda ignore Metadata).
    (this.node.defaultChild as CfnFunction).addMetadata(SHOP_ENTRY_METADATA, props.entry);
    logGroup.grantWrite(this);
    if (ownRole && props.traced) Validations.of(ownRole).acknowledge({ id: iamWildcardResource(ownRole, '*'), reason: XRAY_WILDCARD_REASON });
  }
}
