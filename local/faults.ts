/**
 * Fault injection for the local cloud: configuration, never code in the
 * handlers. Rates are probabilities (0..1) drawn per invocation or delivery
 * from a seeded generator, so a run can be repeated.
 */

/** Faults of the functions whose logical id matches a key of {@link FaultConfig.functions}. */
export interface FunctionFaults {
  /** The invocation fails with an injected error (`errorType` `InjectedFault`) instead of running. @default 0 */
  readonly errorRate?: number;
  /** The invocation is delayed by {@link latencyMs} before it runs. @default 0 */
  readonly latencyRate?: number;
  /** @default 200 */
  readonly latencyMs?: number;
  /** The invocation runs but is held past the function's timeout: killed and reported `Sandbox.Timedout`, as Lambda does. @default 0 */
  readonly timeoutRate?: number;
  /** The execution environment crashes mid-invocation (after the handler started, before it answers): `Runtime.ExitError`. @default 0 */
  readonly crashRate?: number;
  /**
   * Outages: the function is down (every invocation fails with
   * `InjectedFault`, the handler does not run) for `forMs` at the start of
   * every `everyMs`, counted from when the local cloud started (plus
   * `offsetMs`): a dependency that goes away for a while and comes back.
   * @default no outage
   */
  readonly outage?: OutageFaults;
}

/** Periodic outages of a function. */
export interface OutageFaults {
  readonly everyMs: number;
  readonly forMs: number;
  /** @default 0 */
  readonly offsetMs?: number;
}

/** Duplicate deliveries of an at-least-once channel. */
export interface DeliveryFaults {
  /** Probability that a delivery is made twice. @default 0 */
  readonly duplicateRate?: number;
}

/**
 * Faults of DynamoDB that DynamoDB Local never produces, injected by the
 * proxy in front of it (for the functions' calls and the saga's DynamoDB
 * tasks). Each rate is drawn per request, so the SDK's own retries draw again.
 */
export interface DynamoDbFaults {
  /**
   * A `TransactWriteItems` / `TransactGetItems` is cancelled with
   * `TransactionCanceledException`, one item's reason `TransactionConflict`
   * (another transaction holds it), nothing written. @default 0
   */
  readonly transactionConflictRate?: number;
  /**
   * A call is throttled: `ProvisionedThroughputExceededException` (key range
   * throughput exceeded, as on-demand tables throttle), or in a transaction a
   * cancellation with `ThrottlingError`. The SDK retries these itself. @default 0
   */
  readonly throttleRate?: number;
  /**
   * A read of a global secondary index (Query or Scan with `IndexName`) lags:
   * items written in the last {@link indexLagMs} are not in it yet, as GSIs
   * are eventually consistent. @default 0
   */
  readonly indexLagRate?: number;
  /** @default 1000 */
  readonly indexLagMs?: number;
}

/**
 * Faults of Step Functions that the local engine never produces by itself.
 * Each rate is drawn per start, from the seeded generator (stream
 * `stepFunctions`), like the duplicate deliveries of the bus and the pipes.
 */
export interface StepFunctionsFaults {
  /**
   * An asynchronous Express execution is started twice: one `StartExecution`
   * (API, EventBridge target or `states:startExecution` task) runs two
   * executions of the same name and input (the second with its own ARN, its
   * `execution-started` hop marked `duplicate`), as Express workflows'
   * at-least-once execution semantics allow
   * (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-standard-vs-express.html:
   * "Asynchronous Express Workflows: At-least-once workflow execution").
   * The caller gets the first execution's ARN. Standard executions
   * (exactly-once) are never duplicated. @default 0
   */
  readonly duplicateExpressStartRate?: number;
}

/** Everything the local cloud can break on purpose. */
export interface FaultConfig {
  /**
   * Function faults by logical id pattern: `*` matches any run of characters
   * (`Payments*`, `*ReserveInventory*`, `*`). The first matching key wins.
   * @default no function faults
   */
  readonly functions?: Readonly<Record<string, FunctionFaults>>;
  /** EventBridge rule targets. @default no duplicates */
  readonly eventBridge?: DeliveryFaults;
  /** Pipe deliveries to their target. @default no duplicates */
  readonly pipes?: DeliveryFaults;
  /** DynamoDB conflicts, throttling and index lag. @default none */
  readonly dynamodb?: DynamoDbFaults;
  /** Duplicate starts of Express executions. @default none */
  readonly stepFunctions?: StepFunctionsFaults;
  /** Seed of the random draws. @default a random seed, printed at start-up */
  readonly seed?: number;
}
