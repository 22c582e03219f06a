import type { ZodError, ZodType } from 'zod';
import type { FieldIssue } from './errors';

/** Converts zod issues into the dotted field paths our 422 bodies report. */
export const toFieldIssues = (error: ZodError): FieldIssue[] =>
  error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));

/** Result of {@link safeParse}: the value, or the field issues. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: FieldIssue[] };

/** Parses with a zod schema and reports issues as {@link FieldIssue}s. */
export const safeParse = <T>(schema: ZodType<T>, input: unknown): Parsed<T> => {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toFieldIssues(result.error) };
};
