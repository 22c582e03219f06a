import type { FaultConfig, FunctionFaults } from '../../local/faults';

/** Faults of every function: 5 % errors, 5 % latency (200 ms), 1 % crashes. */
const EVERY_FUNCTION: FunctionFaults = { errorRate: 0.05, latencyRate: 0.05, latencyMs: 200, crashRate: 0.01 };

/** Saga task functions also time out 2 % of the time (held past their timeout: `Sandbox.Timedout`). */
const SAGA_TASK: FunctionFaults = { ...EVERY_FUNCTION, timeoutRate: 0.02 };

/** Logical-id patterns of the saga's task functions (the first matching key of {@link FaultConfig.functions} wins). */
const SAGA_TASK_PATTERNS = ['*ReserveInventory*', '*ReleaseInventory*', '*ChargePayment*', '*RefundPayment*', '*CreateShipment*', '*CancelShipment*'];

/**
 * The soak's default faults, moderate: what a bad day on AWS looks like, not
 * an outage. Every function fails 5 % of its invocations with an injected
 * error, is slowed by 200 ms in 5 % and crashes mid-invocation in 1 %; saga
 * tasks also time out in 2 %; EventBridge rule targets and the outbox pipe
 * deliver 10 % of events twice; DynamoDB cancels 5 % of transactions with
 * TransactionConflict, throttles 2 % of calls, and 20 % of index reads lag
 * 500 ms behind their table. Without a `seed`, the soak sets its own, so the
 * faults repeat with the order mix.
 */
export const DEFAULT_SOAK_FAULTS: FaultConfig = {
  functions: {
    ...Object.fromEntries(SAGA_TASK_PATTERNS.map((pattern) => [pattern, SAGA_TASK])),
    '*': EVERY_FUNCTION,
  },
  eventBridge: { duplicateRate: 0.1 },
  pipes: { duplicateRate: 0.1 },
  dynamodb: { transactionConflictRate: 0.05, throttleRate: 0.02, indexLagRate: 0.2, indexLagMs: 500 },
};
