/**
 * IAM for the local cloud: every call a principal makes is evaluated against
 * the template's policies by `@cloud-copilot/iam-simulate`, a maintained
 * evaluator of AWS's policy logic (identity policies, resource policies,
 * permissions boundaries, every condition operator), so a call AWS would
 * deny is denied here too, with the message AWS gives.
 *
 * Modes: `strict` denies (the default, and what every test suite runs),
 * `soft` logs "AWS would deny …" and lets the call through, `off` evaluates
 * nothing. Every decision is recorded: which statement allowed each call (to
 * prove the template grants exactly what the code calls) and every denial.
 */
import { getDenialReasons, getGrantReasons, runSimulation, type RequestDenial, type RequestGrant } from '@cloud-copilot/iam-simulate';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../resources';
import { policyConditionKeys, type ModelPolicy, type PolicyModel, type StatementSource } from './policy-model';
import { principalArn, type IamPrincipal } from './principals';

/** How the local cloud applies IAM. */
export type IamMode = 'strict' | 'soft' | 'off';

/** The IAM modes, for flag parsing. */
export const IAM_MODES: readonly IamMode[] = ['strict', 'soft', 'off'];

/** One call to authorize. */
export interface IamRequest {
  readonly principal: IamPrincipal;
  /** `service:Action`, e.g. `dynamodb:GetItem`. */
  readonly action: string;
  /** The resource's ARN, or `*` for actions without a resource type. */
  readonly resource: string;
  /** Condition keys of this request (`aws:SourceArn` of a service's call, `dynamodb:LeadingKeys`...). */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** What the call is, for people: `API GET /orders → OrdersApi`. */
  readonly hop?: string;
  /**
   * The policy to evaluate as the resource's policy instead of the one the
   * resource has (a role's trust policy for `sts:AssumeRole`). @default the resource's own
   */
  readonly resourcePolicy?: ModelPolicy;
}

/** A call IAM denied (or, in soft mode, would have denied). */
export interface IamDenial {
  readonly principal: string;
  /** Who the principal is, for people. */
  readonly principalLabel: string;
  readonly action: string;
  readonly resource: string;
  /** AWS's message: `User: … is not authorized to perform: … on resource: … because …`. */
  readonly message: string;
  readonly hop?: string;
  /** True when a Deny statement decided (an explicit deny). */
  readonly explicit: boolean;
  /** False in soft mode: the call went through. */
  readonly enforced: boolean;
  /** Epoch ms. */
  readonly at: number;
}

/** A statement of the template, as the grant record names it. */
export interface RecordedStatement {
  /** `<policy id>#<1-based statement index>`. */
  readonly key: string;
  readonly policyId: string;
  readonly policyKind: ModelPolicy['kind'];
  readonly index: number;
  readonly source: StatementSource;
}

/** One allowed call and the statements that allowed it. */
export interface RecordedGrant {
  readonly action: string;
  readonly resource: string;
  readonly principal: string;
  /** Every statement that allows the call; when there is one, removing it denies the call. */
  readonly statements: readonly RecordedStatement[];
}

/** Options of {@link IamAuthorizer}. */
export interface IamAuthorizerOptions {
  /** @default 'strict' */
  readonly mode?: IamMode;
  /** Hears every denial (enforced or not); the local cloud prints it in red. */
  readonly onDenied?: (denial: IamDenial) => void;
}

/** The evaluator failed on a request the local cloud built: a bug of the local cloud, not a denial. */
export class IamEvaluationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'IamEvaluationError';
  }
}

interface Outcome {
  readonly allowed: boolean;
  readonly grants: readonly RecordedStatement[];
  readonly explicit: boolean;
  readonly reason: string;
}

/** The policies that decide one request. */
interface EvaluatedPolicies {
  readonly identity: readonly ModelPolicy[];
  readonly boundary: ModelPolicy | undefined;
  readonly resourcePolicy: ModelPolicy | undefined;
}

/** Decisions kept before the cache is cleared (they are small; a run makes a few thousand distinct ones). */
const CACHE_LIMIT = 50_000;

/**
 * Evaluates calls against the template's IAM and records what it decided.
 */
