import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoDb } from '../../shared/clients/dynamodb';
import { stepFunctions } from '../../shared/clients/step-functions';
import { SAGA_CLAIM_OUTCOMES, sagaClaimSchema } from '../../shared/contracts/saga-claims';
import type { SagaExecutions, SagaState } from '../ports/saga-executions';

/**
 * The longest an Express execution runs (AWS ends it at 5 minutes), and a
 * margin for the clocks: a claim older than this without an outcome belongs
 * to an execution that has ended.
 */
export const EXPRESS_CLAIM_SETTLED_MS = 5 * 60_000 + 30_000;

/**
 * The order saga as an Express workflow, read from its claims: an Express
 * execution cannot be described (it has no history), so the saga claims each
 * order in its claims table before doing anything and records its outcome
 * there when it ends (see OrderSaga). The reconciler reads that claim where
 * it would describe a Standard execution:
 * - no claim: no saga has started (or none got past its first state);
 * - an outcome: CONFIRMED, CANCELLED with its reason, or REPAIR — handed to
 *   the cancellation state machine, whose execution says the rest;
 * - no outcome yet: running while the claiming execution may still run,
 *   afterwards ended without one (failed or timed out, which alarmed): a
 *   person must look, as for a failed Standard execution.
 * Starting one is an Express start: not deduplicated, the claim keeps it to
 * one saga per order.
 */
export class ExpressSagaClaims implements SagaExecutions {
  public constructor(
    private readonly claimsTable: string,
    private readonly stateMachineArn: string,
    /** The cancellation state machine, the repair of an Express saga. */
    private readonly repairs: Pick<SagaExecutions, 'stateOf'>,
    private readonly now: () => Date = () => new Date(),
    private readonly db: DynamoDBDocumentClient = dynamoDb(),
    private readonly sfn: SFNClient = stepFunctions(),
  ) {}

  public async stateOf(orderId: string): Promise<SagaState> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.claimsTable, Key: { pk: orderId }, ConsistentRead: true }));
    if (Item === undefined) return { kind: 'absent' };
    const parsed = sagaClaimSchema.safeParse(Item);
    if (!parsed.success) return { kind: 'needs-attention', status: 'UNREADABLE_CLAIM', error: parsed.error.message };
    const claim = parsed.data;
    switch (claim.outcome) {
      case SAGA_CLAIM_OUTCOMES.confirmed:
        return { kind: 'confirmed' };
      case SAGA_CLAIM_OUTCOMES.cancelled:
        return claim.reason === undefined ? { kind: 'needs-attention', status: 'CANCELLED', error: 'the claim records a cancellation without a reason' } : { kind: 'cancelled', reason: claim.reason };
      case SAGA_CLAIM_OUTCOMES.repair: {
        const repair = await this.repairs.stateOf(orderId);
        return repair.kind === 'absent' ? { kind: 'needs-attention', status: 'REPAIR_NOT_FOUND', error: `the saga handed the order to a repair that does not exist (${claim.executionId})` } : repair;
      }
      case undefined:
        break;
    }
    const claimedAt = Date.parse(claim.claimedAt);
    if (Number.isNaN(claimedAt) || this.now().getTime() - claimedAt < EXPRESS_CLAIM_SETTLED_MS) return { kind: 'running' };
    return {
      kind: 'needs-attention',
      status: 'ENDED_WITHOUT_OUTCOME',
      error: `the Express execution ${claim.executionId} (started ${claim.claimedAt}) ended without recording an outcome: its execution logs say where it stopped`,
    };
  }

  public async start(_orderId: string, input: string): Promise<'started' | 'already-started'> {
    await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, input }));
    return 'started';
  }
}
