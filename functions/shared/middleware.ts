import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { $ZodType } from 'zod/v4/core';
import { isTransientAwsError } from './aws-errors';
import type { EventContract, EventDetail } from './contracts/envelope';
import { traceInvocation } from './deferred-tracer';
import { ContractViolationError, DependencyUnavailableError, ProblemError, TransientError } from './errors';
import { authorize, errorToProblem, problemResponse, type Access, type HttpEvent, type HttpResult, type Principal } from './http';
import { newId } from './ids';
import { annotateTrace, logger, metrics, tracer } from './powertools';
import { PowertoolsRequestMetrics, UNMATCHED_ROUTE, type RequestMetrics } from './request-metrics';
import { safeParse } from './validation';
import * as z from './zod';

/**
 * The middy chains: one per kind of handler (HTTP route, event consumer,
 * saga task, internal query, scheduled job). Each gives the same Powertools wiring — Logger with
 * the Lambda context and a correlation id, Tracer, Metrics flushed once per
 * invocation — and its own error contract.
 */

/**
 * Flushes the invocation's metrics, if it recorded any: Powertools' own
 * middleware logs a "No application metrics to publish" warning on every
 * invocation that recorded none (most of an order's), which CloudWatch
 * Logs bills. No ColdStart metric either: one series per function, billed
 * monthly, for what Lambda's own `InitDuration` already shows.
 */
const flushMetrics = (): middy.MiddlewareObj => {
  const flush = async (): Promise<void> => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return { after: flush, onError: flush };
};

const withPowertools = <TEvent, TResult>(fn: (event: TEvent, context: Context) => Promise<TResult>) =>
  middy(fn)
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(traceInvocation(tracer, { captureResponse: false }))
    .use(flushMetrics());

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A request as a route sees it. */
export interface HttpRequest<A extends Access> {
  readonly event: HttpEvent;
  /** The caller; always present unless the route is public. */
  readonly principal: A extends 'public' ? Principal | undefined : Principal;
  /** Carried into logs, stored data and events. */
  readonly correlationId: string;
}

/** A service's route table: API Gateway route key → who may call it. */
export type RouteTable = Readonly<Record<string, Access>>;

/** The handlers of a route table, one per route key, typed by its access. */
export type RouteHandlers<R extends RouteTable> = {
  readonly [K in keyof R]: (request: HttpRequest<R[K]>) => Promise<HttpResult>;
};

const correlationIdOf = (event: HttpEvent): string => {
  const header = event.headers?.[CORRELATION_HEADER];
  if (header !== undefined && CORRELATION_ID.test(header)) return header;
  return event.requestContext?.requestId ?? newId();
};

/**
 * The HTTP chain. Dispatches on the API Gateway `routeKey` (e.g.
 * `GET /orders/{id}`), enforces the route's access level (the JWT authorizer
 * has already verified the token), and turns every error into a problem
 * response: 4xx for {@link ProblemError}s, 503 + Retry-After for transient
 * AWS failures, 500 with a generic message (cause logged) for the rest.
 * Every answer is counted, with its latency, by route and outcome class
 * ({@link RequestMetrics}; @default Powertools EMF).
 */
