import { jsonResponse } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import type { DependencyCheck } from '../ports/dependency-check';

/** Dependencies of the health route. */
export interface HealthDeps {
  readonly version: string;
  readonly checks: Readonly<Record<string, DependencyCheck>>;
}

/** `GET /health`: 200 when every check passes, else 503 naming the failures. */
export const createHealthHandler = (deps: HealthDeps) =>
  httpApi({ 'GET /health': 'public' } as const, {
    'GET /health': async () => {
      const names = Object.keys(deps.checks);
      const results = await Promise.all(
        names.map(async (name) => {
          const started = Date.now();
          const failure = await deps.checks[name]().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
          return [name, { status: failure === undefined ? 'ok' : 'failing', latencyMs: Date.now() - started, ...(failure ? { error: failure } : {}) }] as const;
        }),
      );
      const healthy = results.every(([, r]) => r.status === 'ok');
      return jsonResponse(healthy ? 200 : 503, { status: healthy ? 'ok' : 'degraded', version: deps.version, checks: Object.fromEntries(results) }, healthy ? {} : { 'retry-after': '5' });
    },
  });
