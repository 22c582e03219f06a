import { AssetHashType, DockerImage, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing, type FunctionProps } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { SharedBundler } from './esbuild-bundler';

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
 */
export class ShopFunction extends LambdaFunction {
  public constructor(scope: Construct, id: string, props: ShopFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const entry = path.join(FUNCTIONS_DIR, props.entry);
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
  }
}
