/**
 * CloudFormation intrinsic functions for the local cloud: turns the values of
 * a synthesized template (`{"Ref": ...}`, `{"Fn::GetAtt": ...}`,
 * `{"Fn::Join": ...}`, ...) into the plain values CloudFormation would have
 * deployed, so that what runs locally is read from the same template as what
 * runs on AWS.
 *
 * The resolver knows nothing about resources: the caller says what `Ref` and
 * `Fn::GetAtt` of a logical id give (a fake ARN in a test, the emulated
 * resource's address in the local cloud). It resolves exactly what
 * CloudFormation would and refuses the rest: an intrinsic it does not
 * support, or arguments CloudFormation would reject, raise an
 * {@link IntrinsicResolutionError} naming the path of the offending value,
 * never a silently wrong string.
 *
 * Supported: `Ref` (logical ids and the pseudo parameters `AWS::Region`,
 * `AWS::AccountId`, `AWS::Partition`, `AWS::URLSuffix`, `AWS::StackName`, and
 * `AWS::StackId` when given), `Fn::GetAtt` (list and dotted-string forms),
 * `Fn::Join`, `Fn::Sub` (string and `[template, variables]` forms),
 * `Fn::Select` and `Fn::Split`. Conditions (`Fn::If`, `Fn::Equals`, ...),
 * `Fn::ImportValue`, `Fn::FindInMap`, `Fn::GetAZs`, `Fn::Base64`, `Fn::Cidr`,
 * `Fn::Transform` and any other `Fn::` are refused.
 */

/** A JSON value, as found in a template and as produced by resolving one. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * What `Ref` and `Fn::GetAtt` of the template's own logical ids give.
 *
 * Return `undefined` for a logical id (or attribute) that does not exist: the
 * resolver then fails with the path of the reference, as CloudFormation fails
 * a template with an unresolved dependency.
 */
export interface IntrinsicLookups {
  /** `{"Ref": logicalId}` of a resource or parameter; never called for pseudo parameters. */
  readonly ref: (logicalId: string) => JsonValue | undefined;
  /** `{"Fn::GetAtt": [logicalId, attribute]}`; `attribute` may contain dots (`Endpoint.Address`). */
  readonly getAtt: (logicalId: string, attribute: string) => JsonValue | undefined;
}

/**
 * The stack the template is deployed as, answering the `AWS::*` pseudo
 * parameters.
 */
export interface PseudoParameters {
  /** `AWS::Region`, e.g. `us-east-1`. */
  readonly region: string;
  /** `AWS::AccountId`, twelve digits. */
  readonly accountId: string;
  /** `AWS::StackName`. */
  readonly stackName: string;
  /** `AWS::Partition`. @default derived from `region`: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws` */
  readonly partition?: string;
  /** `AWS::URLSuffix`. @default `amazonaws.com.cn` in the `aws-cn` partition, else `amazonaws.com` */
  readonly urlSuffix?: string;
  /** `AWS::StackId`. @default none: a template that refers to it is refused */
  readonly stackId?: string;
}

/** Everything {@link resolveIntrinsics} needs besides the value. */
export interface IntrinsicContext {
  readonly lookups: IntrinsicLookups;
  readonly pseudoParameters: PseudoParameters;
}

/**
 * A value whose intrinsics cannot be resolved: unsupported, malformed, or
 * referring to something the lookups do not know.
 */
export class IntrinsicResolutionError extends Error {
  /** Why the value could not be resolved. */
  public readonly reason: string;
  /**
   * Path of the offending value from where resolution started, e.g.
   * `Resources.Saga.Properties.DefinitionString.Fn::Join[1][3]`.
   */
  public readonly path: string;

  public constructor(reason: string, path: string) {
    super(`Cannot resolve intrinsic${path === '' ? '' : ` at ${path}`}: ${reason}`);
    this.reason = reason;
    this.path = path;
    this.name = 'IntrinsicResolutionError';
  }
}

/** The partition a region belongs to, as `AWS::Partition` answers in it. */
export const partitionOf = (region: string): string => {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
};

/**
 * Resolves every intrinsic function in `value`, depth first, and returns a
 * new value made only of JSON literals. `value` is not modified.
 *
 * @param value A template fragment, e.g. a resource's `Properties`.
 * @param context The lookups for logical ids and the pseudo parameters.
 * @param path Where `value` sits in the template, prefixed to error paths.
 * @throws {IntrinsicResolutionError} naming the path of the first value that cannot be resolved.
 */
