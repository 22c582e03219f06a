import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { ShopApi } from '../constructs/shop-api';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link HealthCheck}. */
export interface HealthCheckProps {
  readonly api: ShopApi;
  /** The tables to check, by service name. */
  readonly tables: Readonly<Record<string, ITableV2>>;
  /** @default 'unknown' */
  readonly version?: string;
}

/**
 * `GET /health`: the deployed version and whether each service's table
 * answers. It may only describe tables: it reads no data.
 */
export class HealthCheck extends Construct {
  public readonly function: ShopFunction;

  public constructor(scope: Construct, id: string, props: HealthCheckProps) {
    super(scope, id);
    this.function = new ShopFunction(this, 'Function', {
      service: 'health',
      entry: 'health/entries/health.ts',
      description: 'Version and dependency checks',
      environment: {
        HEALTH_TABLES: JSON.stringify(Object.fromEntries(Object.entries(props.tables).map(([name, t]) => [name, t.tableName]))),
      },
      version: props.version,
    });
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:DescribeTable'], resources: Object.values(props.tables).map((t) => t.tableArn) }),
    );
    props.api.addRoutes('Health', this.function, { 'GET /health': 'public' });
  }
}
