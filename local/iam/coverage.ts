/**
 * Which grants of the template no recorded call needed: the proof that the
 * template grants exactly what the code calls. A statement counts as needed
 * for an (action, resource) pair of its own when some recorded call matched
 * that pair and that statement was the only one allowing it — so removing
 * the statement would have denied the call.
 */
import { asList, statementsOf, type PolicyModel, type StatementSource } from './policy-model';
import type { RecordedGrant } from './authorizer';

/** One action/resource pair an Allow statement grants that no recorded call needed. */
export interface UnusedGrant {
  /** `<policy id>#<1-based statement index>`. */
  readonly key: string;
  readonly source: StatementSource;
  /** The statement's action entry (`dynamodb:Scan`, `lambda:*`). */
  readonly action: string;
  /** The statement's resource entry (an ARN or pattern; `*`). */
  readonly resource: string;
}

/** IAM wildcards (`*`, `?`) as a regular expression; actions compare case-insensitively. */
const wildcard = (pattern: string, caseInsensitive: boolean): RegExp =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, caseInsensitive ? 'i' : '');

/**
 * Every (statement, action, resource) of the template's Allow statements
 * that no recorded call needed. Deny statements and statements written with
 * NotAction / NotResource are not counted (they grant by exclusion).
 *
 * @param kinds which policies to check. @default identity and resource policies and trust policies
 */
export const unusedGrants = (model: PolicyModel, grants: readonly RecordedGrant[], kinds: ReadonlySet<string> = new Set(['identity', 'resource', 'trust'])): UnusedGrant[] => {
  const soleUses = new Map<string, RecordedGrant[]>();
  for (const grant of grants) {
    if (grant.statements.length !== 1) continue;
    const [statement] = grant.statements;
    if (statement) soleUses.set(statement.key, [...(soleUses.get(statement.key) ?? []), grant]);
  }
  const unused: UnusedGrant[] = [];
  const seen = new Set<string>();
  for (const policy of model.policies()) {
    if (!kinds.has(policy.kind)) continue;
    statementsOf(policy.document).forEach((statement, i) => {
      const key = `${policy.id}#${String(i + 1)}`;
      const source = policy.sources[i];
      if (statement.Effect !== 'Allow' || statement.NotAction !== undefined || statement.NotResource !== undefined || !source || seen.has(key)) return;
      seen.add(key);
      if (source.path.startsWith('(SNS default')) return;
      const uses = soleUses.get(key) ?? [];
      const resources = policy.kind === 'trust' ? ['*'] : asList(statement.Resource);
      for (const action of asList(statement.Action)) {
        const actionPattern = wildcard(action, true);
        for (const resource of resources) {
          const resourcePattern = wildcard(resource, false);
          const needed = uses.some((use) => actionPattern.test(use.action) && (policy.kind === 'trust' || resourcePattern.test(use.resource)));
          if (!needed) unused.push({ key, source, action, resource });
        }
      }
    });
  }
  return unused;
};
