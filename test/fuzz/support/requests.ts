import fc, { type Arbitrary } from 'fast-check';
import { catalogRoutes } from '../../../functions/catalog/routes';
import { healthRoutes } from '../../../functions/health/routes';
import { inventoryRoutes } from '../../../functions/inventory/routes';
import { ordersRoutes } from '../../../functions/orders/routes';
import type { Access } from '../../../functions/shared/http';
import { shippingRoutes } from '../../../functions/shipping/routes';
import { breakValue, isMalformedJson, malformedJson, patterned, serialize, show, trimmedText, withKey, type FieldSpec, type Mutation } from './bodies';
import type { CallerVariant } from './callers';
import { MAX_BODY_BYTES } from '../../../functions/shared/http';
import { describeCase, gateway, problem, type Body, type Defect, type FuzzCase, type Outcome, type Stage } from './model';

/** Every route the API serves: the services' route tables and the health check. */
export const API_ROUTES: Readonly<Record<string, Access>> = { ...catalogRoutes, ...inventoryRoutes, ...ordersRoutes, ...shippingRoutes, ...healthRoutes };

/** What the fuzzer knows of the shop it runs against: who may call, and the products seeded before the run. */
export interface FuzzWorld {
  readonly callers: readonly CallerVariant[];
  /** Two products in euros (a few units cost little), one in dollars, one in euros at Number.MAX_SAFE_INTEGER cents. */
  readonly products: { readonly euro: readonly [string, string]; readonly dollar: string; readonly pricey: string };
}

const PRODUCT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Anything shaped like a UUID, in either case: never used as a "not a UUID" input. */
const UUID_SHAPED = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;
const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;.*)?$/i;
const TEN_MB = 10 * 1024 * 1024;

const decodeSegment = (text: string): string => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

/** Percent-encodes every UTF-8 byte but the unreserved characters (a lone surrogate becomes U+FFFD first, as UTF-8 cannot carry it). */
export const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((byte) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');

/** The route API Gateway selects for a request, as it matches them: literal segments after percent-decoding, a variable matches any non-empty segment. */
export const routeOf = (method: string, target: string): string | undefined => {
  const rawPath = target.split('?', 1)[0] ?? '';
  const parts = rawPath === '/' || rawPath === '' ? [] : rawPath.slice(1).split('/');
  return Object.keys(API_ROUTES).find((key) => {
    const [routeMethod, routePath = ''] = key.split(' ');
    if (routeMethod !== method) return false;
    const segments = routePath === '/' ? [] : routePath.slice(1).split('/');
    return segments.length === parts.length && segments.every((segment, i) => (segment.startsWith('{') ? parts[i] !== '' : decodeSegment(parts[i] ?? '') === segment));
  });
};

/** A value of the query string as the functions see it: decoded, repeated names joined with commas (API Gateway's way). */
const queryView = (parts: readonly string[]): ReadonlyMap<string, string> => {
  const view = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(parts.join('&'))) view.set(name, view.has(name) ? `${view.get(name) ?? ''},${value}` : value);
  return view;
};

/** A header as the functions see it: blanks around each value dropped, repeats joined with commas. */
const headerView = (values: readonly string[]): string => values.map((v) => v.replace(/^[ \t]+|[ \t]+$/g, '')).join(',');

// ---------------------------------------------------------------- callers

const callerDefect = (access: Access, caller: CallerVariant): Defect | undefined => {
  if (access === 'public') return undefined;
  switch (caller.standing) {
    case 'refused':
      return { stage: 'gateway: JWT authorizer', what: `credentials the authorizer refuses: ${caller.what}`, outcomes: [gateway(401)] };
    case 'no-sub':
      return { stage: 'handler: access level', what: `${caller.what}: signed, but names nobody`, outcomes: [problem(401, 'UNAUTHORIZED')] };
    case 'user':
      return access === 'user' ? undefined : { stage: 'handler: access level', what: `${caller.what} on an '${access}' route`, outcomes: [problem(403, 'FORBIDDEN')] };
    case 'carrier':
      return access === 'admin' ? { stage: 'handler: access level', what: `${caller.what} on an 'admin' route`, outcomes: [problem(403, 'FORBIDDEN')] } : undefined;
    case 'admin':
      return undefined;
  }
};

const callers = (world: FuzzWorld, access: Access, refused: boolean): Arbitrary<CallerVariant> | undefined => {
  const fitting = world.callers.filter((caller) => (callerDefect(access, caller) !== undefined) === refused);
  return fitting.length > 0 ? fc.constantFrom(...fitting) : undefined;
};

// ---------------------------------------------------------------- path parameters

type IdKind = 'product' | 'order' | 'shipment';

/** A path parameter: the segment as sent, and what is wrong with it. */
interface SegmentPick {
  readonly segment: string;
  readonly defect?: Defect;
}

const idIsValid: Readonly<Record<IdKind, (id: string) => boolean>> = {
  product: (id) => PRODUCT_ID.test(id),
  order: (id) => UUID_SHAPED.test(id),
  shipment: (id) => id.startsWith('shp-') && UUID_SHAPED.test(id.slice(4)),
};

const ODD_TEXT = [
  '../../etc/passwd', '..\\..\\windows\\win.ini', 'a/b', 'fuzz-mug?x=1', 'fuzz-mug#frag', ' fuzz-mug', 'fuzz-mug ', 'fuzz-mug\n', 'fuzz-mug\u0000',
  '\uff46\uff55\uff5a\uff5a', 'fuzz\u2010mug', '\u0130', '\u{1F600}', '<script>alert(1)</script>', "' OR '1'='1", '{"$ne":null}', '${jndi:ldap://x/a}',
  'fuzz-mug\u200b', 'ORDER#1', 'a;b', 'a=b', '\ud800', 'null', 'undefined', '[object Object]', '\u202eevil',
];
/** Segments sent as they are: broken or sneaky percent-encodings. */
const RAW_SEGMENTS = ['%ZZ', '%', '%E0%A4%A', '%C0%AF', '%2e%2e', '%252F', '..%2F..%2Fetc%2Fpasswd', '%u002e', '%00', '%F0%9F%98', '.', '..', '%2F', '%20'];

const uuid = fc.uuid({ version: 4 });

