import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { EXPRESS_CLAIM_SETTLED_MS, ExpressSagaClaims } from '../../functions/orders/adapters/express-saga-claims';
import type { SagaExecutions, SagaState } from '../../functions/orders/ports/saga-executions';
import { createTestTable, testDocumentClient } from '../support/dynamodb';

const ORDER_ID = 'ord-01JX8ZQ4TA1V0Q7R6S5N4M3K2H';
const CLAIMED_AT = '2026-03-01T12:00:00.000Z';
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:express:OrderSaga:e1:0f1c';
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:OrderSaga';

/** The repair (the cancellation state machine) as the reconciler would describe it. */
class FakeRepairs implements Pick<SagaExecutions, 'stateOf'> {
  public asked: string[] = [];
  public constructor(private readonly state: SagaState) {}
  public stateOf(orderId: string): Promise<SagaState> {
    this.asked.push(orderId);
    return Promise.resolve(this.state);
  }
}

describe('ExpressSagaClaims (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  afterAll(() => client.destroy());
  beforeEach(async () => {
    tableName = await createTestTable();
  });

  const claims = (options: { minutesLater?: number; repair?: SagaState } = {}) => {
    const repairs = new FakeRepairs(options.repair ?? { kind: 'absent' });
    const now = () => new Date(Date.parse(CLAIMED_AT) + (options.minutesLater ?? 1) * 60_000);
    return { repairs, claims: new ExpressSagaClaims(tableName, STATE_MACHINE, repairs, now, client) };
  };
  const claim = (attributes: Record<string, string> = {}) =>
    client.send(new PutCommand({ TableName: tableName, Item: { pk: ORDER_ID, executionId: EXECUTION, claimedAt: CLAIMED_AT, ...attributes } }));

  it('reads an order nobody claimed as a saga that never started', async () => {
    expect(await claims().claims.stateOf(ORDER_ID)).toEqual({ kind: 'absent' });
  });

  it('reads the outcome the saga recorded: confirmed, or cancelled with its reason', async () => {
    await claim({ outcome: 'CONFIRMED' });
    expect(await claims().claims.stateOf(ORDER_ID)).toEqual({ kind: 'confirmed' });
    await claim({ outcome: 'CANCELLED', reason: 'PAYMENT_DECLINED' });
    expect(await claims().claims.stateOf(ORDER_ID)).toEqual({ kind: 'cancelled', reason: 'PAYMENT_DECLINED' });
  });

  it('reads a claim without an outcome as running while its execution may run, and as a person\'s after the Express limit', async () => {
    await claim();
    expect(await claims({ minutesLater: 4 }).claims.stateOf(ORDER_ID)).toEqual({ kind: 'running' });
    expect(EXPRESS_CLAIM_SETTLED_MS).toBeGreaterThan(5 * 60_000);
    expect(await claims({ minutesLater: 6 }).claims.stateOf(ORDER_ID)).toEqual({
      kind: 'needs-attention',
      status: 'ENDED_WITHOUT_OUTCOME',
      error: expect.stringContaining(EXECUTION),
    });
  });

  it('follows an order handed to the repair to the repair execution, named after the order', async () => {
    await claim({ outcome: 'REPAIR' });
    const running = claims({ repair: { kind: 'running' } });
    expect(await running.claims.stateOf(ORDER_ID)).toEqual({ kind: 'running' });
    expect(running.repairs.asked).toEqual([ORDER_ID]);
    expect(await claims({ repair: { kind: 'cancelled', reason: 'TECHNICAL' } }).claims.stateOf(ORDER_ID)).toEqual({ kind: 'cancelled', reason: 'TECHNICAL' });
    expect(await claims({ repair: { kind: 'absent' } }).claims.stateOf(ORDER_ID)).toMatchObject({ kind: 'needs-attention', status: 'REPAIR_NOT_FOUND' });
  });

  it('reports a claim it cannot read, or a cancellation without a reason, to a person rather than guessing', async () => {
    await claim({ outcome: 'MAYBE' });
    expect(await claims().claims.stateOf(ORDER_ID)).toMatchObject({ kind: 'needs-attention', status: 'UNREADABLE_CLAIM' });
    await claim({ outcome: 'CANCELLED' });
    expect(await claims().claims.stateOf(ORDER_ID)).toMatchObject({ kind: 'needs-attention', status: 'CANCELLED' });
  });
});
