import * as z from '../shared/zod';
import { readConfig } from '../shared/config';

const nonEmpty = z.string().check(z.minLength(1));

/** One dependency `GET /ready` checks, as lib/ describes it in `READY_CHECKS`. */
export const readyCheckSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('table'), tableName: nonEmpty, partitionKey: nonEmpty, sortKey: z.optional(nonEmpty) }),
  z.strictObject({ kind: z.literal('eventBus'), eventBusName: nonEmpty }),
  z.strictObject({ kind: z.literal('stateMachine'), stateMachineArn: nonEmpty }),
  z.strictObject({ kind: z.literal('function'), functionName: nonEmpty }),
]);
export type ReadyCheck = z.infer<typeof readyCheckSchema>;

const readyCheckMap = z.record(nonEmpty, readyCheckSchema);

const readyChecks = z.pipe(
  z.string(),
  z.transform((text, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ctx.issues.push({ code: 'custom', message: 'must be JSON', input: text });
      return z.NEVER;
    }
    const parsed = readyCheckMap.safeParse(json);
    if (!parsed.success) {
      ctx.issues.push({ code: 'custom', message: `must map names to checks: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, input: text });
      return z.NEVER;
    }
    return parsed.data;
  }),
);

/**
 * Probe configuration: the dependencies readiness checks (JSON, name →
 * check), each check's deadline, how long an answer is served again, and
 * the versions liveness reports.
 */
export const loadHealthConfig = () =>
  readConfig(
    z.object({
      SHOP_PACKAGE_VERSION: z._default(nonEmpty, 'unknown'),
      SHOP_VERSION: z._default(nonEmpty, 'unknown'),
      READY_CHECKS: readyChecks,
      READY_CHECK_DEADLINE_MS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(30_000)), 1000),
      READY_CACHE_MS: z._default(z.coerce.number().check(z.int(), z.minimum(0), z.maximum(300_000)), 3000),
    }),
  );