const nearMisses: Readonly<Record<IdKind, Arbitrary<string>>> = {
  product: fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{64,90}$/),
    fc.tuple(fc.constantFrom('-', '_'), fc.stringMatching(/^[A-Za-z0-9_-]{0,10}$/)).map(([first, rest]) => `${first}${rest}`),
    fc.tuple(fc.stringMatching(/^[A-Za-z0-9]{1,8}$/), fc.constantFrom('.', '!', ' ', '~', '*', '@', ':', '+', '\u00e9', '\u0131'), fc.stringMatching(/^[A-Za-z0-9]{0,8}$/)).map(([a, bad, b]) => `${a}${bad}${b}`),
  ),
  order: fc.oneof(
    uuid.map((id) => id.replace(/-/g, '')),
    uuid.map((id) => `${id}x`),
    uuid.map((id) => `{${id}}`),
    uuid.map((id) => `ORDER#${id}`),
    uuid.map((id) => id.slice(0, -1)),
    uuid.map((id) => `urn:uuid:${id}`),
    uuid.map((id) => `${id.slice(0, 9)}g${id.slice(10)}`),
    uuid.map((id) => `shp-${id}`),
    fc.stringMatching(/^[0-9]{1,20}$/),
  ),
  shipment: fc.oneof(
    uuid,
    uuid.map((id) => `SHP-${id}`),
    uuid.map((id) => `shp_${id}`),
    uuid.map((id) => `shp-${id}x`),
    uuid.map((id) => `shp-${id.replace(/-/g, '')}`),
    fc.constant('shp-'),
    fc.stringMatching(/^[a-z0-9-]{1,30}$/).map((id) => `shp-${id}`),
  ),
};

const invalidSegment = (kind: IdKind): Arbitrary<SegmentPick> =>
  fc
    .oneof(
      { weight: 3, arbitrary: nearMisses[kind].map(percentEncode) },
      { weight: 2, arbitrary: fc.oneof(fc.constantFrom(...ODD_TEXT), fc.string({ minLength: 1, maxLength: 12, unit: 'grapheme' }), fc.string({ minLength: 1, maxLength: 12, unit: 'binary' })).map(percentEncode) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_SEGMENTS) },
    )
    .filter((segment) => segment !== '' && !idIsValid[kind](decodeSegment(segment)))
    .map((segment) => ({
      segment,
      defect: { stage: 'handler: path and query', what: `${kind} id ${JSON.stringify(decodeSegment(segment))} is malformed`, outcomes: [problem(422, 'VALIDATION_FAILED')] },
    }));

const unknownIds: Readonly<Record<IdKind, Arbitrary<string>>> = {
  product: fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/).map((rest) => `nx-${rest}`),
  order: uuid,
  shipment: uuid.map((id) => `shp-${id}`),
};

/** The id in the path: `unknown` is the answer to an id of the right form that names nothing (none when that is fine, as for setting stock). */
interface PathParam {
  readonly kind: IdKind;
  readonly unknown?: Outcome;
}

const knownSegment = (world: FuzzWorld): Arbitrary<SegmentPick> =>
  fc.constantFrom(...world.products.euro, world.products.dollar, world.products.pricey).map((id) => ({ segment: id }));

const unknownSegment = (param: PathParam): Arbitrary<SegmentPick> =>
  unknownIds[param.kind].map((id) => {
    const { unknown } = param;
    return unknown ? { segment: id, defect: { stage: 'handler: business rule', what: `no ${param.kind} ${id}`, outcomes: [unknown] } } : { segment: id };
  });

// ---------------------------------------------------------------- query strings (?limit=&cursor=)

type Page = 'products' | 'orders';

/** A query string for the caller with this `sub` (an orders cursor is only ever valid for its own user). */
type QueryPick = (sub: string) => { readonly parts: readonly string[]; readonly defect?: Defect };

const CURSOR_KEYS: Readonly<Record<Page, readonly string[]>> = { products: ['pk', 'listing', 'id'], orders: ['pk', 'gsi1pk', 'gsi1sk'] };

/** A category as the catalog accepts it: a lowercase slug of at most 40 characters. */
const CATEGORY = /^(?=.{1,40}$)[a-z0-9]+(?:-[a-z0-9]+)*$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A UTF-16 surrogate without its other half: not Unicode text, so never in a key the API made. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether the API could fairly accept a cursor: base64url JSON of exactly the
 * page's key attributes, each a string DynamoDB could hold as a key (they
 * are string keys: non-empty, at most 1024 bytes for a sort key), with the
 * caller as the orders' user. Anything else is a tampered cursor.
 */
const cursorMayBeValid = (cursor: string, page: Page, sub?: string): boolean => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (!isRecord(parsed)) return false;
  const keys = CURSOR_KEYS[page];
  const entries = Object.entries(parsed);
  if (entries.length !== keys.length || !entries.every(([key, value]) => keys.includes(key) && typeof value === 'string' && value !== '' && !LONE_SURROGATE.test(value) && Buffer.byteLength(value) <= 1024)) return false;
  // A products cursor is of the listing of every product (the fuzzer never filters by category): its item's id is its key.
  if (page === 'products') return parsed.listing === 'PRODUCT' && parsed.pk === parsed.id;
  return sub === undefined || parsed.gsi1pk === sub;
};

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

const validLimit = (view: ReadonlyMap<string, string>): boolean => {
  const limit = view.get('limit');
  if (limit === undefined) return true;
  const n = Number(limit);
  return Number.isInteger(n) && n >= 1 && n <= 100;
};

const queryDefect = (what: string, code = 'VALIDATION_FAILED', stage: Stage = 'handler: path and query'): Defect => ({ stage, what, outcomes: [problem(422, code)] });

const validQuery: Arbitrary<QueryPick> = fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }).map((limit) => () => ({ parts: limit === undefined ? [] : [`limit=${limit}`] }));