export const resolveIntrinsics = (value: unknown, context: IntrinsicContext, path = ''): JsonValue => {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new IntrinsicResolutionError(`${value} is not a JSON number`, path);
    return value;
  }
  if (Array.isArray(value)) return value.map((item: unknown, index) => resolveIntrinsics(item, context, `${path}[${index}]`));
  if (!isRecord(value)) throw new IntrinsicResolutionError(`a ${typeof value} is not a template value`, path);

  const keys = Object.keys(value);
  if (keys.length === 1 && isIntrinsicName(keys[0])) {
    const name = keys[0];
    return resolveFunction(name, value[name], context, join(path, name));
  }
  const resolved: Record<string, JsonValue> = {};
  for (const key of keys) resolved[key] = resolveIntrinsics(value[key], context, join(path, key));
  return resolved;
};

/** True for the keys that make a one-key object an intrinsic function call. */
const isIntrinsicName = (key: string): boolean => key === 'Ref' || key.startsWith('Fn::');

const resolveFunction = (name: string, args: unknown, context: IntrinsicContext, path: string): JsonValue => {
  switch (name) {
    case 'Ref':
      return resolveRef(args, context, path);
    case 'Fn::GetAtt':
      return resolveGetAtt(args, context, path);
    case 'Fn::Join':
      return resolveJoin(args, context, path);
    case 'Fn::Sub':
      return resolveSub(args, context, path);
    case 'Fn::Select':
      return resolveSelect(args, context, path);
    case 'Fn::Split':
      return resolveSplit(args, context, path);
    default:
      throw new IntrinsicResolutionError(`${name} is not supported`, path);
  }
};

const resolveRef = (args: unknown, context: IntrinsicContext, path: string): JsonValue => {
  if (typeof args !== 'string' || args === '') throw new IntrinsicResolutionError('Ref takes a logical id or a pseudo parameter name', path);
  return referenceOf(args, context, path);
};

/** `Ref` of a name, as both `{"Ref": name}` and `${name}` in `Fn::Sub` mean it. */
const referenceOf = (name: string, context: IntrinsicContext, path: string): JsonValue => {
  if (name.startsWith('AWS::')) return pseudoParameter(name, context.pseudoParameters, path);
  const found = context.lookups.ref(name);
  if (found === undefined) throw new IntrinsicResolutionError(`Ref to unknown logical id ${name}`, path);
  return found;
};

const pseudoParameter = (name: string, pseudo: PseudoParameters, path: string): string => {
  const partition = pseudo.partition ?? partitionOf(pseudo.region);
  switch (name) {
    case 'AWS::Region':
      return pseudo.region;
    case 'AWS::AccountId':
      return pseudo.accountId;
    case 'AWS::Partition':
      return partition;
    case 'AWS::URLSuffix':
      return pseudo.urlSuffix ?? (partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com');
    case 'AWS::StackName':
      return pseudo.stackName;
    case 'AWS::StackId':
      if (pseudo.stackId === undefined) throw new IntrinsicResolutionError('AWS::StackId was not given', path);
      return pseudo.stackId;
    default:
      throw new IntrinsicResolutionError(`pseudo parameter ${name} is not supported`, path);
  }
};

const resolveGetAtt = (args: unknown, context: IntrinsicContext, path: string): JsonValue => {
  let logicalId: unknown;
  let attribute: unknown;
  if (typeof args === 'string') {
    const dot = args.indexOf('.');
    if (dot <= 0 || dot === args.length - 1) throw new IntrinsicResolutionError('Fn::GetAtt as a string must be "LogicalId.Attribute"', path);
    logicalId = args.slice(0, dot);
    attribute = args.slice(dot + 1);
  } else if (Array.isArray(args) && args.length === 2) {
    logicalId = args[0];
    attribute = resolveIntrinsics(args[1], context, `${path}[1]`);
  } else {
    throw new IntrinsicResolutionError('Fn::GetAtt takes [logicalId, attribute] or "LogicalId.Attribute"', path);
  }
  if (typeof logicalId !== 'string' || logicalId === '') throw new IntrinsicResolutionError('the logical id of Fn::GetAtt must be a literal string', path);
  if (typeof attribute !== 'string' || attribute === '') throw new IntrinsicResolutionError('the attribute of Fn::GetAtt must be a string', path);
  return attributeOf(logicalId, attribute, context, path);
};

const attributeOf = (logicalId: string, attribute: string, context: IntrinsicContext, path: string): JsonValue => {
  const found = context.lookups.getAtt(logicalId, attribute);
  if (found === undefined) throw new IntrinsicResolutionError(`Fn::GetAtt ${logicalId}.${attribute} is unknown`, path);
  return found;
};

const resolveJoin = (args: unknown, context: IntrinsicContext, path: string): string => {
  if (!Array.isArray(args) || args.length !== 2) throw new IntrinsicResolutionError('Fn::Join takes [delimiter, [values]]', path);
  const [delimiter, values] = args as unknown[];
  if (typeof delimiter !== 'string') throw new IntrinsicResolutionError('the delimiter of Fn::Join must be a literal string', `${path}[0]`);
  return stringList(values, context, `${path}[1]`, 'Fn::Join').join(delimiter);
};

const resolveSplit = (args: unknown, context: IntrinsicContext, path: string): string[] => {
  if (!Array.isArray(args) || args.length !== 2) throw new IntrinsicResolutionError('Fn::Split takes [delimiter, source]', path);
  const [delimiter, source] = args as unknown[];
  if (typeof delimiter !== 'string' || delimiter === '') {
    throw new IntrinsicResolutionError('the delimiter of Fn::Split must be a non-empty literal string', `${path}[0]`);
  }
  const text = resolveIntrinsics(source, context, `${path}[1]`);
  if (typeof text !== 'string') throw new IntrinsicResolutionError(`Fn::Split needs a string to split, got ${describe(text)}`, `${path}[1]`);
  return text.split(delimiter);
};

const resolveSelect = (args: unknown, context: IntrinsicContext, path: string): JsonValue => {
  if (!Array.isArray(args) || args.length !== 2) throw new IntrinsicResolutionError('Fn::Select takes [index, [values]]', path);
  const [rawIndex, rawList] = args as unknown[];
  const indexValue = resolveIntrinsics(rawIndex, context, `${path}[0]`);
  const index = typeof indexValue === 'string' && /^\d+$/.test(indexValue) ? Number(indexValue) : indexValue;
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    throw new IntrinsicResolutionError(`the index of Fn::Select must be a non-negative integer, got ${describe(indexValue)}`, `${path}[0]`);
  }
  const list = resolveIntrinsics(rawList, context, `${path}[1]`);
  if (!Array.isArray(list)) throw new IntrinsicResolutionError(`Fn::Select needs a list, got ${describe(list)}`, `${path}[1]`);
  const items: readonly JsonValue[] = list;
  if (index >= items.length) throw new IntrinsicResolutionError(`index ${index} is out of bounds of a list of ${items.length}`, path);
  return items[index];
};

