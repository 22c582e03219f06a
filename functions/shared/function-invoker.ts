import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { $ZodType } from 'zod/v4/core';
import { lambda } from './clients/lambda';
import { isTransientAwsError } from './aws-errors';
import { DeadlineExceededError, loadDeadlines, withDeadline } from './deadlines';
import { DependencyUnavailableError } from './errors';
import { CircuitOpenError, type SharedCircuitBreaker } from './shared-circuit-breaker';
import { safeParse } from './validation';

/** Options of {@link invokeFunction}. */
export interface InvokeOptions {
  /**
   * How long to wait for the answer, every attempt included. A call site may
   * shorten the function's deadline, not lengthen it: the Lambda client
   * itself gives up at `SHOP_CALL_DEADLINE_MS`.
   * @default the function's `SHOP_CALL_DEADLINE_MS` (2 s unless lib/ sets it)
   */
  readonly deadlineMs?: number;
  /** The caller's own deadline or cancellation; the call ends when it aborts. @default none */
  readonly signal?: AbortSignal;
  /** @default the shared, traced Lambda client */
  readonly client?: Pick<LambdaClient, 'send'>;
  /**
   * The callee's circuit breaker, shared by every environment of the caller.
   * Every failure of the call (no answer in time, an error, an answer outside
   * the contract) counts; an open circuit answers 503 at once, without
   * calling, with `Retry-After` until its probe. @default none: every call is made
   */
  readonly breaker?: Pick<SharedCircuitBreaker, 'guard'>;
}

/** Seconds until an open circuit lets its probe through, for `Retry-After` (at least 1). */
const retryAfterOf = (error: CircuitOpenError): number => Math.max(1, Math.ceil(error.retryAfterMs / 1000));

/**
 * Calls another service's internal-query function synchronously, with a
 * deadline and, when given one, through the callee's circuit breaker. Any
 * failure of the callee (error, no answer in time, malformed answer,
 * throttling, an open circuit) is the dependency being unavailable: the HTTP
 * caller answers 503 + Retry-After, within the deadline whatever the callee does.
 */
export const invokeFunction = async <T>(functionName: string, payload: unknown, schema: $ZodType<T>, options: InvokeOptions = {}): Promise<T> => {
  const { breaker } = options;
  if (!breaker) return invokeOnce(functionName, payload, schema, options);
  try {
    return await breaker.guard(() => invokeOnce(functionName, payload, schema, options));
  } catch (error) {
    if (!(error instanceof CircuitOpenError)) throw error;
    const why = error.state === 'OPEN' ? 'its circuit is open after repeated failures' : 'its circuit is half-open and a probe call is in flight';
    throw new DependencyUnavailableError(`${functionName} was not called: ${why}.`, retryAfterOf(error), { cause: error });
  }
};

/** One call, with its deadline; every way it can fail is a {@link DependencyUnavailableError}. */
const invokeOnce = async <T>(functionName: string, payload: unknown, schema: $ZodType<T>, options: InvokeOptions): Promise<T> => {
  const deadlineMs = options.deadlineMs ?? loadDeadlines().callMs;
  const client = options.client ?? lambda();
  let result: InvokeCommandOutput;
  try {
    result = await withDeadline(
      functionName,
      deadlineMs,
      (abortSignal) => client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }), { abortSignal }),
      options.signal,
    );
  } catch (error) {
    if (error instanceof DeadlineExceededError) throw new DependencyUnavailableError(`${functionName} did not answer within ${error.deadlineMs} ms.`, 1, { cause: error });
    throw new DependencyUnavailableError(`${functionName} could not be invoked.`, isTransientAwsError(error) ? 1 : 5, { cause: error });
  }
  const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : 'null';
  if (result.FunctionError) {
    throw new DependencyUnavailableError(`${functionName} failed.`, 1, { cause: new Error(text.slice(0, 1000)) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DependencyUnavailableError(`${functionName} answered something that is not JSON.`, 1, { cause: error });
  }
  const parsed = safeParse(schema, json);
  if (!parsed.ok) {
    throw new DependencyUnavailableError(`${functionName} answered outside its contract.`, 1, {
      cause: new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')),
    });
  }
  return parsed.value;
};
