import { ValidationError } from './errors';

/** DynamoDB key of the last item of a page. */
export type PageKey = Record<string, string | number>;

/** Opaque pagination cursor: base64url JSON of the last evaluated key. */
export const encodeCursor = (key: PageKey | undefined): string | undefined =>
  key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;

/** Decodes a cursor; a tampered or foreign cursor is a 422 on `cursor`. */
export const decodeCursor = (cursor: string | undefined, keyNames: readonly string[]): PageKey | undefined => {
  if (cursor === undefined) return undefined;
  const invalid = () => new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }], 'INVALID_CURSOR');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (error) {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid();
  const entries = Object.entries(parsed);
  const names = new Set(keyNames);
  if (entries.length !== names.size || entries.some(([k, v]) => !names.has(k) || (typeof v !== 'string' && typeof v !== 'number'))) {
    throw invalid();
  }
  return Object.fromEntries(entries) as PageKey;
};
