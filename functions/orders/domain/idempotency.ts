import { createHash } from 'node:crypto';
import * as z from '../../shared/zod';

/** How long a key protects retries; after that the same key places a new order. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** The `Idempotency-Key` header: 1-255 of letters, digits and `_ . : -`. */
export const idempotencyKeySchema = z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,255}$/, 'must be 1-255 letters, digits or _ . : -'));

/**
 * Remembers which order a user's Idempotency-Key placed, and for which
 * request, so a retry gets the first answer and a different request with the
 * same key is refused.
 */
export interface IdempotencyRecord {
  readonly userId: string;
  readonly key: string;
  /** {@link requestHash} of the validated request. */
  readonly requestHash: string;
  readonly orderId: string;
  readonly createdAt: string;
  /** Epoch seconds after which the record no longer counts (and DynamoDB TTL may delete it). */
  readonly expiresAt: number;
}

/** JSON with object keys sorted at every level, so equal requests serialize equally. */
export const canonicalJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    // Stryker disable next-line EqualityOperator,ConditionalExpression: keys are unique (never equal), and sorting under 64 items (binary insertion) only asks whether the result is negative
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
};

/** sha256 (hex) of the canonical JSON of a validated request. */
export const requestHash = (request: unknown): string => createHash('sha256').update(canonicalJson(request)).digest('hex');