/** `${Name}`, `${Name.Attribute}` and the escaped literal `${!...}` of `Fn::Sub`. */
const SUB_PLACEHOLDER = /\$\{([^}]*)\}/g;

const resolveSub = (args: unknown, context: IntrinsicContext, path: string): string => {
  let template: unknown;
  const variables = new Map<string, string>();
  if (typeof args === 'string') {
    template = args;
  } else if (Array.isArray(args) && args.length === 2) {
    template = args[0];
    const rawVariables: unknown = args[1];
    if (!isRecord(rawVariables)) throw new IntrinsicResolutionError('the variables of Fn::Sub must be an object', `${path}[1]`);
    for (const [name, raw] of Object.entries(rawVariables)) {
      const resolved = resolveIntrinsics(raw, context, `${path}[1].${name}`);
      if (typeof resolved !== 'string') {
        throw new IntrinsicResolutionError(`Fn::Sub variable ${name} must be a string, got ${describe(resolved)}`, `${path}[1].${name}`);
      }
      variables.set(name, resolved);
    }
  } else {
    throw new IntrinsicResolutionError('Fn::Sub takes a string or [string, {variables}]', path);
  }
  if (typeof template !== 'string') throw new IntrinsicResolutionError('the template of Fn::Sub must be a literal string', Array.isArray(args) ? `${path}[0]` : path);

  return template.replace(SUB_PLACEHOLDER, (placeholder, rawName: string) => {
    if (rawName.startsWith('!')) return `\${${rawName.slice(1)}}`;
    const name = rawName.trim();
    if (name === '') throw new IntrinsicResolutionError(`empty placeholder ${placeholder} in Fn::Sub`, path);
    const variable = variables.get(name);
    if (variable !== undefined) return variable;
    const dot = name.indexOf('.');
    const value = dot > 0 && !name.startsWith('AWS::') ? attributeOf(name.slice(0, dot), name.slice(dot + 1), context, path) : referenceOf(name, context, path);
    if (typeof value !== 'string') throw new IntrinsicResolutionError(`${placeholder} in Fn::Sub must give a string, got ${describe(value)}`, path);
    return value;
  });
};

/** The resolved list of strings `Fn::Join` joins: a literal list or an intrinsic giving one. */
const stringList = (value: unknown, context: IntrinsicContext, path: string, fn: string): string[] => {
  const list = resolveIntrinsics(value, context, path);
  if (!Array.isArray(list)) throw new IntrinsicResolutionError(`${fn} needs a list of strings, got ${describe(list)}`, path);
  const items: readonly JsonValue[] = list;
  return items.map((item, index) => {
    if (typeof item !== 'string') throw new IntrinsicResolutionError(`${fn} can only join strings, got ${describe(item)}`, `${path}[${index}]`);
    return item;
  });
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const join = (path: string, key: string): string => (path === '' ? key : `${path}.${key}`);

const describe = (value: JsonValue): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
};
