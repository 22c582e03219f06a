import * as z from 'zod';
import { readConfig } from '../shared/config';

/** One dependency `GET /ready` checks, as lib/ describes it in `READY_CHECKS`. */
export const readyCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('table'), tableName: z.string().min(1), partitionKey: z.string().min(1), sortKey: z.string().min(1).optional() }),
  z.strictObject({ kind: z.literal('eventBus'), eventBusName: z.string().min(1) }),
  z.strictObject({ kind: z.literal('stateMachine'), stateMachineArn: z.string().min(1) }),
  z.strictObject({ kind: z.literal('function'), functionName: z.string().min(1) }),
]);
export type ReadyCheck = z.infer<typeof readyCheckSchema>;

const readyChecks = z.string().transform((text, ctx) => {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be JSON' });
    return z.NEVER;
  }
  const parsed = z.record(z.string().min(1), readyCheckSchema).safeParse(json);
  if (!parsed.success) {
    ctx.addIssue({ code: 'custom', message: `must map names to checks: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` });
    return z.NEVER;
  }
  return parsed.data;
});

/**
 * Probe configuration: the dependencies readiness checks (JSON, name →
 * check), each check's deadline, how long an answer is served again, and
 * the versions liveness reports.
 */
export const loadHealthConfig = () =>
  readConfig(
    z.object({
      SHOP_PACKAGE_VERSION: z.string().min(1).default('unknown'),
      SHOP_VERSION: z.string().min(1).default('unknown'),
      READY_CHECKS: readyChecks,
      READY_CHECK_DEADLINE_MS: z.coerce.number().int().min(1).max(30_000).default(1000),
      READY_CACHE_MS: z.coerce.number().int().min(0).max(300_000).default(3000),
    }),
  );
