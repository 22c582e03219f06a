import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DeferredTracer } from './deferred-tracer';
import { ShopLogFormatter } from './log-formatter';

/**
 * One Logger, Tracer and Metrics per process. Service name, namespace and log
 * level come from the standard POWERTOOLS_* variables the function construct
 * sets, so nothing here differs between AWS, LocalStack and the local cloud.
 * Log lines leave out what the log group already says ({@link ShopLogFormatter}).
 * The Tracer loads on the first sampled invocation ({@link DeferredTracer}).
 */
export const logger = new Logger({ logFormatter: new ShopLogFormatter() });
export const tracer = new DeferredTracer();
export const metrics = new Metrics();

/** What a trace is searched by, as X-Ray annotations (indexed, unlike metadata). */
export interface TraceAnnotations {
  /** The order the invocation works on. */
  readonly orderId?: string;
  /** The request's correlation id, the same as the log lines' `correlation_id`. */
  readonly correlationId?: string;
}

/**
 * Annotates the invocation's trace, so X-Ray finds an order's traces by
 * `annotation.orderId = "…"` (or `annotation.correlationId`). Nothing is
 * sent where the invocation is not traced.
 */
export const annotateTrace = (annotations: TraceAnnotations): void => {
  for (const [key, value] of Object.entries(annotations)) {
    if (typeof value === 'string') tracer.putAnnotation(key, value);
  }
};
