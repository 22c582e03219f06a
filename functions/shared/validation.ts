import type { $ZodError, $ZodType } from 'zod/v4/core';
import * as z from './zod';
import type { FieldIssue } from './errors';

/**
 * What the keys of an input are, to name one that is not expected: a body's
 * fields, or a query string's parameters.
 */
export type KeyKind = 'field' | 'query parameter';

const dotted = (path: readonly PropertyKey[]): string => path.map(String).join('.');

/**
 * Converts zod issues into the dotted field paths our 422 bodies report. An
 * unknown key is reported at its own path, one issue per key: zod puts the
 * keys in `issue.keys` and the path of the object that holds them in
 * `issue.path`, which is empty for a top-level key.
 */
export const toFieldIssues = (error: $ZodError, keys: KeyKind = 'field'): FieldIssue[] =>
  error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: dotted([...issue.path, key]), message: `unknown ${keys}` }))
      : [{ path: dotted(issue.path), message: issue.message }],
  );

/** Result of {@link safeParse}: the value, or the field issues. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: FieldIssue[] };

/**
 * Parses with a zod schema and reports issues as {@link FieldIssue}s. Takes
 * a schema of either API of zod (mini, as the functions' own, or classic).
 */
export const safeParse = <T>(schema: $ZodType<T>, input: unknown, keys: KeyKind = 'field'): Parsed<T> => {
  const result = z.safeParse(schema, input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toFieldIssues(result.error, keys) };
};
