/**
 * X-Ray sampling rules (`AWS::XRay::SamplingRule`), read from the template
 * and checked as CloudFormation and X-Ray check them when the rule is
 * created, and matched as X-Ray matches them to a traced state machine's
 * executions (Step Functions honours sampling rules:
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html).
 *
 * No X-Ray daemon runs locally and nothing is sampled: the rules only tell
 * the cost meter which share of a traced state machine's executions X-Ray
 * would record (`../cost/meter`). A rule applies to an execution when its
 * `ServiceType` matches `AWS::StepFunctions::StateMachine`, its `ServiceName`
 * the state machine's name and its `ResourceARN` the state machine's ARN
 * (`*` and `?` wildcards, case-insensitive, as the X-Ray SDKs match) and its
 * `Host`, `HTTPMethod` and `URLPath` are only wildcards (an execution has no
 * HTTP request to match), with no `Attributes`; the lowest `Priority` wins
 * (then the rule name); with none, X-Ray's `Default` rule (1 a second, then
 * 5 %).
 */
import { UnsupportedFeatureError } from '../errors';
import type { LocalResource } from '../resources';
import { isPropertyObject, type PropertyObject } from '../support/property-reader';

export const SAMPLING_RULE_TYPE = 'AWS::XRay::SamplingRule';

/** The origin Step Functions gives its segments, which a rule's `ServiceType` matches. */
export const STATE_MACHINE_SERVICE_TYPE = 'AWS::StepFunctions::StateMachine';

/** A sampling rule, as X-Ray applies it. */
export interface SamplingRule {
  readonly ruleName: string;
  readonly priority: number;
  /** The share of matching requests recorded once the reservoir is used up (0..1). */
  readonly fixedRate: number;
  /** Matching requests recorded each second before the fixed rate applies. */
  readonly reservoirSize: number;
  readonly serviceName: string;
  readonly serviceType: string;
  readonly host: string;
  readonly httpMethod: string;
  readonly urlPath: string;
  readonly resourceArn: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** X-Ray's rule for requests no other rule matches: the first each second, then 5 %. */
export const DEFAULT_SAMPLING_RULE: SamplingRule = {
  ruleName: 'Default',
  priority: 10_000,
  fixedRate: 0.05,
  reservoirSize: 1,
  serviceName: '*',
  serviceType: '*',
  host: '*',
  httpMethod: '*',
  urlPath: '*',
  resourceArn: '*',
  attributes: {},
};

/**
 * The template has a sampling rule AWS refuses when it creates it:
 * start-up stops with what is wrong, naming the resource and the property.
 */
export class InvalidSamplingRuleError extends UnsupportedFeatureError {
  public constructor(logicalId: string, property: string, problem: string) {
    super(logicalId, SAMPLING_RULE_TYPE, property, problem);
    this.message = `${logicalId} (${SAMPLING_RULE_TYPE}): ${property} — AWS refuses this when it deploys: ${problem}`;
    this.name = 'InvalidSamplingRuleError';
  }
}

const RULE_KEYS = ['Attributes', 'FixedRate', 'Host', 'HTTPMethod', 'Priority', 'ReservoirSize', 'ResourceARN', 'RuleARN', 'RuleName', 'ServiceName', 'ServiceType', 'URLPath', 'Version'];

/** One rule of the template, checked as CloudFormation's schema and X-Ray's CreateSamplingRule check it. */
const readRule = (resource: LocalResource): SamplingRule => {
  const id = resource.logicalId;
  const invalid = (property: string, problem: string) => new InvalidSamplingRuleError(id, property, problem);
  for (const key of Object.keys(resource.properties)) {
    if (key === 'SamplingRuleRecord' || key === 'SamplingRuleUpdate') throw new UnsupportedFeatureError(id, resource.type, key, 'not supported locally: give the rule as SamplingRule');
    if (!['SamplingRule', 'RuleName', 'Tags'].includes(key)) throw new UnsupportedFeatureError(id, resource.type, key, 'not supported locally');
  }
  const rule = resource.properties.SamplingRule;
  if (!isPropertyObject(rule)) throw invalid('SamplingRule', rule === undefined ? 'is required to create a rule' : 'must be an object');
  for (const key of Object.keys(rule)) if (!RULE_KEYS.includes(key)) throw invalid(`SamplingRule.${key}`, 'is not a property of a sampling rule');
  const text = (key: string, max: number, required = true): string | undefined => {
    const value = rule[key];
    if (value === undefined) {
      if (required) throw invalid(`SamplingRule.${key}`, 'is required');
      return undefined;
    }
    if (typeof value !== 'string' || value.length > max) throw invalid(`SamplingRule.${key}`, `${JSON.stringify(value)}: must be a string of at most ${String(max)} characters`);
    return value;
  };
  const number = (key: string, min: number, max: number, integer: boolean): number => {
    const raw = rule[key];
    if (raw === undefined) throw invalid(`SamplingRule.${key}`, 'is required');
    // CloudFormation passes numbers in templates as given; a numeric string is read as the number it spells.
    const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof value !== 'number' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
      throw invalid(`SamplingRule.${key}`, `${JSON.stringify(raw)}: must be ${integer ? 'an integer' : 'a number'} ${max === Infinity ? `of at least ${String(min)}` : `from ${String(min)} to ${String(max)}`}`);
    }
    return value;
  };
  const ruleName = text('RuleName', 32, false) ?? (typeof resource.properties.RuleName === 'string' ? resource.properties.RuleName : undefined);
  if (ruleName === undefined || ruleName.length < 1 || ruleName.length > 32) {
    throw invalid('SamplingRule.RuleName', ruleName === undefined ? 'is required to create a rule (1 to 32 characters)' : `${JSON.stringify(ruleName)}: must be 1 to 32 characters`);
  }
  if (rule.RuleARN !== undefined) throw invalid('SamplingRule.RuleARN', 'specify a rule by either name or ARN, but not both (a rule to create has a name)');
  const version = rule.Version;
  if (version !== undefined && version !== 1 && version !== '1') throw invalid('SamplingRule.Version', `${JSON.stringify(version)}: the only version of the sampling rule format is 1`);
  const attributes = rule.Attributes;
  if (attributes !== undefined && !isPropertyObject(attributes)) throw invalid('SamplingRule.Attributes', 'must be a map of strings');
  const entries = Object.entries((attributes ?? {}) as PropertyObject);
  if (entries.length > 5) throw invalid('SamplingRule.Attributes', `${String(entries.length)} entries: at most 5`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 32 || typeof value !== 'string' || value.length < 1 || value.length > 32) {
      throw invalid(`SamplingRule.Attributes.${key}`, 'keys and values are strings of 1 to 32 characters');
    }
  }
  return {
    ruleName,
    priority: number('Priority', 1, 9999, true),
    fixedRate: number('FixedRate', 0, 1, false),
    reservoirSize: number('ReservoirSize', 0, Infinity, true),
    serviceName: text('ServiceName', 64) ?? '*',
    serviceType: text('ServiceType', 64) ?? '*',
    host: text('Host', 64) ?? '*',
    httpMethod: text('HTTPMethod', 10) ?? '*',
    urlPath: text('URLPath', 128) ?? '*',
    resourceArn: text('ResourceARN', 500) ?? '*',
    attributes: Object.fromEntries(entries.map(([key, value]) => [key, String(value)])),
  };
};

