/**
 * How an EventBridge target's input is shaped from the event: `Input` (a
 * constant), `InputPath` (a JSON path into the event) and `InputTransformer`
 * (`InputPathsMap` variables substituted into an `InputTemplate`), with
 * EventBridge's JSON-path subset and its placeholder quoting rules.
 * Templates are parsed and checked when the rule is read, so a template that
 * can never produce valid JSON stops start-up rather than a delivery.
 */
import { type PropertyObject, type PropertyReader, isPropertyObject } from '../support/property-reader';
import { TargetDeliveryError } from './errors';

/** Input-transformer variables EventBridge defines itself. */
const RESERVED_VARIABLES: readonly string[] = [
  'aws.events.rule-arn',
  'aws.events.rule-name',
  'aws.events.event.ingestion-time',
  'aws.events.event',
  'aws.events.event.json',
];

// ---------------------------------------------------------------------------
// JSON paths (the subset EventBridge supports)
// ---------------------------------------------------------------------------

type PathStep = { readonly kind: 'field'; readonly name: string } | { readonly kind: 'index'; readonly index: number } | { readonly kind: 'wildcard' };

/**
 * A compiled EventBridge JSON path: `$`, dot notation (names with letters,
 * digits, dashes, underscores, slashes...), array indices `[0]` and `*`
 * wildcards. A path with a wildcard selects a list.
 */
export interface JsonPath {
  readonly text: string;
  readonly steps: readonly PathStep[];
  readonly multiple: boolean;
}

/** EventBridge's path grammar; bracketed names (`['a']`) are not part of it. */
export function compileJsonPath(text: string): JsonPath {
  if (!text.startsWith('$')) throw new Error(`"${text}" is not a JSON path: it must start with $`);
  const steps: PathStep[] = [];
  let rest = text.slice(1);
  while (rest !== '') {
    const wildcard = /^(?:\.\*|\[\*\])/.exec(rest);
    const field = /^\.([^.[\]*\s]+)/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    if (wildcard) {
      steps.push({ kind: 'wildcard' });
      rest = rest.slice(wildcard[0].length);
    } else if (field?.[1] !== undefined) {
      steps.push({ kind: 'field', name: field[1] });
      rest = rest.slice(field[0].length);
    } else if (index?.[1] !== undefined) {
      steps.push({ kind: 'index', index: Number(index[1]) });
      rest = rest.slice(index[0].length);
    } else {
      throw new Error(`"${text}" is not a JSON path EventBridge supports (dot notation, array indices and * only)`);
    }
  }
  return { text, steps, multiple: steps.some((step) => step.kind === 'wildcard') };
}

/** The value a path selects, `undefined` when it selects nothing (a list for wildcard paths). */
export function evaluateJsonPath(path: JsonPath, value: unknown): unknown {
  let current: unknown[] = [value];
  for (const step of path.steps) {
    const next: unknown[] = [];
    for (const node of current) {
      if (step.kind === 'field') {
        if (isPropertyObject(node) && Object.hasOwn(node, step.name)) next.push(node[step.name]);
      } else if (step.kind === 'index') {
        if (Array.isArray(node) && step.index < node.length) next.push(node[step.index]);
      } else if (Array.isArray(node)) {
        next.push(...node);
      } else if (isPropertyObject(node)) {
        next.push(...Object.values(node));
      }
    }
    current = next;
  }
  return path.multiple ? current : current[0];
}

// ---------------------------------------------------------------------------
// Input templates
// ---------------------------------------------------------------------------

type TemplatePart = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'variable'; readonly name: string; readonly quoted: boolean };

/** A parsed `InputTemplate`. */
interface InputTemplate {
  /** A JSON template (object, list or quoted string) rather than free text. */
  readonly json: boolean;
  readonly parts: readonly TemplatePart[];
}

/**
 * Splits a template into text and `<variable>` placeholders, remembering for
 * JSON templates whether each placeholder sits inside a JSON string. Only
 * defined variable names are placeholders; other `<...>` text is literal.
 */
function parseTemplate(template: string, variables: ReadonlySet<string>): InputTemplate {
  const first = template.trimStart().charAt(0);
  const json = first === '{' || first === '[' || first === '"';
  const parts: TemplatePart[] = [];
  let text = '';
  let inString = false;
  for (let i = 0; i < template.length; ) {
    const unit = template.charAt(i);
    if (unit === '<') {
      const match = /^<([A-Za-z0-9_.\-]+)>/.exec(template.slice(i, i + 300));
      if (match?.[1] !== undefined && variables.has(match[1])) {
        if (text !== '') parts.push({ kind: 'text', text });
        text = '';
        parts.push({ kind: 'variable', name: match[1], quoted: json && inString });
        i += match[0].length;
        continue;
      }
    }
    if (json && inString && unit === '\\') {
      text += template.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (json && unit === '"') inString = !inString;
    text += unit;
    i += 1;
  }
  if (text !== '') parts.push({ kind: 'text', text });
  return { json, parts };
}

/**
 * EventBridge's substitution rules: outside quotes a variable becomes its JSON
 * value (a string gets its quotes, a missing path is `null`); inside a JSON
 * string the value's text is inserted without quotes (escaped so the result
 * stays JSON; a missing path is empty). In a free-text template values are
 * inserted as text.
 */
function renderTemplate(template: InputTemplate, values: ReadonlyMap<string, unknown>): string {
  let output = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      output += part.text;
      continue;
    }
    const value = values.get(part.name);
    if (!template.json) output += value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
    else if (!part.quoted) output += value === undefined ? 'null' : JSON.stringify(value);
    else if (value !== undefined) output += JSON.stringify(typeof value === 'string' ? value : JSON.stringify(value)).slice(1, -1);
  }
  return output;
}

