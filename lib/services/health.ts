import { Duration, Stack } from 'aws-cdk-lib';
import type { CfnGlobalTable, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import type { ReadyCheck } from '../../functions/health/config';
import { READY_PROBE_KEY } from '../../functions/health/probe-key';
import { healthRoutes } from '../../functions/health/routes';
import type { ShopApi } from '../constructs/shop-api';
import { ShopFunction } from '../constructs/shop-function';

/** Props of {@link HealthCheck}. */
export interface HealthCheckProps {
  readonly api: ShopApi;
  /** The tables readiness reads, by service name. */
  readonly tables: Readonly<Record<string, TableV2>>;
  /** The bus the services talk through. */
  readonly bus: IEventBus;
  /** The state machines the shop starts (the order saga, the cancellation), by the name readiness shows (`order-saga`). */
  readonly stateMachines: Readonly<Record<string, IStateMachine>>;
  /** The functions the shop invokes synchronously, by the name readiness shows (`catalog-get-prices`). */
  readonly functions: Readonly<Record<string, IFunction>>;
  /** How long each readiness check may take. @default Duration.seconds(1) */
  readonly checkDeadline?: Duration;
  /**
   * How long one round of checks answers `GET /ready` again, per execution
   * environment: the route is public, and its checks call every dependency.
   * @default Duration.seconds(3)
   */
  readonly readinessCacheFor?: Duration;
  /** The app's version, reported by both probes. @default the version in the app's package.json */
  readonly appVersion?: string;
  /** What was deployed (`git describe`). @default 'unknown' */
  readonly version?: string;
}

const keySchemaOf = z.object({
  keySchema: z.array(z.object({ attributeName: z.string(), keyType: z.enum(['HASH', 'RANGE']) })),
  attributeDefinitions: z.array(z.object({ attributeName: z.string(), attributeType: z.string() })),
});

/** A table's key attributes, which must be strings: readiness reads the string key {@link READY_PROBE_KEY}. */
const keysOf = (service: string, table: TableV2): { partitionKey: string; sortKey?: string } => {
  const cfn = table.node.defaultChild as CfnGlobalTable;
  const parsed = keySchemaOf.safeParse(Stack.of(table).resolve({ keySchema: cfn.keySchema, attributeDefinitions: cfn.attributeDefinitions }));
  if (!parsed.success) throw new Error(`HealthCheck: the key schema of the ${service} table cannot be read at synth.`);
  const { keySchema, attributeDefinitions } = parsed.data;
  const nameOf = (keyType: 'HASH' | 'RANGE') => keySchema.find((key) => key.keyType === keyType)?.attributeName;
  const partitionKey = nameOf('HASH');
  const sortKey = nameOf('RANGE');
  if (!partitionKey || keySchema.filter((key) => key.keyType === 'HASH').length !== 1) throw new Error(`HealthCheck: the ${service} table must have one partition key attribute.`);
  for (const name of [partitionKey, sortKey]) {
    const type = attributeDefinitions.find((a) => a.attributeName === name)?.attributeType;
    if (name !== undefined && type !== 'S') throw new Error(`HealthCheck: the ${service} table's key ${name} is not a string; readiness reads the string key '${READY_PROBE_KEY}'.`);
  }
  return sortKey ? { partitionKey, sortKey } : { partitionKey };
};

/** The version of the app this construct is synthesized from. */
const packageVersion = (): string => {
  const manifest: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null ? (manifest as { version?: unknown }).version : undefined;
  return typeof version === 'string' && version !== '' ? version : 'unknown';
};

/**
 * `GET /health` and `GET /ready`, public, served by one function.
 *
 * Liveness reports the version and calls nothing. Readiness checks, in
 * parallel and each within `checkDeadline`, every dependency the shop needs:
 * each table (a read of a key no item has), the bus, the saga's state
 * machine, and the functions invoked synchronously (a dry-run invoke). Its
 * grants allow those calls and nothing more: reads of that one key only
 * (`dynamodb:LeadingKeys`), descriptions of the bus and the state machine,
 * and invocations of the query functions (`lambda:InvokeFunction` is what a
 * dry run needs; the function only ever dry-runs them).
 */
export class HealthCheck extends Construct {
  public readonly function: ShopFunction;

  public constructor(scope: Construct, id: string, props: HealthCheckProps) {
    super(scope, id);
    const checkDeadline = props.checkDeadline ?? Duration.seconds(1);
    const cacheFor = props.readinessCacheFor ?? Duration.seconds(3);
    const checks: Record<string, ReadyCheck> = {};
    const add = (name: string, check: ReadyCheck) => {
      if (checks[name]) throw new Error(`HealthCheck: two readiness checks are named '${name}'.`);
      checks[name] = check;
    };
    for (const [service, table] of Object.entries(props.tables)) {
      const { partitionKey, sortKey } = keysOf(service, table);
      add(`${service}-table`, { kind: 'table', tableName: table.tableName, partitionKey, ...(sortKey ? { sortKey } : {}) });
    }
    add('events-bus', { kind: 'eventBus', eventBusName: props.bus.eventBusName });
    for (const [name, machine] of Object.entries(props.stateMachines)) add(name, { kind: 'stateMachine', stateMachineArn: machine.stateMachineArn });
    for (const [name, fn] of Object.entries(props.functions)) add(name, { kind: 'function', functionName: fn.functionName });

    this.function = new ShopFunction(this, 'Function', {
      service: 'health',
      entry: 'health/entries/health.ts',
      description: 'Liveness and readiness probes',
      environment: {
        READY_CHECKS: Stack.of(this).toJsonString(checks),
        READY_CHECK_DEADLINE_MS: String(checkDeadline.toMilliseconds()),
        READY_CACHE_MS: String(cacheFor.toMilliseconds()),
        SHOP_PACKAGE_VERSION: props.appVersion ?? packageVersion(),
      },
      version: props.version,
      // A check never waits longer than its deadline: the calls it makes need no more.
      serviceCallDeadline: checkDeadline,
      awsCallDeadline: checkDeadline,
    });
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: Object.values(props.tables).map((t) => t.tableArn),
        // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [READY_PROBE_KEY] } },
      }),
    );
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['events:DescribeEventBus'], resources: [props.bus.eventBusArn] }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['states:DescribeStateMachine'], resources: Object.values(props.stateMachines).map((machine) => machine.stateMachineArn) }));
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(props.functions).map((fn) => fn.functionArn) }));
    props.api.addRoutes('Health', this.function, healthRoutes);
  }
}
