import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { ShopLogFormatter } from './log-formatter';

/**
 * One Logger, Tracer and Metrics per process. Service name, namespace and log
 * level come from the standard POWERTOOLS_* variables the function construct
 * sets, so nothing here differs between AWS, LocalStack and the local cloud.
 * Log lines leave out what the log group already says ({@link ShopLogFormatter}).
 */
export const logger = new Logger({ logFormatter: new ShopLogFormatter() });
export const tracer = new Tracer();
export const metrics = new Metrics();
