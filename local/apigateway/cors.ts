import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { UnsupportedFeatureError } from '../errors';
import type { LocalResource } from '../resources';

/**
 * An HTTP API's CORS configuration (`CorsConfiguration` of
 * `AWS::ApiGatewayV2::Api`), as API Gateway applies it
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html):
 * API Gateway answers preflight OPTIONS requests itself, even without an
 * OPTIONS route, adds the configured CORS headers to the integration's
 * responses, and ignores the CORS headers the integration returns.
 */
export interface CorsModel {
  /** Lower-cased; `*` (any origin), `https://*` / `http://*` (any origin of that scheme), or an origin. */
  readonly allowOrigins: readonly string[];
  /** Upper-cased; `*` allows any. */
  readonly allowMethods: readonly string[];
  /** Lower-cased; `*` allows any. */
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  /** Seconds; absent: no `Access-Control-Max-Age`. */
  readonly maxAge?: number;
  readonly allowCredentials: boolean;
}

const KNOWN = ['AllowOrigins', 'AllowMethods', 'AllowHeaders', 'ExposeHeaders', 'MaxAge', 'AllowCredentials'];
/** API Gateway's bound on `MaxAge`. */
const MAX_AGE_LIMIT = 86_400;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `CorsConfiguration`, refusing what API Gateway would refuse or what is not emulated. */
export const corsOf = (api: LocalResource): CorsModel | undefined => {
  const config = api.properties.CorsConfiguration;
  if (config === undefined) return undefined;
  const fail = (property: string, detail: string) => new UnsupportedFeatureError(api.logicalId, api.type, `CorsConfiguration${property}`, detail);
  if (!isRecord(config)) throw fail('', 'expected an object');
  for (const key of Object.keys(config)) if (!KNOWN.includes(key)) throw fail(`.${key}`, 'not a CORS configuration property');
  const list = (key: string): string[] => {
    const value = config[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string' && v.trim() !== '')) throw fail(`.${key}`, 'expected a list of non-empty strings');
    return value.map((v) => v.trim());
  };
  const maxAge = config.MaxAge;
  if (maxAge !== undefined && (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_AGE_LIMIT)) {
    throw fail('.MaxAge', `${JSON.stringify(maxAge)}: must be 0 to ${MAX_AGE_LIMIT} seconds`);
  }
  const allowCredentials = config.AllowCredentials;
  if (allowCredentials !== undefined && typeof allowCredentials !== 'boolean') throw fail('.AllowCredentials', 'expected a boolean');
  const allowOrigins = list('AllowOrigins').map((o) => o.toLowerCase());
  if (allowCredentials === true && allowOrigins.includes('*')) {
    throw fail('.AllowCredentials', "API Gateway refuses credentials with the '*' origin: name the origins");
  }
  return {
    allowOrigins,
    allowMethods: list('AllowMethods').map((m) => m.toUpperCase()),
    allowHeaders: list('AllowHeaders').map((h) => h.toLowerCase()),
    exposeHeaders: list('ExposeHeaders'),
    ...(maxAge !== undefined ? { maxAge } : {}),
    allowCredentials: allowCredentials === true,
  };
};

const single = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

/** The `Access-Control-Allow-Origin` an origin gets, or undefined when it is not allowed. */
const allowedOrigin = (cors: CorsModel, origin: string | undefined): string | undefined => {
  if (origin === undefined || origin === '') return undefined;
  const lower = origin.toLowerCase();
  if (cors.allowOrigins.includes('*')) return '*';
  const match = cors.allowOrigins.some((allowed) => (allowed.endsWith('://*') ? lower.startsWith(allowed.slice(0, -1)) : allowed === lower));
  return match ? origin : undefined;
};

/** Whether a request is a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. */
export const isPreflight = (method: string, headers: IncomingHttpHeaders): boolean =>
  method === 'OPTIONS' && single(headers, 'origin') !== undefined && single(headers, 'access-control-request-method') !== undefined;

/**
 * The headers of API Gateway's own 204 answer to a preflight: the
 * configuration's when the origin, the method and every requested header are
 * allowed; none otherwise, so the browser refuses the request.
 */
export const preflightHeaders = (cors: CorsModel, headers: IncomingHttpHeaders): { readonly headers: OutgoingHttpHeaders; readonly refused?: string } => {
  const origin = allowedOrigin(cors, single(headers, 'origin'));
  if (origin === undefined) return { headers: {}, refused: `origin ${single(headers, 'origin') ?? ''} is not allowed` };
  const method = (single(headers, 'access-control-request-method') ?? '').trim().toUpperCase();
  if (!cors.allowMethods.includes('*') && !cors.allowMethods.includes(method)) return { headers: {}, refused: `method ${method} is not allowed` };
  const requested = (single(headers, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h !== '');
  const refusedHeader = cors.allowHeaders.includes('*') ? undefined : requested.find((h) => !cors.allowHeaders.includes(h));
  if (refusedHeader !== undefined) return { headers: {}, refused: `header ${refusedHeader} is not allowed` };
  return {
    headers: {
      'access-control-allow-origin': origin,
      ...(cors.allowMethods.length > 0 ? { 'access-control-allow-methods': cors.allowMethods.join(',') } : {}),
      ...(cors.allowHeaders.length > 0 ? { 'access-control-allow-headers': cors.allowHeaders.join(',') } : {}),
      ...(cors.maxAge !== undefined ? { 'access-control-max-age': String(cors.maxAge) } : {}),
      ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
    },
  };
};

/**
 * A response's headers as API Gateway sends them when CORS is configured:
 * the integration's own `Access-Control-*` headers dropped, and for an
 * allowed `Origin`, the configured ones added.
 */
export const withCorsHeaders = (cors: CorsModel, requestHeaders: IncomingHttpHeaders, headers: OutgoingHttpHeaders): OutgoingHttpHeaders => {
  const out: OutgoingHttpHeaders = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.toLowerCase().startsWith('access-control-')));
  const origin = allowedOrigin(cors, single(requestHeaders, 'origin'));
  if (origin === undefined) return out;
  return {
    ...out,
    'access-control-allow-origin': origin,
    ...(cors.exposeHeaders.length > 0 ? { 'access-control-expose-headers': cors.exposeHeaders.join(',') } : {}),
    ...(cors.allowCredentials ? { 'access-control-allow-credentials': 'true' } : {}),
  };
};
