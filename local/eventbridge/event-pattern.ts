/**
 * Amazon EventBridge event patterns for the local cloud: validation, compilation
 * and matching.
 *
 * EventBridge matches with AWS's open-source Event Ruler, and the semantics here
 * follow it rather than a plain reading of the user guide wherever the two part,
 * because a laptop that routes differently from the cloud hides bugs:
 *
 * - Patterns are validated with Event Ruler's rules and error wording (which is
 *   what `InvalidEventPatternException` carries), plus the documented limit of
 *   1000 `$or` combinations.
 * - Keys are joined with dots, so `{"a.b": [1]}` and `{"a": {"b": [1]}}` are the
 *   same pattern, and both match either spelling in the event.
 * - A pattern is compiled to its `$or` branches; each branch is a list of leaf
 *   conditions sorted by path, matched against the event flattened to leaf
 *   values. Values inside arrays remember which array element they came from,
 *   so two fields only match together when they come from the same element
 *   ("array-consistent" matching). `exists: false` is judged, like in Event
 *   Ruler, against the values still consistent with the fields matched before
 *   it in path order.
 * - Numbers compare numerically (`300` matches `300.0`), which is what the
 *   service does even though an older user-guide note says otherwise.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidEventError, InvalidEventPatternError } from './errors';

/** A JSON value found at a leaf of an event. */
export type EventScalar = string | number | boolean | null;

/** Decides whether one leaf value of an event satisfies one pattern leaf. */
export type ValuePredicate = (value: EventScalar) => boolean;

/**
 * One leaf of a compiled pattern branch.
 *
 * Compiled leaves are plain predicates so matching an event against every rule
 * of a bus does no parsing and no operator dispatch on the hot path.
 */
export interface FieldCondition {
  /** Dot-joined path of the field, e.g. `detail.state`. */
  readonly path: string;
  /** True when the leaf lists `{"exists": false}`, so an absent field satisfies it. */
  readonly matchesAbsence: boolean;
  /** Test for a present value; `undefined` when only absence satisfies the leaf. */
  readonly matchesValue: ValuePredicate | undefined;
}

/**
 * A validated, compiled event pattern.
 *
 * Obtain one from {@link parseEventPattern} once per rule and reuse it for every
 * event: all validation and regular-expression building happens there.
 */
export interface EventPattern {
  /**
   * The `$or` expansion of the pattern: the pattern matches when any branch
   * does. Each branch's conditions are sorted by path, as Event Ruler walks them.
   */
  readonly branches: readonly (readonly FieldCondition[])[];
  /**
   * Every dot-boundary prefix of every condition path; flattening an event only
   * descends into these, so large irrelevant payloads cost nothing.
   */
  readonly paths: ReadonlySet<string>;
}

/** EventBridge refuses patterns whose `$or` arrays expand to more branches than this. */
const MAX_OR_COMBINATIONS = 1000;

/** The `$or` key: an "or" of sub-patterns rather than a field name. */
const OR_KEY = '$or';

/**
 * Names Event Ruler refuses as field names anywhere inside a `$or` branch, so a
 * misplaced operator is reported instead of silently becoming a field name.
 */
const RESERVED_IN_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

/** Operators that may appear inside `{"anything-but": {...}}`. */
const ANYTHING_BUT_OPERATORS = new Set(['equals-ignore-case', 'prefix', 'suffix', 'wildcard']);

/** Event Ruler's tests for "looks like an IP literal" (anything else is never parsed as one). */
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

// ---------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------

/**
 * Validates an event pattern the way EventBridge does and compiles it.
 *
 * Accepts the pattern either as JSON text (what `PutRule` and
 * `TestEventPattern` receive) or as an already-parsed value, so that the AWS
 * protocol layer and CDK-synthesised templates can share one code path.
 *
 * @throws {InvalidEventPatternError} when EventBridge would answer
 *   `InvalidEventPatternException`; its `path` names the offending field.
 */
export function parseEventPattern(pattern: unknown): EventPattern {
  const value = typeof pattern === 'string' ? parseJsonPattern(pattern) : pattern;
  if (!isJsonObject(value)) {
    throw new InvalidEventPatternError('Filter is not an object', '');
  }
  const entries = compileObject(value, { keys: [], trail: [], insideOr: false, ancestors: new Set() });
  if (countCombinations(entries) > MAX_OR_COMBINATIONS) {
    throw new InvalidEventPatternError(
      `The use of ${OR_KEY} results in more than ${String(MAX_OR_COMBINATIONS)} rule combinations`,
      '',
    );
  }
  const branches = expandBranches(entries, [new Map()]).map((branch) =>
    [...branch.values()].sort((a, b) => compareCodeUnits(a.path, b.path)),
  );
  const paths = new Set<string>();
  for (const branch of branches) {
    for (const condition of branch) {
      addPathPrefixes(paths, condition.path);
    }
  }
  return { branches, paths };
}

