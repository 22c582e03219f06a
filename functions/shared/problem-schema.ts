import * as z from './zod';
import type { Problem } from './http';
import type { SameShape } from './same-shape';

/**
 * An RFC 9457 problem as every error answer of the shop's functions has it,
 * as a zod schema: the OpenAPI description (lib/openapi) is generated from it,
 * and `tsc` checks it against {@link Problem}, which the HTTP chain builds.
 * Not imported by any handler: nothing here goes into a Lambda bundle.
 */
export const problemSchema = z.object({
  type: z.string().check(z.meta({ description: '`urn:serverless-shop:problem:<code in kebab case>`' })),
  title: z.string().check(z.meta({ description: "The status's reason phrase." })),
  status: z.number().check(z.int(), z.meta({ description: 'The HTTP status.' })),
  code: z.string().check(z.meta({ description: 'Stable and machine-readable: switch on it.' })),
  detail: z.string().check(z.meta({ description: 'For people; never parse it.' })),
  instance: z.optional(z.string().check(z.meta({ description: 'The request path.' }))),
  correlationId: z.optional(z.string().check(z.meta({ description: 'Also in the `x-correlation-id` header; the logs carry it.' }))),
  errors: z.optional(
    z
      .array(z.object({ path: z.string().check(z.meta({ description: 'Dotted path of the field, e.g. `items.0.quantity`.' })), message: z.string() }))
      .check(z.meta({ description: 'Each offending field (422).' })),
  ),
});

/** `tsc` fails here if the schema and the problem the HTTP chain builds differ. */
export const problemMatchesSchema: SameShape<z.infer<typeof problemSchema>, Problem> = true;
