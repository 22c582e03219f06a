import { z } from 'zod';
import type { RawReply } from './raw-client';

/**
 * Where along a request's way a defect is caught, in the order the API
 * checks: API Gateway first (body size, route, JWT), then the function's
 * chain (access level, then the route's own checks in the order its handler
 * makes them). The earliest defect of a request decides its answer.
 */
export const STAGES = [
  'gateway: body over 10 MB',
  'gateway: no route',
  'gateway: JWT authorizer',
  'handler: access level',
  'handler: Idempotency-Key',
  'handler: path and query',
  'handler: cursor',
  'handler: Content-Type',
  'handler: body required',
  'handler: 64 KiB limit',
  'handler: JSON syntax',
  'handler: schema',
  'handler: business rule',
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * An answer API Gateway gives itself, before any function runs, with its own
 * `{"message": ...}` body: no route (404), a refused token (401), a body over
 * 10 MB (413). Its 429 (throttled) is never expected: the client paces.
 */
export interface GatewayOutcome {
  readonly source: 'gateway';
  readonly status: 401 | 404 | 413;
}

/** A problem (RFC 9457) from one of our functions, with its stable code. */
export interface HandlerOutcome {
  readonly source: 'handler';
  readonly status: number;
  readonly code: string;
}

export type Outcome = GatewayOutcome | HandlerOutcome;

/** Something about a request that must make the API refuse it. */
export interface Defect {
  readonly stage: Stage;
  /** What is wrong, for the failure message. */
  readonly what: string;
  /** The answers that are right for it (more than one when the API may fairly catch it two ways). */
  readonly outcomes: readonly Outcome[];
}

/** A body as sent: bytes, or `length` filler bytes made at send time (the 10 MB case). */
export type Body = { readonly kind: 'bytes'; readonly bytes: Buffer } | { readonly kind: 'filler'; readonly length: number };

/** One generated request, with what is wrong with it. */
export interface FuzzCase {
  /** The route it aims at (its answer may still come from the gateway). */
  readonly route: string;
  /** The route key API Gateway selects for it, if any (decides the throttle it counts against). */
  readonly routed?: string;
  readonly method: string;
  /** Percent-encoded path and query, as sent. */
  readonly target: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body?: Body;
  /** Who calls, in words. */
  readonly caller: string;
  /** At least one, except for the requests that must succeed (`GET /health` with junk around it). */
  readonly defects: readonly Defect[];
  /** Harmless oddities added on top (junk headers, ignored query strings...). */
  readonly noise: readonly string[];
}

/** API Gateway's own error bodies, by status. */
export const GATEWAY_MESSAGES: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  429: 'Too Many Requests',
};

export const gateway = (status: GatewayOutcome['status']): GatewayOutcome => ({ source: 'gateway', status });
export const problem = (status: number, code: string): HandlerOutcome => ({ source: 'handler', status, code });

/** The answers a case must get: those of its earliest defects. */
export const expectedOutcomes = (fuzzCase: Pick<FuzzCase, 'defects'>): readonly Outcome[] => {
  if (fuzzCase.defects.length === 0) return [];
  const first = Math.min(...fuzzCase.defects.map((d) => STAGES.indexOf(d.stage)));
  const outcomes = fuzzCase.defects.filter((d) => STAGES.indexOf(d.stage) === first).flatMap((d) => d.outcomes);
  return outcomes.filter((o, i) => outcomes.findIndex((p) => p.source === o.source && p.status === o.status && (p.source === 'gateway' || (o.source === 'handler' && p.code === o.code))) === i);
};

const describeOutcome = (outcome: Outcome): string => (outcome.source === 'gateway' ? `${outcome.status} from API Gateway` : `${outcome.status} ${outcome.code}`);

