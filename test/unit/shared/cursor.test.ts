import { decodeCursor, encodeCursor } from '../../../functions/shared/cursor';

const cursorOf = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('decodeCursor', () => {
  it('gives back the key encodeCursor made', () => {
    const key = { pk: 'ORDER#1', gsi1pk: 'user', gsi1sk: '2024-01-01T00:00:00.000Z#1' };

    expect(decodeCursor(encodeCursor(key), ['pk', 'gsi1pk', 'gsi1sk'])).toEqual(key);
  });

  it.each([
    ['a number for a string key', { pk: 0 }],
    ['an empty key', { pk: '' }],
    ['a key longer than DynamoDB allows a sort key', { pk: 'k'.repeat(1025) }],
    ['a key with a lone surrogate (not Unicode text)', { pk: 'x\udc00y' }],
    ['a key of the wrong type', { pk: ['x'] }],
    ['another key name', { id: 'x' }],
    ['an extra key', { pk: 'x', admin: 'yes' }],
  ])('refuses %s as INVALID_CURSOR (422), before DynamoDB would fail the query', (_what, key) => {
    expect(() => decodeCursor(cursorOf(key), ['pk'])).toThrow(
      expect.objectContaining({ status: 422, code: 'INVALID_CURSOR', issues: [{ path: 'cursor', message: expect.stringMatching(/\S/) }] }),
    );
  });

  it('accepts a key value of exactly 1,024 bytes, counted in UTF-8', () => {
    const key = { pk: `${'é'.repeat(511)}kk` };
    expect(Buffer.byteLength(key.pk, 'utf8')).toBe(1024);
    expect(decodeCursor(cursorOf(key), ['pk'])).toEqual(key);
    expect(() => decodeCursor(cursorOf({ pk: `${key.pk}k` }), ['pk'])).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
  });

  it.each([
    ['the first', { pk: '', gsi1pk: 'user', gsi1sk: 's' }],
    ['the second', { pk: 'ORDER#1', gsi1pk: 3, gsi1sk: 's' }],
    ['the last', { pk: 'ORDER#1', gsi1pk: 'user', gsi1sk: 'k'.repeat(1025) }],
    ['a missing', { pk: 'ORDER#1', gsi1pk: 'user' }],
  ])('refuses a three-key cursor when only %s value is bad', (_which, key) => {
    expect(() => decodeCursor(cursorOf(key), ['pk', 'gsi1pk', 'gsi1sk'])).toThrow(expect.objectContaining({ status: 422, code: 'INVALID_CURSOR' }));
  });

  it('has no cursor for the last page, and reads a missing cursor as the first page', () => {
    expect(encodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor(undefined, ['pk'])).toBeUndefined();
  });

  it('refuses what is not base64url JSON of an object', () => {
    for (const cursor of ['', '!!!', cursorOf([1]), cursorOf(null), 'e30']) {
      expect(() => decodeCursor(cursor, ['pk'])).toThrow(expect.objectContaining({ code: 'INVALID_CURSOR' }));
    }
  });
});
