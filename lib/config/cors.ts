import * as z from 'zod';
import { contextObject } from './context-json';

/** The CDK context value `corsOrigins` (or a `corsOrigins` prop) is malformed: synth stops with what is wrong. */
export class CorsConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'CorsConfigError';
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1']);

/**
 * Why `origin` may not be a CORS origin of the API, or undefined when it may:
 * an `https` origin, or `http://localhost:<port>` / `http://127.0.0.1:<port>`
 * for a front end in development, written as a browser sends it in `Origin`
 * (lower case, no path, no default port, no trailing slash) and without a
 * wildcard, since the API answers tokens to any script of an allowed origin.
 */
export const corsOriginProblem = (origin: string): string | undefined => {
  if (origin.includes('*')) return 'a wildcard is not allowed: name each origin';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'not an origin (scheme://host[:port])';
  }
  if (url.protocol === 'http:') {
    if (!LOOPBACK_HOSTS.has(url.hostname) || url.port === '') return 'plain http is only allowed for http://localhost:<port> or http://127.0.0.1:<port>';
  } else if (url.protocol !== 'https:') {
    return `${url.protocol.slice(0, -1)} is not https`;
  }
  if (url.origin !== origin) return `not an origin as a browser sends it: write '${url.origin}' (no path, lower case, no default port)`;
  return undefined;
};

/**
 * Checks a list of CORS origins.
 * @throws CorsConfigError naming each origin that is not valid, and why
 */
export const checkCorsOrigins = (origins: readonly string[], where: string): readonly string[] => {
  const problems = origins.flatMap((origin, i) => {
    const problem = corsOriginProblem(origin);
    const duplicate = origins.indexOf(origin) !== i ? 'given twice' : undefined;
    return [problem, duplicate].filter((p): p is string => p !== undefined).map((p) => `'${origin}': ${p}`);
  });
  if (problems.length > 0) throw new CorsConfigError(`${where} is not a valid list of CORS origins: ${problems.join('; ')}`);
  return origins;
};

const originsSchema = z.array(z.string());

/**
 * The API's CORS origins from the CDK context value `corsOrigins`: a JSON
 * array of origins, in cdk.json or on the command line
 * (`-c corsOrigins='["https://shop.example.com"]'`). None, or an empty
 * list, means no CORS configuration: browsers then refuse every cross-origin
 * call, which suits a shop without a browser front end on another origin.
 * @throws CorsConfigError when it is not JSON, not a list of strings, or names an origin that is not valid
 */
export const corsOriginsFromContext = (value: unknown): readonly string[] => {
  if (value === undefined) return [];
  const origins = contextObject('corsOrigins', value, originsSchema, (message) => new CorsConfigError(message), { what: 'list of origins' });
  return checkCorsOrigins(origins, "context 'corsOrigins'");
};
