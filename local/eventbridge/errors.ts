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
