import * as z from 'zod';
import { readConfig } from '../shared/config';

/** Default time a payment provider call may take before it counts as unavailable. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 2000;

/** Payments configuration, read once per cold start. */
export const loadPaymentsConfig = () =>
  readConfig(
    z.object({
      TABLE_NAME: z.string().min(1),
      /** @default 2000 */
      PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(1).max(60_000).default(DEFAULT_PROVIDER_TIMEOUT_MS),
    }),
  );
