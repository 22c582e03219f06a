import fc, { type Arbitrary } from 'fast-check';
import { problem, type Outcome } from './model';

/** JSON text spliced in as is where a value would go: what `JSON.stringify` cannot write (1e400, 20 000 nested arrays). */
export class RawJson {
  public constructor(public readonly text: string) {}
}

const PLACEHOLDER = /"\\u0000raw(\d+)\\u0000"/g;

/** JSON text of a value that may hold {@link RawJson} pieces. */
export const serialize = (value: unknown): string => {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => (item instanceof RawJson ? `\u0000raw${raws.push(item.text) - 1}\u0000` : item)) ?? '';
  return text.replace(PLACEHOLDER, (_match, index: string) => raws[Number(index)] ?? '');
};

/** True when `JSON.parse` refuses the text: the definition of "not JSON" the handlers apply (RFC 8259 as ECMAScript reads it). */
export const isMalformedJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return true;
  }
};

const excerpt = (text: string, max = 60): string => (text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text);

/** A value as the failure message shows it. */
export const show = (value: unknown): string => (value instanceof RawJson ? `raw ${excerpt(value.text)}` : excerpt(serialize(value) || String(value)));

/** The shape of a request body, field by field: what is valid and what the fuzzer may break. */
export type FieldSpec =
  | { readonly kind: 'string'; readonly valid: (value: string) => boolean; readonly bad: Arbitrary<string>; /** null is a value too (it removes the field). */ readonly nullable?: boolean }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Field>> }
  | { readonly kind: 'array'; readonly items: FieldSpec; readonly minItems: number; readonly maxItems: number };

export interface Field {
  readonly spec: FieldSpec;
  readonly required: boolean;
}

/** A body broken on purpose: the value, what was done, and the right answers (a 422 unless said otherwise). */
export interface Mutation {
  readonly value: unknown;
  readonly what: string;
  readonly outcomes?: readonly Outcome[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof RawJson);

/** A copy with `key` set as an own, enumerable property, even `__proto__` (which plain assignment would not create). */
export const withKey = (object: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...object };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
};

const withoutKey = (object: Record<string, unknown>, key: string): Record<string, unknown> =>
  Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));

const label = (path: ReadonlyArray<string | number>): string => (path.length === 0 ? '(body)' : path.join('.'));

/** Whether a JSON number (or a raw literal) is an integer in [min, max], as JSON.parse reads it. */
const integerIn = (value: unknown, min: number, max: number): boolean => {
  const number = value instanceof RawJson ? (JSON.parse(value.text) as unknown) : value;
  return typeof number === 'number' && Number.isInteger(number) && number >= min && number <= max;
};

/** Numbers outside [min, max] or not whole: negative, zero, fractional, huge, 1e400, -0 where 0 is not allowed... */
export const badIntegers = (min: number, max: number): Arbitrary<unknown> => {
  const above =
    max < Number.MAX_SAFE_INTEGER - 1
      ? fc.integer({ min: max + 1, max: Math.min(max + 1_000_000_000, Number.MAX_SAFE_INTEGER) })
      : fc.double({ min: 2 ** 53, max: 1e300, noNaN: true });
  const rawLiterals = ['1e400', '-1e400', '1e-400', '-0', '0.0', '1.0', '1E3', `1${'0'.repeat(40)}`, '0.000001', '99999999999999999999', '123456789012345678901234567890e-30'];
  return fc
    .oneof(
      fc.integer({ min: -1_000_000_000, max: min - 1 }),
      above,
      fc.double({ min: min - 10, max: Math.min(max + 10, 1e15), noNaN: true }).filter((n) => !Number.isInteger(n)),
      fc.constantFrom(-1, 0, 0.5, 1.5, 1e21, 1e300, -1e300, Number.MAX_SAFE_INTEGER + 2, 2 ** 64, Number.MIN_VALUE, -Number.MAX_VALUE),
      fc.constantFrom(...rawLiterals).map((text) => new RawJson(text)),
    )
    .filter((value) => !integerIn(value, min, max));
};

const smallJson = fc.jsonValue({ maxDepth: 2 });