/**
 * Decides whether an event matches a compiled pattern.
 *
 * Anything that is not a JSON object has no fields and matches nothing; the
 * router must never throw because one publisher sent a malformed event.
 */
export function matchesEventPattern(pattern: EventPattern, event: unknown): boolean {
  if (!isJsonObject(event)) {
    return false;
  }
  const index = indexEvent(event, pattern.paths);
  return pattern.branches.some((branch) => branchMatches(branch, index));
}

/**
 * Parses, validates and matches in one call: what the local `TestEventPattern`
 * endpoint needs. The event may be JSON text, as the API receives it.
 *
 * @throws {InvalidEventPatternError} when the pattern is invalid.
 * @throws {InvalidEventError} when the event is not a JSON object.
 */
export function testEventPattern(pattern: unknown, event: unknown): boolean {
  const compiled = parseEventPattern(pattern);
  let value: unknown = event;
  if (typeof event === 'string') {
    try {
      value = JSON.parse(event);
    } catch (error) {
      throw new InvalidEventError({ cause: error });
    }
  }
  if (!isJsonObject(value)) {
    throw new InvalidEventError();
  }
  return matchesEventPattern(compiled, value);
}

// ---------------------------------------------------------------------------
// Compilation
// ---------------------------------------------------------------------------

/** A plain JSON object, read-only. */
type JsonObject = Readonly<Record<string, unknown>>;

/** Where the compiler is in the pattern. */
interface Position {
  /** Field names from the root, `$or` excluded: the matching path. */
  readonly keys: readonly string[];
  /** Display segments from the root, `$or[i]` included: the error path. */
  readonly trail: readonly string[];
  /** Inside a `$or` branch, where operator names may not be field names. */
  readonly insideOr: boolean;
  /** Objects being compiled above this one, to refuse cyclic input. */
  readonly ancestors: ReadonlySet<object>;
}

/** A pattern object in document order, nested objects inlined. */
type Entry =
  | { readonly kind: 'field'; readonly condition: FieldCondition }
  | { readonly kind: 'or'; readonly alternatives: readonly (readonly Entry[])[] };

function parseJsonPattern(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidEventPatternError(reason, '', { cause: error });
  }
}

function compileObject(object: JsonObject, at: Position): Entry[] {
  if (at.ancestors.has(object)) {
    throw new InvalidEventPatternError('Filter must be a tree, not a cyclic structure', joinTrail(at.trail));
  }
  const keys = Object.keys(object);
  if (keys.length === 0) {
    throw new InvalidEventPatternError('Empty objects are not allowed', joinTrail(at.trail));
  }
  const ancestors = new Set(at.ancestors).add(object);
  const entries: Entry[] = [];
  for (const key of keys) {
    const value = object[key];
    if (key === OR_KEY) {
      entries.push(compileOr(value, { ...at, ancestors }));
      continue;
    }
    const trail = [...at.trail, key];
    if (at.insideOr && RESERVED_IN_OR.has(key)) {
      throw new InvalidEventPatternError(
        `${key} is Ruler reserved fieldName which cannot be used inside ${OR_KEY}.`,
        joinTrail(trail),
      );
    }
    const child: Position = { keys: [...at.keys, key], trail, insideOr: at.insideOr, ancestors };
    if (Array.isArray(value)) {
      entries.push({ kind: 'field', condition: compileLeaf(value, child) });
    } else if (isJsonObject(value)) {
      entries.push(...compileObject(value, child));
    } else {
      throw new InvalidEventPatternError(`"${key}" must be an object or an array`, joinTrail(trail));
    }
  }
  return entries;
}

function compileOr(value: unknown, at: Position): Entry {
  const trail = [...at.trail, OR_KEY];
  if (!Array.isArray(value)) {
    throw new InvalidEventPatternError(`It must be an Array followed with ${OR_KEY}.`, joinTrail(trail));
  }
  const alternatives = value.map((alternative: unknown, index) => {
    const altTrail = [...at.trail, `${OR_KEY}[${String(index)}]`];
    if (!isJsonObject(alternative)) {
      throw new InvalidEventPatternError(
        `Only JSON object is allowed in array of ${OR_KEY} relationship.`,
        joinTrail(altTrail),
      );
    }
    return compileObject(alternative, { ...at, trail: altTrail, insideOr: true });
  });
  if (alternatives.length < 2) {
    throw new InvalidEventPatternError(
      `There must have at least 2 Objects in ${OR_KEY} relationship.`,
      joinTrail(trail),
    );
  }
  return { kind: 'or', alternatives };
}

