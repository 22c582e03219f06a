/**
 * Errors raised by the local EventBridge emulation.
 *
 * Their messages follow the wording the real service answers with, so that a
 * local `PutRule` / `TestEventPattern` call fails the way the cloud one would
 * and a developer can search for the text.
 */

/** Options accepted by every error here. */
export interface EventBridgeErrorOptions {
  /** The underlying error (e.g. the JSON `SyntaxError`), kept for logs. */
  readonly cause?: unknown;
}

/**
 * An event pattern EventBridge would refuse with `InvalidEventPatternException`.
 *
 * `reason` carries the service's own wording (which is Event Ruler's), and
 * `path` names the offending field so a long pattern can be fixed without
 * guessing which of its many leaves was wrong.
 */
export class InvalidEventPatternError extends Error {
  /** Why the pattern was refused, worded as EventBridge words it. */
  public readonly reason: string;
  /**
   * Dotted path of the offending field or operator, e.g. `detail.price.numeric`
   * or `detail.$or[1].state`; empty when the pattern as a whole is at fault.
   */
  public readonly path: string;

  public constructor(reason: string, path: string, options?: EventBridgeErrorOptions) {
    super(
      `Event pattern is not valid. Reason: ${reason}${path === '' ? '' : ` (at ${path})`}`,
      options,
    );
    this.reason = reason;
    this.path = path;
    this.name = 'InvalidEventPatternError';
  }
}

/**
 * An event that cannot be matched at all: not JSON, or not a JSON object.
 * EventBridge's `TestEventPattern` answers these with a `ValidationException`
 * whose message is exactly this one.
 */
export class InvalidEventError extends Error {
  public constructor(options?: EventBridgeErrorOptions) {
    super('Parameter Event is not valid.', options);
    this.name = 'InvalidEventError';
  }
}

/** The `ERROR_CODE` values of EventBridge dead letters that the local cloud produces. */
export type DeliveryErrorCode =
  | 'CONNECTION_FAILURE'
  | 'ERROR_FROM_TARGET'
  | 'INVALID_JSON'
  | 'INVALID_PARAMETER'
  | 'NO_PERMISSIONS'
  | 'NO_RESOURCE'
  | 'SDK_CLIENT_ERROR'
  | 'THROTTLING'
  | 'TIMEOUT';

/**
 * How an injected invoker (or the fault-injection feature) tells EventBridge
 * why a delivery failed and whether AWS would retry it. Any other error is
 * taken as a retryable `ERROR_FROM_TARGET`.
 */
export class TargetDeliveryError extends Error {
  public readonly code: DeliveryErrorCode;
  public readonly retryable: boolean;

  public constructor(code: DeliveryErrorCode, message: string, options: { readonly retryable: boolean; readonly cause?: unknown }) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
    this.name = 'TargetDeliveryError';
  }
}