const badLimits = fc.oneof(
  fc.integer({ max: 0 }).map(String),
  fc.integer({ min: 101 }).map(String),
  fc.double({ noNaN: true, min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('', 'NaN', 'Infinity', '-Infinity', '1e3', '101', '0', '-1', '1.5', '0.0001', '20abc', 'twenty', '\u0663', '\uff11\uff10', ' ', '1_0', '1,5', '9'.repeat(400), 'null', '[]'),
  fc.string({ maxLength: 10 }),
);

const unknownParams = fc.oneof(
  fc.tuple(fc.constantFrom('offset', 'page', 'Limit', 'LIMIT', 'cursor ', 'limit[]', 'limit.x', 'sort', 'q', '__proto__', 'constructor', 'toString', 'userId'), fc.string({ maxLength: 10 })).map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`),
  fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })).map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`),
  fc.constantFrom('flag', '=x', 'a[b]=1', 'cursor%00=1', 'limit%5B%5D=5'),
);

const cursorShapes = (page: Page): Arbitrary<(sub: string) => unknown> => {
  const keys = CURSOR_KEYS[page];
  const wrongValue = fc.oneof(
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('', '\ud800', 'x\udc00y'),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.dictionary(fc.string({ maxLength: 3 }), fc.string({ maxLength: 3 }), { maxKeys: 2 }),
  );
  const own = (sub: string, key: string, value: unknown): Record<string, unknown> =>
    Object.fromEntries(keys.map((k) => [k, k === key ? value : k === 'gsi1pk' ? sub : `${k}-value`]));
  return fc.oneof(
    fc.jsonValue({ maxDepth: 2 }).map((value) => () => value),
    fc.tuple(fc.constantFrom(...keys), wrongValue).map(([key, value]) => (sub: string) => own(sub, key, value)),
    fc.tuple(fc.constantFrom(...keys), fc.integer({ min: 1025, max: 1300 })).map(([key, length]) => (sub: string) => own(sub, key, 'k'.repeat(length))),
    fc.constantFrom(...keys).map((key) => (sub: string) => Object.fromEntries(Object.entries(own(sub, key, '')).filter(([k]) => k !== key))),
    fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([key, value]) => (sub: string) => withKey(own(sub, keys[0] ?? 'pk', 'x'), key, value)),
    ...(page === 'orders' ? [uuid.map((other) => () => ({ pk: `ORDER#${other}`, gsi1pk: other, gsi1sk: `2024-01-01T00:00:00.000Z#${other}` }))] : []),
  );
};

const garbageCursors = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ maxLength: 12, unit: 'binary' }),
  fc.base64String({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc.constantFrom('', '!!!', 'null', 'e30', 'W10', 'bnVsbA', '%', '..', 'eyJwayI6'),
);

const badCategories = fc
  .oneof(
    fc.constantFrom('', 'Coffee', 'COFFEE', 'coffee ', ' coffee', 'kitchen_tools', 'kitchen tools', '-coffee', 'coffee-', 'a--b', 'caf\u00e9', 'x'.repeat(41), '..', 'coffee/x', '%'),
    fc.string({ maxLength: 12 }),
  )
  .filter((category) => !CATEGORY.test(category));

const invalidQuery = (page: Page): Arbitrary<QueryPick> =>
  fc.oneof(
    badLimits
      .map((limit) => [`limit=${percentEncode(limit)}`])
      .filter((parts) => !validLimit(queryView(parts)))
      .map((parts) => () => ({ parts, defect: queryDefect(`limit ${JSON.stringify(queryView(parts).get('limit'))} is not 1..100`) })),
    fc.tuple(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 100 })).map(([a, b]) => () => ({ parts: [`limit=${a}`, `limit=${b}`], defect: queryDefect(`limit given twice (${a},${b})`) })),
    fc.tuple(validQuery, unknownParams)
      .filter(([, param]) => [...queryView([param]).keys()].some((name) => name !== 'limit' && name !== 'cursor' && !(page === 'products' && name === 'category')))
      .map(([valid, param]) => (sub: string) => ({ parts: [...valid(sub).parts, param], defect: queryDefect(`unknown query parameter ${JSON.stringify([...queryView([param]).keys()])}`) })),
    fc.integer({ min: 2049, max: 2600 }).map((length) => () => ({ parts: [`cursor=${'Q'.repeat(length)}`], defect: queryDefect(`a cursor of ${length} characters`) })),
    fc.tuple(validQuery, garbageCursors)
      .filter(([, cursor]) => !cursorMayBeValid(cursor, page))
      .map(([valid, cursor]) => (sub: string) => ({
        parts: [...valid(sub).parts, `cursor=${percentEncode(cursor)}`],
        defect: queryDefect(`cursor ${JSON.stringify(cursor.slice(0, 60))} is not one the API returned`, 'INVALID_CURSOR', 'handler: cursor'),
      })),
    ...(page === 'products'
      ? [
          fc.tuple(validQuery, badCategories).map(([valid, category]) => (sub: string) => ({
            parts: [...valid(sub).parts, `category=${percentEncode(category)}`],
            defect: queryDefect(`category ${JSON.stringify(category)} is not a lowercase slug`),
          })),
        ]
      : []),
    fc.tuple(validQuery, cursorShapes(page)).map(([valid, shape]) => (sub: string) => {
      const value = shape(sub);
      const cursor = b64(value);
      if (cursorMayBeValid(cursor, page, sub)) return valid(sub);
      return {
        parts: [...valid(sub).parts, `cursor=${cursor}`],
        defect: queryDefect(`cursor of ${show(value)} is not one the API returned`, 'INVALID_CURSOR', 'handler: cursor'),
      };
    }),
  );

// ---------------------------------------------------------------- Idempotency-Key

interface IdempotencyPick {
  readonly values: readonly string[];
  readonly defect?: Defect;
}

const headerChar = fc.integer({ min: 0x20, max: 0xff }).filter((code) => code !== 0x7f).map((code) => String.fromCharCode(code));
const validKey = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,64}$/);

const validIdempotency: Arbitrary<IdempotencyPick> = fc.option(validKey, { nil: undefined }).map((key) => ({ values: key === undefined ? [] : [key] }));

const invalidIdempotency: Arbitrary<IdempotencyPick> = fc
  .oneof(
    fc.constant(['']),
    fc.stringMatching(/^[A-Za-z0-9_.:-]{256,300}$/).map((key) => [key]),
    fc.tuple(validKey, fc.oneof(headerChar, fc.constant('\t')), validKey).map(([a, bad, b]) => [`${a}${bad}${b}`]),
    fc.tuple(validKey, validKey).map(([a, b]) => [a, b]),
  )
  .filter((values) => !IDEMPOTENCY_KEY.test(headerView(values)))
  .map((values) => ({
    values,
    defect: { stage: 'handler: Idempotency-Key', what: `Idempotency-Key ${JSON.stringify(headerView(values).slice(0, 80))}`, outcomes: [problem(422, 'VALIDATION_FAILED')] },
  }));

// ---------------------------------------------------------------- bodies

interface BodyPick {
  readonly contentTypes: readonly string[];
  readonly body?: Body;
  readonly defects: readonly Defect[];
}

/** How a route reads its body: the schema, valid bodies, and the business rules a valid body can still break. */
interface BodyModel {
  readonly spec: FieldSpec;
  readonly valid: Arbitrary<unknown>;
  /** Breaks only the whole-body rules (e.g. "at least one field"), beside what {@link breakValue} does. */
  readonly extraBreaks?: Arbitrary<Mutation>;
  readonly businessRules?: (value: unknown) => Arbitrary<Mutation & { readonly outcomes: readonly Outcome[] }>;
}