function countCombinations(entries: readonly Entry[]): number {
  let total = 1;
  for (const entry of entries) {
    if (entry.kind === 'or') {
      let sum = 0;
      for (const alternative of entry.alternatives) {
        sum += countCombinations(alternative);
      }
      // Saturate: the exact size past the limit is irrelevant and could overflow.
      total = Math.min(total * sum, MAX_OR_COMBINATIONS + 1);
    }
  }
  return total;
}

/**
 * Forks the branches at every `$or`, in document order: a later key overrides
 * an earlier one with the same path in every branch it reaches, which is how
 * EventBridge treats duplicated keys.
 */
function expandBranches(
  entries: readonly Entry[],
  branches: Map<string, FieldCondition>[],
): Map<string, FieldCondition>[] {
  let current = branches;
  for (const entry of entries) {
    if (entry.kind === 'field') {
      for (const branch of current) {
        branch.set(entry.condition.path, entry.condition);
      }
    } else {
      const next: Map<string, FieldCondition>[] = [];
      for (const alternative of entry.alternatives) {
        next.push(...expandBranches(alternative, current.map((branch) => new Map(branch))));
      }
      current = next;
    }
  }
  return current;
}

/** The pieces of one leaf array, gathered before being fused into one predicate. */
interface LeafParts {
  readonly strings: Set<string>;
  readonly numbers: Set<number>;
  readonly literals: Set<boolean | null>;
  readonly tests: ValuePredicate[];
  anyValue: boolean;
  absence: boolean;
}

function compileLeaf(values: readonly unknown[], at: Position): FieldCondition {
  const trail = joinTrail(at.trail);
  if (values.length === 0) {
    throw new InvalidEventPatternError('Empty arrays are not allowed', trail);
  }
  const parts: LeafParts = {
    strings: new Set(),
    numbers: new Set(),
    literals: new Set(),
    tests: [],
    anyValue: false,
    absence: false,
  };
  for (const value of values) {
    if (typeof value === 'string') {
      const address = ipToHex(value);
      if (address === undefined) {
        parts.strings.add(value);
      } else {
        // An IP literal matches the same address however it is spelled (Event Ruler).
        parts.tests.push((candidate) => typeof candidate === 'string' && ipToHex(candidate) === address);
      }
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      parts.numbers.add(value);
    } else if (typeof value === 'boolean' || value === null) {
      parts.literals.add(value);
    } else if (isJsonObject(value)) {
      compileMatchExpression(value, trail, parts);
    } else {
      throw new InvalidEventPatternError('Match value must be String, number, true, false, or null', trail);
    }
  }
  return {
    path: at.keys.join('.'),
    matchesAbsence: parts.absence,
    matchesValue: fuse(parts),
  };
}

function fuse(parts: LeafParts): ValuePredicate | undefined {
  if (parts.anyValue) {
    return () => true;
  }
  const { strings, numbers, literals, tests } = parts;
  if (strings.size === 0 && numbers.size === 0 && literals.size === 0 && tests.length === 0) {
    return undefined;
  }
  return (value) => {
    if (typeof value === 'string') {
      if (strings.has(value)) {
        return true;
      }
    } else if (typeof value === 'number') {
      if (numbers.has(value)) {
        return true;
      }
    } else if (literals.has(value)) {
      return true;
    }
    for (const test of tests) {
      if (test(value)) {
        return true;
      }
    }
    return false;
  };
}