/**
 * The template's sampling rules, checked, in the order X-Ray evaluates them
 * (ascending priority, then name).
 *
 * @throws {InvalidSamplingRuleError} for a rule AWS refuses (a missing field, a value out of range, two rules of one name).
 * @throws {UnsupportedFeatureError} for a property the local cloud does not know.
 */
export const samplingRulesOf = (resources: readonly LocalResource[]): SamplingRule[] => {
  const rules: SamplingRule[] = [];
  const owners = new Map<string, string>();
  for (const resource of resources.filter((r) => r.type === SAMPLING_RULE_TYPE)) {
    const rule = readRule(resource);
    const owner = owners.get(rule.ruleName);
    if (owner !== undefined) throw new InvalidSamplingRuleError(resource.logicalId, 'SamplingRule.RuleName', `a rule named ${rule.ruleName} already exists (${owner})`);
    owners.set(rule.ruleName, resource.logicalId);
    rules.push(rule);
  }
  return rules.sort((a, b) => a.priority - b.priority || a.ruleName.localeCompare(b.ruleName));
};

/** X-Ray's wildcard match: `*` any run of characters, `?` one, case-insensitive. */
export const wildcardMatch = (pattern: string, text: string): boolean => {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'is').test(text);
};

const onlyWildcards = (pattern: string): boolean => /^\**$/.test(pattern) && pattern !== '';

/**
 * The rule X-Ray applies to an execution of the state machine `name` (`arn`):
 * the first of `rules` (already in evaluation order) that matches it, or
 * the {@link DEFAULT_SAMPLING_RULE}.
 */
export const samplingRuleFor = (rules: readonly SamplingRule[], name: string, arn: string): SamplingRule =>
  rules.find(
    (rule) =>
      wildcardMatch(rule.serviceType, STATE_MACHINE_SERVICE_TYPE) &&
      wildcardMatch(rule.serviceName, name) &&
      wildcardMatch(rule.resourceArn, arn) &&
      onlyWildcards(rule.host) &&
      onlyWildcards(rule.httpMethod) &&
      onlyWildcards(rule.urlPath) &&
      Object.keys(rule.attributes).length === 0,
  ) ?? DEFAULT_SAMPLING_RULE;