/** Nesting far deeper than any body needs; V8 parses it, or gives up (a 400 then). */
const deepNesting: Arbitrary<{ readonly value: RawJson; readonly what: string }> = fc
  .tuple(fc.constantFrom('arrays', 'objects'), fc.integer({ min: 64, max: 9000 }))
  .map(([kind, depth]) => ({
    value: new RawJson(kind === 'arrays' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    what: `${depth} ${kind} deep`,
  }));

const numericStrings = fc.oneof(
  fc.integer().map(String),
  fc.constantFrom('1', '0', '-1', '1.5', 'NaN', 'Infinity', '-Infinity', '1e3', '0x10', '\uff15', '\u0663', ' 7 ', '', '10\u00a0', '+1'),
);

/** Values whose JSON type is not `kind`: a string for a number, an array for an object... */
export const wrongType = (kind: FieldSpec['kind']): Arbitrary<unknown> => {
  const numbers = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  const arrays = fc.array(smallJson, { maxLength: 3 });
  const objects = fc.dictionary(fc.string({ maxLength: 6 }), smallJson, { maxKeys: 3 });
  const scalars = fc.oneof(fc.boolean(), fc.constant(null));
  switch (kind) {
    case 'string':
      return fc.oneof(numbers, scalars, arrays, objects);
    case 'integer':
      return fc.oneof(numericStrings, fc.string({ maxLength: 8 }), scalars, arrays, objects);
    case 'object':
      return fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('{"amount":1250,"currency":"EUR"}', '[object Object]'), numbers, scalars, arrays);
    case 'array':
      return fc.oneof(fc.string({ maxLength: 12 }), numbers, scalars, objects);
  }
};

/** Names no body accepts, the fields a client must never send first (prices, totals, whose order it is). */
const EXTRA_KEYS = ['unitPrice', 'total', 'userId', 'orderId', 'status', 'createdAt', 'updatedAt', 'sub', 'isAdmin', 'price', 'stock', 'id', '__proto__', 'constructor', 'prototype', 'Name', 'ID', 'items ', '', ' ', 'name\u0000', '\u00e9', '$where'];

const extraValue = (key: string): Arbitrary<unknown> => {
  switch (key) {
    case 'unitPrice':
    case 'total':
    case 'price':
      return fc.record({ amount: fc.integer({ min: 0, max: 10_000 }), currency: fc.constant('EUR') });
    case 'userId':
    case 'sub':
      return fc.constantFrom('someone-else', 'admin', '00000000-0000-4000-8000-000000000000');
    case 'status':
      return fc.constantFrom('CONFIRMED', 'DELIVERED');
    case 'isAdmin':
      return fc.constant(true);
    case '__proto__':
      return fc.constantFrom({ isAdmin: true }, { polluted: 'yes' });
    default:
      return smallJson;
  }
};

/** An unknown field with a plausible (or any) value. */
const extraField = (known: readonly string[]): Arbitrary<readonly [string, unknown]> =>
  fc
    .oneof({ weight: 3, arbitrary: fc.constantFrom(...EXTRA_KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) })
    .filter((key) => !known.includes(key))
    .chain((key) => extraValue(key).map((value) => [key, value] as const));

/**
 * Every way to break a value of `spec` (valid as given) at some depth: a
 * wrong type, a value out of its range, a missing required field, an unknown
 * field, too few or too many items, nesting thousands deep. Each result
 * breaks the schema by construction; the 422 it earns is the schema's.
 */