/** Compiles one `{operator: argument}` object of a leaf array into `parts`. */
function compileMatchExpression(expression: JsonObject, trail: string, parts: LeafParts): void {
  const keys = Object.keys(expression);
  const operator = keys[0];
  if (operator === undefined) {
    throw new InvalidEventPatternError('Match expression name not found', trail);
  }
  const argument = expression[operator];
  const at = `${trail}.${operator}`;
  const onlyOneKey = (reason: string): void => {
    if (keys.length > 1) {
      throw new InvalidEventPatternError(reason, at);
    }
  };
  switch (operator) {
    case 'prefix':
    case 'suffix': {
      const text = compileAffixArgument(operator, argument, at);
      onlyOneKey('Only one key allowed in match expression');
      parts.tests.push(affixTest(operator, text.value, text.ignoreCase));
      return;
    }
    case 'equals-ignore-case': {
      if (typeof argument !== 'string') {
        throw new InvalidEventPatternError('equals-ignore-case match pattern must be a string', at);
      }
      onlyOneKey('Only one key allowed in match expression');
      const regex = ignoreCaseRegex(argument, true, true);
      parts.tests.push((value) => typeof value === 'string' && regex.test(value));
      return;
    }
    case 'wildcard': {
      if (typeof argument !== 'string') {
        throw new InvalidEventPatternError('wildcard match pattern must be a string', at);
      }
      const segments = parseWildcard(argument, at);
      onlyOneKey('Only one key allowed in match expression');
      parts.tests.push((value) => typeof value === 'string' && wildcardMatches(segments, value));
      return;
    }
    case 'numeric': {
      if (!Array.isArray(argument)) {
        throw new InvalidEventPatternError('Value of numeric must be an array.', at);
      }
      const range = parseNumericRange(argument, at);
      onlyOneKey('Too many elements in numeric expression');
      parts.tests.push((value) => typeof value === 'number' && inRange(range, value));
      return;
    }
    case 'anything-but': {
      const test = compileAnythingBut(argument, at);
      onlyOneKey('Too many elements in numeric expression');
      parts.tests.push(test);
      return;
    }
    case 'exists': {
      if (typeof argument !== 'boolean') {
        throw new InvalidEventPatternError('exists match pattern must be either true or false.', at);
      }
      onlyOneKey('Only one key allowed in match expression');
      if (argument) {
        parts.anyValue = true;
      } else {
        parts.absence = true;
      }
      return;
    }
    case 'cidr': {
      if (typeof argument !== 'string') {
        // Sic: the service reuses the prefix wording here.
        throw new InvalidEventPatternError('prefix match pattern must be a string', at);
      }
      const block = parseCidr(argument, at);
      onlyOneKey('Only one key allowed in match expression');
      parts.tests.push((value) => {
        if (typeof value !== 'string') {
          return false;
        }
        const address = ipToHex(value);
        return (
          address !== undefined &&
          address.length === block.low.length &&
          address >= block.low &&
          address <= block.high
        );
      });
      return;
    }
    default:
      throw new InvalidEventPatternError(`Unrecognized match type ${operator}`, at);
  }
}

/** `prefix`/`suffix` accept a string or `{"equals-ignore-case": string}`. */
function compileAffixArgument(
  operator: 'prefix' | 'suffix',
  argument: unknown,
  at: string,
): { readonly value: string; readonly ignoreCase: boolean } {
  if (typeof argument === 'string') {
    return { value: argument, ignoreCase: false };
  }
  if (!isJsonObject(argument)) {
    throw new InvalidEventPatternError(`${operator} match pattern must be a string`, at);
  }
  const keys = Object.keys(argument);
  const inner = keys[0];
  const label = operator === 'prefix' ? 'Prefix' : 'Suffix';
  if (inner === undefined) {
    throw new InvalidEventPatternError(`${label} expression name not found`, at);
  }
  const innerAt = `${at}.${inner}`;
  if (inner !== 'equals-ignore-case') {
    throw new InvalidEventPatternError(`Unsupported ${operator} pattern: ${inner}`, innerAt);
  }
  const value = argument[inner];
  if (typeof value !== 'string') {
    throw new InvalidEventPatternError('equals-ignore-case match pattern must be a string', innerAt);
  }
  if (keys.length > 1) {
    throw new InvalidEventPatternError('Only one key allowed in match expression', innerAt);
  }
  return { value, ignoreCase: true };
}

function affixTest(operator: 'prefix' | 'suffix', text: string, ignoreCase: boolean): ValuePredicate {
  if (ignoreCase) {
    const regex = ignoreCaseRegex(text, operator === 'prefix', operator === 'suffix');
    return (value) => typeof value === 'string' && regex.test(value);
  }
  return operator === 'prefix'
    ? (value) => typeof value === 'string' && value.startsWith(text)
    : (value) => typeof value === 'string' && value.endsWith(text);
}

/**
 * `anything-but` matches any present value the excluded set does not cover.
 * Values of another JSON type than the set's (numbers against strings, null,
 * booleans) are never excluded, so they match.
 */