/** Content-Type headers a body is accepted with (none is not: a body without one is a 415). */
const VALID_CONTENT_TYPES: ReadonlyArray<readonly string[]> = [['application/json'], ['application/json; charset=utf-8'], ['Application/JSON'], ['application/vnd.api+json'], ['application/json;charset=UTF-8;foo=bar']];

const validContentTypes = fc.constantFrom(...VALID_CONTENT_TYPES);

const invalidContentTypes: Arbitrary<readonly string[]> = fc
  .oneof(
    fc.constantFrom(
      'text/plain', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'application/x-json',
      'application/json-seq', 'json', 'application', '', ' ', 'application/ json', 'application/json,text/plain', '*/*', 'application/octet-stream', 'image/png',
      'application/javascript', 'appl\u00efcation/json',
    ).map((type) => [type]),
    fc.constant(['application/json', 'application/json']),
    fc.constant([]),
    fc.string({ minLength: 1, maxLength: 30, unit: headerChar }).map((type) => [type]),
  )
  .filter((types) => !JSON_MEDIA_TYPE.test(headerView(types)));

const textBody = (text: string): Body => ({ kind: 'bytes', bytes: Buffer.from(text, 'utf8') });

/** Defects any body carries by its bytes alone, whatever was meant: none, too large, not JSON. */
const intrinsicDefects = (body: Body | undefined): Defect[] => {
  if (body === undefined || (body.kind === 'bytes' && body.bytes.length === 0)) {
    return [{ stage: 'handler: body required', what: 'no body', outcomes: [problem(400, 'BODY_REQUIRED')] }];
  }
  if (body.kind === 'filler') {
    return [{ stage: 'gateway: body over 10 MB', what: `a body of ${body.length} bytes`, outcomes: [gateway(413)] }];
  }
  const text = body.bytes.toString('utf8');
  const defects: Defect[] = [];
  const decodedBytes = Buffer.byteLength(text, 'utf8');
  if (decodedBytes > MAX_BODY_BYTES) defects.push({ stage: 'handler: 64 KiB limit', what: `a body of ${decodedBytes} bytes (${text.length} UTF-16 units)`, outcomes: [problem(413, 'PAYLOAD_TOO_LARGE')] });
  if (isMalformedJson(text)) defects.push({ stage: 'handler: JSON syntax', what: 'not JSON', outcomes: [problem(400, 'MALFORMED_JSON')] });
  return defects;
};

const bodyPick = (contentTypes: readonly string[], body: Body | undefined, defects: readonly Defect[] = []): BodyPick => ({
  contentTypes,
  ...(body === undefined ? {} : { body }),
  defects: [...defects, ...intrinsicDefects(body)],
});

const validBody = (model: BodyModel): Arbitrary<BodyPick> =>
  fc.tuple(validContentTypes, model.valid).map(([types, value]) => bodyPick(types, textBody(serialize(value))));

const oversized = (model: BodyModel): Arbitrary<BodyPick> =>
  fc
    .tuple(validContentTypes, model.valid, fc.constantFrom('blanks after', 'blanks before', 'euro signs in a field', 'ascii in a field'), fc.integer({ min: 1, max: 200_000 }))
    .map(([types, value, how, extra]) => {
      const text = serialize(value);
      const spare = MAX_BODY_BYTES - Buffer.byteLength(text) + (extra % 2 === 0 ? 1 : extra);
      const padded =
        how === 'blanks after'
          ? `${text}${' '.repeat(spare)}`
          : how === 'blanks before'
            ? `${'\n'.repeat(spare)}${text}`
            : serialize(withKey(isRecord(value) ? value : {}, 'pad', how === 'euro signs in a field' ? '\u20ac'.repeat(Math.ceil(spare / 3) + 4) : 'p'.repeat(spare + 10)));
      return bodyPick(types, textBody(padded));
    });

/** A body text made by hand, what it smuggles, and its answers when not the schema's 422. */
interface Smuggled {
  readonly text: string;
  readonly what: string;
  readonly outcomes?: readonly Outcome[];
}

/**
 * JSON with a field given twice, a valid value first and a broken one last:
 * JSON.parse keeps the last, so the body breaks the schema (a parser that
 * kept the first would let it through).
 */
const duplicateKeys = (model: BodyModel): Arbitrary<Smuggled> =>
  model.valid.chain((value): Arbitrary<Smuggled> => {
    const object = isRecord(value) ? value : {};
    const spec = model.spec;
    const names = Object.keys(object);
    if (spec.kind !== 'object' || names.length === 0) return fc.constant({ text: serialize([]), what: 'an array instead of an object' });
    return fc.constantFrom(...names).chain((name): Arbitrary<Smuggled> => {
      const field = spec.fields[name];
      if (!field) throw new Error(`no field ${name}`);
      return breakValue(field.spec, object[name], [name]).map((m) => {
        const text = serialize(object);
        return { text: `${text.slice(0, -1)},${JSON.stringify(name)}:${serialize(m.value)}}`, what: `${name} given twice, last as ${m.what}`, ...(m.outcomes ? { outcomes: m.outcomes } : {}) };
      });
    });
  });