// ---------------------------------------------------------------------------
// Target input
// ---------------------------------------------------------------------------

/** How a target's input is derived from the event, as {@link readInput} reads it from the target. */
export type InputSpec =
  | { readonly kind: 'event' }
  | { readonly kind: 'constant'; readonly value: unknown; readonly text: string }
  | { readonly kind: 'path'; readonly path: JsonPath }
  | { readonly kind: 'transformer'; readonly paths: ReadonlyMap<string, JsonPath>; readonly template: InputTemplate };

/** What a target receives: the JSON value (Lambda, Step Functions) and its text (an SQS body). */
export interface TargetInput {
  readonly value: unknown;
  readonly body: string;
}

/** The values of the reserved `aws.events.*` variables that are not taken from the event itself. */
export interface TransformContext {
  readonly ruleArn: string;
  readonly ruleName: string;
  /** Epoch ms at which the bus received the event. */
  readonly ingestedAt: number;
}

/**
 * Reads `Input`, `InputPath` or `InputTransformer` of the target declared at
 * `path` (the caller has checked that at most one is set).
 *
 * @throws {UnsupportedFeatureError} for invalid JSON, JSON paths EventBridge
 *   does not support, reserved variable names, and templates that cannot
 *   produce valid JSON.
 */
export function readInput(read: PropertyReader, declared: PropertyObject, path: string): InputSpec {
  if (declared.Input !== undefined) {
    const text = read.string(declared.Input, `${path}.Input`);
    try {
      return { kind: 'constant', value: JSON.parse(text), text };
    } catch {
      throw read.fail(`${path}.Input`, 'must be valid JSON');
    }
  }
  if (declared.InputPath !== undefined) {
    return { kind: 'path', path: readPath(read, declared.InputPath, `${path}.InputPath`) };
  }
  if (declared.InputTransformer === undefined) return { kind: 'event' };
  const transformerPath = `${path}.InputTransformer`;
  const transformer = read.object(declared.InputTransformer, transformerPath);
  read.only(transformer, transformerPath, ['InputPathsMap', 'InputTemplate']);
  const map = read.optionalObject(transformer.InputPathsMap, `${transformerPath}.InputPathsMap`) ?? {};
  if (Object.keys(map).length > 100) throw read.fail(`${transformerPath}.InputPathsMap`, 'at most 100 variables');
  const paths = new Map<string, JsonPath>();
  for (const [name, value] of Object.entries(map)) {
    const variablePath = `${transformerPath}.InputPathsMap.${name}`;
    if (name.toLowerCase().startsWith('aws.')) throw read.fail(variablePath, 'variable names cannot start with "aws." (reserved)');
    paths.set(name, readPath(read, value, variablePath));
  }
  const templateText = read.string(transformer.InputTemplate, `${transformerPath}.InputTemplate`);
  const template = parseTemplate(templateText, new Set([...paths.keys(), ...RESERVED_VARIABLES]));
  if (template.json) {
    try {
      JSON.parse(renderTemplate(template, new Map()));
    } catch {
      throw read.fail(`${transformerPath}.InputTemplate`, 'is not valid JSON once its placeholders are filled (a placeholder cannot be an object key)');
    }
  }
  return { kind: 'transformer', paths, template };
}

function readPath(read: PropertyReader, value: unknown, path: string): JsonPath {
  const text = read.string(value, path);
  try {
    return compileJsonPath(text);
  } catch (error) {
    throw read.fail(path, error instanceof Error ? error.message : String(error));
  }
}

/**
 * The input a target receives for `event`.
 *
 * @throws {TargetDeliveryError} `INVALID_JSON` (not retried) when a JSON
 *   template renders to invalid JSON with this event's values.
 */
export function shapeInput<E extends { readonly detail: unknown }>(spec: InputSpec, event: E, context: TransformContext): TargetInput {
  switch (spec.kind) {
    case 'event':
      return { value: event, body: JSON.stringify(event) };
    case 'constant':
      return { value: spec.value, body: spec.text };
    case 'path': {
      const value = evaluateJsonPath(spec.path, event) ?? null;
      return { value, body: JSON.stringify(value) };
    }
    case 'transformer': {
      const values = new Map<string, unknown>();
      for (const [name, path] of spec.paths) values.set(name, evaluateJsonPath(path, event));
      const { detail: _detail, ...withoutDetail } = event;
      values.set('aws.events.rule-arn', context.ruleArn);
      values.set('aws.events.rule-name', context.ruleName);
      values.set('aws.events.event.ingestion-time', new Date(context.ingestedAt).toISOString());
      values.set('aws.events.event', withoutDetail);
      values.set('aws.events.event.json', event);
      const text = renderTemplate(spec.template, values);
      if (!spec.template.json) return { value: text, body: text };
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new TargetDeliveryError('INVALID_JSON', `The input transformer produced invalid JSON: ${text.slice(0, 200)}`, { retryable: false, cause: error });
      }
      return { value, body: typeof value === 'string' ? value : text };
    }
  }
}
