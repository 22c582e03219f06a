import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
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
  /** Anything else a Lambda function accepts, for the rare function that needs it. */
  readonly overrides?: Partial<FunctionProps>;
}

/** Metrics namespace of every function. */
export const METRICS_NAMESPACE = 'ServerlessShop';

/**
 * Every Lambda function of the shop: the newest Node.js runtime, arm64, an
 * ESM bundle built by esbuild (tree-shaken, AWS SDK included so the bundle is
 * the same everywhere it runs; see {@link SharedBundler}), active tracing, a
 * log group with retention, and the Powertools environment. Fixed here once
 * so no function drifts.
 *
 * Its role starts empty rather than with the AWS managed
 * AWSLambdaBasicExecutionRole (logs:CreateLogGroup and writes to any log
 * group): it may write only to the function's own log group, which the
 * stack creates. Grants add the rest.
 */
export class ShopFunction extends LambdaFunction {
  public constructor(scope: Construct, id: string, props: ShopFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const entry = path.join(FUNCTIONS_DIR, props.entry);
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
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup,
      role: ownRole,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.service,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        SHOP_VERSION: props.version ?? 'unknown',
        ...props.environment,
      },
      ...props.overrides,
    });
    logGroup.grantWrite(this);
    if (ownRole) Validations.of(ownRole).acknowledge({ id: iamWildcardResource(ownRole, '*'), reason: XRAY_WILDCARD_REASON });
  }
}
