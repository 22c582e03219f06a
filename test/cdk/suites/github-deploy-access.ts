import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GitHubDeployAccessStack } from '../../../lib/ci/github-deploy-access';

/*
 * The roles .github/workflows/deploy.yml assumes through GitHub's OIDC
 * tokens: who may assume them (this repository's main branch and prod
 * environment; pull requests only the read-only diff role) and that they
 * hold nothing but the right to assume CDK's bootstrap roles.
 */

const ACCOUNT = '123456789012';

const synth = (props: { providerArn?: string } = {}) => {
  const app = new App();
  return Template.fromStack(new GitHubDeployAccessStack(app, 'Access', { repository: 'acme/serverless-shop', env: { account: ACCOUNT, region: 'eu-west-1' }, ...props }));
};

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Principal?: { readonly Federated?: unknown };
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Resource?: unknown;
}

/** The one role whose description starts with `prefix`, with its trust statements and its inline policy's statements. */
const role = (template: Template, prefix: string) => {
  const roles = Object.entries(template.findResources('AWS::IAM::Role', { Properties: { Description: Match.stringLikeRegexp(`^${prefix}`) } }));
  expect(roles).toHaveLength(1);
  const [logicalId, resource] = roles[0] as [string, { Properties: { AssumeRolePolicyDocument: { Statement: Statement[] } } }];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(`"Ref":"${logicalId}"`)) as {
    Properties: { PolicyDocument: { Statement: Statement[] } };
  }[];
  return { trust: resource.Properties.AssumeRolePolicyDocument.Statement, statements: policies.flatMap((p) => p.Properties.PolicyDocument.Statement) };
};

const bootstrapRoleArn = (kind: string) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${ACCOUNT}:role/cdk-hnb659fds-${kind}-role-${ACCOUNT}-*`]],
});

describe('GitHub deploy access', () => {
  it('lets only the main branch and the prod environment of this repository assume the deploy role, through GitHub OIDC', () => {
    // Act
    const template = synth();
    const { trust } = role(template, 'GitHub Actions of acme/serverless-shop: cdk deploy');

    // Assess
    template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] });
    expect(trust).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: expect.anything() as unknown },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': ['repo:acme/serverless-shop:ref:refs/heads/main', 'repo:acme/serverless-shop:environment:prod'],
          },
        },
      },
    ]);
    // No wildcard subject: a StringLike would let other branches or forks in.
    expect(JSON.stringify(trust)).not.toMatch(/StringLike|\*/);
  });

  it('gives the deploy role nothing but the CDK bootstrap roles to assume', () => {
    // Act
    const { statements } = role(synth(), 'GitHub Actions of acme/serverless-shop: cdk deploy');

    // Assess
    expect(statements).toEqual([
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: ['deploy', 'file-publishing', 'image-publishing', 'lookup'].map(bootstrapRoleArn) },
    ]);
  });

  it('lets pull requests assume only the diff role, which may only assume the read-only lookup role', () => {
    // Act
    const template = synth();
    const { trust, statements } = role(template, 'GitHub Actions of acme/serverless-shop: cdk diff');

    // Assess
    expect(trust).toHaveLength(1);
    expect(trust[0].Condition).toEqual({
      StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': ['repo:acme/serverless-shop:pull_request'] },
    });
    expect(statements).toEqual([{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: bootstrapRoleArn('lookup') }]);
  });

  it('reuses the account\'s GitHub provider when given one (IAM holds one per URL), and refuses a malformed repository', () => {
    // Act
    const template = synth({ providerArn: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` });

    // Assess
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    const { trust } = role(template, 'GitHub Actions of acme/serverless-shop: cdk deploy');
    expect(trust[0].Principal?.Federated).toBe(`arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`);
    expect(() => new GitHubDeployAccessStack(new App(), 'Bad', { repository: 'serverless-shop' })).toThrow("repository must be 'owner/name', not 'serverless-shop'");
  });
});
