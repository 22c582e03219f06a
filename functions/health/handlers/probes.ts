import { jsonResponse, type HttpResult } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { logger } from '../../shared/powertools';
import { healthRoutes } from '../routes';
import type { ReadinessProbe } from '../use-cases/readiness';
import type { HealthBody, NotReadyBody, ReadyBody } from './api-responses';

/** Dependencies of the probe routes. */
export interface ProbeDeps {
  /** The app's version (its package.json's), answered by both probes. */
  readonly version: string;
  /** What was deployed (`git describe` at synth). */
  readonly build: string;
  readonly readiness: ReadinessProbe;
  /** Each check's deadline, for the 503's detail. */
  readonly checkDeadlineMs: number;
}

/** An error in one line for the log, its causes included (the route's answer never shows it). */
const describe = (error: unknown): string => {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause === undefined || error.cause === error ? '' : ` (cause: ${describe(error.cause)})`;
  return `${error.name}: ${error.message}${cause}`;
};

/** Probes are answered fresh to whoever asks: no cache in between may keep an old one. */
const NO_STORE = { 'cache-control': 'no-store' };

/**
 * `GET /health` (liveness) and `GET /ready` (readiness).
 *
 * Liveness calls nothing, so it fails only when the function cannot run:
 * restarting or replacing the shop is the cure for nothing else. Readiness
 * answers 200 when every dependency answered within its deadline, else 503
 * problem+json naming the dependencies that failed or timed out, with
 * `Retry-After` set to when the checks will run again.
 */
export const createProbesHandler = (deps: ProbeDeps) =>
  httpApi(healthRoutes, {
    'GET /health': async () => {
      const body: HealthBody = { status: 'ok', version: deps.version, build: deps.build };
      return jsonResponse(200, body, NO_STORE);
    },
    'GET /ready': async ({ event, correlationId }): Promise<HttpResult> => {
      const readiness = await deps.readiness.check();
      if (readiness.ready) {
        const body: ReadyBody = { status: 'ready', checks: readiness.checks };
        return jsonResponse(200, body, NO_STORE);
      }
      const failed = Object.entries(readiness.checks).filter(([, outcome]) => !outcome.ok);
      if (readiness.fresh) {
        logger.warn('Not ready', { failed: Object.fromEntries(failed.map(([name]) => [name, describe(readiness.errors[name])])) });
      }
      const named = failed.map(([name, outcome]) => `${name} (${outcome.reason === 'timed out' ? `timed out after ${deps.checkDeadlineMs} ms` : 'failed'})`);
      const retryAfterSeconds = Math.max(1, Math.ceil(deps.readiness.msUntilNextCheck(readiness) / 1000));
      const problem: NotReadyBody = {
        type: 'urn:serverless-shop:problem:not-ready',
        title: 'Service Unavailable',
        status: 503,
        code: 'NOT_READY',
        detail: `Not ready: ${named.join(', ')}.`,
        instance: event.rawPath,
        correlationId,
        checks: readiness.checks,
      };
      return {
        statusCode: 503,
        headers: { 'content-type': 'application/problem+json', 'retry-after': String(retryAfterSeconds), ...NO_STORE },
        body: JSON.stringify(problem),
      };
    },
  });