function compileAnythingBut(argument: unknown, at: string): ValuePredicate {
  if (isJsonObject(argument)) {
    return compileAnythingButOperator(argument, at);
  }
  if (typeof argument === 'string') {
    return (value) => value !== argument;
  }
  if (typeof argument === 'number') {
    const number = requireComparable(argument, at);
    return (value) => value !== number;
  }
  if (!Array.isArray(argument)) {
    throw new InvalidEventPatternError(
      'Value of anything-but must be an array or single string/number value.',
      at,
    );
  }
  const strings = new Set<string>();
  const numbers = new Set<number>();
  for (const item of argument as readonly unknown[]) {
    if (typeof item === 'string') {
      strings.add(item);
    } else if (typeof item === 'number') {
      numbers.add(requireComparable(item, at));
    } else {
      throw new InvalidEventPatternError(
        'Inside anything but list, start|null|boolean is not supported.',
        at,
      );
    }
  }
  if ((strings.size > 0) === (numbers.size > 0)) {
    throw new InvalidEventPatternError(
      'Inside anything but list, either all values are number or string, mixed type is not supported',
      at,
    );
  }
  return strings.size > 0
    ? (value) => typeof value !== 'string' || !strings.has(value)
    : (value) => typeof value !== 'number' || !numbers.has(value);
}

function compileAnythingButOperator(argument: JsonObject, at: string): ValuePredicate {
  const keys = Object.keys(argument);
  const operator = keys[0];
  if (operator === undefined) {
    throw new InvalidEventPatternError('Anything-But expression name not found', at);
  }
  const innerAt = `${at}.${operator}`;
  if (!ANYTHING_BUT_OPERATORS.has(operator)) {
    throw new InvalidEventPatternError(`Unsupported anything-but pattern: ${operator}`, innerAt);
  }
  const raw = argument[operator];
  if (!(typeof raw === 'string' || typeof raw === 'number' || Array.isArray(raw))) {
    throw new InvalidEventPatternError(
      'Value of anything-but must be an array or single string/number value.',
      innerAt,
    );
  }
  const wrongType =
    operator === 'equals-ignore-case'
      ? 'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.'
      : operator === 'wildcard'
        ? 'wildcard match pattern must be a string'
        : 'prefix/suffix match pattern must be a string';
  const texts = (Array.isArray(raw) ? (raw as readonly unknown[]) : [raw]).map((item) => {
    if (typeof item !== 'string') {
      throw new InvalidEventPatternError(wrongType, innerAt);
    }
    if ((operator === 'prefix' || operator === 'suffix') && item === '') {
      throw new InvalidEventPatternError('Null prefix/suffix not allowed', innerAt);
    }
    return item;
  });
  if (keys.length > 1) {
    throw new InvalidEventPatternError('Too many elements in numeric expression', innerAt);
  }
  let excluded: (text: string) => boolean;
  switch (operator) {
    case 'prefix':
      excluded = (text) => texts.some((prefix) => text.startsWith(prefix));
      break;
    case 'suffix':
      excluded = (text) => texts.some((suffix) => text.endsWith(suffix));
      break;
    case 'equals-ignore-case': {
      const regexes = texts.map((text) => ignoreCaseRegex(text, true, true));
      excluded = (text) => regexes.some((regex) => regex.test(text));
      break;
    }
    default: {
      const globs = texts.map((text) => parseWildcard(text, innerAt));
      excluded = (text) => globs.some((segments) => wildcardMatches(segments, text));
    }
  }
  return (value) => typeof value !== 'string' || !excluded(value);
}

// ---------------------------------------------------------------------------
// Numeric ranges
// ---------------------------------------------------------------------------

/** An interval of the number line; infinite ends stand for "unbounded". */
interface NumericRange {
  readonly low: number;
  readonly lowInclusive: boolean;
  readonly high: number;
  readonly highInclusive: boolean;
}

function inRange(range: NumericRange, value: number): boolean {
  if (!Number.isFinite(value)) {
    return false;
  }
  const aboveLow = range.lowInclusive ? value >= range.low : value > range.low;
  const belowHigh = range.highInclusive ? value <= range.high : value < range.high;
  return aboveLow && belowHigh;
}

/**
 * Accepts `["=", n]`, `["<" | "<=", n]` and `[">" | ">=", n]` optionally
 * followed by `"<" | "<=", m` with `n < m`: a lower bound always comes first.
 */
