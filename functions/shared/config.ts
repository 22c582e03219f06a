import type { $ZodType } from 'zod/v4/core';
import { ConfigurationError } from './errors';
import { safeParse } from './validation';

/**
 * Reads a service's configuration from the environment once, at cold start.
 * A missing or malformed variable fails the cold start with every problem
 * named, rather than the first request with a confusing error.
 */
export const readConfig = <T>(schema: $ZodType<T>, env: NodeJS.ProcessEnv = process.env): T => {
  const parsed = safeParse(schema, env);
  if (!parsed.ok) {
    throw new ConfigurationError(
      `Invalid configuration: ${parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.value;
};