const invalidBody = (model: BodyModel): Arbitrary<BodyPick> => {
  const schemaBreaks = model.extraBreaks
    ? fc.oneof({ weight: 6, arbitrary: model.valid.chain((value) => breakValue(model.spec, value)) }, { weight: 1, arbitrary: model.extraBreaks })
    : model.valid.chain((value) => breakValue(model.spec, value));
  const options: Array<{ weight: number; arbitrary: Arbitrary<BodyPick> }> = [
    {
      weight: 4,
      arbitrary: fc.tuple(invalidContentTypes, fc.oneof(model.valid, schemaBreaks.map((m) => m.value))).map(([types, value]) =>
        bodyPick(types, textBody(serialize(value)), [{ stage: 'handler: Content-Type', what: `content-type ${JSON.stringify(headerView(types))}`, outcomes: [problem(415, 'UNSUPPORTED_MEDIA_TYPE')] }]),
      ),
    },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom<readonly string[]>([], ...VALID_CONTENT_TYPES), fc.boolean()).map(([types, zeroLength]) => bodyPick(types, zeroLength ? { kind: 'bytes', bytes: Buffer.alloc(0) } : undefined)) },
    { weight: 4, arbitrary: oversized(model) },
    { weight: 1, arbitrary: fc.tuple(validContentTypes, fc.integer({ min: 1, max: 4096 })).map(([types, extra]) => bodyPick(types, { kind: 'filler', length: TEN_MB + extra })) },
    {
      weight: 8,
      arbitrary: fc
        .tuple(validContentTypes, fc.oneof(model.valid, schemaBreaks.map((m) => m.value)))
        .chain(([types, value]) => malformedJson(serialize(value)).map((m) => bodyPick(types, { kind: 'bytes', bytes: m.bytes }, [{ stage: 'handler: JSON syntax', what: m.what, outcomes: [problem(400, 'MALFORMED_JSON')] }]))),
    },
    {
      weight: 16,
      arbitrary: fc.tuple(validContentTypes, schemaBreaks).map(([types, m]) =>
        bodyPick(types, textBody(serialize(m.value)), [{ stage: 'handler: schema', what: m.what, outcomes: m.outcomes ?? [problem(422, 'VALIDATION_FAILED')] }]),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(validContentTypes, duplicateKeys(model)).map(([types, d]) =>
        bodyPick(types, textBody(d.text), [{ stage: 'handler: schema', what: d.what, outcomes: d.outcomes ?? [problem(422, 'VALIDATION_FAILED')] }]),
      ),
    },
  ];
  const { businessRules } = model;
  if (businessRules) {
    options.push({
      weight: 10,
      arbitrary: fc.tuple(validContentTypes, model.valid.chain(businessRules)).map(([types, m]) =>
        bodyPick(types, textBody(serialize(m.value)), [{ stage: 'handler: business rule', what: m.what, outcomes: m.outcomes }]),
      ),
    });
  }
  return fc.oneof(...options);
};

// ---------------------------------------------------------------- the services' bodies

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

const productIdSpec = patterned(PRODUCT_ID, ['', '-mug', '_mug', 'mug!', 'mug beans', 'x'.repeat(65), '\uff4d\uff55\uff47', 'mug\u200b', '../mug', 'mug/x', 'mug\u0000']);

const moneySpec: FieldSpec = {
  kind: 'object',
  fields: {
    amount: { spec: { kind: 'integer', min: 0, max: MAX_SAFE }, required: true },
    currency: { spec: patterned(/^[A-Z]{3}$/, ['eur', 'EU', 'EURO', '\u20ac', '\uff25\uff35\uff32', 'E1R', ' EUR', 'EUR ', 'EU\u0130']), required: true },
  },
};

/**
 * An image URL as the catalog accepts it, judged independently of its
 * schema: an absolute https URL with a dotted host name, no credentials,
 * no whitespace, at most 2048 characters.
 */
const imageUrlValid = (value: string): boolean => {
  if (value.length > 2048 || /\s/.test(value) || !URL.canParse(value)) return false;
  const url = new URL(value);
  return url.protocol === 'https:' && url.hostname.includes('.') && url.username === '' && url.password === '';
};

const imageUrlSpec = (nullable: boolean): FieldSpec => ({
  kind: 'string',
  valid: imageUrlValid,
  nullable,
  bad: fc.oneof(
    fc.constantFrom(
      'http://img.example.com/mug.jpg', '//img.example.com/mug.jpg', '/mug.jpg', 'ftp://img.example.com/mug.jpg', 'javascript:alert(1)',
      'data:image/png;base64,AAAA', 'https://user:pw@img.example.com/mug.jpg', 'https://localhost/mug.jpg', ' https://img.example.com/mug.jpg',
      'https://img.example.com/a mug.jpg', `https://img.example.com/${'a'.repeat(2030)}`, 'HTTP://img.example.com/x.png', '',
    ),
    fc.string({ maxLength: 20 }),
  ),
});

const productFields = {
  name: { spec: trimmedText(1, 200), required: true },
  description: { spec: trimmedText(0, 2000), required: false },
  category: { spec: patterned(CATEGORY, ['Coffee', 'kitchen_tools', 'kitchen tools', '-coffee', 'coffee-', 'a--b', 'caf\u00e9', 'x'.repeat(41), '']), required: true },
  imageUrl: { spec: imageUrlSpec(false), required: false },
  price: { spec: moneySpec, required: true },
};

const validCategory = fc.constantFrom('coffee', 'kitchen', 'tea-ware', 'x1');
const validImageUrl = fc.constantFrom('https://img.example.com/mug.jpg', 'https://cdn.example.org/a/b.png?w=400');

const validName = fc.stringMatching(/^[A-Za-z\u00c0-\u00ff][A-Za-z0-9 \u00c0-\u00ff]{0,39}$/);
const validPrice = fc.record({ amount: fc.integer({ min: 0, max: 100_000 }), currency: fc.constantFrom('EUR', 'USD', 'GBP') });

const newProductModel = (world: FuzzWorld): BodyModel => ({
  spec: { kind: 'object', fields: { id: { spec: productIdSpec, required: false }, ...productFields } },
  valid: fc.record(
    {
      id: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/).map((rest) => `fz-new-${rest}`),
      name: validName,
      description: fc.string({ maxLength: 60 }),
      category: validCategory,
      imageUrl: validImageUrl,
      price: validPrice,
    },
    { requiredKeys: ['name', 'category', 'price'] },
  ),
  businessRules: (value) =>
    fc.oneof(
      fc.constantFrom(...world.products.euro, world.products.dollar, world.products.pricey).map((id) => ({
        value: withKey(isRecord(value) ? value : {}, 'id', id),
        what: `product ${id} exists already`,
        outcomes: [problem(409, 'PRODUCT_EXISTS')],
      })),
      fc.tuple(fc.constantFrom(...world.products.euro), fc.constantFrom('\ud800', 'mug \udfff', '\u0000', '\u202e\u200b\ufeff', '\u{1F600}\u0301')).map(([id, name]) => ({
        value: withKey(withKey(isRecord(value) ? value : {}, 'id', id), 'name', name),
        what: `product ${id} exists already, and the new one is named ${JSON.stringify(name)}`,
        outcomes: [problem(409, 'PRODUCT_EXISTS'), problem(422, 'VALIDATION_FAILED')],
      })),
    ),
});

const productChangesModel: BodyModel = {
  spec: {
    kind: 'object',
    fields: {
      name: { ...productFields.name, required: false },
      description: productFields.description,
      category: { ...productFields.category, required: false },
      imageUrl: { spec: imageUrlSpec(true), required: false },
      price: { ...productFields.price, required: false },
    },
  },
  valid: fc
    .record({ name: validName, description: fc.string({ maxLength: 60 }), category: validCategory, imageUrl: fc.option(validImageUrl, { nil: null }), price: validPrice }, { requiredKeys: [] })
    .filter((changes) => Object.keys(changes).length > 0),
  extraBreaks: fc.constant({ value: {}, what: 'no field to change' }),
};

