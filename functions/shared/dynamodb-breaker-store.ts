import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from './clients/dynamodb';
import { isTransientAwsError } from './aws-errors';
import { BreakerStoreUnavailableError, NEVER_FAILED, type BreakerSnapshot, type BreakerStore } from './breaker-store';
import { isConditionFailed } from './dynamodb';

/** The reserved key of a dependency's breaker in a service's table: `pk = BREAKER#<dependency>`. */
export const breakerKeyOf = (dependency: string): Record<string, string> => ({ pk: `BREAKER#${dependency}` });

const numberOr = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/**
 * Breakers in the calling service's own table, one item per dependency
 * under a reserved key (see {@link breakerKeyOf}): a breaker is the caller's
 * view of its dependency, so it lives with the caller and no service writes
 * another's table. Items: `breakerState`, `failures`, `openUntil`,
 * `probeId`, `probeUntil` (epoch ms), `updatedAt` (ISO).
 *
 * Every change is a single UpdateItem with a condition, which DynamoDB
 * applies atomically per item: of two environments racing for the same
 * transition, exactly one succeeds and the other gets
 * ConditionalCheckFailedException
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html);
 * failures are counted with `ADD`, an atomic counter
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/example_dynamodb_Scenario_AtomicCounterOperations_section.html).
 * Reads are strongly consistent, so a read after a write sees it. It needs
 * `dynamodb:GetItem` and `dynamodb:UpdateItem` on the table, nothing else
 * (UpdateItem creates the item on the first failure).
 */
export class DynamoDbBreakerStore implements BreakerStore {
  /**
   * @param tableName the calling service's table
   * @param client @default the process-wide document client
   * @param keyOf the item key of a dependency's breaker. @default {@link breakerKeyOf}
   */
  public constructor(
    private readonly tableName: string,
    private readonly client: DynamoDBDocumentClient = dynamoDb(),
    private readonly keyOf: (dependency: string) => Record<string, string> = breakerKeyOf,
  ) {}

  public async read(dependency: string): Promise<BreakerSnapshot> {
    const { Item } = await this.send('read', dependency, () =>
      this.client.send(new GetCommand({ TableName: this.tableName, Key: this.keyOf(dependency), ConsistentRead: true })),
    );
    return Item ? this.snapshotOf(dependency, Item) : NEVER_FAILED;
  }

