import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Powertools' JSON log line without the keys CloudWatch already has: each
 * function writes to a log group of its own, so its name, ARN and memory size
 * on every line (about 280 bytes of a 700-byte line) are paid for at every
 * invocation and say nothing new (`@log` in Logs Insights names the group).
 * Kept: level, message, timestamp, service, cold start, request id, trace id
 * (when there is one), and whatever the code appends (correlation id, order).
 */
export class ShopLogFormatter extends LogFormatter {
  public formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additionalLogAttributes);
  }
}