export const httpApi = <R extends RouteTable>(routes: R, handlers: RouteHandlers<R>, requestMetrics?: RequestMetrics) => {
  const answer = async (event: HttpEvent): Promise<HttpResult> => {
    const correlationId = correlationIdOf(event);
    logger.setCorrelationId(correlationId);
    logger.appendKeys({ routeKey: event.routeKey });
    annotateTrace({ correlationId });
    const instance = event.rawPath ?? event.requestContext?.http?.path ?? '/';
    const responseHeaders = { [CORRELATION_HEADER]: correlationId };
    try {
      const known = Object.prototype.hasOwnProperty.call(routes, event.routeKey);
      const access = known ? routes[event.routeKey] : undefined;
      const handle = known ? (handlers[event.routeKey] as (request: HttpRequest<Access>) => Promise<HttpResult>) : undefined;
      if (access === undefined || handle === undefined) {
        return problemResponse(404, 'ROUTE_NOT_FOUND', `No route ${event.routeKey}.`, { instance, correlationId }, responseHeaders);
      }
      const principal = authorize(event, access);
      if (principal) logger.appendKeys({ userId: principal.userId });
      const result = await handle({ event, principal, correlationId });
      return { ...result, headers: { ...result.headers, ...responseHeaders } };
    } catch (error) {
      const mapped = !(error instanceof ProblemError) && isTransientAwsError(error)
        ? new DependencyUnavailableError('A dependency is briefly unavailable; please retry.', 1, { cause: error })
        : error;
      if (mapped instanceof ProblemError) {
        logger.info('Request refused', { status: mapped.status, code: mapped.code, detail: mapped.message });
      } else {
        logger.error('Request failed', { error: error instanceof Error ? error : String(error) });
      }
      const result = errorToProblem(mapped, instance, correlationId);
      return { ...result, headers: { ...result.headers, ...responseHeaders } };
    }
  };
  const reporter = requestMetrics ?? new PowertoolsRequestMetrics();
  return withPowertools(async (event: HttpEvent): Promise<HttpResult> => {
    const started = performance.now();
    const result = await answer(event);
    const route = Object.prototype.hasOwnProperty.call(routes, event.routeKey) ? event.routeKey : UNMATCHED_ROUTE;
    reporter.recordRequest(route, result.statusCode ?? 200, performance.now() - started);
    return result;
  });
};

/** A validated event, narrowed by its detail type. */
export type ReceivedEvent<C> = C extends EventContract<infer T, infer D> ? { readonly detailType: T; readonly detail: EventDetail<D> } : never;

/** An EventBridge event as a rule delivers it, read from where it arrived (an SQS message body). */
const eventEnvelopeSchema = z.object({ id: z.string(), source: z.string(), 'detail-type': z.string(), detail: z.unknown() });

/**
 * Validates one event against the consumer's contracts and hands it over.
 *
 * @throws {ContractViolationError} for an event of another type, or whose
 *   detail breaks its contract: nothing is written, and retrying cannot help.
 */
const consumeEvent = async <const C extends readonly EventContract[]>(contracts: C, body: unknown, handle: (event: ReceivedEvent<C[number]>) => Promise<void>): Promise<void> => {
  const envelope = safeParse(eventEnvelopeSchema, body);
  if (!envelope.ok) throw new ContractViolationError('Event envelope', envelope.issues);
  const event = envelope.value;
  const contract = contracts.find((c) => c.detailType === event['detail-type'] && c.source === event.source);
  if (!contract) {
    throw new ContractViolationError(`Event ${event.source}/${event['detail-type']}`, [
      { path: 'detail-type', message: `not one of ${contracts.map((c) => c.detailType).join(', ')}` },
    ]);
  }
  const parsed = safeParse(contract.detail, event.detail);
  if (!parsed.ok) throw new ContractViolationError(`Event ${contract.detailType} ${event.id}`, parsed.issues);
  logger.setCorrelationId(parsed.value.metadata.correlationId);
  logger.appendKeys({ eventId: parsed.value.metadata.eventId });
  logger.info('Event received', { detailType: contract.detailType });
  await handle({ detailType: contract.detailType, detail: parsed.value } as ReceivedEvent<C[number]>);
};

/**
 * The event-consumer chain, for a function that drains an SQS queue a rule
 * fills (rule → queue → Lambda event source mapping): the queue holds an
 * event through a dependency's outage, where Lambda's asynchronous
 * invocation gives up after two retries. Each message's body is the event;
 * only the listed contracts are accepted and the detail is validated. Events
 * are handled one by one; each that fails (a contract violation, a
 * dependency down) is reported in `batchItemFailures`, so SQS delivers only
 * it again, and its queue's redrive policy moves it to the dead-letter queue
 * once it has failed too often. Nothing is dropped and nothing half-done.
 */