function parseNumericRange(terms: readonly unknown[], at: string): NumericRange {
  const [operator, operand] = terms;
  if (typeof operator !== 'string') {
    throw new InvalidEventPatternError(`Invalid member in numeric match: ${tokenText(operator)}`, at);
  }
  const bound = (value: unknown, name: string): number => {
    if (typeof value !== 'number') {
      throw new InvalidEventPatternError(`Value of ${name} must be numeric`, at);
    }
    return requireComparable(value, at);
  };
  switch (operator) {
    case '=': {
      const value = bound(operand, 'equals');
      if (terms.length > 2) {
        throw new InvalidEventPatternError('Too many elements in numeric expression', at);
      }
      return { low: value, lowInclusive: true, high: value, highInclusive: true };
    }
    case '<':
    case '<=': {
      const high = bound(operand, operator);
      if (terms.length > 2) {
        throw new InvalidEventPatternError('Too many elements in numeric expression', at);
      }
      return { low: -Infinity, lowInclusive: false, high, highInclusive: operator === '<=' };
    }
    case '>':
    case '>=': {
      const low = bound(operand, operator);
      const lowInclusive = operator === '>=';
      if (terms.length <= 2) {
        return { low, lowInclusive, high: Infinity, highInclusive: false };
      }
      const upper = terms[2];
      if (typeof upper !== 'string') {
        throw new InvalidEventPatternError(`Bad value in numeric range: ${tokenText(upper)}`, at);
      }
      if (upper !== '<' && upper !== '<=') {
        throw new InvalidEventPatternError(`Bad numeric range operator: ${upper}`, at);
      }
      const high = bound(terms[3], upper);
      if (terms.length > 4) {
        throw new InvalidEventPatternError('Too many terms in numeric range expression', at);
      }
      if (!(low < high)) {
        throw new InvalidEventPatternError('Bottom must be less than top', at);
      }
      return { low, lowInclusive, high, highInclusive: upper === '<=' };
    }
    default:
      throw new InvalidEventPatternError(`Unrecognized numeric range operator: ${operator}`, at);
  }
}

/** Numeric operators work on finite IEEE-754 doubles only. */
function requireComparable(value: number, at: string): number {
  if (!Number.isFinite(value)) {
    throw new InvalidEventPatternError(`Cannot compare number : ${String(value)}`, at);
  }
  return value;
}

/** How a JSON token reads in the service's error messages. */
function tokenText(token: unknown): string {
  if (token === undefined) {
    return ']';
  }
  if (Array.isArray(token)) {
    return '[';
  }
  if (typeof token === 'object' && token !== null) {
    return '{';
  }
  return String(token);
}

// ---------------------------------------------------------------------------
// Strings: case-insensitive and wildcard matching
// ---------------------------------------------------------------------------

/**
 * Builds a regular expression that accepts, for each UTF-16 unit of `text`,
 * its lower- or upper-case form: Event Ruler's definition of ignoring case
 * (so `ß` matches `ß` and `SS`, and astral letters stay case-sensitive).
 */
function ignoreCaseRegex(text: string, anchorStart: boolean, anchorEnd: boolean): RegExp {
  let source = anchorStart ? '^' : '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charAt(i);
    const lower = unit.toLowerCase();
    const upper = unit.toUpperCase();
    source += lower === upper ? escapeRegex(lower) : `(?:${escapeRegex(lower)}|${escapeRegex(upper)})`;
  }
  return new RegExp(anchorEnd ? `${source}$` : source);
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
}

/**
 * Splits a wildcard pattern into the literal runs between its `*`s, resolving
 * the `\*` and `\\` escapes. Positions in errors count UTF-8 bytes of the
 * quoted value, as the service does.
 */
function parseWildcard(pattern: string, at: string): readonly string[] {
  const segments: string[] = [];
  let current = '';
  const position = (index: number): string => String(Buffer.byteLength(pattern.slice(0, index)) + 1);
  for (let i = 0; i < pattern.length; i++) {
    const unit = pattern.charAt(i);
    if (unit === '*') {
      if (pattern.charAt(i + 1) === '*') {
        throw new InvalidEventPatternError(`Consecutive wildcard characters at pos ${position(i)}`, at);
      }
      segments.push(current);
      current = '';
    } else if (unit === '\\') {
      const next = pattern.charAt(i + 1);
      if (next !== '*' && next !== '\\') {
        throw new InvalidEventPatternError(`Invalid escape character at pos ${position(i)}`, at);
      }
      current += next;
      i++;
    } else {
      current += unit;
    }
  }
  segments.push(current);
  return segments;
}

/**
 * Glob match where `segments` are the literal runs around the `*`s. The first
 * run must start the value, the last must end it, and the ones between are
 * found left to right; leftmost placement is optimal, so no backtracking.
 */
function wildcardMatches(segments: readonly string[], value: string): boolean {
  const first = segments[0] ?? '';
  if (segments.length === 1) {
    return value === first;
  }
  if (!value.startsWith(first)) {
    return false;
  }
  let position = first.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] ?? '';
    const found = value.indexOf(segment, position);
    if (found === -1) {
      return false;
    }
    position = found + segment.length;
  }
  const last = segments[segments.length - 1] ?? '';
  return value.length - position >= last.length && value.endsWith(last);
}