/** The RFC 9457 body every error of our functions has (`errors` on 422s; RFC 9457 allows more members). */
const problemBodySchema = z.object({
  type: z.string().regex(/^urn:serverless-shop:problem:[a-z0-9-]+$/),
  title: z.string().min(1),
  status: z.number().int(),
  code: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  detail: z.string().min(1),
  instance: z.string().optional(),
  correlationId: z.string().min(1),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

/** How an answer was classified. */
export type Classified =
  | { readonly source: 'handler'; readonly code: string; readonly correlationId: string }
  | { readonly source: 'gateway' }
  | { readonly source: 'success' }
  | { readonly source: 'unknown' };

const mediaType = (reply: RawReply): string => String(reply.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

const jsonOf = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/**
 * Checks an answer against the error contract and the case's expectations,
 * returning every way it breaks them (none: it is right).
 *
 * An error answer is exactly one of:
 * - a problem from our functions: `application/problem+json`, a body with
 *   `type` (`urn:serverless-shop:problem:<code>`), `title`, `status` equal
 *   to the HTTP status, a stable upper-case `code`, `detail`, the
 *   `correlationId` also sent as `x-correlation-id`;
 * - API Gateway's own answer, before or instead of a function: status 401
 *   (with a `www-authenticate: Bearer ...` challenge), 403, 404, 413 or 429,
 *   body exactly `{"message":"<reason phrase>"}`, no `x-correlation-id`
 *   (no function ran) and a JSON content type or none (the local emulator
 *   sends none; API Gateway sends `application/json`).
 */
export const judge = (fuzzCase: FuzzCase, reply: RawReply): { readonly violations: string[]; readonly classified: Classified } => {
  const violations: string[] = [];
  const json = jsonOf(reply.body);
  const type = mediaType(reply);
  const correlationHeader = reply.headers['x-correlation-id'];
  let classified: Classified = { source: 'unknown' };

  if (reply.status >= 500) violations.push(`answered ${reply.status}: a 5xx for bad input (never allowed)`);
  if (reply.status < 400 && fuzzCase.defects.length > 0) violations.push(`answered ${reply.status}: accepted a request that had to be refused`);
  if (fuzzCase.defects.length === 0 && (reply.status < 200 || reply.status >= 300)) violations.push(`answered ${reply.status}: refused a request that must succeed`);

  if (reply.status >= 200 && reply.status < 300) {
    classified = { source: 'success' };
  } else if (type === 'application/problem+json') {
    const parsed = problemBodySchema.safeParse(json);
    if (!parsed.success) {
      violations.push(`a problem+json body that breaks RFC 9457 as the shop answers it: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`);
    } else {
      const body = parsed.data;
      classified = { source: 'handler', code: body.code, correlationId: body.correlationId };
      if (body.status !== reply.status) violations.push(`problem status ${body.status} differs from the HTTP status ${reply.status}`);
      if (body.type !== `urn:serverless-shop:problem:${body.code.toLowerCase().replace(/_/g, '-')}`) violations.push(`problem type ${body.type} does not name its code ${body.code}`);
      if (correlationHeader !== body.correlationId) violations.push(`x-correlation-id ${String(correlationHeader)} differs from the problem's correlationId ${body.correlationId}`);
    }
  } else if (
    GATEWAY_MESSAGES[reply.status] !== undefined &&
    (type === '' || type === 'application/json') &&
    correlationHeader === undefined &&
    reply.body.toString('utf8') === JSON.stringify({ message: GATEWAY_MESSAGES[reply.status] })
  ) {
    classified = { source: 'gateway' };
    const challenge = reply.headers['www-authenticate'];
    if (reply.status === 401 && (typeof challenge !== 'string' || !/^Bearer\b/.test(challenge))) violations.push('a gateway 401 without a www-authenticate: Bearer challenge');
    if (reply.status === 429) violations.push('throttled (429): the client paces below the stage throttle, so this hid the answer');
  } else {
    violations.push(`neither a problem+json from a function nor an API Gateway error: ${reply.status} content-type '${String(reply.headers['content-type'] ?? '')}'${correlationHeader === undefined ? '' : ` (x-correlation-id ${String(correlationHeader)}: a function answered)`}`);
  }

  const expected = expectedOutcomes(fuzzCase);
  if (expected.length > 0 && classified.source !== 'unknown') {
    const matches = expected.some((outcome) =>
      outcome.status === reply.status &&
      (outcome.source === 'gateway' ? classified.source === 'gateway' : classified.source === 'handler' && classified.code === outcome.code),
    );
    if (!matches) {
      const got = classified.source === 'handler' ? `${reply.status} ${classified.code}` : classified.source === 'gateway' ? `${reply.status} from API Gateway` : `${reply.status}`;
      violations.push(`expected ${expected.map(describeOutcome).join(' or ')}, got ${got}`);
    }
  }
  return { violations, classified };
};

const excerpt = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

/** A printable form of a body: text when it is, else hex. */
const describeBody = (body: Body | undefined, max = 300): string => {
  if (body === undefined) return '(none)';
  if (body.kind === 'filler') return `${body.length} bytes of filler`;
  const text = body.bytes.toString('utf8');
  const printable = !text.includes('\uFFFD') || body.bytes.includes(Buffer.from('\uFFFD'));
  const shown = printable ? JSON.stringify(excerpt(text, max)) : `hex ${excerpt(body.bytes.toString('hex'), max)}`;
  return `${body.bytes.length} bytes: ${shown}`;
};

const describeHeaders = (headers: FuzzCase['headers']): string =>
  headers.length === 0 ? '(none)' : headers.map(([name, value]) => `${name}: ${JSON.stringify(excerpt(value, 80))}`).join(', ');

/** The case in a few lines: enough to replay it by hand. */
export const describeCase = (fuzzCase: FuzzCase): string =>
  [
    `${fuzzCase.method} ${excerpt(fuzzCase.target, 300)} (aiming at ${fuzzCase.route}, as ${fuzzCase.caller})`,
    `  headers: ${describeHeaders(fuzzCase.headers)}`,
    `  body: ${describeBody(fuzzCase.body)}`,
    `  defects: ${fuzzCase.defects.length === 0 ? '(none: must succeed)' : fuzzCase.defects.map((d) => `[${d.stage}] ${d.what}`).join('; ')}`,
    ...(fuzzCase.noise.length > 0 ? [`  noise: ${fuzzCase.noise.join('; ')}`] : []),
    `  expected: ${fuzzCase.defects.length === 0 ? '2xx' : expectedOutcomes(fuzzCase).map(describeOutcome).join(' or ')}`,
  ].join('\n');

/** The answer in a few lines. */
export const describeReply = (reply: RawReply): string => {
  const shownHeaders = ['content-type', 'x-correlation-id', 'www-authenticate', 'retry-after', 'location']
    .filter((name) => reply.headers[name] !== undefined)
    .map((name) => `${name}: ${String(reply.headers[name])}`);
  return [`answered ${reply.status}${shownHeaders.length > 0 ? ` (${shownHeaders.join(', ')})` : ''}`, `  body: ${excerpt(reply.body.toString('utf8'), 1500)}`].join('\n');
};
