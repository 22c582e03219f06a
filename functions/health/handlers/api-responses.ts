import * as z from '../../shared/zod';
import { problemSchema } from '../../shared/problem-schema';
import type { SameShape } from '../../shared/same-shape';
import type { CheckOutcome } from '../use-cases/readiness';

/**
 * What the probes answer, as zod schemas: the OpenAPI description
 * (lib/openapi) is generated from them, and the handler types its bodies with
 * them (./probes.ts, types only: nothing here goes into a Lambda bundle).
 */

/** `GET /health` (liveness). */
export const healthSchema = z.object({
  status: z.literal('ok'),
  version: z.string().check(z.meta({ description: "The app's package.json version." })),
  build: z.string().check(z.meta({ description: 'What was deployed: `git describe` at synth.' })),
});
export type HealthBody = z.infer<typeof healthSchema>;

/** One dependency's check. */
export const checkOutcomeSchema = z.object({
  ok: z.boolean(),
  ms: z.number().check(z.int(), z.minimum(0), z.meta({ description: 'How long the check took.' })),
  reason: z.optional(z.enum(['timed out', 'failed'])),
});

const checksSchema = z
  .record(z.string(), checkOutcomeSchema)
  .check(z.meta({ description: 'Each dependency by name: the tables, the bus, the state machines, the functions invoked synchronously.' }));

/** `GET /ready` when every dependency answered in time (200). */
export const readySchema = z.object({ status: z.literal('ready'), checks: checksSchema });
export type ReadyBody = z.infer<typeof readySchema>;

/** `GET /ready` when not (503): a problem naming what failed or timed out, with every check. */
export const notReadySchema = z.extend(z.omit(problemSchema, { errors: true }), {
  status: z.literal(503),
  code: z.literal('NOT_READY'),
  checks: checksSchema,
});
export type NotReadyBody = z.infer<typeof notReadySchema>;

/** `tsc` fails here if the schema and the check outcome the use case reports differ. */
export const checkOutcomeMatchesSchema: SameShape<z.infer<typeof checkOutcomeSchema>, CheckOutcome> = true;
