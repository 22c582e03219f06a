import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Health configuration: the tables to check (JSON name → table) and the version. */
export const loadHealthConfig = () =>
  readConfig(
    z.object({
      SHOP_VERSION: z.string().default('unknown'),
      HEALTH_TABLES: z
        .string()
        .transform((text, ctx) => {
          try {
            return z.record(z.string(), z.string().min(1)).parse(JSON.parse(text));
          } catch {
            ctx.addIssue({ code: 'custom', message: 'must be a JSON object of table names' });
            return z.NEVER;
          }
        }),
    }),
  );
