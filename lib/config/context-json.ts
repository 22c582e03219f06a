import type { ZodType } from 'zod';

/** How {@link contextObject} words its refusals. */
export interface ContextObjectMessages {
  /** What a valid value is, after "is not a valid": e.g. `throttle configuration`. */
  readonly what: string;
  /** The refusal of a string that is not JSON. @default `context '<name>' is not JSON: <text>` */
  readonly notJson?: (text: string) => string;
}

/**
 * A CDK context value that holds an object: as cdk.json gives it, or as JSON
 * text from the command line (`-c name='{"…":…}'`), checked against `schema`.
 * @throws what `fail` makes of the refusal: not JSON, or the schema's problems with their paths
 */
export const contextObject = <T>(name: string, value: unknown, schema: ZodType<T>, fail: (message: string) => Error, messages: ContextObjectMessages): T => {
  let raw: unknown = value;
  if (typeof value === 'string') {
    try {
      raw = JSON.parse(value);
    } catch {
      throw fail(messages.notJson ? messages.notJson(value) : `context '${name}' is not JSON: ${value}`);
    }
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw fail(`context '${name}' is not a valid ${messages.what}: ${problems.join('; ')}`);
  }
  return parsed.data;
};