export const breakValue = (spec: FieldSpec, value: unknown, path: ReadonlyArray<string | number> = []): Arbitrary<Mutation> => {
  const at = label(path);
  const options: Array<{ weight: number; arbitrary: Arbitrary<Mutation> }> = [
    {
      weight: 2,
      arbitrary: wrongType(spec.kind)
        .filter((v) => !(v === null && spec.kind === 'string' && spec.nullable === true))
        .map((v) => ({ value: v, what: `${at} of the wrong type: ${show(v)}` })),
    },
    {
      weight: 1,
      arbitrary: deepNesting.map((deep) => ({
        value: deep.value,
        what: `${at} nested ${deep.what}`,
        outcomes: [problem(422, 'VALIDATION_FAILED'), problem(400, 'MALFORMED_JSON')],
      })),
    },
  ];
  if (spec.kind === 'string') {
    options.push({ weight: 4, arbitrary: spec.bad.filter((s) => !spec.valid(s)).map((v) => ({ value: v, what: `${at} = ${show(v)}` })) });
  }
  if (spec.kind === 'integer') {
    options.push({ weight: 5, arbitrary: badIntegers(spec.min, spec.max).map((v) => ({ value: v, what: `${at} = ${show(v)} (not an integer in ${spec.min}..${spec.max})` })) });
  }
  if (spec.kind === 'array' && Array.isArray(value)) {
    const items: readonly unknown[] = value;
    options.push({ weight: 1, arbitrary: fc.constant({ value: [], what: `${at} empty (at least ${spec.minItems})` }) });
    if (items.length > 0) {
      options.push({
        weight: 1,
        arbitrary: fc.integer({ min: spec.maxItems + 1, max: spec.maxItems + 5 }).map((n) => ({
          value: Array.from({ length: n }, (_, i) => items[i % items.length]),
          what: `${at} with ${n} items (at most ${spec.maxItems})`,
        })),
      });
      options.push({
        weight: 6,
        arbitrary: fc.nat(items.length - 1).chain((index) =>
          breakValue(spec.items, items[index], [...path, index]).map((m) => ({ ...m, value: items.map((item, i) => (i === index ? m.value : item)) })),
        ),
      });
    }
  }
  if (spec.kind === 'object' && isRecord(value)) {
    const object = value;
    const names = Object.keys(spec.fields);
    options.push({
      weight: 2,
      arbitrary: extraField(names).map(([key, v]) => ({ value: withKey(object, key, v), what: `unknown field ${label([...path, key])} = ${show(v)}` })),
    });
    const required = names.filter((name) => spec.fields[name]?.required && name in object);
    if (required.length > 0) {
      options.push({ weight: 2, arbitrary: fc.constantFrom(...required).map((name) => ({ value: withoutKey(object, name), what: `${label([...path, name])} missing` })) });
    }
    options.push({
      weight: 8,
      arbitrary: fc.constantFrom(...names).chain((name) => {
        const field = spec.fields[name];
        if (!field) throw new Error(`no field ${name}`);
        return breakValue(field.spec, object[name], [...path, name]).map((m) => ({ ...m, value: withKey(object, name, m.value) }));
      }),
    });
  }
  return fc.oneof(...options);
};

/** Bytes of a JSON text and what was done to it. */
export interface Malformed {
  readonly bytes: Buffer;
  readonly what: string;
}

/** Tokens JSON does not have, where a value goes. */
const NOT_JSON_VALUES = [
  'NaN', 'Infinity', '-Infinity', 'undefined', "'single'", '0x10', '01', '.5', '+1', '1.', '- 1', 'True', 'None', 'nul', '"unterminated',
  '"bad \\x41 escape"', '"\\u12"', '"raw \u0001 control"', '"tab\tinside"', '[1,]', '{"a":1,}', '{a:1}', '"a" "b"', '1 2', '@', '#1', '"\\"',
];

const bytesOf = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Byte sequences that are not UTF-8 (a lone 0xFF, an overlong '/', a lone continuation byte, an encoded surrogate, a 5-byte form). */
const NOT_UTF8 = [[0xff], [0xc0, 0xaf], [0x80], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xfe, 0xff]];

/**
 * Ways to make a JSON object text (`{...}`) unreadable: cut short, junk
 * after or before it, a token JSON lacks, a trailing comma, comments,
 * single quotes, an unclosed nest, a byte order mark, UTF-16, bytes that
 * are not UTF-8 outside strings, only blanks. Every result fails `JSON.parse`
 * after UTF-8 decoding, which is what the handler sees.
 */
