import * as z from 'zod';
import type { Throttle } from '../constructs/shop-api';
import { contextObject } from './context-json';

/** API Gateway's account quotas in most regions: a stage or route may not ask for more. */
const ACCOUNT_RATE = 10_000;
const ACCOUNT_BURST = 5_000;

/** Seconds in a 30-day month: a sustained rate times this is the most a month can take. */
export const SECONDS_PER_MONTH = 2_592_000;

const throttleSchema = z
  .object({
    rateLimit: z.number().positive().max(ACCOUNT_RATE),
    burstLimit: z.number().int().min(0).max(ACCOUNT_BURST),
  })
  .strict();

const throttlesSchema = z
  .object({
    /** Every route the `routes` do not name. */
    default: throttleSchema.optional(),
    /** Route key (`POST /orders`) → its own throttle. */
    routes: z
      .record(z.string(), throttleSchema)
      .superRefine((routes, context) => {
        for (const key of Object.keys(routes)) {
          if (!/^(GET|POST|PUT|PATCH|DELETE) \/\S*$/.test(key)) context.addIssue({ code: 'custom', path: [key], message: 'a route key is "<METHOD> /path"' });
        }
      })
      .optional(),
  })
  .strict();

/** The API's throttles: the stage's default and the routes' own. */
export interface ApiThrottles {
  readonly throttle: Throttle;
  readonly routeThrottles: Readonly<Record<string, Throttle>>;
  /** The routes the configuration named (each must be a route of the API). */
  readonly namedRoutes?: readonly string[];
}

/**
 * Sized for a shop's peak, not a demo's: the stage takes 500 requests/s
 * (bursts of 1,000), `POST /orders` 100/s (200) — at most 259 million
 * orders in a month at that rate — and `GET /ready`, public and calling
 * every dependency, 10/s (20).
 */
export const DEFAULT_THROTTLES: ApiThrottles = {
  throttle: { rateLimit: 500, burstLimit: 1_000 },
  routeThrottles: {
    'POST /orders': { rateLimit: 100, burstLimit: 200 },
    'GET /ready': { rateLimit: 10, burstLimit: 20 },
  },
};

/** The `throttles` context value is malformed: synth stops with what is wrong. */
export class ThrottleConfigError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'ThrottleConfigError';
  }
}

/**
 * The API's throttles from the CDK context value `throttles` (an object in
 * cdk.json, or JSON on the command line: `-c throttles='{"routes":{"POST
 * /orders":{"rateLimit":50,"burstLimit":100}}}'`), over
 * {@link DEFAULT_THROTTLES}: a route named there replaces its default, the
 * others keep theirs.
 * @throws ThrottleConfigError when it is not valid JSON or not a valid configuration
 */
export const throttlesFromContext = (value: unknown): ApiThrottles => {
  if (value === undefined) return DEFAULT_THROTTLES;
  const parsed = contextObject('throttles', value, throttlesSchema, (message) => new ThrottleConfigError(message), { what: 'throttle configuration' });
  return {
    throttle: parsed.default ?? DEFAULT_THROTTLES.throttle,
    routeThrottles: { ...DEFAULT_THROTTLES.routeThrottles, ...parsed.routes },
    namedRoutes: Object.keys(parsed.routes ?? {}),
  };
};

/** The most a month can take at a throttle's sustained rate. */
export const monthlyCeiling = (throttle: Throttle): number => Math.floor(throttle.rateLimit * SECONDS_PER_MONTH);