const stockModel: BodyModel = {
  spec: { kind: 'object', fields: { stock: { spec: { kind: 'integer', min: 0, max: 1_000_000 }, required: true } } },
  valid: fc.record({ stock: fc.integer({ min: 0, max: 1_000_000 }) }),
};

interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
}

const linesOf = (value: unknown): OrderLine[] => {
  const items = isRecord(value) ? value.items : undefined;
  return Array.isArray(items) ? items.filter((item): item is OrderLine => isRecord(item) && typeof item.productId === 'string' && typeof item.quantity === 'number') : [];
};

const orderModel = (world: FuzzWorld): BodyModel => {
  const withItems = (value: unknown, items: readonly OrderLine[]): unknown => withKey(isRecord(value) ? value : {}, 'items', items);
  return {
    spec: {
      kind: 'object',
      fields: {
        items: {
          spec: {
            kind: 'array',
            minItems: 1,
            maxItems: 50,
            items: { kind: 'object', fields: { productId: { spec: productIdSpec, required: true }, quantity: { spec: { kind: 'integer', min: 1, max: 1000 }, required: true } } },
          },
          required: true,
        },
        paymentToken: {
          spec: { kind: 'string', valid: (token) => token.length >= 1 && token.length <= 64, bad: fc.oneof(fc.constant(''), fc.integer({ min: 65, max: 120 }).map((n) => 't'.repeat(n))) },
          required: false,
        },
        shippingAddress: {
          spec: {
            kind: 'object',
            fields: {
              name: { spec: trimmedText(1, 100), required: true },
              line1: { spec: trimmedText(1, 200), required: true },
              line2: { spec: trimmedText(0, 200), required: false },
              city: { spec: trimmedText(1, 100), required: true },
              postalCode: { spec: trimmedText(1, 20), required: true },
              country: { spec: patterned(/^[A-Z]{2}$/, ['us', 'USA', 'U', '1A', '\uff35\uff33', 'U S', 'U\u0130']), required: true },
            },
          },
          required: true,
        },
      },
    },
    valid: fc.record(
      {
        items: fc.array(fc.record({ productId: fc.constantFrom(...world.products.euro), quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 3 }),
        paymentToken: fc.constantFrom('tok_visa', 'tok_mastercard'),
        shippingAddress: fc.record(
          {
            name: fc.constantFrom('Alice Example', 'Zo\u00eb \u00dcmlaut', '\u5c71\u7530\u592a\u90ce'),
            line1: fc.constant('1 Main St'),
            line2: fc.constantFrom('Apt 4', ''),
            city: fc.constant('Springfield'),
            postalCode: fc.constant('12345'),
            country: fc.constantFrom('US', 'DE', 'FR'),
          },
          { requiredKeys: ['name', 'line1', 'city', 'postalCode', 'country'] },
        ),
      },
      { requiredKeys: ['items', 'shippingAddress'] },
    ),
    businessRules: (value) => {
      const lines = linesOf(value);
      return fc.oneof(
        fc.tuple(fc.nat(Math.max(0, lines.length - 1)), unknownIds.product).map(([index, id]) => ({
          value: withItems(value, lines.map((line, i) => (i === index ? { ...line, productId: id } : line))),
          what: `items.${index}.productId ${id} is no product`,
          outcomes: [problem(422, 'UNKNOWN_PRODUCT')],
        })),
        fc
          .tuple(fc.constantFrom(...world.products.euro), fc.integer({ min: 1, max: 1000 }))
          .chain(([id, first]) => fc.integer({ min: Math.max(1, 1001 - first), max: 1000 }).map((second) => ({ id, first, second })))
          .map(({ id, first, second }) => ({
            value: withItems(value, [{ productId: id, quantity: first }, ...lines, { productId: id, quantity: second }]),
            what: `${id} ordered ${first} + ${second} times (at most 1000 in all)`,
            outcomes: [problem(422, 'ORDER_TOO_LARGE')],
          })),
        fc.integer({ min: 1, max: 5 }).map((quantity) => ({
          value: withItems(value, [...lines, { productId: world.products.dollar, quantity }]),
          what: `euro products with ${world.products.dollar}, priced in dollars`,
          outcomes: [problem(422, 'MIXED_CURRENCIES')],
        })),
        fc.integer({ min: 1, max: 3 }).map((quantity) => ({
          value: withItems(value, [...lines, { productId: world.products.pricey, quantity }]),
          what: `${quantity} × ${world.products.pricey} (Number.MAX_SAFE_INTEGER cents) on top: a total no integer can hold`,
          outcomes: [problem(422, 'ORDER_TOO_LARGE')],
        })),
      );
    },
  };
};

// ---------------------------------------------------------------- routes

/** How the fuzzer treats a route: who may call it, and which inputs it reads. */
export interface RouteModel {
  readonly key: string;
  readonly access: Access;
  readonly param?: PathParam;
  readonly page?: Page;
  readonly idempotency?: boolean;
  readonly body?: BodyModel;
  /** Share of the run. */
  readonly weight: number;
}

/** The route models, one per route of {@link API_ROUTES}. */
export const routeModels = (world: FuzzWorld): readonly RouteModel[] => {
  const access = (key: string): Access => {
    const level = API_ROUTES[key];
    if (level === undefined) throw new Error(`${key} is no route of the API`);
    return level;
  };
  const route = (key: string, rest: Omit<RouteModel, 'key' | 'access'>): RouteModel => ({ key, access: access(key), ...rest });
  return [
    route('GET /products', { page: 'products', weight: 3 }),
    route('GET /products/{id}', { param: { kind: 'product', unknown: problem(404, 'PRODUCT_NOT_FOUND') }, weight: 2 }),
    route('POST /products', { body: newProductModel(world), weight: 4 }),
    route('PUT /products/{id}', { param: { kind: 'product', unknown: problem(404, 'PRODUCT_NOT_FOUND') }, body: productChangesModel, weight: 4 }),
    route('DELETE /products/{id}', { param: { kind: 'product', unknown: problem(404, 'PRODUCT_NOT_FOUND') }, weight: 2 }),
    route('GET /inventory/{productId}', { param: { kind: 'product', unknown: problem(404, 'INVENTORY_NOT_FOUND') }, weight: 2 }),
    route('PUT /inventory/{productId}', { param: { kind: 'product' }, body: stockModel, weight: 3 }),
    route('POST /orders', { idempotency: true, body: orderModel(world), weight: 6 }),
    route('GET /orders', { page: 'orders', weight: 3 }),
    route('GET /orders/{id}', { param: { kind: 'order', unknown: problem(404, 'ORDER_NOT_FOUND') }, weight: 2 }),
    route('GET /orders/{id}/details', { param: { kind: 'order', unknown: problem(404, 'ORDER_NOT_FOUND') }, weight: 2 }),
    route('POST /orders/{id}/cancel', { param: { kind: 'order', unknown: problem(404, 'ORDER_NOT_FOUND') }, weight: 2 }),
    route('POST /shipments/{id}/ship', { param: { kind: 'shipment', unknown: problem(404, 'SHIPMENT_NOT_FOUND') }, weight: 2 }),
    route('POST /shipments/{id}/deliver', { param: { kind: 'shipment', unknown: problem(404, 'SHIPMENT_NOT_FOUND') }, weight: 2 }),
  ];
};

// ---------------------------------------------------------------- detours (no route)

type Detour =
  | { readonly kind: 'trailing slash' | 'double slash' | 'upper case' | 'dot segment' | 'last segment dropped' }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'extra segment'; readonly segment: string }
  | { readonly kind: 'method'; readonly method: string };