  public async addFailure(dependency: string, at: number): Promise<BreakerSnapshot> {
    const counted = await this.conditionally('addFailure', dependency, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(dependency),
          UpdateExpression: 'SET breakerState = if_not_exists(breakerState, :closed), updatedAt = :at ADD failures :one',
          ConditionExpression: 'attribute_not_exists(breakerState) OR breakerState = :closed',
          ExpressionAttributeValues: { ':closed': 'CLOSED', ':at': new Date(at).toISOString(), ':one': 1 },
          ReturnValues: 'ALL_NEW',
        }),
      ),
    );
    if (counted?.Attributes) return this.snapshotOf(dependency, counted.Attributes);
    return this.read(dependency);
  }

  public async resetFailures(dependency: string, at: number): Promise<void> {
    await this.conditionally('resetFailures', dependency, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(dependency),
          UpdateExpression: 'SET failures = :zero, updatedAt = :at',
          ConditionExpression: 'breakerState = :closed AND failures > :zero',
          ExpressionAttributeValues: { ':closed': 'CLOSED', ':zero': 0, ':at': new Date(at).toISOString() },
        }),
      ),
    );
  }

  public async open(dependency: string, change: { readonly minFailures: number; readonly openUntil: number; readonly at: number }): Promise<boolean> {
    const written = await this.conditionally('open', dependency, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(dependency),
          UpdateExpression: 'SET breakerState = :open, openUntil = :until, failures = :zero, updatedAt = :at REMOVE probeId, probeUntil',
          ConditionExpression: 'breakerState = :closed AND failures >= :min',
          ExpressionAttributeValues: {
            ':open': 'OPEN',
            ':closed': 'CLOSED',
            ':until': change.openUntil,
            ':zero': 0,
            ':min': change.minFailures,
            ':at': new Date(change.at).toISOString(),
          },
        }),
      ),
    );
    return written !== undefined;
  }

  public async claimProbe(dependency: string, claim: { readonly probeId: string; readonly probeUntil: number; readonly at: number }): Promise<boolean> {
    const written = await this.conditionally('claimProbe', dependency, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(dependency),
          UpdateExpression: 'SET breakerState = :half, probeId = :id, probeUntil = :until, updatedAt = :at REMOVE openUntil',
          ConditionExpression: '(breakerState = :open AND openUntil <= :now) OR (breakerState = :half AND probeUntil <= :now)',
          ExpressionAttributeValues: {
            ':half': 'HALF_OPEN',
            ':open': 'OPEN',
            ':id': claim.probeId,
            ':until': claim.probeUntil,
            ':now': claim.at,
            ':at': new Date(claim.at).toISOString(),
          },
        }),
      ),
    );
    return written !== undefined;
  }

  public async settleProbe(
    dependency: string,
    outcome: { readonly probeId: string; readonly at: number } & ({ readonly to: 'CLOSED' } | { readonly to: 'OPEN'; readonly openUntil: number }),
  ): Promise<boolean> {
    const common = { ':half': 'HALF_OPEN', ':id': outcome.probeId, ':at': new Date(outcome.at).toISOString(), ':to': outcome.to };
    const command =
      outcome.to === 'CLOSED'
        ? {
            UpdateExpression: 'SET breakerState = :to, failures = :zero, updatedAt = :at REMOVE probeId, probeUntil, openUntil',
            ExpressionAttributeValues: { ...common, ':zero': 0 },
          }
        : {
            UpdateExpression: 'SET breakerState = :to, openUntil = :until, updatedAt = :at REMOVE probeId, probeUntil',
            ExpressionAttributeValues: { ...common, ':until': outcome.openUntil },
          };
    const written = await this.conditionally('settleProbe', dependency, () =>
      this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.keyOf(dependency),
          ConditionExpression: 'breakerState = :half AND probeId = :id',
          ...command,
        }),
      ),
    );
    return written !== undefined;
  }

  /** The write's answer, or `undefined` when its condition did not hold. */
  private async conditionally<T>(operation: string, dependency: string, write: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.send(operation, dependency, write);
    } catch (error) {
      if (isConditionFailed(error)) return undefined;
      throw error;
    }
  }

  /** Turns DynamoDB's transient failures into {@link BreakerStoreUnavailableError}; anything else propagates. */
  private async send<T>(operation: string, dependency: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!isConditionFailed(error) && isTransientAwsError(error)) {
        const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        throw new BreakerStoreUnavailableError(`The breaker of ${dependency} in table ${this.tableName} could not be ${operation === 'read' ? 'read' : 'written'} (${operation}): ${why}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  private snapshotOf(dependency: string, item: Record<string, unknown>): BreakerSnapshot {
    const state = item.breakerState ?? 'CLOSED';
    const unreadable = (what: string) => new Error(`The breaker of ${dependency} in table ${this.tableName} has ${what}.`);
    const time = (attribute: 'openUntil' | 'probeUntil'): number => {
      const value = numberOr(item[attribute]);
      if (value === undefined) throw unreadable(`state ${String(state)} without a numeric ${attribute}`);
      return value;
    };
    switch (state) {
      case 'CLOSED':
        return { state: 'CLOSED', failures: numberOr(item.failures) ?? 0 };
      case 'OPEN':
        return { state: 'OPEN', openUntil: time('openUntil') };
      case 'HALF_OPEN':
        return { state: 'HALF_OPEN', probeUntil: time('probeUntil') };
      default:
        throw unreadable(`an unknown state ${JSON.stringify(state)}`);
    }
  }
}
