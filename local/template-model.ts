import type { Template, TemplateResource } from './assembly/cloud-assembly';
import { resolveIntrinsics, type JsonValue } from './cloudformation/intrinsics';
import { UnsupportedFeatureError } from './errors';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from './resources';
import { eventSourceMappingArn, eventSourceMappingUuid } from './sqs/event-source-mapping';

/** Where the local cloud's own servers listen; some attributes point at them. */
export interface LocalEndpoints {
  /** Base URL of the emulated HTTP API. */
  readonly apiUrl: string;
  /**
   * Base URL of the local AWS endpoint: queue URLs (`Ref` of a queue) point
   * at it, as SQS's point at SQS, because the SDK sends a queue's calls to
   * the host of its URL. @default http://127.0.0.1 (no SQS API reachable)
   */
  readonly awsEndpointUrl?: string;
}

/** Names a resource's identity may need from the rest of the template, before intrinsics are resolved. */
interface TemplateNames {
  /** The name of the bus an `EventBusName` designates: a name, an ARN, or a `Ref`/`Fn::GetAtt` of a bus of the template. */
  busName(value: unknown): string | undefined;
}

interface Identity {
  readonly ref: string;
  readonly arn?: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * What each resource type is locally. Types listed with `enforced: false`
 * are accepted and named at start-up as not enforced (alarms are not
 * evaluated, dashboards draw nothing, topics deliver nothing, X-Ray sampling rules sample nothing:
 * no daemon runs, and they only price traces on the cost meter). IAM types are enforced by `./iam`
 * (named as not enforced only with `--iam off`). A type not listed here
 * stops start-up.
 */
const TYPES: Readonly<Record<string, { readonly enforced: boolean; readonly identity: (id: string, p: Record<string, unknown>, e: LocalEndpoints, t: TemplateNames) => Identity }>> = {
  'AWS::Lambda::Function': { enforced: true, identity: (id) => arn('lambda', `function:${id}`, id) },
  'AWS::Lambda::Permission': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::Lambda::EventInvokeConfig': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  // `Ref` is the mapping's UUID (./sqs/event-source-mapping).
  'AWS::Lambda::EventSourceMapping': {
    enforced: true,
    identity: (id) => {
      const uuid = eventSourceMappingUuid(id);
      const a = eventSourceMappingArn(uuid);
      return { ref: uuid, arn: a, attributes: { Id: uuid, EventSourceMappingArn: a } };
    },
  },
  'AWS::DynamoDB::GlobalTable': { enforced: true, identity: (id, p) => table(String(p.TableName ?? id)) },
  'AWS::DynamoDB::Table': { enforced: true, identity: (id, p) => table(String(p.TableName ?? id)) },
  'AWS::Events::EventBus': {
    enforced: true,
    identity: (id, p) => {
      const name = String(p.Name ?? id);
      const a = `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${name}`;
      return { ref: name, arn: a, attributes: { Arn: a, Name: name } };
    },
  },
  // A rule of a custom bus is `rule/<bus>/<rule>`, one of the default bus `rule/<rule>`:
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies
  'AWS::Events::Rule': {
    enforced: true,
    identity: (id, p, _e, t) => {
      const bus = t.busName(p.EventBusName);
      return arn('events', `rule/${bus && bus !== 'default' ? `${bus}/` : ''}${id}`, id);
    },
  },
  'AWS::Events::Archive': { enforced: true, identity: (id) => arn('events', `archive/${id}`, id, { ArchiveName: id }) },
  'AWS::Pipes::Pipe': { enforced: true, identity: (id) => arn('pipes', `pipe/${id}`, id, { Name: id }) },
  'AWS::SQS::Queue': {
    enforced: true,
    identity: (id, _p, e) => {
      const url = `${e.awsEndpointUrl ?? 'http://127.0.0.1'}/${LOCAL_ACCOUNT}/${id}`;
      const a = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`;
      return { ref: url, arn: a, attributes: { Arn: a, QueueName: id, QueueUrl: url } };
    },
  },
  'AWS::SQS::QueuePolicy': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::SNS::Topic': {
    enforced: false,
    identity: (id) => {
      const a = `arn:aws:sns:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${id}`;
      return { ref: a, arn: a, attributes: { TopicArn: a, TopicName: id } };
    },
  },
  // An alarm recipient (a stage's alarmEmails): topics deliver nothing locally.
  'AWS::SNS::Subscription': { enforced: false, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::SNS::TopicPolicy': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::StepFunctions::StateMachine': {
    enforced: true,
    identity: (id) => {
      const a = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${id}`;
      return { ref: a, arn: a, attributes: { Arn: a, Name: id } };
    },
  },
  'AWS::IAM::Role': {
    enforced: true,
    identity: (id) => {
      const a = `arn:aws:iam::${LOCAL_ACCOUNT}:role/${id}`;
      return { ref: id, arn: a, attributes: { Arn: a, RoleId: id } };
    },
  },
  'AWS::IAM::Policy': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::Logs::LogGroup': { enforced: true, identity: (id) => arn('logs', `log-group:/local/${id}:*`, `/local/${id}`) },
  'AWS::CloudWatch::Alarm': { enforced: false, identity: (id) => arn('cloudwatch', `alarm:${id}`, id) },
  // `Ref` is the dashboard's name.
  'AWS::CloudWatch::Dashboard': { enforced: false, identity: (id) => ({ ref: id, attributes: {} }) },
  // No X-Ray daemon runs locally: a rule only tells the cost meter what share of traced executions X-Ray records (./xray/sampling-rules).
  'AWS::XRay::SamplingRule': {
    enforced: false,
    identity: (id, p) => {
      const rule = p.SamplingRule as { RuleName?: unknown } | undefined;
      const name = typeof rule?.RuleName === 'string' ? rule.RuleName : typeof p.RuleName === 'string' ? p.RuleName : id;
      const a = `arn:aws:xray:${LOCAL_REGION}:${LOCAL_ACCOUNT}:sampling-rule/${name}`;
      return { ref: a, arn: a, attributes: { RuleARN: a, RuleName: name } };
    },
  },
  'AWS::ApiGatewayV2::Api': {
    enforced: true,
    identity: (id, _p, e) => {
      const apiId = id.toLowerCase().slice(0, 10);
      return { ref: apiId, attributes: { ApiEndpoint: e.apiUrl, ApiId: apiId } };
    },
  },
  'AWS::ApiGatewayV2::Route': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::ApiGatewayV2::Integration': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::ApiGatewayV2::Authorizer': { enforced: true, identity: (id) => ({ ref: id, attributes: {} }) },
  'AWS::ApiGatewayV2::Stage': { enforced: true, identity: (id) => ({ ref: '$default', attributes: { StageName: id } }) },
  'AWS::Cognito::UserPool': {
    enforced: true,
    identity: (id) => {
      const poolId = `${LOCAL_REGION}_${id.replace(/[^A-Za-z0-9]/g, '').slice(0, 9)}`;
      const providerName = `cognito-idp.${LOCAL_REGION}.amazonaws.com/${poolId}`;
      return { ref: poolId, arn: `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${poolId}`, attributes: { Arn: `arn:aws:cognito-idp:${LOCAL_REGION}:${LOCAL_ACCOUNT}:userpool/${poolId}`, ProviderName: providerName, ProviderURL: `https://${providerName}`, UserPoolId: poolId } };
    },
  },
  'AWS::Cognito::UserPoolClient': { enforced: true, identity: (id) => ({ ref: id.toLowerCase(), attributes: { ClientId: id.toLowerCase(), Name: id } }) },
  'AWS::Cognito::UserPoolGroup': { enforced: true, identity: (_id, p) => ({ ref: String(p.GroupName ?? _id), attributes: {} }) },
};

const arn = (service: string, resource: string, ref: string, extra: Record<string, string> = {}): Identity => {
  const a = `arn:aws:${service}:${service === 'iam' ? '' : LOCAL_REGION}:${LOCAL_ACCOUNT}:${resource}`;
  return { ref, arn: a, attributes: { Arn: a, ...extra } };
};

const table = (name: string): Identity => {
  const a = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
  return { ref: name, arn: a, attributes: { Arn: a, StreamArn: `${a}/stream/local` } };
};

/** Resource types the local cloud accepts but does not enforce, with their counts. */
export interface TemplateModel {
  readonly resources: LocalResource[];
  readonly notEnforced: Readonly<Record<string, number>>;
  /** The template's outputs, resolved. */
  readonly outputs: Readonly<Record<string, JsonValue>>;
}

/**
 * Turns a synthesized template into local resources: gives each its local
 * name/ARN and resolves every intrinsic. Stops on a type the local cloud
 * does not know, a resource condition, or an unresolvable reference.
 */
export const buildTemplateModel = (stackName: string, template: Template, endpoints: LocalEndpoints): TemplateModel => {
  const entries = Object.entries(template.Resources).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata');
  const identities = new Map<string, Identity>();
  const busNames = new Map(entries.filter(([, r]) => r.Type === 'AWS::Events::EventBus').map(([id, r]) => [id, ((name: unknown) => (typeof name === 'string' ? name : id))((r.Properties as { Name?: unknown } | undefined)?.Name)]));
  const names: TemplateNames = {
    busName: (value) => {
      if (typeof value === 'string') return value.split('/').pop();
      if (typeof value !== 'object' || value === null) return undefined;
      const ref = (value as { Ref?: unknown }).Ref;
      const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
      const target = typeof ref === 'string' ? ref : Array.isArray(getAtt) && typeof getAtt[0] === 'string' ? getAtt[0] : undefined;
      return target === undefined ? undefined : busNames.get(target);
    },
  };
  for (const [logicalId, resource] of entries) {
    const type = TYPES[resource.Type];
    if (!type) throw new UnsupportedFeatureError(logicalId, resource.Type, 'Type', 'this resource type is not emulated');
    if (resource.Condition) throw new UnsupportedFeatureError(logicalId, resource.Type, 'Condition', 'conditional resources are not supported');
    identities.set(logicalId, type.identity(logicalId, (resource.Properties ?? {}) as Record<string, unknown>, endpoints, names));
  }
  if (template.Parameters && Object.keys(template.Parameters).some((p) => p !== 'BootstrapVersion')) {
    const name = Object.keys(template.Parameters).find((p) => p !== 'BootstrapVersion') ?? '';
    throw new UnsupportedFeatureError(name, 'Parameter', 'Parameters', 'template parameters are not supported');
  }
  const context = {
    pseudoParameters: { region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, stackName },
    lookups: {
      ref: (id: string) => identities.get(id)?.ref,
      getAtt: (id: string, attribute: string) => identities.get(id)?.attributes[attribute],
    },
  };
  const resources = entries.map(([logicalId, resource]: [string, TemplateResource]) => {
    const identity = identities.get(logicalId) as Identity;
    const properties = resolveIntrinsics(resource.Properties ?? {}, context, `Resources.${logicalId}.Properties`) as Record<string, unknown>;
    return { logicalId, type: resource.Type, properties, ref: identity.ref, ...(identity.arn ? { arn: identity.arn } : {}) };
  });
  const notEnforced: Record<string, number> = {};
  for (const resource of resources) if (!TYPES[resource.type].enforced) notEnforced[resource.type] = (notEnforced[resource.type] ?? 0) + 1;
  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([key, output]) => [key, resolveIntrinsics(output.Value, context, `Outputs.${key}.Value`)]),
  );
  return { resources, notEnforced, outputs };
};