export class IamAuthorizer {
  public readonly mode: IamMode;
  private readonly cache = new Map<string, Outcome>();
  private readonly grantLog = new Map<string, RecordedGrant>();
  private readonly denialLog: IamDenial[] = [];
  private readonly onDenied?: (denial: IamDenial) => void;

  public constructor(
    public readonly model: PolicyModel,
    options: IamAuthorizerOptions = {},
  ) {
    this.mode = options.mode ?? 'strict';
    this.onDenied = options.onDenied;
  }

  /**
   * Authorizes one call. Resolves with the denial when the call must fail
   * (strict mode only); in soft mode a denial is reported and `undefined`
   * returned; in off mode nothing is evaluated.
   *
   * @throws {IamEvaluationError} when the evaluator cannot evaluate the
   *   request (an action on a resource type it does not apply to): the
   *   local cloud built a wrong request.
   */
  public async check(request: IamRequest): Promise<IamDenial | undefined> {
    if (this.mode === 'off' || request.principal.kind === 'administrator') return undefined;
    const outcome = await this.evaluate(request);
    const arn = principalArn(request.principal);
    if (outcome.allowed) {
      const key = `${arn}|${request.action}|${request.resource}|${outcome.grants.map((g) => g.key).join(',')}`;
      if (!this.grantLog.has(key)) this.grantLog.set(key, { action: request.action, resource: request.resource, principal: arn, statements: outcome.grants });
      return undefined;
    }
    const denial: IamDenial = {
      principal: arn,
      principalLabel: request.principal.label,
      action: request.action,
      resource: request.resource,
      message: `User: ${arn} is not authorized to perform: ${request.action} on resource: ${request.resource} ${outcome.reason}`,
      ...(request.hop ? { hop: request.hop } : {}),
      explicit: outcome.explicit,
      enforced: this.mode === 'strict',
      at: Date.now(),
    };
    this.denialLog.push(denial);
    this.onDenied?.(denial);
    return denial.enforced ? denial : undefined;
  }

  /** Every denial so far (in soft mode too), oldest first. */
  public get denials(): readonly IamDenial[] {
    return this.denialLog;
  }

  /** Every distinct allowed call so far, with the statements that allowed it. */
  public grants(): readonly RecordedGrant[] {
    return [...this.grantLog.values()];
  }

  private async evaluate(request: IamRequest): Promise<Outcome> {
    const policies = this.policiesFor(request);
    const context = this.contextFor(request, policies);
    // The context holds only the keys these policies use, so calls that differ only in others (another item's key) share a decision.
    const key = `${principalArn(request.principal)}|${request.action}|${request.resource}|${request.resourcePolicy?.id ?? ''}|${JSON.stringify(context)}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const outcome = await this.simulate(request, policies, context);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(key, outcome);
    return outcome;
  }

  /** The policies that decide a request: the principal's identity policies and boundary, and the resource's policy. */
  private policiesFor(request: IamRequest): EvaluatedPolicies {
    const { principal } = request;
    return {
      identity: principal.kind === 'role' ? principal.role.identityPolicies : [],
      boundary: principal.kind === 'role' ? principal.role.permissionsBoundary : undefined,
      resourcePolicy: request.resourcePolicy ?? this.model.resourcePolicy(request.resource),
    };
  }

  private async simulate(request: IamRequest, { identity, boundary, resourcePolicy }: EvaluatedPolicies, context: Record<string, string | string[]>): Promise<Outcome> {
    const { principal } = request;
    const result = await runSimulation(
      {
        request: { principal: principalArn(principal), action: request.action, resource: { resource: request.resource, accountId: LOCAL_ACCOUNT }, contextVariables: context },
        identityPolicies: identity.map((policy) => ({ name: policy.id, policy: policy.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy ? { resourcePolicy: resourcePolicy.document } : {}),
        ...(boundary ? { permissionBoundaryPolicies: [{ name: boundary.id, policy: boundary.document }] } : {}),
      },
      { simulationMode: 'Strict' },
    );
    if (result.resultType === 'error') {
      throw new IamEvaluationError(`IAM cannot evaluate ${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
    }
    const analysis = result.resultType === 'single' ? result.result.analysis : result.results[0]?.analysis;
    if (!analysis) throw new IamEvaluationError(`IAM returned no analysis for ${request.action} on ${request.resource}`);
    if (result.overallResult === 'Allowed') {
      return { allowed: true, grants: getGrantReasons(analysis).flatMap((grant) => this.statementOf(grant, identity, boundary, resourcePolicy)), explicit: false, reason: '' };
    }
    const denials = getDenialReasons(analysis);
    return { allowed: false, grants: [], explicit: result.overallResult === 'ExplicitlyDenied', reason: reasonOf(request, denials) };
  }

