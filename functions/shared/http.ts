import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { $ZodType } from 'zod/v4/core';
import {
  DependencyUnavailableError,
  ForbiddenError,
  MalformedRequestError,
  PayloadTooLargeError,
  ProblemError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  type ProblemStatus,
} from './errors';
import { safeParse, type KeyKind } from './validation';

/** JWT claims as API Gateway passes them (payload format 2.0). */
export type JwtClaims = Record<string, string | number | boolean | string[]>;

/** An HTTP API event, with the JWT authorizer's claims when the route has one. */
export type HttpEvent = APIGatewayProxyEventV2 & {
  readonly requestContext: APIGatewayProxyEventV2['requestContext'] & {
    readonly authorizer?: { readonly jwt?: { readonly claims?: JwtClaims; readonly scopes?: string[] | null } };
  };
};

export type HttpResult = APIGatewayProxyStructuredResultV2;

/** Who is calling, from the verified JWT. The user id is always the `sub`. */
export interface Principal {
  readonly userId: string;
  readonly groups: readonly string[];
  readonly isAdmin: boolean;
}

/** Group whose members may write the catalog, set stock and deliver shipments. */
export const ADMIN_GROUP = 'admin';
/** Group of carriers, who may mark shipments delivered. */
export const CARRIER_GROUP = 'carrier';

/** Largest request body any route accepts. */
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Reads `cognito:groups`. API Gateway flattens array claims into a string
 * such as `[admin users]`; a JSON array or a single name is accepted too.
 */
const parseGroups = (claim: JwtClaims[string] | undefined): string[] => {
  if (claim === undefined) return [];
  if (Array.isArray(claim)) return claim.map(String);
  const text = String(claim).trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    // Stryker disable next-line MethodExpression: untrimmed, a blank list still parses as JSON [] below and names are split off blanks
    const inner = text.slice(1, -1).trim();
    // Stryker disable next-line ConditionalExpression,StringLiteral: a shortcut only: `[]` and `[ ]` parse as JSON [] below
    if (inner === '') return [];
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // Not JSON: API Gateway's space-separated form.
    }
    // Stryker disable next-line Regex: a run of separators split one at a time gives empty names, which filter(Boolean) drops
    return inner.split(/[\s,]+/).filter(Boolean);
  }
  // Stryker disable next-line Regex: as above
  return text.split(/[\s,]+/).filter(Boolean);
};

/** The caller, if the authorizer verified a token. */
export const principalOf = (event: HttpEvent): Principal | undefined => {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== 'string' || sub === '') return undefined;
  const groups = parseGroups(claims?.['cognito:groups']);
  return { userId: sub, groups, isAdmin: groups.includes(ADMIN_GROUP) };
};

/**
 * Who may call a route: anyone, any signed-in user, admins, or carriers
 * (admins included). The authorizer checks the token; handlers check groups.
 */
export type Access = 'public' | 'user' | 'admin' | 'carrier';

/** Enforces {@link Access} for a route, returning the caller when there is one. */
export const authorize = (event: HttpEvent, access: Access): Principal | undefined => {
  const principal = principalOf(event);
  if (access === 'public') return principal;
  if (!principal) throw new UnauthorizedError();
  if (access === 'admin' && !principal.isAdmin) {
    throw new ForbiddenError(`Only members of the '${ADMIN_GROUP}' group may do this.`);
  }
  if (access === 'carrier' && !principal.isAdmin && !principal.groups.includes(CARRIER_GROUP)) {
    throw new ForbiddenError(`Only members of the '${CARRIER_GROUP}' or '${ADMIN_GROUP}' groups may do this.`);
  }
  return principal;
};

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;.*)?$/i;

/**
 * Parses a JSON body and validates it: 415 if it comes without a JSON
 * `Content-Type` (or with another), 400 if there is none or it is not JSON,
 * 413 if too large, 422 naming every offending field if it breaks the schema.
 */
export const parseJsonBody = <T>(event: HttpEvent, schema: $ZodType<T>): T => {
  const contentType = event.headers?.['content-type'];
  if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new UnsupportedMediaTypeError(`Content-Type must be application/json, not '${contentType.slice(0, 100)}'.`);
  }
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new MalformedRequestError('A JSON body is required.', 'BODY_REQUIRED');
  }
  if (contentType === undefined) {
    throw new UnsupportedMediaTypeError('A body needs Content-Type: application/json.');
  }
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(`The body must be at most ${MAX_BODY_BYTES} bytes.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw new MalformedRequestError('The body is not valid JSON.', 'MALFORMED_JSON', { cause: error });
  }
  return validate(schema, json, 'field');
};

/**
 * Validates already-parsed input (path, query) and answers 422 on failure.
 * `keys` names an unknown key in its issue; path parameters never have one
 * (API Gateway sets them from the route), so the default is the query string's.
 */
export const validate = <T>(schema: $ZodType<T>, input: unknown, keys: KeyKind = 'query parameter'): T => {
  const parsed = safeParse(schema, input, keys);
  if (!parsed.ok) throw new ValidationError(parsed.issues);
  return parsed.value;
};

/** A JSON response. */
export const jsonResponse = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** An RFC 9457 problem body. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly instance?: string;
  readonly correlationId?: string;
  readonly errors?: ReadonlyArray<{ readonly path: string; readonly message: string }>;
}

const TITLES: Record<ProblemStatus, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An `application/problem+json` response. */
export const problemResponse = (
  status: ProblemStatus,
  code: string,
  detail: string,
  extra: Partial<Pick<Problem, 'instance' | 'correlationId' | 'errors'>> = {},
  headers: Record<string, string> = {},
): HttpResult => {
  const problem: Problem = {
    type: `urn:serverless-shop:problem:${code.toLowerCase().replace(/_/g, '-')}`,
    title: TITLES[status],
    status,
    code,
    detail,
    ...extra,
  };
  return { statusCode: status, headers: { 'content-type': 'application/problem+json', ...headers }, body: JSON.stringify(problem) };
};

/**
 * Maps an error to a problem response by its class. Anything that is not a
 * {@link ProblemError} is a 500 with a generic message; the caller logs it.
 */
export const errorToProblem = (error: unknown, instance: string, correlationId: string): HttpResult => {
  if (error instanceof ProblemError) {
    const headers: Record<string, string> =
      error instanceof DependencyUnavailableError ? { 'retry-after': String(error.retryAfterSeconds) } : {};
    const errors = error instanceof ValidationError ? error.issues : undefined;
    return problemResponse(error.status, error.code, error.message, { instance, correlationId, ...(errors ? { errors } : {}) }, headers);
  }
  return problemResponse(500, 'INTERNAL_ERROR', 'Something went wrong on our side. It has been logged.', { instance, correlationId });
};
