import { Arn, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Effect, OidcProviderNative, OpenIdConnectPrincipal, PolicyStatement, Role, type IOidcProvider } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** GitHub Actions' OIDC issuer: the `iss` of the tokens a workflow with `id-token: write` gets. */
export const GITHUB_OIDC_URL = 'https://token.actions.githubusercontent.com';
const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

/** Props of {@link GitHubDeployAccess}. */
export interface GitHubDeployAccessProps {
  /** `owner/name` of the repository whose workflows may deploy. */
  readonly repository: string;
  /** The branch whose pushes deploy (the `dev` job runs without an environment). @default 'main' */
  readonly branch?: string;
  /** The GitHub environment the `prod` job runs in, where its required reviewers are set. @default 'prod' */
  readonly prodEnvironment?: string;
  /**
   * The account's GitHub OIDC provider, when it has one already: IAM holds
   * one provider per URL and account, so a second stack cannot create it.
   * @default a new provider for `token.actions.githubusercontent.com`
   */
  readonly provider?: IOidcProvider;
  /** The bootstrap qualifier of `cdk bootstrap` (`--qualifier`). @default 'hnb659fds' (CDK's default) */
  readonly bootstrapQualifier?: string;
}

/**
 * What a GitHub Actions workflow needs to deploy this app without any
 * long-lived key: the GitHub OIDC provider and two roles it can assume.
 *
 * - `deployRole`: trusted only by this repository's `branch` (pushes: the dev
 *   deploy) and its `prodEnvironment` (the prod deploy, after approval). It may
 *   only assume the CDK bootstrap roles (deploy, file publishing, lookup),
 *   which do the work: it holds no permission of its own on the app's resources.
 * - `diffRole`: trusted by the repository's pull requests, for `cdk diff`. It
 *   may only assume the bootstrap lookup role, which reads (ReadOnlyAccess,
 *   no kms:Decrypt): a pull request can show a diff but never deploy.
 */
export class GitHubDeployAccess extends Construct {
  public readonly provider: IOidcProvider;
  public readonly deployRole: Role;
  public readonly diffRole: Role;

  public constructor(scope: Construct, id: string, props: GitHubDeployAccessProps) {
    super(scope, id);
    if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(props.repository)) {
      throw new Error(`GitHubDeployAccess: repository must be 'owner/name', not '${props.repository}'.`);
    }
    const branch = props.branch ?? 'main';
    const prod = props.prodEnvironment ?? 'prod';
    const qualifier = props.bootstrapQualifier ?? 'hnb659fds';
    this.provider = props.provider ?? new OidcProviderNative(this, 'Provider', { url: GITHUB_OIDC_URL, clientIds: ['sts.amazonaws.com'] });

    const trusting = (subjects: readonly string[]) =>
      new OpenIdConnectPrincipal(this.provider, {
        StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: [...subjects] },
      });
    const bootstrapRole = (kind: string) =>
      Arn.format({ service: 'iam', region: '', resource: 'role', resourceName: `cdk-${qualifier}-${kind}-role-${Stack.of(this).account}-*` }, Stack.of(this));

    this.deployRole = new Role(this, 'DeployRole', {
      assumedBy: trusting([`repo:${props.repository}:ref:refs/heads/${branch}`, `repo:${props.repository}:environment:${prod}`]),
      description: `GitHub Actions of ${props.repository}: cdk deploy from ${branch} and the ${prod} environment`,
      maxSessionDuration: Duration.hours(1),
    });
    this.deployRole.addToPolicy(new PolicyStatement({
      effect: Effect.ALLOW,
      actions: ['sts:AssumeRole'],
      resources: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrapRole),
    }));

    this.diffRole = new Role(this, 'DiffRole', {
      assumedBy: trusting([`repo:${props.repository}:pull_request`]),
      description: `GitHub Actions of ${props.repository}: cdk diff on pull requests (read only)`,
      maxSessionDuration: Duration.hours(1),
    });
    this.diffRole.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sts:AssumeRole'], resources: [bootstrapRole('lookup')] }));
  }
}

/** Props of {@link GitHubDeployAccessStack}. */
export interface GitHubDeployAccessStackProps extends StackProps, Omit<GitHubDeployAccessProps, 'provider'> {
  /** The ARN of the account's GitHub OIDC provider, when it has one. @default a new provider */
  readonly providerArn?: string;
}

/** {@link GitHubDeployAccess} in a stack of its own, deployed once per account by `bin/github-oidc.ts`, apart from the shop. */
export class GitHubDeployAccessStack extends Stack {
  public constructor(scope: Construct, id: string, props: GitHubDeployAccessStackProps) {
    super(scope, id, props);
    const { providerArn, ...accessProps } = props;
    const provider = providerArn ? OidcProviderNative.fromOidcProviderArn(this, 'Provider', providerArn) : undefined;
    const access = new GitHubDeployAccess(this, 'GitHub', { ...accessProps, ...(provider ? { provider } : {}) });
    new CfnOutput(this, 'DeployRoleArn', { key: 'DeployRoleArn', value: access.deployRole.roleArn, description: 'the AWS_DEPLOY_ROLE_ARN variable of the repository' });
    new CfnOutput(this, 'DiffRoleArn', { key: 'DiffRoleArn', value: access.diffRole.roleArn, description: 'the AWS_DIFF_ROLE_ARN variable of the repository' });
  }
}
