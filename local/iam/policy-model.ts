/**
 * The template's IAM, as AWS would hold it after `cdk deploy`: each role with
 * its trust policy and the identity policies attached to it, and the
 * resource policies of the resources that have one (Lambda permissions, queue
 * policies, topic policies, event bus policies). Built once at start-up from
 * the resolved resources and checked the way IAM checks a policy when it is
 * created; anything the local evaluator cannot evaluate stops start-up naming
 * the resource and the statement, like any other unsupported feature.
 */
import { validateIdentityPolicy, validateResourcePolicy, validateTrustPolicy, type ValidationError } from '@cloud-copilot/iam-policy';
import { UnsupportedFeatureError } from '../errors';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { isPropertyObject, type PropertyObject } from '../support/property-reader';

/** A policy document as a template holds it (resolved). */
export type PolicyDocument = PropertyObject;

/** One policy of the model, and where the template declares it. */
export interface ModelPolicy {
  /**
   * Stable name of the policy, used in explanations and in the grant record:
   * the logical id of an `AWS::IAM::Policy`, `<Role>.Policies[0]` for an
   * inline role policy, `<Role>.AssumeRolePolicyDocument`, or
   * `resource-policy:<arn>` for the merged resource policy of a resource.
   */
  readonly id: string;
  readonly kind: 'identity' | 'trust' | 'resource' | 'boundary';
  readonly document: PolicyDocument;
  /**
   * Which resource declares each statement (1-based index → declaring
   * resource): one resource for most policies, one per statement for the
   * resource policy Lambda builds from its permissions.
   */
  readonly sources: readonly StatementSource[];
}

/** The template resource that declares one statement, and its path there. */
export interface StatementSource {
  readonly logicalId: string;
  readonly resourceType: string;
  /** Path of the statement in that resource, e.g. `PolicyDocument.Statement[2]`. */
  readonly path: string;
}

/** A role of the template. */
export interface ModelRole {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly trustPolicy: ModelPolicy;
  readonly identityPolicies: readonly ModelPolicy[];
  readonly permissionsBoundary?: ModelPolicy;
}

/**
 * Condition keys the local cloud fills in for every request (the global keys
 * it can know) or for the requests of one service; any other key in a policy
 * stops start-up. Lower case: condition keys are case-insensitive.
 */
export const EVALUATED_CONDITION_KEYS: ReadonlySet<string> = new Set([
  'aws:securetransport',
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:principalarn',
  'aws:principalaccount',
  'aws:principaltype',
  'aws:principalservicename',
  'aws:principalisawsservice',
  'aws:userid',
  'aws:currenttime',
  'aws:epochtime',
  'aws:requestedregion',
  'aws:viaawsservice',
  'dynamodb:leadingkeys',
  'dynamodb:select',
  'dynamodb:returnvalues',
  'dynamodb:returnconsumedcapacity',
  'dynamodb:enclosingoperation',
  'events:source',
  'events:detail-type',
]);

/**
 * The few AWS managed policies a CDK app attaches by default, with their
 * documents as AWS publishes them; any other managed policy ARN stops start-up
 * (the local cloud cannot know its document).
 */
const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  'service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'], Resource: '*' }],
  },
};

