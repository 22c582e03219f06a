import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type StreamViewType,
} from '@aws-sdk/client-dynamodb';
import { UnsupportedFeatureError } from '../errors';
import { assertKnownProperties, type LocalResource } from '../resources';

/** A table as the local cloud creates it. */
export interface LocalTable {
  readonly logicalId: string;
  readonly tableName: string;
  readonly streamViewType?: StreamViewType;
}

const TABLE_TYPES = ['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable'];

const KNOWN = [
  'TableName',
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'TimeToLiveSpecification',
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'Replicas',
  'Tags',
  'DeletionProtectionEnabled',
  'ProvisionedThroughput',
  'WriteProvisionedThroughputSettings',
];

/** Replica settings that only matter on AWS (backups, encryption, tags). */
const REPLICA_KNOWN = ['Region', 'PointInTimeRecoverySpecification', 'SSESpecification', 'Tags', 'DeletionProtectionEnabled', 'ContributorInsightsSpecification', 'TableClass'];

/** True for the resource types this module creates. */
export const isTable = (resource: LocalResource): boolean => TABLE_TYPES.includes(resource.type);

interface TableDefinition {
  readonly tableName: string;
  readonly keySchema: KeySchemaElement[];
  readonly attributes: AttributeDefinition[];
  readonly gsis?: GlobalSecondaryIndex[];
  readonly lsis?: unknown;
  readonly streamViewType?: StreamViewType;
  readonly ttlAttribute?: string;
}

const definitionOf = (resource: LocalResource): TableDefinition => {
  const fail = (property: string, detail = 'not supported locally') => new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
  assertKnownProperties(resource, KNOWN, (p) => fail(p));
  const p = resource.properties as {
    TableName?: string;
    AttributeDefinitions: AttributeDefinition[];
    KeySchema: KeySchemaElement[];
    GlobalSecondaryIndexes?: Array<GlobalSecondaryIndex & { WriteProvisionedThroughputSettings?: unknown; ReadProvisionedThroughputSettings?: unknown }>;
    LocalSecondaryIndexes?: unknown;
    StreamSpecification?: { StreamViewType?: StreamViewType; StreamEnabled?: boolean };
    TimeToLiveSpecification?: { AttributeName?: string; Enabled?: boolean };
    Replicas?: Array<Record<string, unknown>>;
  };
  if (p.LocalSecondaryIndexes !== undefined) throw fail('LocalSecondaryIndexes');
  const indexNames = new Set((p.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const [i, replica] of (p.Replicas ?? []).entries()) {
    for (const key of Object.keys(replica)) {
      if (key === 'GlobalSecondaryIndexes') {
        for (const [j, index] of (replica[key] as Array<Record<string, unknown>>).entries()) {
          const extra = Object.keys(index).find((k) => k !== 'IndexName' && k !== 'ContributorInsightsSpecification');
          if (extra) throw fail(`Replicas[${i}].GlobalSecondaryIndexes[${j}].${extra}`);
          if (!indexNames.has(String(index.IndexName))) throw fail(`Replicas[${i}].GlobalSecondaryIndexes[${j}].IndexName`, `no index ${String(index.IndexName)} on the table`);
        }
      } else if (!REPLICA_KNOWN.includes(key)) throw fail(`Replicas[${i}].${key}`);
    }
  }
  if ((p.Replicas?.length ?? 0) > 1) throw fail('Replicas', 'more than one replica region');
  return {
    tableName: p.TableName ?? resource.ref,
    keySchema: p.KeySchema,
    attributes: p.AttributeDefinitions,
    gsis: p.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
    streamViewType: p.StreamSpecification?.StreamViewType,
    ttlAttribute: p.TimeToLiveSpecification?.Enabled ? p.TimeToLiveSpecification.AttributeName : undefined,
  };
};

/** Checks every table resource is one we can create (fails loudly otherwise). */
export const validateTables = (resources: readonly LocalResource[]): void => {
  for (const resource of resources.filter(isTable)) definitionOf(resource);
};

/**
 * Creates the template's tables in DynamoDB Local (indexes, streams and TTL
 * included). With persisted data, an existing table is kept when its key
 * schema matches and refused when it does not.
 */
export const createTables = async (client: DynamoDBClient, resources: readonly LocalResource[]): Promise<LocalTable[]> => {
  const tables: LocalTable[] = [];
  for (const resource of resources.filter(isTable)) {
    const definition = definitionOf(resource);
    const existing = await client
      .send(new DescribeTableCommand({ TableName: definition.tableName }))
      .then((r) => r.Table)
      .catch((error: unknown) => {
        if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
        throw error;
      });
    if (existing) {
      if (JSON.stringify(existing.KeySchema) !== JSON.stringify(definition.keySchema)) {
        throw new UnsupportedFeatureError(resource.logicalId, resource.type, 'KeySchema', `the persisted table ${definition.tableName} has another key schema; delete the --persist directory`);
      }
    } else {
      await client.send(
        new CreateTableCommand({
          TableName: definition.tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: definition.attributes,
          KeySchema: definition.keySchema,
          ...(definition.gsis?.length ? { GlobalSecondaryIndexes: definition.gsis } : {}),
          ...(definition.streamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: definition.streamViewType } } : {}),
        }),
      );
      if (definition.ttlAttribute) {
        await client.send(
          new UpdateTimeToLiveCommand({ TableName: definition.tableName, TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } }),
        );
      }
    }
    tables.push({ logicalId: resource.logicalId, tableName: definition.tableName, ...(definition.streamViewType ? { streamViewType: definition.streamViewType } : {}) });
  }
  return tables;
};
