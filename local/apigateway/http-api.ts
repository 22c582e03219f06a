import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { UnsupportedFeatureError } from '../errors';
import type { IamGate } from '../iam/local-iam';
import type { InvokeResult } from '../lambda/lambda-runtime';
import { LambdaThrottledError, PayloadTooLargeError } from '../lambda/limits';
import { assertKnownProperties, LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { listenOnLoopback } from '../support/loopback';
import { corsOf, isPreflight, preflightHeaders, withCorsHeaders, type CorsModel } from './cors';
import type { TokenClaims, TokenVerification, VerifyExpectations } from './jwt-issuer';

/** The resource types {@link HttpApiEmulator.create} reads. */
export const HTTP_API_RESOURCE_TYPES = [
  'AWS::ApiGatewayV2::Api',
  'AWS::ApiGatewayV2::Route',
  'AWS::ApiGatewayV2::Integration',
  'AWS::ApiGatewayV2::Authorizer',
  'AWS::ApiGatewayV2::Stage',
  'AWS::Lambda::Permission',
] as const;

/** Lambda as the emulator uses it; `LambdaRuntime` is one. */
export interface FunctionInvoker {
  /** Invokes synchronously, as API Gateway's Lambda proxy integration does. */
  invoke(nameOrArn: string, event: unknown): Promise<InvokeResult>;
  /** When present, an integration naming a function it does not know stops start-up instead of failing every request. */
  resolve?(nameOrArn: string): unknown;
}

/** Checks the tokens of JWT routes; the local user pool (`LocalJwtIssuer`) is one. */
export interface TokenVerifier {
  /** The `iss` of its tokens: an authorizer must name exactly this issuer. */
  readonly issuer: string;
  verify(token: string, expected: VerifyExpectations): TokenVerification;
}

/** One request through the API, for a readable log line. */
export interface HttpApiHop {
  /** The `apigw-requestid` (and `requestContext.requestId`). */
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** The route that matched, `-` when none did. */
  readonly routeKey: string;
  readonly status: number;
  readonly latencyMs: number;
  /** The function the route integrates, once the request got that far. */
  readonly functionName?: string;
  /** The `x-correlation-id` header of the function's response. */
  readonly correlationId?: string;
  /** Why API Gateway answered itself (token refused, function error, timeout...) or what it ignored of the function's response. */
  readonly note?: string;
}

/** An access-log line, formatted with the stage's `AccessLogSettings.Format`. */
export interface AccessLogRecord {
  /** Where API Gateway would write it (a log group ARN). */
  readonly destinationArn: string;
  readonly line: string;
}

/** What {@link HttpApiEmulator.create} needs besides the template. */
export interface HttpApiDependencies {
  readonly invoker: FunctionInvoker;
  /** @default none: a template with a JWT authorizer is refused */
  readonly issuer?: TokenVerifier;
  /** @default none */
  readonly onHop?: (hop: HttpApiHop) => void;
  /** Receives the access log when the stage has `AccessLogSettings`. @default none: lines are dropped */
  readonly onAccessLog?: (record: AccessLogRecord) => void;
  /**
   * Checks that API Gateway may invoke each integration's function (its
   * resource policy, `AWS::Lambda::Permission`, with the route's source ARN).
   * @default no check
   */
  readonly iam?: IamGate;
}

/** A route as the emulator serves it, for start-up output. */
export interface RouteSummary {
  readonly routeKey: string;
  readonly authorizationType: 'NONE' | 'JWT';
  readonly functionName: string;
}

/** The event of payload format 2.0, exactly the fields API Gateway sends. */
export interface HttpApiEventV2 {
  readonly version: '2.0';
  readonly routeKey: string;
  readonly rawPath: string;
  readonly rawQueryString: string;
  readonly cookies?: string[];
  readonly headers: Record<string, string>;
  readonly queryStringParameters?: Record<string, string>;
  readonly requestContext: {
    readonly accountId: string;
    readonly apiId: string;
    readonly authorizer?: { readonly jwt: { readonly claims: Record<string, string>; readonly scopes: string[] | null } };
    readonly domainName: string;
    readonly domainPrefix: string;
    readonly http: { readonly method: string; readonly path: string; readonly protocol: string; readonly sourceIp: string; readonly userAgent: string };
    readonly requestId: string;
    readonly routeKey: string;
    readonly stage: string;
    readonly time: string;
    readonly timeEpoch: number;
  };
  readonly body?: string;
  readonly pathParameters?: Record<string, string>;
  readonly isBase64Encoded: boolean;
  readonly stageVariables?: Record<string, string>;
}

/** HTTP APIs refuse request bodies over 10 MB. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** The longest (and default) integration timeout of an HTTP API. */
const MAX_INTEGRATION_TIMEOUT_MS = 30_000;
/** The account-level throttle that applies when a stage sets none. */
const ACCOUNT_THROTTLE: Throttle = { rate: 10_000, burst: 5_000 };
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'];
/** Connection-level headers a proxy does not forward. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
/** Headers API Gateway sets itself on a response, whatever the function says. */
const GATEWAY_OWNED = new Set(['content-length', 'transfer-encoding', 'connection', 'apigw-requestid']);
/**
 * Request bodies of these types reach the function as text; every other
 * body (no content type and form posts included) is base64-encoded.
 */
const TEXT_TYPES = new Set(['application/json', 'application/xml', 'application/javascript']);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:/]+)(?::[^:/]+)?$/;
const APIGATEWAY_LAMBDA_URI = /^arn:[^:]+:apigateway:[^:]+:lambda:path\/2015-03-31\/functions\/(.+)\/invocations$/;

interface Throttle {
  readonly rate: number;
  readonly burst: number;
}

type Segment = { readonly kind: 'literal'; readonly value: string } | { readonly kind: 'param' | 'greedy'; readonly name: string };

interface IntegrationModel {
  readonly functionArn: string;
  readonly functionName: string;
  readonly timeoutMs: number;
}

interface AuthorizerModel {
  readonly source: { readonly from: 'header' | 'querystring'; readonly name: string };
  readonly expected: VerifyExpectations;
}

interface RouteModel {
  readonly routeKey: string;
  /** Absent for `$default`. */
  readonly method?: string;
  readonly segments: readonly Segment[];
  readonly integration: IntegrationModel;
  readonly authorizer?: AuthorizerModel;
  readonly scopes: readonly string[];
}

interface StageModel {
  readonly name: string;
  readonly variables?: Readonly<Record<string, string>>;
  readonly throttles: ReadonlyMap<string, Throttle>;
  readonly defaultThrottle: Throttle;
  readonly accessLog?: { readonly destinationArn: string; readonly render: (fields: LogFields) => string };
}