  private statementOf(grant: RequestGrant, identity: readonly ModelPolicy[], boundary: ModelPolicy | undefined, resourcePolicy: ModelPolicy | undefined): RecordedStatement[] {
    const policy =
      grant.policyType === 'resource'
        ? resourcePolicy
        : grant.policyType === 'pb'
          ? boundary
          : grant.policyType === 'identity'
            ? identity.find((candidate) => candidate.id === grant.policyIdentifier)
            : undefined;
    if (!policy) return [];
    const source = policy.sources[grant.statementIndex - 1] ?? policy.sources[0];
    if (!source) return [];
    return [{ key: `${policy.id}#${String(grant.statementIndex)}`, policyId: policy.id, policyKind: policy.kind, index: grant.statementIndex, source }];
  }

  /** The condition keys of a request that the deciding policies use (others cannot change the decision). */
  private contextFor(request: IamRequest, { identity, boundary, resourcePolicy }: EvaluatedPolicies): Record<string, string | string[]> {
    const used = new Set([...identity, ...(boundary ? [boundary] : []), ...(resourcePolicy ? [resourcePolicy] : [])].flatMap((policy) => [...policyConditionKeys(policy)]));
    const now = new Date();
    const candidates: Record<string, string | readonly string[]> = {
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': LOCAL_REGION,
      'aws:ViaAWSService': 'false',
      'aws:CurrentTime': now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'aws:EpochTime': String(Math.floor(now.getTime() / 1000)),
      ...principalKeys(request.principal),
      ...request.context,
    };
    const context: Record<string, string | string[]> = {};
    for (const [key, value] of Object.entries(candidates)) {
      if (used.has(key.toLowerCase())) context[key] = typeof value === 'string' ? value : [...value];
    }
    return context;
  }
}

const principalKeys = (principal: IamPrincipal): Record<string, string> => {
  switch (principal.kind) {
    case 'role':
      return {
        'aws:PrincipalArn': principal.role.arn,
        'aws:PrincipalAccount': LOCAL_ACCOUNT,
        'aws:PrincipalType': 'AssumedRole',
        'aws:userid': `AROA${principal.role.logicalId.toUpperCase().slice(0, 17)}:${principal.sessionName}`,
        'aws:PrincipalIsAWSService': 'false',
      };
    case 'service':
      return { 'aws:PrincipalServiceName': principal.service, 'aws:PrincipalIsAWSService': 'true' };
    case 'administrator':
      return { 'aws:PrincipalArn': `arn:aws:iam::${LOCAL_ACCOUNT}:root`, 'aws:PrincipalAccount': LOCAL_ACCOUNT, 'aws:PrincipalType': 'Account', 'aws:PrincipalIsAWSService': 'false' };
  }
};

/** The `because …` / `with an explicit deny …` tail of AWS's AccessDenied message. */
const reasonOf = (request: IamRequest, denials: readonly RequestDenial[]): string => {
  const explicit = denials.find((denial) => denial.denialType === 'Explicit');
  if (explicit) {
    const where = explicit.policyType === 'resource' ? 'a resource-based policy' : explicit.policyType === 'pb' ? 'a permissions boundary' : 'an identity-based policy';
    return `with an explicit deny in ${where}`;
  }
  if (request.principal.kind === 'service' || request.resourcePolicy?.kind === 'trust') return `because no resource-based policy allows the ${request.action} action`;
  if (denials.some((denial) => denial.policyType === 'pb')) return `because no permissions boundary allows the ${request.action} action`;
  return `because no identity-based policy allows the ${request.action} action`;
};
