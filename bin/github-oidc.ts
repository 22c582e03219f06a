/**
 * The GitHub Actions deploy access (OIDC provider, deploy and diff roles) for
 * .github/workflows/deploy.yml, as its own CDK app, apart from the shop:
 *
 *   npm run oidc:deploy -- -c repository=<owner>/<name> [-c providerArn=<arn of an existing GitHub provider>]
 *
 * Its outputs are the role ARNs to set as the repository's variables
 * AWS_DEPLOY_ROLE_ARN and AWS_DIFF_ROLE_ARN (README, "CI/CD").
 */
import { App } from 'aws-cdk-lib';
import { GitHubDeployAccessStack } from '../lib/ci/github-deploy-access';

const app = new App();
const repository: unknown = app.node.tryGetContext('repository');
if (typeof repository !== 'string' || repository === '') {
  throw new Error("Pass the repository whose workflows may deploy: npm run oidc:deploy -- -c repository=<owner>/<name>");
}
const providerArn: unknown = app.node.tryGetContext('providerArn');
new GitHubDeployAccessStack(app, 'ServerlessShopGitHubDeploy', {
  repository,
  ...(typeof providerArn === 'string' && providerArn !== '' ? { providerArn } : {}),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: `serverless-shop: GitHub OIDC deploy access for ${repository}`,
});