/** What an access-log line can say about a request. */
interface LogFields {
  readonly requestId: string;
  readonly started: number;
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly domainName: string;
  readonly routeKey: string;
  readonly status: number;
  readonly responseLatency: number;
  readonly responseLength: number;
  readonly errorMessage?: string;
  readonly responseType?: string;
  readonly integrationStatus?: number;
  readonly functionStatus?: number;
  readonly integrationLatency?: number;
  readonly integrationError?: string;
  readonly authorizerError?: string;
  readonly claims?: Readonly<Record<string, string>>;
}

/** The state of one request while it is served. */
interface Exchange {
  readonly requestId: string;
  readonly started: number;
  readonly method: string;
  readonly rawPath: string;
  readonly protocol: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly domainName: string;
  routeKey: string;
  functionName?: string;
  correlationId?: string;
  note?: string;
  errorMessage?: string;
  responseType?: string;
  integrationStatus?: number;
  functionStatus?: number;
  integrationLatency?: number;
  integrationError?: string;
  authorizerError?: string;
  claims?: Record<string, string>;
}

/** A gateway-generated answer: API Gateway's `{"message": ...}` bodies, with their response types for the access log. */
const GATEWAY_ERRORS = {
  notFound: { status: 404, message: 'Not Found', responseType: 'RESOURCE_NOT_FOUND' },
  unauthorized: { status: 401, message: 'Unauthorized', responseType: 'UNAUTHORIZED' },
  forbidden: { status: 403, message: 'Forbidden', responseType: 'ACCESS_DENIED' },
  tooLarge: { status: 413, message: 'Request Entity Too Large', responseType: 'REQUEST_TOO_LARGE' },
  throttled: { status: 429, message: 'Too Many Requests', responseType: 'THROTTLED' },
  integrationFailure: { status: 500, message: 'Internal Server Error', responseType: 'INTEGRATION_FAILURE' },
  integrationTimeout: { status: 503, message: 'Service Unavailable', responseType: 'INTEGRATION_TIMEOUT' },
} as const;
type GatewayError = (typeof GATEWAY_ERRORS)[keyof typeof GATEWAY_ERRORS];

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const fail = (resource: LocalResource, property: string, detail = 'not supported locally'): UnsupportedFeatureError =>
  new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);

const stringProperty = (resource: LocalResource, property: string): string | undefined => {
  const value = resource.properties[property];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fail(resource, property, `expected a string, got ${JSON.stringify(value)}`);
  return value;
};

const requiredString = (resource: LocalResource, property: string): string => {
  const value = stringProperty(resource, property);
  if (value === undefined) throw fail(resource, property, 'required');
  return value;
};

const stringArray = (resource: LocalResource, property: string, value: unknown): string[] => {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw fail(resource, property, 'expected a list of strings');
  return value;
};

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/**
 * Sets an own property of a header or query map, even one named `__proto__`
 * (plain assignment would set the prototype and drop the value, where API
 * Gateway passes it on), and never reads inherited ones (`constructor`).
 */
const setOwn = (record: Record<string, string>, name: string, value: string): void => {
  const joined = Object.hasOwn(record, name) ? `${record[name]},${value}` : value;
  Object.defineProperty(record, name, { value: joined, enumerable: true, writable: true, configurable: true });
};

const twoDigits = (n: number): string => String(n).padStart(2, '0');

/** Common Log Format time, as `requestContext.time` and `$context.requestTime` give it. */
const clfTime = (epochMs: number): string => {
  const d = new Date(epochMs);
  return `${twoDigits(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${twoDigits(d.getUTCHours())}:${twoDigits(d.getUTCMinutes())}:${twoDigits(d.getUTCSeconds())} +0000`;
};

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** An id shaped like API Gateway's (`Mc7UVioPPHcEKPA=`). */
const newRequestId = (): string => `${Array.from({ length: 15 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('')}=`;

const traceId = (epochMs: number): string => `Root=1-${Math.floor(epochMs / 1000).toString(16).padStart(8, '0')}-${randomBytes(12).toString('hex')}`;

/**
 * JWT claims the way the authorizer hands them to the integration: every
 * value a string. Numbers and booleans become their JSON text, arrays the
 * bracketed, space-separated form (`["admin","carrier"]` → `[admin carrier]`),
 * objects their JSON text; null claims are left out.
 */
export const flattenClaims = (claims: TokenClaims): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(claims)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'string') flat[name] = value;
    else if (Array.isArray(value)) flat[name] = `[${value.map((item: unknown) => (typeof item === 'string' ? item : JSON.stringify(item))).join(' ')}]`;
    else flat[name] = JSON.stringify(value);
  }
  return flat;
};

/** The scopes a token carries, from `scp` or `scope` (space-separated string or list). */
const scopesOf = (claims: TokenClaims): string[] => {
  for (const name of ['scp', 'scope']) {
    const value = claims[name];
    const scopes = Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : typeof value === 'string' ? value.split(/\s+/) : [];
    const present = scopes.filter(Boolean);
    if (present.length > 0) return present;
  }
  return [];
};

const isTextContentType = (contentType: string | undefined): boolean => {
  const type = (contentType ?? '').split(';', 1)[0].trim().toLowerCase();
  return type.startsWith('text/') || TEXT_TYPES.has(type);
};

const parseRouteKey = (resource: LocalResource, routeKey: string): { method?: string; segments: Segment[] } => {
  if (routeKey === '$default') return { segments: [] };
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  if (!match || !METHODS.includes(match[1])) throw fail(resource, 'RouteKey', `'${routeKey}' is neither '$default' nor '<METHOD> /path' with METHOD one of ${METHODS.join(', ')}`);
  const path = match[2];
  const parts = path === '/' ? [] : path.slice(1).split('/');
  const segments = parts.map((part, index): Segment => {
    const variable = /^\{([A-Za-z0-9._-]+)(\+?)\}$/.exec(part);
    if (variable) {
      if (variable[2] === '+' && index !== parts.length - 1) throw fail(resource, 'RouteKey', `the greedy variable in '${routeKey}' must be the last segment`);
      return variable[2] === '+' ? { kind: 'greedy', name: variable[1] } : { kind: 'param', name: variable[1] };
    }
    if (/[{}]/.test(part)) throw fail(resource, 'RouteKey', `'${part}' in '${routeKey}' mixes a path variable with text`);
    return { kind: 'literal', value: part };
  });
  return { method: match[1], segments };
};