export const malformedJson = (text: string): Arbitrary<Malformed> => {
  const inner = text.slice(1, -1);
  const member = (raw: string) => `{${inner}${inner === '' ? '' : ','}"k":${raw}}`;
  return fc
    .oneof(
      fc.integer({ min: 1, max: Math.max(1, text.length - 1) }).map((cut) => ({ bytes: bytesOf(text.slice(0, cut)), what: `cut after ${cut} of ${text.length} characters` })),
      fc.oneof(fc.constantFrom('x', '}', ']', ',', '{}', 'null', '\u0000', '//', ';', '\u00a0'), fc.string({ minLength: 1, maxLength: 8 }).filter((s) => !/^[ \t\n\r]/.test(s))).map((junk) => ({
        bytes: bytesOf(`${text}${junk}`),
        what: `junk after the value: ${JSON.stringify(junk)}`,
      })),
      fc.constantFrom('x', ')]}\'\n', '\u0000', 'callback(', '<?xml?>').map((junk) => ({ bytes: bytesOf(`${junk}${text}`), what: `junk before the value: ${JSON.stringify(junk)}` })),
      fc.constantFrom(...NOT_JSON_VALUES).map((raw) => ({ bytes: bytesOf(member(raw)), what: `a member whose value is ${JSON.stringify(raw)}` })),
      fc.constant({ bytes: bytesOf(`${text.slice(0, -1)},}`), what: 'a trailing comma' }),
      fc.constantFrom('/* comment */ ', '// comment\n').map((comment) => ({ bytes: bytesOf(`${comment}${text}`), what: `a comment (${comment.trim()})` })),
      fc.constant({ bytes: bytesOf(text.replace(/"/g, "'")), what: 'single quotes' }),
      fc.integer({ min: 1, max: 20_000 }).map((depth) => ({ bytes: bytesOf(`{"k":${'['.repeat(depth)}`), what: `${depth} arrays opened, none closed` })),
      fc.constant({ bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytesOf(text)]), what: 'a UTF-8 byte order mark first' }),
      fc.boolean().map((bom) => ({ bytes: Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]), what: `UTF-16LE${bom ? ' with a byte order mark' : ''}` })),
      fc.tuple(fc.constantFrom(...NOT_UTF8), fc.constantFrom('start', 'after {', 'end')).map(([bad, where]) => {
        const raw = Buffer.from(bad);
        const body = bytesOf(text);
        const bytes = where === 'start' ? Buffer.concat([raw, body]) : where === 'end' ? Buffer.concat([body, raw]) : Buffer.concat([body.subarray(0, 1), raw, body.subarray(1)]);
        return { bytes, what: `bytes that are not UTF-8 (${raw.toString('hex')}) at the ${where}` };
      }),
      fc.constantFrom(' ', '\n', '\t \r\n').map((blank) => ({ bytes: bytesOf(blank), what: `only blanks (${JSON.stringify(blank)})` })),
    )
    .filter((m) => isMalformedJson(m.bytes.toString('utf8')));
};

/** Length in code points, as the schemas count it (an emoji is one, not two UTF-16 units). */
const codePoints = (value: string): number => [...value].length;

/** Strings for fields that must be non-blank and at most `max` code points long once trimmed. */
export const trimmedText = (min: number, max: number): FieldSpec => ({
  kind: 'string',
  valid: (value) => codePoints(value.trim()) >= min && codePoints(value.trim()) <= max,
  bad: fc.oneof(
    ...(min > 0 ? [fc.constantFrom('', ' ', '\t\n', '\u00a0', '\u3000', '\u2028', '\ufeff', '\u205f \u1680')] : []),
    fc.integer({ min: max + 1, max: max + 60 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: max + 1, max: max + 30 }).map((n) => '\u{1F600}'.repeat(n)),
  ),
});

/** A string that must match `pattern`: anything else, odd Unicode included. */
export const patterned = (pattern: RegExp, near: readonly string[]): FieldSpec => ({
  kind: 'string',
  valid: (value) => pattern.test(value),
  bad: fc.oneof(
    fc.constantFrom(...near),
    fc.string({ maxLength: 12 }),
    fc.string({ maxLength: 6, unit: 'grapheme' }),
    fc.string({ maxLength: 6, unit: 'binary' }),
  ),
});