// ---------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------

/** A CIDR block as the hex spellings of its first and last address. */
interface CidrBlock {
  readonly low: string;
  readonly high: string;
}

/**
 * Parses `address/bits`. Host bits may be set (they are ignored). A block must
 * span more than one address, so IPv4 allows `/0`–`/31` and IPv6 `/0`–`/127`;
 * a single address is matched with a plain string value instead.
 */
function parseCidr(text: string, at: string): CidrBlock {
  const parts = text.split('/');
  while (parts.length > 0 && parts[parts.length - 1] === '') {
    parts.pop(); // as Java's String.split drops trailing empty strings
  }
  const [address, maskText] = parts;
  if (parts.length !== 2 || address === undefined || maskText === undefined) {
    throw new InvalidEventPatternError("Malformed CIDR, one '/' required", at);
  }
  const bits = /^[+-]?\d{1,10}$/.test(maskText) ? Number(maskText) : Number.NaN;
  if (!Number.isInteger(bits) || bits > 2_147_483_647 || bits < -2_147_483_648) {
    throw new InvalidEventPatternError('Malformed CIDR, mask bits must be an integer', at);
  }
  if (bits < 0) {
    throw new InvalidEventPatternError('Malformed CIDR, mask bits must not be negative', at);
  }
  const bytes = ipToBytes(address);
  if (bytes === 'invalid') {
    throw new InvalidEventPatternError(`Invalid IP address: ${address}`, at);
  }
  if (bytes === 'nonstandard') {
    throw new InvalidEventPatternError(`Nonstandard IP address: ${address}`, at);
  }
  if (bytes.length === 4 && bits > 31) {
    throw new InvalidEventPatternError('IPv4 mask bits must be < 32', at);
  }
  if (bytes.length === 16 && bits > 127) {
    throw new InvalidEventPatternError('IPv6 mask bits must be < 128', at);
  }
  const low = bytes.map((byte, i) => byte & hostMask(bits, i, false));
  const high = bytes.map((byte, i) => byte | hostMask(bits, i, true));
  return { low: toHex(low), high: toHex(high) };
}

/** For byte `i`: with `host` the bits past the prefix set, else the prefix bits set. */
function hostMask(bits: number, i: number, host: boolean): number {
  const prefixBitsInByte = Math.max(0, Math.min(8, bits - i * 8));
  const prefixMask = (0xff << (8 - prefixBitsInByte)) & 0xff;
  return host ? ~prefixMask & 0xff : prefixMask;
}

/** The address as fixed-width upper-case hex (8 digits for IPv4, 32 for IPv6), or undefined. */
function ipToHex(text: string): string | undefined {
  const bytes = ipToBytes(text);
  return typeof bytes === 'string' ? undefined : toHex(bytes);
}

/**
 * Reads an IPv4 or IPv6 literal. Only strings shaped like one are tried, as in
 * Event Ruler; IPv4-mapped IPv6 addresses (`::ffff:a00:1`) read as IPv4, as
 * Java's `InetAddress` returns them.
 */
function ipToBytes(text: string): number[] | 'invalid' | 'nonstandard' {
  if (IPV4_SHAPE.test(text)) {
    return isIPv4(text) ? text.split('.').map(Number) : 'invalid';
  }
  if (!IPV6_SHAPE.test(text)) {
    return 'nonstandard';
  }
  if (!isIPv6(text)) {
    return 'invalid';
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros: string[] =
    tail === undefined ? [] : new Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const bytes = [...headGroups, ...zeros, ...tailGroups].flatMap((group) => {
    const value = Number.parseInt(group, 16);
    return [value >> 8, value & 0xff];
  });
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

function toHex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join('');
}

// ---------------------------------------------------------------------------
// Matching
// ---------------------------------------------------------------------------

/** Which element of which event array a value sits in: array id to index. */
type Membership = ReadonlyMap<number, number>;

/** One leaf value of the event, with the array elements that contain it. */
interface IndexedValue {
  readonly value: EventScalar;
  readonly membership: Membership;
}

const NO_MEMBERSHIP: Membership = new Map();

/**
 * Flattens the parts of the event the pattern can reach into dot-joined paths.
 * Each array gets an id; values under an object or array element record the
 * element's index, while scalars directly in an array do not (they are
 * alternatives of one field, not separate records).
 */
function indexEvent(event: JsonObject, paths: ReadonlySet<string>): Map<string, IndexedValue[]> {
  const index = new Map<string, IndexedValue[]>();
  const membership = new Map<number, number>();
  let arrays = 0;

  const addValue = (path: string, value: EventScalar): void => {
    const entry: IndexedValue = {
      value,
      membership: membership.size === 0 ? NO_MEMBERSHIP : new Map(membership),
    };
    const existing = index.get(path);
    if (existing === undefined) {
      index.set(path, [entry]);
    } else {
      existing.push(entry);
    }
  };

  const visitObject = (object: JsonObject, prefix: string): void => {
    for (const key of Object.keys(object)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (paths.has(path)) {
        visitValue(object[key], path);
      }
    }
  };

  const visitArray = (array: readonly unknown[], path: string): void => {
    const id = arrays++;
    array.forEach((element: unknown, position) => {
      if (Array.isArray(element) || isJsonObject(element)) {
        membership.set(id, position);
        visitValue(element, path);
        membership.delete(id);
      } else {
        visitValue(element, path);
      }
    });
  };

  const visitValue = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      visitArray(value, path);
    } else if (isJsonObject(value)) {
      visitObject(value, path);
    } else if (isScalar(value)) {
      addValue(path, value);
    }
  };

  visitObject(event, '');
  return index;
}