const ROLE_TYPE = 'AWS::IAM::Role';
const IAM_TYPES = new Set([ROLE_TYPE, 'AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy']);
const RESOURCE_POLICY_TYPES = new Set(['AWS::Lambda::Permission', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::Events::EventBusPolicy']);

/** The resource types this module reads (the template model marks them enforced while IAM is on). */
export const IAM_RESOURCE_TYPES: ReadonlySet<string> = new Set([...IAM_TYPES, ...RESOURCE_POLICY_TYPES]);

/** The template's IAM: roles, their policies and every resource policy. */
export class PolicyModel {
  private constructor(
    private readonly rolesByArn: ReadonlyMap<string, ModelRole>,
    private readonly resourcePoliciesByArn: ReadonlyMap<string, ModelPolicy>,
  ) {}

  /**
   * Reads the IAM resources of a template (resolved), validating each policy
   * as IAM would and refusing what the local evaluator cannot evaluate.
   *
   * @throws {UnsupportedFeatureError} naming the resource and the statement,
   *   for a malformed policy, an unevaluated condition key, an AWS managed
   *   policy whose document the local cloud does not know, or a property it
   *   does not read.
   */
  public static fromResources(resources: readonly LocalResource[]): PolicyModel {
    const builder = new ModelBuilder(resources);
    return builder.build((roles, resourcePolicies) => new PolicyModel(roles, resourcePolicies));
  }

  /** The role with this ARN or logical id. */
  public role(arnOrLogicalId: string): ModelRole | undefined {
    return this.rolesByArn.get(arnOrLogicalId);
  }

  /** Every role, in template order. */
  public roles(): readonly ModelRole[] {
    return [...new Set(this.rolesByArn.values())];
  }

  /** The resource policy of a resource (its ARN), if it has one. */
  public resourcePolicy(resourceArn: string): ModelPolicy | undefined {
    return this.resourcePoliciesByArn.get(resourceArn);
  }

  /** Every resource policy, by the ARN of the resource it governs. */
  public resourcePolicies(): ReadonlyMap<string, ModelPolicy> {
    return this.resourcePoliciesByArn;
  }

  /** Every policy of the model: identity, trust, boundary and resource policies. */
  public policies(): readonly ModelPolicy[] {
    const roles = this.roles();
    return [
      ...roles.flatMap((role) => [role.trustPolicy, ...role.identityPolicies, ...(role.permissionsBoundary ? [role.permissionsBoundary] : [])]),
      ...this.resourcePoliciesByArn.values(),
    ];
  }
}

/** The statements of a policy document as a list. */
export const statementsOf = (document: PolicyDocument): readonly PropertyObject[] => {
  const statement = document.Statement;
  const list = Array.isArray(statement) ? statement : statement === undefined ? [] : [statement];
  return list.filter(isPropertyObject);
};

/** The condition keys one statement uses, as written, and where: its Condition block's keys and its policy variables (`${aws:username}`). */
export const statementConditionKeys = (statement: PropertyObject): Array<{ readonly key: string; readonly where: string }> => {
  const found: Array<{ key: string; where: string }> = [];
  const condition = statement.Condition;
  if (isPropertyObject(condition)) {
    for (const [operator, block] of Object.entries(condition)) {
      if (isPropertyObject(block)) for (const key of Object.keys(block)) found.push({ key, where: `.Condition.${operator}.${key}` });
    }
  }
  const text = JSON.stringify([statement.Resource, statement.NotResource, statement.Condition]);
  for (const match of text.matchAll(/\$\{([^}*?$]+)\}/g)) found.push({ key: match[1] ?? '', where: ` (policy variable \${${match[1] ?? ''}})` });
  return found;
};

const policyKeys = new WeakMap<ModelPolicy, ReadonlySet<string>>();

/**
 * The lower-case condition keys a policy's statements use: the only keys of
 * a request that can change what this policy decides.
 */
export const policyConditionKeys = (policy: ModelPolicy): ReadonlySet<string> => {
  let keys = policyKeys.get(policy);
  if (!keys) {
    keys = new Set(statementsOf(policy.document).flatMap((statement) => statementConditionKeys(statement).map(({ key }) => key.toLowerCase())));
    policyKeys.set(policy, keys);
  }
  return keys;
};

/** A value that may be one string or a list of them, as a list. */
export const asList = (value: unknown): readonly string[] => {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
};

class ModelBuilder {
  private readonly byRef = new Map<string, LocalResource>();

  public constructor(private readonly resources: readonly LocalResource[]) {
    for (const resource of resources) {
      this.byRef.set(resource.ref, resource);
      this.byRef.set(resource.logicalId, resource);
      if (resource.arn) this.byRef.set(resource.arn, resource);
    }
  }

  public build<T>(make: (roles: Map<string, ModelRole>, resourcePolicies: Map<string, ModelPolicy>) => T): T {
    const attached = new Map<string, ModelPolicy[]>();
    const attach = (roleRef: string, policy: ModelPolicy, owner: LocalResource, path: string) => {
      const role = this.byRef.get(roleRef);
      if (!role || role.type !== ROLE_TYPE) throw fail(owner, path, `names ${roleRef}, which is not a role of this template`);
      attached.set(role.logicalId, [...(attached.get(role.logicalId) ?? []), policy]);
    };
    const managed = new Map<string, ModelPolicy>();
    for (const resource of this.resources) {
      if (resource.type === 'AWS::IAM::Policy' || resource.type === 'AWS::IAM::ManagedPolicy' || resource.type === 'AWS::IAM::RolePolicy') {
        const p = resource.properties;
        const refused = Object.keys(p).filter((key) => !['PolicyDocument', 'PolicyName', 'Roles', 'RoleName', 'Description', 'ManagedPolicyName', 'Path', 'Users', 'Groups'].includes(key));
        if (refused.length > 0) throw fail(resource, refused[0] ?? '', 'this property is not read by the local IAM');
        if ((asList(p.Users).length > 0 || asList(p.Groups).length > 0)) throw fail(resource, p.Users ? 'Users' : 'Groups', 'IAM users and groups are not emulated (nothing locally signs in as them)');
        const policy = this.policy(resource, resource.logicalId, 'identity', p.PolicyDocument, 'PolicyDocument');
        if (resource.type === 'AWS::IAM::ManagedPolicy') managed.set(resource.ref, policy);
        const roles = resource.type === 'AWS::IAM::RolePolicy' ? asList(p.RoleName) : asList(p.Roles);
        roles.forEach((role, index) => attach(role, policy, resource, resource.type === 'AWS::IAM::RolePolicy' ? 'RoleName' : `Roles[${String(index)}]`));
      }
    }
    const roles = new Map<string, ModelRole>();
    for (const resource of this.resources.filter((r) => r.type === ROLE_TYPE)) {
      const role = this.role(resource, attached.get(resource.logicalId) ?? [], managed);
      roles.set(role.arn, role);
      roles.set(role.logicalId, role);
    }
    return make(roles, this.resourcePolicies());
  }

  private role(resource: LocalResource, attached: readonly ModelPolicy[], managed: ReadonlyMap<string, ModelPolicy>): ModelRole {
    const p = resource.properties;
    const known = ['AssumeRolePolicyDocument', 'Policies', 'ManagedPolicyArns', 'PermissionsBoundary', 'Description', 'RoleName', 'Path', 'MaxSessionDuration', 'Tags'];
    for (const key of Object.keys(p)) if (!known.includes(key)) throw fail(resource, key, 'this role property is not read by the local IAM');
    const trustPolicy = this.policy(resource, `${resource.logicalId}.AssumeRolePolicyDocument`, 'trust', p.AssumeRolePolicyDocument, 'AssumeRolePolicyDocument');
    const inline = (Array.isArray(p.Policies) ? p.Policies : []).map((entry: unknown, index) => {
      const path = `Policies[${String(index)}]`;
      if (!isPropertyObject(entry)) throw fail(resource, path, 'must be an object');
      return this.policy(resource, `${resource.logicalId}.${path}`, 'identity', entry.PolicyDocument, `${path}.PolicyDocument`);
    });
    const managedPolicies = asList(p.ManagedPolicyArns).map((arn, index) => this.managedPolicy(resource, arn, `ManagedPolicyArns[${String(index)}]`, managed));
    const boundaryArn = typeof p.PermissionsBoundary === 'string' ? p.PermissionsBoundary : undefined;
    const boundary = boundaryArn === undefined ? undefined : { ...this.managedPolicy(resource, boundaryArn, 'PermissionsBoundary', managed), kind: 'boundary' as const };
    const arn = resource.arn ?? `arn:aws:iam::${LOCAL_ACCOUNT}:role/${resource.logicalId}`;
    return {
      logicalId: resource.logicalId,
      name: arn.split('/').pop() ?? resource.logicalId,
      arn,
      trustPolicy,
      identityPolicies: [...inline, ...managedPolicies, ...attached],
      ...(boundary ? { permissionsBoundary: boundary } : {}),
    };
  }

  private managedPolicy(resource: LocalResource, arn: string, path: string, managed: ReadonlyMap<string, ModelPolicy>): ModelPolicy {
    const own = managed.get(arn);
    if (own) return own;
    const awsManaged = /^arn:aws:iam::aws:policy\/(.+)$/.exec(arn);
    const document = awsManaged ? AWS_MANAGED_POLICIES[awsManaged[1]] : undefined;
    if (!document) {
      throw fail(resource, path, `${arn}: the local IAM knows the documents of the template's own managed policies and of ${Object.keys(AWS_MANAGED_POLICIES).join(', ')} only`);
    }
    return { id: arn, kind: 'identity', document, sources: [{ logicalId: resource.logicalId, resourceType: resource.type, path }] };
  }

  /** Reads, validates and scans one policy document declared by one resource. */
  private policy(resource: LocalResource, id: string, kind: ModelPolicy['kind'], value: unknown, path: string): ModelPolicy {
    const parsed: unknown = typeof value === 'string' ? parseJson(value) : value;
    if (!isPropertyObject(parsed)) throw fail(resource, path, value === undefined ? 'is required' : 'must be a policy document (a JSON object)');
    const document: PolicyDocument = parsed;
    const errors = kind === 'trust' ? validateTrustPolicy(document) : kind === 'resource' ? validateResourcePolicy(document) : validateIdentityPolicy(document);
    if (errors.length > 0) throw fail(resource, `${path}${pathOf(errors[0])}`, `MalformedPolicyDocument: ${errors[0]?.message ?? 'invalid'} (IAM refuses this policy at deploy time)`);
    const statements = statementsOf(document);
    statements.forEach((statement, index) => this.scanStatement(resource, statement, `${path}.Statement[${String(index)}]`));
    return { id, kind, document, sources: statements.map((_, index) => ({ logicalId: resource.logicalId, resourceType: resource.type, path: `${path}.Statement[${String(index)}]` })) };
  }

  /** Records the condition keys a statement uses and refuses the ones the local cloud does not fill in. */
  private scanStatement(resource: LocalResource, statement: PropertyObject, path: string): void {
    for (const { key, where } of statementConditionKeys(statement)) {
      if (!EVALUATED_CONDITION_KEYS.has(key.toLowerCase())) {
        throw fail(resource, `${path}${where}`, `the condition key ${key} is not evaluated by the local IAM (it fills in ${[...EVALUATED_CONDITION_KEYS].join(', ')})`);
      }
    }
  }

  private resourcePolicies(): Map<string, ModelPolicy> {
    const statements = new Map<string, Array<{ statement: PropertyObject; source: StatementSource }>>();
    const add = (arn: string, statement: PropertyObject, source: StatementSource) => statements.set(arn, [...(statements.get(arn) ?? []), { statement, source }]);
    for (const resource of this.resources) {
      const p = resource.properties;
      if (resource.type === 'AWS::Lambda::Permission') {
        const { arn, statement } = this.lambdaPermission(resource);
        add(arn, statement, { logicalId: resource.logicalId, resourceType: resource.type, path: '(the permission)' });
      } else if (resource.type === 'AWS::SQS::QueuePolicy' || resource.type === 'AWS::SNS::TopicPolicy') {
        const listKey = resource.type === 'AWS::SQS::QueuePolicy' ? 'Queues' : 'Topics';
        for (const key of Object.keys(p)) if (!['PolicyDocument', listKey].includes(key)) throw fail(resource, key, 'this property is not read by the local IAM');
        const policy = this.policy(resource, resource.logicalId, 'resource', p.PolicyDocument, 'PolicyDocument');
        asList(p[listKey]).forEach((target, index) => {
          const governed = this.byRef.get(target);
          if (!governed?.arn) throw fail(resource, `${listKey}[${String(index)}]`, `names ${target}, which is not a resource of this template`);
          statementsOf(policy.document).forEach((statement, i) => add(governed.arn ?? target, statement, policy.sources[i] ?? policy.sources[0]));
        });
      } else if (resource.type === 'AWS::Events::EventBusPolicy') {
        for (const key of Object.keys(p)) if (!['EventBusName', 'StatementId', 'Statement'].includes(key)) throw fail(resource, key, 'only the Statement form of an event bus policy is read by the local IAM');
        const busName = typeof p.EventBusName === 'string' ? p.EventBusName : 'default';
        const bus = this.byRef.get(busName);
        const busArn = bus?.arn ?? `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${busName}`;
        const statement = { ...(isPropertyObject(p.Statement) ? p.Statement : {}), Sid: typeof p.StatementId === 'string' ? p.StatementId : resource.logicalId };
        const policy = this.policy(resource, resource.logicalId, 'resource', { Version: '2012-10-17', Statement: [statement] }, 'Statement');
        add(busArn, statement, policy.sources[0] ?? { logicalId: resource.logicalId, resourceType: resource.type, path: 'Statement' });
      }
    }
    // A topic without a topic policy has SNS's default one: the owner account may do everything.
    for (const topic of this.resources.filter((r) => r.type === 'AWS::SNS::Topic' && r.arn && !statements.has(r.arn))) {
      add(topic.arn ?? '', defaultTopicStatement(topic.arn ?? ''), { logicalId: topic.logicalId, resourceType: topic.type, path: '(SNS default topic policy)' });
    }
    const policies = new Map<string, ModelPolicy>();
    for (const [arn, entries] of statements) {
      policies.set(arn, {
        id: `resource-policy:${arn}`,
        kind: 'resource',
        document: { Version: '2012-10-17', Statement: entries.map((entry) => entry.statement) },
        sources: entries.map((entry) => entry.source),
      });
    }
    return policies;
  }

  /** The statement Lambda adds to a function's resource policy for an `AWS::Lambda::Permission`. */
  private lambdaPermission(resource: LocalResource): { arn: string; statement: PropertyObject } {
    const p = resource.properties;
    for (const key of Object.keys(p)) {
      if (!['Action', 'FunctionName', 'Principal', 'SourceArn', 'SourceAccount'].includes(key)) {
        throw fail(resource, key, 'this permission property is not evaluated by the local IAM (Action, FunctionName, Principal, SourceArn and SourceAccount are)');
      }
    }
    const name = String(p.FunctionName ?? '');
    const fn = this.byRef.get(name) ?? this.byRef.get(name.split(':').pop() ?? '');
    if (!fn?.arn || fn.type !== 'AWS::Lambda::Function') throw fail(resource, 'FunctionName', `names ${name}, which is not a function of this template (qualified names are not emulated)`);
    const principal = String(p.Principal ?? '');
    const conditions: Record<string, PropertyObject> = {};
    if (typeof p.SourceArn === 'string') conditions.ArnLike = { 'AWS:SourceArn': p.SourceArn };
    if (typeof p.SourceAccount === 'string') conditions.StringEquals = { 'AWS:SourceAccount': p.SourceAccount };
    const statement: PropertyObject = {
      Sid: resource.logicalId,
      Effect: 'Allow',
      Principal: principal === '*' ? '*' : principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: /^\d{12}$/.test(principal) ? `arn:aws:iam::${principal}:root` : principal },
      Action: String(p.Action ?? ''),
      Resource: fn.arn,
      ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
    };
    const errors = validateResourcePolicy({ Version: '2012-10-17', Statement: [statement] });
    if (errors.length > 0) throw fail(resource, 'Action', `MalformedPolicyDocument: ${errors[0]?.message ?? 'invalid'}`);
    return { arn: fn.arn, statement };
  }
}

/** SNS's default topic policy: the topic owner's account may publish and manage it. */
const defaultTopicStatement = (topicArn: string): PropertyObject => ({
  Sid: '__default_statement_ID',
  Effect: 'Allow',
  Principal: { AWS: '*' },
  Action: ['SNS:GetTopicAttributes', 'SNS:SetTopicAttributes', 'SNS:AddPermission', 'SNS:RemovePermission', 'SNS:DeleteTopic', 'SNS:Subscribe', 'SNS:ListSubscriptionsByTopic', 'SNS:Publish'],
  Resource: topicArn,
  Condition: { StringEquals: { 'AWS:SourceOwner': LOCAL_ACCOUNT } },
});

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
};

const pathOf = (error: ValidationError | undefined): string => {
  const path = error?.path;
  return typeof path === 'string' && path !== '' ? ` (${path})` : '';
};

const fail = (resource: LocalResource, property: string, detail: string): UnsupportedFeatureError =>
  new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
