import type { FidelityTarget } from './target';

/** A JSON value, as observations and goldens hold them. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})/g;

/**
 * Makes what a target answered comparable across targets and runs: the
 * account, the region and every generated name (functions, roles, tables,
 * queues, rules, state machines, the API, the user pool) become the same
 * placeholders on the local cloud and on AWS (`<account>`, `<BehaveFunction>`...),
 * UUIDs become `<uuid>` and ISO 8601 times `<time>`. What a scenario keeps
 * of an answer is its own choice; this only erases what differs by nature.
 */
export class Normalizer {
  private readonly replacements: ReadonlyArray<readonly [string, string]>;

  public constructor(target: Pick<FidelityTarget, 'outputs' | 'account' | 'region'>) {
    const o = target.outputs;
    const lastSegment = (text: string): string => text.split(/[/:]/).pop() ?? text;
    const names: Record<string, string> = {
      [o.BehaveFunctionName]: '<BehaveFunction>',
      [o.TwinFunctionName]: '<TwinFunction>',
      [o.BehaveRoleName]: '<BehaveRole>',
      [o.TableName]: '<ProbeTable>',
      [o.EventBusName]: '<ProbeBus>',
      [lastSegment(o.EnvelopeQueueUrl)]: '<EnvelopeQueue>',
      [lastSegment(o.NoPermissionDeadLettersUrl)]: '<NoPermissionDeadLetters>',
      [lastSegment(o.AlwaysThrowsDeadLettersUrl)]: '<AlwaysThrowsDeadLetters>',
      [lastSegment(o.BehaveDeadLettersUrl)]: '<BehaveDeadLetters>',
      [lastSegment(o.PipeQueueUrl)]: '<PipeQueue>',
      [lastSegment(o.NoPermissionRuleArn)]: '<NoPermissionRule>',
      [lastSegment(o.AlwaysThrowsRuleArn)]: '<AlwaysThrowsRule>',
      [o.UserPoolId]: '<UserPool>',
      [o.UserPoolClientId]: '<UserPoolClient>',
      [o.ApiUrl.replace(/\/+$/, '')]: '<ApiUrl>',
      [lastSegment(o.CaughtErrorStateMachineArn)]: '<CaughtErrorStateMachine>',
      [lastSegment(o.UncaughtErrorStateMachineArn)]: '<UncaughtErrorStateMachine>',
      [lastSegment(o.DataLimitStateMachineArn)]: '<DataLimitStateMachine>',
      [lastSegment(o.RuntimeErrorStateMachineArn)]: '<RuntimeErrorStateMachine>',
      [lastSegment(o.TaskTimeoutStateMachineArn)]: '<TaskTimeoutStateMachine>',
      [target.account]: '<account>',
      [target.region]: '<region>',
    };
    // Longest first, so a name that contains another is replaced whole.
    this.replacements = Object.entries(names)
      .filter(([name]) => name !== '')
      .sort(([a], [b]) => b.length - a.length);
  }

  /** A string with every generated name, UUID and time replaced by its placeholder. */
  public text(value: string): string {
    let result = value;
    for (const [name, placeholder] of this.replacements) result = result.split(name).join(placeholder);
    return result.replace(UUID, '<uuid>').replace(ISO_TIME, '<time>');
  }

  /** A JSON value with {@link Normalizer.text} applied to every string in it (keys included). */
  public json(value: Json): Json {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item: Json) => this.json(item));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [this.text(key), this.json(inner)]));
    }
    return value;
  }
}

/** The keys of an object, sorted: the shape of an envelope without its values. */
export const keysOf = (value: unknown): string[] => (value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value).sort() : []);

/** Parses JSON text, or returns undefined. */
export const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};