/** The event values one condition sees: all of them, and those its predicate accepts. */
interface Candidates {
  readonly present: readonly IndexedValue[];
  readonly accepted: readonly IndexedValue[];
}

/**
 * Depth-first search over the branch's conditions in path order, carrying the
 * array elements the values chosen so far live in. Each condition's predicate
 * runs once per value up front, a condition nothing satisfies fails the branch
 * before any search, and dead ends are remembered by (condition, elements) so
 * events with large arrays stay polynomial.
 */
function branchMatches(
  conditions: readonly FieldCondition[],
  index: ReadonlyMap<string, readonly IndexedValue[]>,
): boolean {
  const candidates: Candidates[] = [];
  for (const condition of conditions) {
    const present = index.get(condition.path) ?? [];
    const test = condition.matchesValue;
    const accepted = test === undefined ? [] : present.filter((candidate) => test(candidate.value));
    if (accepted.length === 0 && !condition.matchesAbsence) {
      return false;
    }
    candidates.push({ present, accepted });
  }
  const deadEnds = new Set<string>();

  const search = (position: number, constraints: Membership): boolean => {
    const condition = conditions[position];
    const seen = candidates[position];
    if (condition === undefined || seen === undefined) {
      return true;
    }
    const key = constraints.size === 0 ? String(position) : `${String(position)}|${membershipKey(constraints)}`;
    if (deadEnds.has(key)) {
      return false;
    }
    if (
      condition.matchesAbsence &&
      !seen.present.some((candidate) => merge(constraints, candidate.membership) !== undefined) &&
      search(position + 1, constraints)
    ) {
      return true;
    }
    for (const candidate of seen.accepted) {
      const merged = merge(constraints, candidate.membership);
      if (merged !== undefined && search(position + 1, merged)) {
        return true;
      }
    }
    deadEnds.add(key);
    return false;
  };

  return search(0, NO_MEMBERSHIP);
}

/** Joins two memberships, or undefined when they place a value in different elements of one array. */
function merge(constraints: Membership, membership: Membership): Membership | undefined {
  if (membership.size === 0) {
    return constraints;
  }
  if (constraints.size === 0) {
    return membership;
  }
  let merged: Map<number, number> | undefined;
  for (const [array, element] of membership) {
    const chosen = constraints.get(array);
    if (chosen === undefined) {
      merged ??= new Map(constraints);
      merged.set(array, element);
    } else if (chosen !== element) {
      return undefined;
    }
  }
  return merged ?? constraints;
}

function membershipKey(membership: Membership): string {
  return [...membership.entries()]
    .sort(([a], [b]) => a - b)
    .map(([array, element]) => `${String(array)}:${String(element)}`)
    .join(',');
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isScalar(value: unknown): value is EventScalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function joinTrail(trail: readonly string[]): string {
  return trail.join('.');
}

/** Orders strings by UTF-16 code units, as Java's `String.compareTo` (and Event Ruler) does. */
function compareCodeUnits(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  return a < b ? -1 : 1;
}

function addPathPrefixes(paths: Set<string>, path: string): void {
  for (let dot = path.indexOf('.'); dot !== -1; dot = path.indexOf('.', dot + 1)) {
    paths.add(path.slice(0, dot));
  }
  paths.add(path);
}