const detours: Arbitrary<Detour> = fc.oneof(
  fc.constantFrom('trailing slash', 'double slash', 'upper case', 'dot segment', 'last segment dropped').map((kind) => ({ kind })),
  fc.constantFrom('/v1', '/api', '/prod', '/%24default', '/.', '/..').map((prefix) => ({ kind: 'prefix' as const, prefix })),
  fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/), fc.constantFrom('..', '%2e%2e', 'details', 'deliver', '%2F')).map((segment) => ({ kind: 'extra segment' as const, segment })),
  fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS').map((method) => ({ kind: 'method' as const, method })),
);

const detour = (how: Detour, method: string, path: string): { readonly method: string; readonly path: string } => {
  switch (how.kind) {
    case 'trailing slash':
      return { method, path: `${path}/` };
    case 'double slash':
      return { method, path: `/${path}` };
    case 'upper case':
      return { method, path: path.toUpperCase() };
    case 'dot segment':
      return { method, path: path.replace(/^(\/[^/]+)/, '$1/.') };
    case 'last segment dropped':
      return { method, path: path.replace(/\/[^/]*$/, '') || '/' };
    case 'prefix':
      return { method, path: `${how.prefix}${path}` };
    case 'extra segment':
      return { method, path: `${path}/${how.segment}` };
    case 'method':
      return { method: how.method, path };
  }
};

const describeDetour = (how: Detour): string =>
  how.kind === 'method' ? `method ${how.method}` : how.kind === 'prefix' ? `prefix ${how.prefix}` : how.kind === 'extra segment' ? `extra segment ${how.segment}` : how.kind;

// ---------------------------------------------------------------- noise

/** Harmless additions: the answer must not depend on them. */
interface Noise {
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Used only on routes that read no query string. */
  readonly query: readonly string[];
  /** Used only on routes that read no body. */
  readonly body?: { readonly contentType?: string; readonly bytes: Buffer };
}

const headerText = (max: number): Arbitrary<string> => fc.string({ maxLength: max, unit: headerChar });

const noise = (route: { readonly idempotency?: boolean }): Arbitrary<Noise> => {
  const small = fc.oneof(
    fc.tuple(fc.constant('x-correlation-id'), fc.oneof(headerText(200), fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/))),
    fc.tuple(fc.constant('accept'), fc.constantFrom('text/html', '*/*', 'application/xml', 'application/problem+json;q=0', '')),
    fc.tuple(fc.constant('cookie'), headerText(200)),
    fc.tuple(fc.constant('user-agent'), headerText(200)),
    fc.tuple(fc.constant('x-forwarded-for'), headerText(100)),
    fc.tuple(fc.constant('origin'), fc.constantFrom('https://evil.example', 'null')),
    fc.tuple(fc.constant('x-amz-date'), headerText(40)),
    ...(route.idempotency ? [] : [fc.tuple(fc.constant('idempotency-key'), headerText(200))]),
  );
  const big = fc
    .tuple(fc.stringMatching(/^x-fuzz-[a-z0-9]{1,8}$/), fc.constantFrom('A', '\u00e9', '\u00ff', 'x y', '\t'), fc.integer({ min: 1, max: 5000 }))
    .map(([name, unit, length]) => [name, `v${unit.repeat(Math.ceil(length / unit.length))}`] as const);
  return fc.record({
    headers: fc.tuple(fc.array(small, { maxLength: 3 }), fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: big })).map(([headers, large]) => (large ? [...headers, large] : headers)),
    query: fc.array(
      fc.oneof(
        fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 12 })).map(([name, value]) => `${percentEncode(name)}=${percentEncode(value)}`),
        fc.constantFrom('limit=-1', 'cursor=garbage', 'limit=abc&limit=2'),
      ),
      { maxLength: 2 },
    ),
    body: fc.oneof(
      { weight: 5, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.record(
          { contentType: fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'), bytes: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
          { requiredKeys: ['bytes'] },
        ),
      },
    ),
  });
};

const describeNoise = (n: Noise, readsQuery: boolean, readsBody: boolean): string[] => [
  ...n.headers.map(([name, value]) => `header ${name} (${value.length} chars)`),
  ...(!readsQuery && n.query.length > 0 ? [`ignored query ${n.query.join('&').slice(0, 60)}`] : []),
  ...(!readsBody && n.body ? [`ignored body of ${n.body.bytes.length} bytes`] : []),
];

// ---------------------------------------------------------------- assembling cases

interface Picks {
  readonly detour?: Detour;
  readonly caller: CallerVariant;
  readonly segment?: SegmentPick;
  readonly query?: QueryPick;
  readonly idempotency?: IdempotencyPick;
  readonly body?: BodyPick;
  readonly noise: Noise;
}

/** Makes fast-check print a case readably (a counterexample would otherwise dump every byte of its body). */
const withToString = (fuzzCase: FuzzCase): FuzzCase => {
  Object.defineProperty(fuzzCase, fc.toStringMethod, { value: () => describeCase(fuzzCase), enumerable: false });
  return fuzzCase;
};

