/**
 * Tells transient AWS SDK failures (throttling, 5xx, timeouts, connection
 * errors) from the rest, so HTTP routes answer 503 + Retry-After and saga
 * tasks raise a retryable error instead of failing the order.
 */
const TRANSIENT_NAMES = new Set([
  'TransientError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null && key in value ? (value as Record<string, unknown>)[key] : undefined;

/** True when retrying the same call later may succeed. */
export const isTransientAwsError = (error: unknown): boolean => {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const code = field(error, 'code');
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  if (field(error, '$retryable') !== undefined) return true;
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  if (typeof status === 'number' && status >= 500) return true;
  const cause = field(error, 'cause');
  return cause !== undefined && cause !== error && isTransientAwsError(cause);
};