/** The path parameters of a request path for a route, or undefined when the route does not match it. */
const matchSegments = (segments: readonly Segment[], requestSegments: readonly string[]): Record<string, string> | undefined => {
  const params: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === 'greedy') {
      const rest = requestSegments.slice(index);
      if (rest.length === 0 || rest.every((part) => part === '')) return undefined;
      params[segment.name] = rest.map(decode).join('/');
      return params;
    }
    const part = requestSegments[index];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (decode(part) !== segment.value) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.name] = decode(part);
    }
  }
  return segments.length === requestSegments.length ? params : undefined;
};

const KIND_RANK = { literal: 2, param: 1, greedy: 0 } as const;

/**
 * Orders two matching routes, best last: a full match beats a greedy
 * `{proxy+}` one; then, segment by segment from the left, text beats a
 * variable; then a route for the method beats `ANY`.
 */
const compareSpecificity = (a: RouteModel, b: RouteModel): number => {
  const greedy = (r: RouteModel) => r.segments.some((s) => s.kind === 'greedy');
  if (greedy(a) !== greedy(b)) return greedy(a) ? -1 : 1;
  for (let i = 0; i < Math.max(a.segments.length, b.segments.length); i += 1) {
    const ka = a.segments[i] ? KIND_RANK[a.segments[i].kind] : -1;
    const kb = b.segments[i] ? KIND_RANK[b.segments[i].kind] : -1;
    if (ka !== kb) return ka - kb;
  }
  return (a.method === 'ANY' ? 0 : 1) - (b.method === 'ANY' ? 0 : 1);
};

/** A token bucket: `burst` tokens, refilled at `rate` per second. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();

  public constructor(private readonly throttle: Throttle) {
    this.tokens = throttle.burst;
  }

  public take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.throttle.burst, this.tokens + ((now - this.last) / 1000) * this.throttle.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** `$context` variables of HTTP API access logs that the emulator fills in. */
const CONTEXT_VARIABLES: Readonly<Record<string, (f: LogFields) => string | number | undefined>> = {
  accountId: () => LOCAL_ACCOUNT,
  'authorizer.error': (f) => f.authorizerError,
  domainName: (f) => f.domainName,
  domainPrefix: (f) => f.domainName.split('.')[0],
  'error.message': (f) => f.errorMessage,
  'error.responseType': (f) => f.responseType,
  extendedRequestId: (f) => f.requestId,
  httpMethod: (f) => f.method,
  'identity.sourceIp': (f) => f.sourceIp,
  'identity.userAgent': (f) => f.userAgent,
  'integration.error': (f) => f.integrationError,
  'integration.integrationStatus': (f) => f.integrationStatus,
  'integration.latency': (f) => f.integrationLatency,
  'integration.status': (f) => f.functionStatus,
  integrationErrorMessage: (f) => f.integrationError,
  integrationLatency: (f) => f.integrationLatency,
  integrationStatus: (f) => f.integrationStatus,
  path: (f) => f.path,
  protocol: (f) => f.protocol,
  requestId: (f) => f.requestId,
  requestTime: (f) => clfTime(f.started),
  requestTimeEpoch: (f) => f.started,
  responseLatency: (f) => f.responseLatency,
  responseLength: (f) => f.responseLength,
  routeKey: (f) => f.routeKey,
  status: (f) => f.status,
};

/** Compiles an access-log format; a variable the emulator cannot fill stops start-up rather than logging `-` forever. */
const compileLogFormat = (resource: LocalResource, format: string, apiId: string, stage: string): ((fields: LogFields) => string) => {
  const pieces: Array<string | ((f: LogFields) => string)> = [];
  const variable = /\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_:-]+)*)/g;
  let last = 0;
  for (let match = variable.exec(format); match; match = variable.exec(format)) {
    pieces.push(format.slice(last, match.index));
    last = match.index + match[0].length;
    const name = match[1];
    const escape = (value: string | number | undefined) => (value === undefined || value === '' ? '-' : JSON.stringify(String(value)).slice(1, -1));
    if (name.startsWith('authorizer.claims.')) {
      const claim = name.slice('authorizer.claims.'.length);
      pieces.push((f) => escape(f.claims?.[claim]));
    } else if (name === 'apiId') pieces.push(() => apiId);
    else if (name === 'stage') pieces.push(() => stage);
    else if (name === 'error.messageString') pieces.push((f) => (f.errorMessage === undefined ? '-' : JSON.stringify(f.errorMessage)));
    else {
      const resolve = CONTEXT_VARIABLES[name];
      if (!resolve) throw fail(resource, 'AccessLogSettings.Format', `$context.${name} is not emulated`);
      pieces.push((f) => escape(resolve(f)));
    }
  }
  pieces.push(format.slice(last));
  return (fields) => pieces.map((piece) => (typeof piece === 'string' ? piece : piece(fields))).join('');
};

type Reply = {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
  readonly note?: string;
  /** API Gateway's own answer to a CORS preflight: its headers are final. */
  readonly preflight?: boolean;
};

/**
 * Maps a function's result to the HTTP response, as payload format 2.0
 * does: an object with a `statusCode` is a structured response (`headers`,
 * `cookies` as `set-cookie` lines, `body`, `isBase64Encoded`); any other JSON
 * value is the body of a 200 `application/json` response.
 */
const replyFromPayload = (payload: unknown): Reply | { readonly malformed: string } => {
  if (!isRecord(payload) || !('statusCode' in payload)) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(body, 'utf8') };
  }
  const { statusCode, headers, cookies, body, isBase64Encoded } = payload;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { malformed: `statusCode ${JSON.stringify(statusCode)} is not an HTTP status code` };
  }
  const out: OutgoingHttpHeaders = {};
  if (headers !== undefined && headers !== null) {
    if (!isRecord(headers)) return { malformed: 'headers must be an object' };
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return { malformed: `header ${name} must be a string` };
      if (!GATEWAY_OWNED.has(name.toLowerCase())) out[name.toLowerCase()] = String(value);
    }
  }
  if (cookies !== undefined && cookies !== null) {
    if (!Array.isArray(cookies) || !cookies.every((c): c is string => typeof c === 'string')) return { malformed: 'cookies must be a list of strings' };
    const fromHeaders = out['set-cookie'];
    if (cookies.length > 0) out['set-cookie'] = [...cookies, ...(typeof fromHeaders === 'string' ? [fromHeaders] : [])];
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return { malformed: 'body must be a string' };
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') return { malformed: 'isBase64Encoded must be a boolean' };
  const note = 'multiValueHeaders' in payload ? 'multiValueHeaders ignored: payload format 2.0 does not read it (use headers, or cookies for set-cookie)' : undefined;
  return { status: statusCode, headers: out, body: Buffer.from(body ?? '', isBase64Encoded === true ? 'base64' : 'utf8'), note };
};