const assemble = (route: RouteModel, picks: Picks, fallbackSub: string): FuzzCase => {
  const [routeMethod = 'GET', routePath = '/'] = route.key.split(' ');
  const path = routePath.replace(/\{[^}]+\}/, picks.segment?.segment ?? '');
  const sent = picks.detour ? detour(picks.detour, routeMethod, path) : { method: routeMethod, path };
  const query = picks.query ? picks.query(picks.caller.sub || fallbackSub) : undefined;
  const queryParts = route.page ? query?.parts ?? [] : picks.noise.query;
  const target = `${sent.path}${queryParts.length > 0 ? `?${queryParts.join('&')}` : ''}`;
  const noiseBody = route.body ? undefined : picks.noise.body;
  const headers: Array<readonly [string, string]> = [
    ...(picks.caller.authorization === undefined ? [] : [['authorization', picks.caller.authorization] as const]),
    ...(picks.body?.contentTypes ?? (noiseBody?.contentType ? [noiseBody.contentType] : [])).map((type) => ['content-type', type] as const),
    ...(picks.idempotency?.values ?? []).map((value) => ['idempotency-key', value] as const),
    ...picks.noise.headers,
  ];
  const body: Body | undefined = route.body ? picks.body?.body : noiseBody ? { kind: 'bytes', bytes: noiseBody.bytes } : undefined;
  const defects = [
    ...(picks.detour ? [{ stage: 'gateway: no route', what: `no route: ${describeDetour(picks.detour)}`, outcomes: [gateway(404)] } satisfies Defect] : []),
    ...[callerDefect(route.access, picks.caller), picks.segment?.defect, query?.defect, picks.idempotency?.defect].filter((d): d is Defect => d !== undefined),
    ...(picks.body?.defects ?? []),
  ];
  const routed = routeOf(sent.method, target);
  return withToString({
      route: route.key,
      ...(routed === undefined ? {} : { routed }),
      method: sent.method,
      target,
      headers,
      ...(body === undefined ? {} : { body }),
      caller: picks.caller.what,
      defects,
      noise: describeNoise(picks.noise, route.page !== undefined, route.body !== undefined),
    });
};

type Dimension = 'detour' | 'caller' | 'segment' | 'query' | 'idempotency' | 'body';

const mostlyValid = <T>(valid: Arbitrary<T>, invalid: Arbitrary<T>, odds = 9): Arbitrary<T> => fc.oneof({ weight: odds, arbitrary: valid }, { weight: 1, arbitrary: invalid });

/**
 * Requests to one route, each refused by construction: one input (the
 * "primary" one) is always wrong, the others are mostly right and sometimes
 * wrong too, plus noise the answer must not depend on. The expected answer
 * follows from the earliest defect.
 */
export const requestsTo = (route: RouteModel, world: FuzzWorld): Arbitrary<FuzzCase> => {
  const fallbackSub = world.callers.find((c) => c.standing === 'user')?.sub ?? 'nobody';
  const validCallers = callers(world, route.access, false);
  const refusedCallers = callers(world, route.access, true);
  if (!validCallers) throw new Error(`no caller may call ${route.key}`);
  const { param, page, body } = route;
  const invalid: Partial<Record<Dimension, Arbitrary<unknown>>> = {
    detour: detours,
    ...(refusedCallers ? { caller: refusedCallers } : {}),
    ...(param ? { segment: param.unknown ? fc.oneof(invalidSegment(param.kind), unknownSegment(param)) : invalidSegment(param.kind) } : {}),
    ...(page ? { query: invalidQuery(page) } : {}),
    ...(route.idempotency ? { idempotency: invalidIdempotency } : {}),
    ...(body ? { body: invalidBody(body) } : {}),
  };
  const valid: Partial<Record<Dimension, Arbitrary<unknown>>> = {
    ...(param ? { segment: param.kind === 'product' ? fc.oneof(knownSegment(world), unknownSegment(param)) : unknownSegment(param) } : {}),
    ...(page ? { query: validQuery } : {}),
    ...(route.idempotency ? { idempotency: validIdempotency } : {}),
    ...(body ? { body: validBody(body) } : {}),
  };
  const dimensionWeights: Readonly<Record<Dimension, number>> = { detour: 1, caller: 2, segment: 3, query: 4, idempotency: 2, body: 10 };
  const primaries = (Object.keys(invalid) as Dimension[]).map((primary) => {
    const pick = (dimension: Dimension): Arbitrary<unknown> | undefined => {
      const bad = invalid[dimension];
      const good = valid[dimension];
      if (dimension === primary) return bad;
      if (dimension === 'detour') return fc.oneof({ weight: 30, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: detours });
      if (dimension === 'caller') return refusedCallers ? mostlyValid(validCallers, refusedCallers, 12) : validCallers;
      return good && bad ? mostlyValid(good, bad) : good;
    };
    const record = fc.record({
      detour: pick('detour') ?? fc.constant(undefined),
      caller: pick('caller') ?? validCallers,
      segment: pick('segment') ?? fc.constant(undefined),
      query: pick('query') ?? fc.constant(undefined),
      idempotency: pick('idempotency') ?? fc.constant(undefined),
      body: pick('body') ?? fc.constant(undefined),
      noise: noise(route),
    });
    return { weight: dimensionWeights[primary], arbitrary: record.map((picks) => assemble(route, picks as Picks, fallbackSub)) };
  });
  return fc.oneof(...primaries).filter((c) => c.defects.length > 0 && (c.defects.some((d) => d.stage === 'gateway: no route') ? c.routed === undefined : c.routed === route.key));
};

/**
 * The probes (`GET /health`, `GET /ready`) take no input, so junk around
 * them (any credentials, headers, query, body) must change nothing: 200.
 * Their look-alikes (another method, another path) have no route: 404.
 */
export const healthRequests = (world: FuzzWorld): Arbitrary<FuzzCase> => {
  const anyone = fc.constantFrom(...world.callers);
  const record = (route: RouteModel, withDetour: boolean) =>
    fc.record({ detour: withDetour ? detours : fc.constant(undefined), caller: anyone, noise: noise(route) }).map((picks) => assemble(route, picks as Picks, 'nobody'));
  return fc.oneof(
    ...Object.keys(healthRoutes).flatMap((key) => {
      const route: RouteModel = { key, access: 'public', weight: 1 };
      const routedRight = (c: FuzzCase) => (c.defects.length > 0 ? c.routed === undefined : c.routed === route.key);
      return [
        { weight: 3, arbitrary: record(route, false).filter(routedRight) },
        { weight: 1, arbitrary: record(route, true).filter(routedRight) },
      ];
    }),
  );
};
