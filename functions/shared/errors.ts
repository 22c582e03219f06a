/**
 * Errors shared by every service.
 *
 * Two families:
 * - {@link ProblemError} subclasses carry an HTTP status and a stable `code`;
 *   the HTTP chain turns them into `application/problem+json` (RFC 9457).
 *   Domain errors extend them so a use case never knows about HTTP, and the
 *   mapping is by class, never by `error.name` strings.
 * - {@link BusinessRuleError} and {@link TransientError} are thrown by saga
 *   tasks. Their `name` is the `errorType` Step Functions matches in Retry and
 *   Catch, so every subclass sets a literal `name` (bundles are minified: a
 *   class name is not stable).
 */

/** Options accepted by every error here. */
/** The HTTP statuses the API answers with a problem, each with its title (see `problemResponse`). */
export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 500 | 503;

export interface ErrorOptions {
  /** The underlying error, kept for logs. */
  readonly cause?: unknown;
}

/** A field-level validation problem, as reported in 422 bodies. */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `items.0.quantity`. */
  readonly path: string;
  readonly message: string;
}

/** Base of every error that maps onto an HTTP problem response. */
export abstract class ProblemError extends Error {
  /** HTTP status answered for this error. */
  public abstract readonly status: ProblemStatus;
  /** Stable, machine-readable code clients can switch on. */
  public readonly code: string;

  protected constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    // Stryker disable next-line StringLiteral: abstract; every subclass sets its own name right after
    this.name = 'ProblemError';
  }
}

/** 400: the request could not be read at all (malformed JSON, bad encoding). */
export class MalformedRequestError extends ProblemError {
  public readonly status = 400;
  public constructor(message: string, code = 'MALFORMED_REQUEST', options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'MalformedRequestError';
  }
}

/** 401: no valid identity on a route that needs one. */
export class UnauthorizedError extends ProblemError {
  public readonly status = 401;
  public constructor(message = 'Authentication is required.', options?: ErrorOptions) {
    super('UNAUTHORIZED', message, options);
    this.name = 'UnauthorizedError';
  }
}

/** 403: the caller is known but lacks the right (e.g. not in `admin`). */
export class ForbiddenError extends ProblemError {
  public readonly status = 403;
  public constructor(message = 'You are not allowed to do this.', options?: ErrorOptions) {
    super('FORBIDDEN', message, options);
    this.name = 'ForbiddenError';
  }
}

/** 404: the resource does not exist, or is not the caller's. */
export class NotFoundError extends ProblemError {
  public readonly status = 404;
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'NotFoundError';
  }
}

/** 409: the request conflicts with the current state. */
export class ConflictError extends ProblemError {
  public readonly status = 409;
  public constructor(code: string, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'ConflictError';
  }
}

/** 413: the body is larger than any valid request. */
export class PayloadTooLargeError extends ProblemError {
  public readonly status = 413;
  public constructor(message: string, options?: ErrorOptions) {
    super('PAYLOAD_TOO_LARGE', message, options);
    this.name = 'PayloadTooLargeError';
  }
}

/**
 * 415: a body sent without a JSON `Content-Type` (none, or another media
 * type). The body is not read: what it is cannot be guessed.
 */
export class UnsupportedMediaTypeError extends ProblemError {
  public readonly status = 415;
  public constructor(message: string, options?: ErrorOptions) {
    super('UNSUPPORTED_MEDIA_TYPE', message, options);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** 422: well-formed input that breaks the schema or a business rule on input. */
export class ValidationError extends ProblemError {
  public readonly status = 422;
  public readonly issues: readonly FieldIssue[];
  public constructor(issues: readonly FieldIssue[], code = 'VALIDATION_FAILED', message?: string, options?: ErrorOptions) {
    super(code, message ?? `Invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`, options);
    this.issues = issues;
    this.name = 'ValidationError';
  }
}

/** 503: a dependency is unavailable; the client should retry later. */
export class DependencyUnavailableError extends ProblemError {
  public readonly status = 503;
  /** Seconds a client should wait before retrying (`Retry-After`). */
  public readonly retryAfterSeconds: number;
  public constructor(message: string, retryAfterSeconds = 1, options?: ErrorOptions) {
    super('DEPENDENCY_UNAVAILABLE', message, options);
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = 'DependencyUnavailableError';
  }
}

/**
 * A saga task met a business rule that retrying cannot change (out of stock,
 * card declined, ...). Step Functions does not retry it; a Catch compensates.
 */
export abstract class BusinessRuleError extends Error {
  protected constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    // Stryker disable next-line StringLiteral: abstract; every subclass sets its own name right after
    this.name = 'BusinessRuleError';
  }
}

/**
 * A failure that may pass if tried again (throttling, a dependency timing out,
 * an open circuit). Step Functions retries it with backoff and jitter.
 */
export class TransientError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** The process environment lacks, or has a malformed, configuration value. */
export class ConfigurationError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** An event or task input does not satisfy its contract. Retrying cannot help. */
export class ContractViolationError extends Error {
  public readonly issues: readonly FieldIssue[];
  public constructor(what: string, issues: readonly FieldIssue[], options?: ErrorOptions) {
    super(`${what} violates its contract: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, options);
    this.issues = issues;
    this.name = 'ContractViolationError';
  }
}
