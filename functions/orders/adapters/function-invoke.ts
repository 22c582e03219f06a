import type { $ZodType } from 'zod/v4/core';
import { invokeFunction } from '../../shared/function-invoker';
import type { SharedCircuitBreaker } from '../../shared/shared-circuit-breaker';

/**
 * How the Lambda-backed adapters call another service's internal query:
 * {@link invokeFunction} in production; tests pass the other service's real
 * handler, which checks both sides of the consumer-side contract.
 */
export type InvokeFn = <T>(functionName: string, payload: unknown, schema: $ZodType<T>) => Promise<T>;

/** The production {@link InvokeFn}: a synchronous Lambda Invoke through the shared invoker. */
export const defaultInvoke: InvokeFn = (functionName, payload, schema) => invokeFunction(functionName, payload, schema);

/** An {@link InvokeFn} whose every call goes through the callee's circuit breaker. */
export const invokeThrough =
  (breaker: Pick<SharedCircuitBreaker, 'guard'>): InvokeFn =>
  (functionName, payload, schema) =>
    invokeFunction(functionName, payload, schema, { breaker });
