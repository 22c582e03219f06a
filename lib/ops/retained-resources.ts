import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** A resource `cdk destroy` leaves in the account: its template says `DeletionPolicy: Retain` (or `RetainExceptOnCreate`, `Snapshot`). */
export interface RetainedResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** Its construct path, when the template carries it (`ServerlessShop/Orders/Table/Table`). */
  readonly constructPath?: string;
  /** What the deletion policy keeps: the resource itself, or a snapshot of it. */
  readonly policy: string;
}

/** A CloudFormation template, as far as this module reads it. */
export interface TemplateResources {
  readonly Resources?: Readonly<Record<string, { readonly Type?: string; readonly DeletionPolicy?: string; readonly Metadata?: Readonly<Record<string, unknown>> }>>;
}

const KEEPING = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/** Every resource of these stacks' templates that outlives `cdk destroy`. */
export const retainedResources = (stacks: readonly { readonly stack: string; readonly template: TemplateResources }[]): RetainedResource[] =>
  stacks.flatMap(({ stack, template }) =>
    Object.entries(template.Resources ?? {})
      .filter(([, resource]) => resource.DeletionPolicy !== undefined && KEEPING.has(resource.DeletionPolicy))
      .map(([logicalId, resource]) => {
        const constructPath = resource.Metadata?.['aws:cdk:path'];
        return {
          stack,
          logicalId,
          type: resource.Type ?? 'unknown',
          policy: resource.DeletionPolicy ?? 'Retain',
          ...(typeof constructPath === 'string' ? { constructPath } : {}),
        };
      }),
  ).sort((a, b) => a.stack.localeCompare(b.stack) || a.logicalId.localeCompare(b.logicalId));

/**
 * How to find and delete one kind of retained resource by hand. The names
 * are CloudFormation's (the shop sets no physical names): they start with
 * the stack's name, so the stack name finds them after the stack is gone.
 */
export const deletionHint = (resource: RetainedResource): string => {
  switch (resource.type) {
    case 'AWS::DynamoDB::GlobalTable':
    case 'AWS::DynamoDB::Table':
      return `aws dynamodb list-tables --query "TableNames[?starts_with(@, '${resource.stack}-')]" then aws dynamodb delete-table --table-name <name>`;
    case 'AWS::Logs::LogGroup':
      return `aws logs describe-log-groups --log-group-name-prefix <prefix> then aws logs delete-log-group --log-group-name <name>`;
    case 'AWS::KMS::Key':
      return 'aws kms schedule-key-deletion --key-id <key id> --pending-window-in-days 7';
    case 'AWS::Cognito::UserPool':
      return 'aws cognito-idp list-user-pools --max-results 60 then aws cognito-idp delete-user-pool --user-pool-id <id>';
    case 'AWS::S3::Bucket':
      return 'aws s3 rb s3://<bucket> --force';
    default:
      return `find it in the ${resource.type.split('::')[1] ?? ''} console by the stack name '${resource.stack}'`;
  }
};

/** The retained resources of the stacks in a cloud assembly directory (`cdk.out`), read from its manifest. */
export const retainedInAssembly = (assemblyDir: string, stackNames?: ReadonlySet<string>): RetainedResource[] => {
  const manifestFile = path.join(assemblyDir, 'manifest.json');
  if (!existsSync(manifestFile)) return [];
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
    artifacts?: Record<string, { type?: string; properties?: { templateFile?: string }; displayName?: string }>;
  };
  const stacks = Object.entries(manifest.artifacts ?? {})
    .filter(([name, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile && (!stackNames || stackNames.has(name)))
    .map(([name, artifact]) => ({
      stack: name,
      template: JSON.parse(readFileSync(path.join(assemblyDir, artifact.properties?.templateFile ?? ''), 'utf8')) as TemplateResources,
    }));
  return retainedResources(stacks);
};
