import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { startFreshLocalCloud } from '../../../local/fresh-local-cloud';
import type { LocalCloud } from '../../../local/local-cloud';
import { CollectedLog } from '../../e2e/support/target';
import type { Throttle } from './raw-client';

/** The local cloud as the fuzzer needs it: the API, the token issuer, the tables, the stage throttles. */
export interface FuzzTarget {
  readonly apiUrl: string;
  readonly cloud: LocalCloud;
  /** The stage throttle of a route key (its route setting, else the stage default). */
  throttleOf(routeKey: string): Throttle;
  /** The local cloud's log lines for a correlation id (or its last lines), for a failure message. */
  diagnostics(correlationId?: string): string;
  stop(): Promise<void>;
}

interface StageThrottles {
  readonly fallback: Throttle;
  readonly byRoute: ReadonlyMap<string, Throttle>;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const throttleFrom = (settings: unknown, fallback: Throttle): Throttle => {
  if (!isRecord(settings)) return fallback;
  const rate = settings.ThrottlingRateLimit;
  const burst = settings.ThrottlingBurstLimit;
  return { rate: typeof rate === 'number' ? rate : fallback.rate, burst: typeof burst === 'number' ? burst : fallback.burst };
};

/** The HTTP API stage's throttles, read from the synthesized template (API Gateway's account default where it sets none). */
const stageThrottles = (assemblyDir: string): StageThrottles => {
  const account: Throttle = { rate: 10_000, burst: 5_000 };
  for (const file of readdirSync(assemblyDir).filter((name) => name.endsWith('.template.json'))) {
    const template: unknown = JSON.parse(readFileSync(path.join(assemblyDir, file), 'utf8'));
    const resources = isRecord(template) && isRecord(template.Resources) ? Object.values(template.Resources) : [];
    for (const resource of resources) {
      if (!isRecord(resource) || resource.Type !== 'AWS::ApiGatewayV2::Stage' || !isRecord(resource.Properties)) continue;
      const fallback = throttleFrom(resource.Properties.DefaultRouteSettings, account);
      const routeSettings = isRecord(resource.Properties.RouteSettings) ? resource.Properties.RouteSettings : {};
      return { fallback, byRoute: new Map(Object.entries(routeSettings).map(([key, settings]) => [key, throttleFrom(settings, fallback)])) };
    }
  }
  return { fallback: account, byRoute: new Map() };
};

/**
 * Starts the local cloud in this process, as the e2e suite's local target
 * does (fresh synth into a temporary directory, or `SHOP_E2E_ASSEMBLY_DIR`;
 * DynamoDB Local warming up during the synth), but keeps the `LocalCloud`:
 * the fuzzer mints tokens the user pool would never issue and scans the
 * tables, which a black-box `ShopTarget` does not offer. Always local:
 * comparing table scans needs the tables.
 */
export const startFuzzTarget = async (): Promise<FuzzTarget> => {
  const collected = new CollectedLog();
  const fresh = await startFreshLocalCloud({ assemblyDir: process.env.SHOP_E2E_ASSEMBLY_DIR, log: collected.log, retryDelayScale: 0.01 });
  const { cloud, assemblyDir } = fresh;
  const throttles = stageThrottles(assemblyDir);
  return {
    apiUrl: cloud.apiUrl,
    cloud,
    throttleOf: (routeKey) => throttles.byRoute.get(routeKey) ?? throttles.fallback,
    diagnostics: (correlationId) => collected.describe(correlationId),
    stop: () => fresh.stop(),
  };
};
