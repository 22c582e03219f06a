import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A resolved CloudFormation value as cdk-nag prints it: `<Id.Attr>` for a GetAtt, `<Id>` for a Ref. */
const flatten = (value: unknown): string => {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const join: unknown = 'Fn::Join' in value ? value['Fn::Join'] : undefined;
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(flatten).join(join[0]);
    const getAtt: unknown = 'Fn::GetAtt' in value ? value['Fn::GetAtt'] : undefined;
    if (Array.isArray(getAtt) && getAtt.length === 2) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if ('Ref' in value) return `<${flatten(value.Ref)}>`;
  }
  throw new Error(`Cannot name the cdk-nag finding of the resource ${JSON.stringify(value)}.`);
};

/**
 * The id of cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource of
 * a policy, e.g. `AwsSolutions-IAM5[Resource::<OrdersApi1234.Arn>:*]`.
 * Acknowledging this id, never the bare rule, accepts exactly that resource:
 * any other wildcard added to the same policy is still reported.
 *
 * The logical ids in it are the ones synthesis gives the referenced
 * resources; the cdk-nag test fails if they drift from what cdk-nag reports.
 */
export const iamWildcardResource = (scope: IConstruct, resource: string): string =>
  `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;

/** Why a role may hold `Resource: *` for X-Ray: its write APIs have no resource type. */
export const XRAY_WILDCARD_REASON =
  'Active X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords (and the sampling reads) support no resource-level ' +
  'permissions, so "*" is the only resource they accept (Service Authorization Reference, AWS X-Ray). The cdk-nag test checks ' +
  'that every "*" statement in the stack holds only X-Ray and log-delivery actions.';
