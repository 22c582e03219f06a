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
 * deliver 10 % of events twice, and 10 % of Express executions start twice
 * (at-least-once, as AWS may; Standard ones never do); DynamoDB cancels 5 % of transactions with
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
  stepFunctions: { duplicateExpressStartRate: 0.1 },
  dynamodb: { transactionConflictRate: 0.05, throttleRate: 0.02, indexLagRate: 0.2, indexLagMs: 500 },
};

/** The soak's default time scale: AWS's retry delays at 1/20. */
const DEFAULT_SCALE = 0.05;

/**
 * The harsh profile (`npm run soak -- --faults harsh`): twice the default
 * rates and more, and outages. Every function fails 10 % of its invocations,
 * is slowed by 300 ms in 10 % and crashes in 3 %; saga tasks also time out
 * in 4 %; deliveries and Express starts are duplicated 20 % of the time; DynamoDB cancels 10 %
 * of transactions, throttles 5 % of calls and lags 30 % of index reads. On
 * top, the payment provider's functions go down for a minute every ten
 * minutes and the order status consumer for a minute every twenty — on the
 * soak's clock, whose `scale` compresses AWS time (at 0.05, 3 s every 30 s),
 * as it compresses every retry delay.
 */
export const harshSoakFaults = (scale = DEFAULT_SCALE): FaultConfig => {
  const minutes = (n: number): number => Math.max(1, Math.round(n * 60_000 * scale));
  const harsh: FunctionFaults = { errorRate: 0.1, latencyRate: 0.1, latencyMs: 300, crashRate: 0.03 };
  const harshTask: FunctionFaults = { ...harsh, timeoutRate: 0.04 };
  return {
    functions: {
      '*ChargePayment*': { ...harshTask, outage: { everyMs: minutes(10), forMs: minutes(1), offsetMs: minutes(2) } },
      '*RefundPayment*': { ...harshTask, outage: { everyMs: minutes(10), forMs: minutes(1), offsetMs: minutes(2) } },
      '*StatusConsumer*': { ...harsh, outage: { everyMs: minutes(20), forMs: minutes(1), offsetMs: minutes(5) } },
      ...Object.fromEntries(SAGA_TASK_PATTERNS.filter((pattern) => !/Payment/.test(pattern)).map((pattern) => [pattern, harshTask])),
      '*': harsh,
    },
    eventBridge: { duplicateRate: 0.2 },
    pipes: { duplicateRate: 0.2 },
    stepFunctions: { duplicateExpressStartRate: 0.2 },
    dynamodb: { transactionConflictRate: 0.1, throttleRate: 0.05, indexLagRate: 0.3, indexLagMs: 500 },
  };
};