/**
 * An API Gateway HTTP API, locally: the routes, Lambda proxy integrations
 * (payload format 2.0), JWT authorizers, CORS (`CorsConfiguration`, see
 * ./cors.ts), and the `$default` stage (throttling, access logs, stage
 * variables) of a synthesized template, served by
 * `node:http` on 127.0.0.1. Requests get the answers API Gateway gives: its
 * route selection, its `{"message": ...}` errors (404, 401 with
 * `www-authenticate`, 403, 413, 429, 500, 503) and its event and response
 * mapping, so a handler that works here works behind the real API.
 */
export class HttpApiEmulator {
  /** The API's id (its `Ref`), as `requestContext.apiId` gives it. */
  public readonly apiId: string;
  private readonly routesByKey: ReadonlyMap<string, RouteModel>;
  private readonly defaultRoute?: RouteModel;
  private readonly stage?: StageModel;
  private readonly buckets = new Map<string, TokenBucket>();
  private server?: Server;
  private address?: string;
  private closing = false;
  private inFlight = 0;
  private idle?: () => void;

  private constructor(
    apiId: string,
    routes: readonly RouteModel[],
    stage: StageModel | undefined,
    private readonly cors: CorsModel | undefined,
    private readonly deps: HttpApiDependencies,
  ) {
    this.apiId = apiId;
    this.routesByKey = new Map(routes.map((r) => [r.routeKey, r]));
    this.defaultRoute = this.routesByKey.get('$default');
    this.stage = stage;
  }

  /**
   * Builds the API from its resolved resources (one `AWS::ApiGatewayV2::Api`
   * with its routes, integrations, authorizers and stage; Lambda permissions
   * are accepted and not enforced). Any property or value it does not
   * emulate throws an {@link UnsupportedFeatureError} naming it.
   */
  public static create(resources: readonly LocalResource[], deps: HttpApiDependencies): HttpApiEmulator {
    const byType = (type: (typeof HTTP_API_RESOURCE_TYPES)[number]) => resources.filter((r) => r.type === type);
    for (const resource of resources) {
      if (!(HTTP_API_RESOURCE_TYPES as readonly string[]).includes(resource.type)) throw fail(resource, 'Type', 'not an HTTP API resource');
    }
    const apis = byType('AWS::ApiGatewayV2::Api');
    const [api] = apis;
    if (!api) throw new Error('No AWS::ApiGatewayV2::Api among the resources.');
    if (apis.length > 1) throw fail(apis[1], 'Type', `a second API (the emulator serves one, ${api.logicalId})`);
    checkApi(api);
    const cors = corsOf(api);
    const belongs = (resource: LocalResource) => {
      if (requiredString(resource, 'ApiId') !== api.ref) throw fail(resource, 'ApiId', `names an API other than ${api.logicalId}`);
    };

    for (const permission of byType('AWS::Lambda::Permission')) {
      assertKnownProperties(permission, ['Action', 'FunctionName', 'Principal', 'SourceArn', 'SourceAccount'], (p) => fail(permission, p));
    }
    const integrations = new Map<string, IntegrationModel>();
    for (const resource of byType('AWS::ApiGatewayV2::Integration')) {
      belongs(resource);
      integrations.set(resource.ref, integrationOf(resource, deps.invoker));
    }
    const authorizers = new Map<string, AuthorizerModel>();
    for (const resource of byType('AWS::ApiGatewayV2::Authorizer')) {
      belongs(resource);
      authorizers.set(resource.ref, authorizerOf(resource, deps.issuer));
    }
    const routes: RouteModel[] = [];
    for (const resource of byType('AWS::ApiGatewayV2::Route')) {
      belongs(resource);
      const route = routeOf(resource, integrations, authorizers);
      if (routes.some((r) => r.routeKey === route.routeKey)) throw fail(resource, 'RouteKey', `a second route for '${route.routeKey}'`);
      routes.push(route);
    }
    const stages = byType('AWS::ApiGatewayV2::Stage');
    if (stages.length > 1) throw fail(stages[1], 'StageName', 'a second stage (the emulator serves the $default stage only)');
    const stage = stages[0] ? stageOf(stages[0], api.ref, routes, belongs) : undefined;
    return new HttpApiEmulator(api.ref, routes, stage, cors, deps);
  }

  /** The routes served, for start-up output. */
  public routes(): RouteSummary[] {
    return [...this.routesByKey.values()].map((r) => ({
      routeKey: r.routeKey,
      authorizationType: r.authorizer ? 'JWT' : 'NONE',
      functionName: r.integration.functionName,
    }));
  }

  /** The base URL once listening. */
  public get url(): string | undefined {
    return this.address;
  }

  /** Serves the API on 127.0.0.1 (`port` 0: a free port) and returns its base URL. */
  public async listen(port = 0): Promise<string> {
    if (this.server) throw new Error('The HTTP API emulator is already listening.');
    const server = createServer((request, response) => void this.handle(request, response));
    const address = await listenOnLoopback(server, port);
    this.server = server;
    this.closing = false;
    this.address = address;
    return address;
  }

