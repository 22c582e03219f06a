import { ValidationError } from './errors';

/** DynamoDB key of the last item of a page. */
export type PageKey = Record<string, string | number>;

/** Opaque pagination cursor: base64url JSON of the last evaluated key. */
export const encodeCursor = (key: PageKey | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;

/**
 * Largest key value a cursor may carry: DynamoDB's limit for a sort key
 * (partition keys may be 2048 bytes; none of ours come near either).
 */
const MAX_KEY_BYTES = 1024;

/**
 * Every key attribute of our tables is a string (ServiceTable's `pk`/`sk`,
 * string-keyed indexes): non-empty, within DynamoDB's size limit, and
 * Unicode text (a lone surrogate does not survive UTF-8, which DynamoDB stores).
 */
const isKeyValue = (value: unknown): value is string =>
  typeof value === 'string' && value !== '' && Buffer.byteLength(value, 'utf8') <= MAX_KEY_BYTES && Buffer.from(value, 'utf8').toString('utf8') === value;

/**
 * Decodes a cursor; a tampered or foreign cursor is a 422 on `cursor`,
 * including one whose key values DynamoDB would refuse (a number for a
 * string key, an empty, oversized or not-Unicode string), which would
 * otherwise reach the query and fail it as a 500.
 */
export const decodeCursor = (cursor: string | undefined, keyNames: readonly string[]): PageKey | undefined => {
  if (cursor === undefined) return undefined;
  const invalid = () => new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }], 'INVALID_CURSOR');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  }
  // Stryker disable next-line BlockStatement: without the throw, parsed stays undefined and the object check below throws the same
  catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  const names = new Set(keyNames);
  if (entries.length !== names.size || entries.some(([k, v]) => !names.has(k) || !isKeyValue(v))) {
    throw invalid();
  }
  return Object.fromEntries(entries) as PageKey;
};