export const queuedEventConsumer = <const C extends readonly EventContract[]>(
  contracts: C,
  handle: (event: ReceivedEvent<C[number]>) => Promise<void>,
) =>
  withPowertools(async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      const receiveCount = Number(record.attributes.ApproximateReceiveCount);
      logger.appendKeys({ messageId: record.messageId });
      try {
        let body: unknown;
        try {
          body = JSON.parse(record.body);
        } catch {
          throw new ContractViolationError('Event', [{ path: 'body', message: 'not JSON' }]);
        }
        await consumeEvent(contracts, body, handle);
      } catch (error) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        // A broken event fails every time: an error. A dependency down is what the queue is for: a warning until it has come back often.
        const log = error instanceof ContractViolationError || receiveCount >= 5 ? logger.error.bind(logger) : logger.warn.bind(logger);
        log('Event failed; the queue delivers it again', { receiveCount, error: error instanceof Error ? error : String(error) });
      } finally {
        logger.removeKeys(['messageId', 'correlation_id', 'eventId']);
      }
    }
    return { batchItemFailures };
  });

/**
 * The saga-task chain. Validates the task input; lets business errors
 * through with their names (Step Functions' Catch matches them); turns
 * transient AWS failures into {@link TransientError} so Retry applies.
 */
export const sagaTask = <I extends { readonly orderId: string; readonly correlationId: string }, O>(
  name: string,
  schema: $ZodType<I>,
  run: (input: I) => Promise<O>,
) =>
  withPowertools(async (event: unknown): Promise<O> => {
    const parsed = safeParse(schema, event);
    if (!parsed.ok) throw new ContractViolationError(`${name} input`, parsed.issues);
    const input = parsed.value;
    logger.setCorrelationId(input.correlationId);
    logger.appendKeys({ orderId: input.orderId, task: name });
    annotateTrace({ orderId: input.orderId, correlationId: input.correlationId });
    try {
      const output = await run(input);
      logger.info(`${name} done`, { output });
      return output;
    } catch (error) {
      if (!(error instanceof TransientError) && isTransientAwsError(error)) {
        logger.warn(`${name} failed transiently`, { error: error instanceof Error ? error : String(error) });
        throw new TransientError(`${name}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      logger.warn(`${name} failed`, { error: error instanceof Error ? error : String(error) });
      throw error;
    }
  });

/**
 * The internal-query chain: a function another service invokes directly
 * (Lambda Invoke) to read what this service owns. Validates the request; a
 * violation is a contract error the caller sees as a function error.
 */
export const internalQuery = <I, O>(name: string, schema: $ZodType<I>, run: (input: I) => Promise<O>) =>
  withPowertools(async (event: unknown): Promise<O> => {
    const parsed = safeParse(schema, event);
    if (!parsed.ok) throw new ContractViolationError(`${name} request`, parsed.issues);
    const correlationId = typeof (event as { correlationId?: unknown }).correlationId === 'string' ? (event as { correlationId: string }).correlationId : undefined;
    if (correlationId) logger.setCorrelationId(correlationId);
    return run(parsed.value);
  });

/**
 * The scheduled-job chain: a function an EventBridge schedule (or an operator,
 * by Invoke) runs with a small JSON input — the rule target's `Input`.
 * Validates it; a violation is a contract error, so a misconfigured schedule
 * fails loudly instead of running with guesses. Each run gets an id in the logs.
 */
export const scheduledJob = <I, O>(name: string, schema: $ZodType<I>, run: (input: I) => Promise<O>) =>
  withPowertools(async (event: unknown): Promise<O> => {
    const parsed = safeParse(schema, event);
    if (!parsed.ok) throw new ContractViolationError(`${name} input`, parsed.issues);
    logger.appendKeys({ job: name, runId: newId() });
    const output = await run(parsed.value);
    logger.info(`${name} done`, { output });
    return output;
  });