  /**
   * Stops accepting connections, lets requests in flight finish for up to
   * `graceMs` (their responses close their connections), then closes every
   * connection that is left.
   */
  public async close(graceMs = 5000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.idle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      this.idle = undefined;
    }
    server.closeAllConnections();
    await closed;
    this.server = undefined;
    this.address = undefined;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    this.inFlight += 1;
    const started = Date.now();
    const host = request.headers.host;
    const exchange: Exchange = {
      requestId: newRequestId(),
      started,
      method: request.method ?? 'GET',
      rawPath: (request.url ?? '/').split('?', 1)[0],
      protocol: `HTTP/${request.httpVersion}`,
      sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      userAgent: request.headers['user-agent'] ?? '',
      domainName: host ? host.replace(/:\d+$/, '') : `${this.apiId}.execute-api.${LOCAL_REGION}.amazonaws.com`,
      routeKey: '-',
    };
    const cors = this.cors;
    const withCors = (reply: Reply): Reply => (cors && !reply.preflight ? { ...reply, headers: withCorsHeaders(cors, request.headers, reply.headers) } : reply);
    try {
      const reply = await this.serve(request, exchange);
      this.send(response, exchange, withCors(reply));
    } catch (error) {
      exchange.note = `emulator error: ${error instanceof Error ? error.message : String(error)}`;
      this.send(response, exchange, withCors(this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure)));
    } finally {
      this.inFlight -= 1;
      if (this.inFlight === 0) this.idle?.();
    }
  }

  private async serve(request: IncomingMessage, exchange: Exchange): Promise<Reply> {
    const body = await readBody(request);
    if (body === 'too-large') return this.gatewayReply(exchange, GATEWAY_ERRORS.tooLarge);
    if (this.cors && isPreflight(exchange.method, request.headers)) {
      // API Gateway answers a preflight itself, before route selection and authorizers.
      const preflight = preflightHeaders(this.cors, request.headers);
      exchange.note = preflight.refused ? `CORS preflight refused: ${preflight.refused}` : 'CORS preflight';
      return { status: 204, headers: preflight.headers, body: Buffer.alloc(0), preflight: true };
    }
    const url = request.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawQueryString = queryAt < 0 ? '' : url.slice(queryAt + 1);
    const route = this.stage ? this.select(exchange.method, exchange.rawPath) : undefined;
    if (!this.stage || !route) return this.gatewayReply(exchange, GATEWAY_ERRORS.notFound);
    exchange.routeKey = route.route.routeKey;
    if (!this.take(this.stage, route.route.routeKey)) return this.gatewayReply(exchange, GATEWAY_ERRORS.throttled);

    let authorizer: HttpApiEventV2['requestContext']['authorizer'];
    if (route.route.authorizer) {
      const outcome = this.authorize(request, rawQueryString, route.route, exchange);
      if ('reply' in outcome) return outcome.reply;
      authorizer = outcome.authorizer;
    }

    exchange.functionName = route.route.integration.functionName;
    const event = this.eventFor(request, exchange, route.route, route.pathParameters, rawQueryString, body, authorizer);
    const denied = await this.permissionDenied(route.route, exchange);
    if (denied) return denied;
    return this.integrate(route.route.integration, event, exchange);
  }

  /**
   * API Gateway invokes the function as `apigateway.amazonaws.com` with the
   * route's execute-api ARN as source (`<api>/<stage>/<METHOD>/<route path>`,
   * the path as the route declares it, `{id}` and all): without a permission
   * allowing that, the caller gets 500 and the access log the integration error
   * below. https://repost.aws/knowledge-center/api-gateway-http-lambda-integrations
   */
  private async permissionDenied(route: RouteModel, exchange: Exchange): Promise<Reply | undefined> {
    const iam = this.deps.iam;
    if (!iam) return undefined;
    const [method, path = ''] = route.routeKey === '$default' ? ['$default', ''] : route.routeKey.split(' ');
    const sourceArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${this.apiId}/${this.stage?.name ?? '$default'}/${method ?? ''}${path}`;
    const denial = await iam.check({
      principal: iam.service('apigateway.amazonaws.com'),
      action: 'lambda:InvokeFunction',
      resource: route.integration.functionArn,
      context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': LOCAL_ACCOUNT },
      hop: `API ${route.routeKey} → ${route.integration.functionName}`,
    });
    if (!denial) return undefined;
    exchange.integrationError = "The IAM role configured on the integration or API Gateway doesn't have permissions to call the integration. Check the permissions and try again.";
    exchange.note = `AccessDenied: ${denial.message}`;
    return this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure);
  }

  private select(method: string, rawPath: string): { route: RouteModel; pathParameters: Record<string, string> } | undefined {
    const requestSegments = rawPath === '/' || rawPath === '' ? [] : rawPath.slice(1).split('/');
    let best: { route: RouteModel; pathParameters: Record<string, string> } | undefined;
    for (const route of this.routesByKey.values()) {
      if (route.method === undefined || (route.method !== 'ANY' && route.method !== method)) continue;
      const pathParameters = matchSegments(route.segments, requestSegments);
      if (pathParameters && (!best || compareSpecificity(route, best.route) > 0)) best = { route, pathParameters };
    }
    if (best) return best;
    return this.defaultRoute ? { route: this.defaultRoute, pathParameters: {} } : undefined;
  }

  private take(stage: StageModel, routeKey: string): boolean {
    let bucket = this.buckets.get(routeKey);
    if (!bucket) {
      bucket = new TokenBucket(stage.throttles.get(routeKey) ?? stage.defaultThrottle);
      this.buckets.set(routeKey, bucket);
    }
    return bucket.take();
  }

  private authorize(
    request: IncomingMessage,
    rawQueryString: string,
    route: RouteModel,
    exchange: Exchange,
  ): { reply: Reply } | { authorizer: NonNullable<HttpApiEventV2['requestContext']['authorizer']> } {
    const authorizer = route.authorizer;
    const verifier = this.deps.issuer;
    if (!authorizer || !verifier) throw new Error(`route ${route.routeKey} has no authorizer to check tokens with`);
    const { from, name } = authorizer.source;
    const raw = from === 'header' ? headerValue(request, name) : new URLSearchParams(rawQueryString).get(name) ?? undefined;
    const token = raw?.replace(/^bearer\s+/i, '').trim();
    const scopeList = route.scopes.join(' ');
    if (!token) {
      exchange.authorizerError = 'no token in the identity source';
      return { reply: this.gatewayReply(exchange, GATEWAY_ERRORS.unauthorized, { 'www-authenticate': 'Bearer' }) };
    }
    const verified = verifier.verify(token, authorizer.expected);
    if (!verified.ok) {
      exchange.authorizerError = verified.reason;
      const challenge = `Bearer scope="${scopeList}" error="invalid_token" error_description="${verified.reason.replace(/"/g, "'")}"`;
      return { reply: this.gatewayReply(exchange, GATEWAY_ERRORS.unauthorized, { 'www-authenticate': challenge }) };
    }
    const claims = flattenClaims(verified.claims);
    exchange.claims = claims;
    let scopes: string[] | null = null;
    if (route.scopes.length > 0) {
      scopes = scopesOf(verified.claims);
      if (!scopes.some((scope) => route.scopes.includes(scope))) {
        exchange.authorizerError = `the token has none of the scopes ${scopeList}`;
        const challenge = `Bearer scope="${scopeList}" error="insufficient_scope" error_description="the token does not have the required scopes"`;
        return { reply: this.gatewayReply(exchange, GATEWAY_ERRORS.forbidden, { 'www-authenticate': challenge }) };
      }
    }
    return { authorizer: { jwt: { claims, scopes } } };
  }

  private eventFor(
    request: IncomingMessage,
    exchange: Exchange,
    route: RouteModel,
    pathParameters: Record<string, string>,
    rawQueryString: string,
    body: Buffer,
    authorizer: HttpApiEventV2['requestContext']['authorizer'],
  ): HttpApiEventV2 {
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
      const name = request.rawHeaders[i].toLowerCase();
      const value = request.rawHeaders[i + 1];
      if (name === 'cookie') cookies.push(...value.split(';').map((c) => c.trim()).filter(Boolean));
      else if (!HOP_BY_HOP.has(name)) setOwn(headers, name, value);
    }
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${exchange.sourceIp}` : exchange.sourceIp;
    headers['x-forwarded-port'] = String(request.socket.localPort ?? '');
    headers['x-forwarded-proto'] = 'http';
    headers['x-amzn-trace-id'] ??= traceId(exchange.started);

    const query: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(rawQueryString)) setOwn(query, name, value);
    const text = isTextContentType(headers['content-type']);
    const stageVariables = this.stage?.variables;
    return {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: exchange.rawPath,
      rawQueryString,
      ...(cookies.length > 0 ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: this.apiId,
        ...(authorizer ? { authorizer } : {}),
        domainName: exchange.domainName,
        domainPrefix: exchange.domainName.split('.')[0],
        http: { method: exchange.method, path: exchange.rawPath, protocol: exchange.protocol, sourceIp: exchange.sourceIp, userAgent: exchange.userAgent },
        requestId: exchange.requestId,
        routeKey: route.routeKey,
        stage: this.stage?.name ?? '$default',
        time: clfTime(exchange.started),
        timeEpoch: exchange.started,
      },
      ...(body.length > 0 ? { body: body.toString(text ? 'utf8' : 'base64') } : {}),
      ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
      isBase64Encoded: body.length > 0 && !text,
      ...(stageVariables && Object.keys(stageVariables).length > 0 ? { stageVariables: { ...stageVariables } } : {}),
    };
  }

  private async integrate(integration: IntegrationModel, event: HttpApiEventV2, exchange: Exchange): Promise<Reply> {
    type Outcome = { kind: 'result'; result: InvokeResult } | { kind: 'failed'; error: unknown } | { kind: 'timeout' };
    const invoked = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race<Outcome>([
      this.deps.invoker.invoke(integration.functionArn, event).then(
        (result): Outcome => ({ kind: 'result', result }),
        (error: unknown): Outcome => ({ kind: 'failed', error }),
      ),
      new Promise<Outcome>((resolve) => {
        timer = setTimeout(() => resolve({ kind: 'timeout' }), integration.timeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    exchange.integrationLatency = Date.now() - invoked;

    if (outcome.kind === 'timeout') {
      exchange.integrationError = `the integration did not answer within ${integration.timeoutMs} ms`;
      exchange.note = exchange.integrationError;
      return this.gatewayReply(exchange, GATEWAY_ERRORS.integrationTimeout);
    }
    if (outcome.kind === 'failed') {
      const { error } = outcome;
      if (error instanceof LambdaThrottledError || error instanceof PayloadTooLargeError) {
        // Lambda refused the invocation (throttled, or an event over 6 MB): API Gateway answers 500, it does not pass the 429/413 on.
        // https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway-errors.html
        exchange.integrationStatus = error.statusCode;
        exchange.integrationError = `Lambda refused the invocation: ${error.name}: ${error.message}${error instanceof LambdaThrottledError ? ` (${error.reason})` : ''}`;
      } else {
        exchange.integrationError = `Lambda invoke failed: ${error instanceof Error ? error.message : String(error)}`;
      }
      exchange.note = exchange.integrationError;
      return this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure);
    }
    exchange.integrationStatus = 200;
    const { result } = outcome;
    if (!result.ok) {
      exchange.integrationError = `${result.error.errorType}: ${result.error.errorMessage}`;
      exchange.note = `function error ${exchange.integrationError}`;
      return this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure);
    }
    const reply = replyFromPayload(result.payload);
    if ('malformed' in reply) {
      exchange.integrationError = `malformed Lambda proxy response: ${reply.malformed}`;
      exchange.note = exchange.integrationError;
      return this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure);
    }
    exchange.functionStatus = reply.status;
    const correlationId = reply.headers['x-correlation-id'];
    if (typeof correlationId === 'string') exchange.correlationId = correlationId;
    if (reply.note) exchange.note = reply.note;
    return reply;
  }

  private gatewayReply(exchange: Exchange, error: GatewayError, headers: OutgoingHttpHeaders = {}): Reply {
    exchange.errorMessage = error.message;
    exchange.responseType = error.responseType;
    return { status: error.status, headers, body: Buffer.from(JSON.stringify({ message: error.message })) };
  }

  private send(response: ServerResponse, exchange: Exchange, reply: Reply): void {
    let sent = reply;
    const write = (r: Reply) => {
      const bodiless = r.status < 200 || r.status === 204 || r.status === 304;
      const headers: OutgoingHttpHeaders = { ...r.headers, ...(bodiless ? {} : { 'content-length': r.body.length }), 'apigw-requestid': exchange.requestId };
      if (this.closing) headers.connection = 'close';
      response.writeHead(r.status, headers);
      response.end(bodiless ? undefined : r.body);
    };
    if (!response.destroyed && !response.headersSent) {
      try {
        write(reply);
      } catch (error) {
        exchange.note = `the function's response headers are not valid HTTP: ${error instanceof Error ? error.message : String(error)}`;
        exchange.integrationError = exchange.note;
        sent = this.gatewayReply(exchange, GATEWAY_ERRORS.integrationFailure);
        write(sent);
      }
    }
    const latencyMs = Date.now() - exchange.started;
    this.notify(() => this.deps.onHop?.({
      requestId: exchange.requestId,
      method: exchange.method,
      path: exchange.rawPath,
      routeKey: exchange.routeKey,
      status: sent.status,
      latencyMs,
      ...(exchange.functionName ? { functionName: exchange.functionName } : {}),
      ...(exchange.correlationId ? { correlationId: exchange.correlationId } : {}),
      ...(exchange.note ? { note: exchange.note } : {}),
    }));
    const accessLog = this.stage?.accessLog;
    const onAccessLog = this.deps.onAccessLog;
    if (accessLog && onAccessLog) {
      const line = accessLog.render({ ...exchange, path: exchange.rawPath, status: sent.status, responseLatency: latencyMs, responseLength: sent.body.length });
      this.notify(() => onAccessLog({ destinationArn: accessLog.destinationArn, line }));
    }
  }

  /** Calls a listener; one that throws is reported, and the request it was told about is still answered. */
  private notify(listener: () => void): void {
    try {
      listener();
    } catch (error) {
      process.emitWarning(`An HTTP API listener threw: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

const headerValue = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
};

/** The body, or `too-large` past API Gateway's 10 MB (the rest is read and dropped so the client gets the 413). */
const readBody = (request: IncomingMessage): Promise<Buffer | 'too-large'> =>
  new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = declared > MAX_REQUEST_BYTES;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
    request.on('close', () => {
      if (!request.complete) reject(new Error('the client went away before sending the whole request'));
    });
  });

const API_KNOWN = ['Name', 'Description', 'ProtocolType', 'Tags', 'Version', 'DisableExecuteApiEndpoint', 'IpAddressType', 'CorsConfiguration'];

const checkApi = (api: LocalResource): void => {
  assertKnownProperties(api, API_KNOWN, (p) =>
    ['Body', 'BodyS3Location', 'BasePath', 'FailOnWarnings'].includes(p)
      ? fail(api, p, 'importing an OpenAPI definition is not emulated; declare routes as AWS::ApiGatewayV2::Route')
      : ['Target', 'RouteKey', 'CredentialsArn'].includes(p)
        ? fail(api, p, 'quick-create APIs are not emulated; declare the route and integration')
        : fail(api, p),
  );
  if (api.properties.ProtocolType !== 'HTTP') throw fail(api, 'ProtocolType', `${JSON.stringify(api.properties.ProtocolType)}: only HTTP APIs are emulated`);
  if (api.properties.DisableExecuteApiEndpoint === true) throw fail(api, 'DisableExecuteApiEndpoint', 'the API would only be reachable through a custom domain, which is not emulated');
};

const INTEGRATION_KNOWN = ['ApiId', 'IntegrationType', 'IntegrationUri', 'PayloadFormatVersion', 'IntegrationMethod', 'TimeoutInMillis', 'Description', 'ConnectionType'];

const integrationOf = (resource: LocalResource, invoker: FunctionInvoker): IntegrationModel => {
  assertKnownProperties(resource, INTEGRATION_KNOWN, (p) => fail(resource, p));
  const type = requiredString(resource, 'IntegrationType');
  if (type !== 'AWS_PROXY') throw fail(resource, 'IntegrationType', `${type}: only Lambda proxy (AWS_PROXY) integrations are emulated`);
  const version = requiredString(resource, 'PayloadFormatVersion');
  if (version !== '2.0') throw fail(resource, 'PayloadFormatVersion', `${version}: only payload format 2.0 is emulated`);
  const method = stringProperty(resource, 'IntegrationMethod');
  if (method !== undefined && method !== 'POST') throw fail(resource, 'IntegrationMethod', `${method}: Lambda is invoked with POST`);
  const connection = stringProperty(resource, 'ConnectionType');
  if (connection !== undefined && connection !== 'INTERNET') throw fail(resource, 'ConnectionType', `${connection}: VPC links are not emulated`);
  const timeout = resource.properties.TimeoutInMillis ?? MAX_INTEGRATION_TIMEOUT_MS;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 50 || timeout > MAX_INTEGRATION_TIMEOUT_MS) {
    throw fail(resource, 'TimeoutInMillis', `${JSON.stringify(timeout)}: must be 50 to 30000 for an HTTP API`);
  }
  const uri = requiredString(resource, 'IntegrationUri');
  const functionArn = APIGATEWAY_LAMBDA_URI.exec(uri)?.[1] ?? uri;
  const name = LAMBDA_ARN.exec(functionArn)?.[1];
  if (!name) throw fail(resource, 'IntegrationUri', `${uri} is not a Lambda function ARN`);
  if (invoker.resolve && invoker.resolve(functionArn) === undefined) throw fail(resource, 'IntegrationUri', `no local function is ${functionArn}`);
  return { functionArn, functionName: name, timeoutMs: timeout };
};

const authorizerOf = (resource: LocalResource, issuer: TokenVerifier | undefined): AuthorizerModel => {
  assertKnownProperties(resource, ['ApiId', 'AuthorizerType', 'IdentitySource', 'JwtConfiguration', 'Name'], (p) =>
    fail(resource, p, p.startsWith('Authorizer') || p === 'EnableSimpleResponses' || p === 'IdentityValidationExpression' ? 'Lambda (REQUEST) authorizers are not emulated' : undefined),
  );
  const type = requiredString(resource, 'AuthorizerType');
  if (type !== 'JWT') throw fail(resource, 'AuthorizerType', `${type}: only JWT authorizers are emulated`);
  const sources = stringArray(resource, 'IdentitySource', resource.properties.IdentitySource);
  const source = sources.length === 1 ? /^\$request\.(header|querystring)\.([A-Za-z0-9_.-]+)$/.exec(sources[0]) : null;
  if (!source) throw fail(resource, 'IdentitySource', `${JSON.stringify(sources)}: a JWT authorizer takes one $request.header.<name> or $request.querystring.<name>`);
  const config = resource.properties.JwtConfiguration;
  if (!isRecord(config)) throw fail(resource, 'JwtConfiguration', 'required for a JWT authorizer');
  for (const key of Object.keys(config)) if (key !== 'Issuer' && key !== 'Audience') throw fail(resource, `JwtConfiguration.${key}`);
  if (typeof config.Issuer !== 'string') throw fail(resource, 'JwtConfiguration.Issuer', 'required');
  const audience = stringArray(resource, 'JwtConfiguration.Audience', config.Audience ?? []);
  if (audience.length === 0) throw fail(resource, 'JwtConfiguration.Audience', 'at least one audience is required');
  if (!issuer) throw fail(resource, 'JwtConfiguration.Issuer', `${config.Issuer}: the local cloud has no token issuer to check it with`);
  if (config.Issuer !== issuer.issuer) {
    throw fail(resource, 'JwtConfiguration.Issuer', `${config.Issuer} is not the local user pool (${issuer.issuer}); tokens of other identity providers cannot be checked offline`);
  }
  return { source: { from: source[1] === 'header' ? 'header' : 'querystring', name: source[2] }, expected: { issuer: config.Issuer, audience } };
};

const ROUTE_KNOWN = ['ApiId', 'RouteKey', 'Target', 'AuthorizationType', 'AuthorizerId', 'AuthorizationScopes', 'OperationName', 'ApiKeyRequired'];

const routeOf = (resource: LocalResource, integrations: ReadonlyMap<string, IntegrationModel>, authorizers: ReadonlyMap<string, AuthorizerModel>): RouteModel => {
  assertKnownProperties(resource, ROUTE_KNOWN, (p) => fail(resource, p));
  const routeKey = requiredString(resource, 'RouteKey');
  const { method, segments } = parseRouteKey(resource, routeKey);
  if (resource.properties.ApiKeyRequired === true) throw fail(resource, 'ApiKeyRequired', 'API keys are a WebSocket API feature');
  const target = stringProperty(resource, 'Target');
  if (target === undefined) throw fail(resource, 'Target', 'a route without an integration is not emulated');
  const integrationId = /^integrations\/(.+)$/.exec(target)?.[1];
  const integration = integrationId === undefined ? undefined : integrations.get(integrationId);
  if (!integration) throw fail(resource, 'Target', `${target} is not integrations/<id of an AWS::ApiGatewayV2::Integration of this API>`);
  const authorizationType = stringProperty(resource, 'AuthorizationType') ?? 'NONE';
  const scopes = resource.properties.AuthorizationScopes === undefined ? [] : stringArray(resource, 'AuthorizationScopes', resource.properties.AuthorizationScopes);
  if (authorizationType === 'NONE') {
    if (resource.properties.AuthorizerId !== undefined) throw fail(resource, 'AuthorizerId', 'set on a route whose AuthorizationType is NONE');
    if (scopes.length > 0) throw fail(resource, 'AuthorizationScopes', 'scopes need a JWT authorizer');
    return { routeKey, method, segments, integration, scopes };
  }
  if (authorizationType !== 'JWT') throw fail(resource, 'AuthorizationType', `${authorizationType}: only NONE and JWT are emulated`);
  const authorizerId = requiredString(resource, 'AuthorizerId');
  const authorizer = authorizers.get(authorizerId);
  if (!authorizer) throw fail(resource, 'AuthorizerId', `${authorizerId} is not an AWS::ApiGatewayV2::Authorizer of this API`);
  return { routeKey, method, segments, integration, authorizer, scopes };
};

const ROUTE_SETTINGS_KNOWN = ['ThrottlingBurstLimit', 'ThrottlingRateLimit', 'DetailedMetricsEnabled'];

/** A stage's throttle for routes: each limit it leaves out is the account's. */
const throttleOf = (resource: LocalResource, property: string, settings: unknown, fallback: Throttle): Throttle => {
  if (!isRecord(settings)) throw fail(resource, property, 'expected route settings');
  for (const key of Object.keys(settings)) {
    if (!ROUTE_SETTINGS_KNOWN.includes(key)) {
      throw fail(resource, `${property}.${key}`, key === 'DataTraceEnabled' || key === 'LoggingLevel' ? 'a WebSocket API setting' : 'not supported locally');
    }
  }
  if (settings.DetailedMetricsEnabled === true) throw fail(resource, `${property}.DetailedMetricsEnabled`, 'CloudWatch metrics are not emulated');
  const limit = (key: 'ThrottlingBurstLimit' | 'ThrottlingRateLimit', otherwise: number): number => {
    const value = settings[key];
    if (value === undefined) return otherwise;
    if (typeof value !== 'number' || value < 0) throw fail(resource, `${property}.${key}`, 'expected a number ≥ 0');
    return value;
  };
  return { burst: limit('ThrottlingBurstLimit', fallback.burst), rate: limit('ThrottlingRateLimit', fallback.rate) };
};

const STAGE_KNOWN = ['ApiId', 'StageName', 'AutoDeploy', 'DefaultRouteSettings', 'RouteSettings', 'AccessLogSettings', 'StageVariables', 'Description', 'Tags'];

const stageOf = (resource: LocalResource, apiId: string, routes: readonly RouteModel[], belongs: (r: LocalResource) => void): StageModel => {
  assertKnownProperties(resource, STAGE_KNOWN, (p) =>
    p === 'DeploymentId' ? fail(resource, p, 'explicit deployments are not emulated; use AutoDeploy') : fail(resource, p),
  );
  belongs(resource);
  const name = requiredString(resource, 'StageName');
  if (name !== '$default') throw fail(resource, 'StageName', `${name}: only the $default stage is emulated (a named stage prefixes every path with /${name})`);
  if (resource.properties.AutoDeploy !== true) throw fail(resource, 'AutoDeploy', 'without AutoDeploy the stage serves a deployment, and deployments are not emulated');
  const defaults = resource.properties.DefaultRouteSettings;
  const defaultThrottle = defaults === undefined ? ACCOUNT_THROTTLE : throttleOf(resource, 'DefaultRouteSettings', defaults, ACCOUNT_THROTTLE);
  const throttles = new Map<string, Throttle>();
  const routeSettings = resource.properties.RouteSettings;
  if (routeSettings !== undefined) {
    if (!isRecord(routeSettings)) throw fail(resource, 'RouteSettings', 'expected an object of route key → settings');
    for (const [routeKey, settings] of Object.entries(routeSettings)) {
      if (!routes.some((r) => r.routeKey === routeKey)) throw fail(resource, `RouteSettings.${routeKey}`, 'names no route of this API');
      throttles.set(routeKey, throttleOf(resource, `RouteSettings.${routeKey}`, settings, defaultThrottle));
    }
  }
  let variables: Record<string, string> | undefined;
  const stageVariables = resource.properties.StageVariables;
  if (stageVariables !== undefined) {
    if (!isRecord(stageVariables) || !Object.values(stageVariables).every((v) => typeof v === 'string')) throw fail(resource, 'StageVariables', 'expected an object of strings');
    variables = stageVariables as Record<string, string>;
  }
  let accessLog: StageModel['accessLog'];
  const logSettings = resource.properties.AccessLogSettings;
  if (logSettings !== undefined) {
    if (!isRecord(logSettings)) throw fail(resource, 'AccessLogSettings', 'expected {DestinationArn, Format}');
    for (const key of Object.keys(logSettings)) if (key !== 'DestinationArn' && key !== 'Format') throw fail(resource, `AccessLogSettings.${key}`);
    const { DestinationArn: destinationArn, Format: format } = logSettings;
    if (typeof destinationArn !== 'string') throw fail(resource, 'AccessLogSettings.DestinationArn', 'required');
    if (typeof format !== 'string') throw fail(resource, 'AccessLogSettings.Format', 'required');
    accessLog = { destinationArn, render: compileLogFormat(resource, format, apiId, name) };
  }
  return { name, variables, throttles, defaultThrottle, accessLog };
};
