import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { execSync } from 'node:child_process';
import { applyStage, shopStackPrefix } from '../lib/config/stage';
import { ShopStacks } from '../lib/shop-stacks';

/** `git describe` of the checkout, so /health reports what is deployed. */
const describeVersion = (): string => {
  try {
    return execSync('git describe --tags --always --dirty', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
};

const app = new App();
// First: the stage gives the app its defaults before any stack reads them.
const stage = applyStage(app);
const nag: unknown = app.node.tryGetContext('nag');
if (nag === true || nag === 'true') {
  // Opt-in gate (`cdk synth -c nag=true`), the same as test/cdk/suites/nag.ts: an unacknowledged AwsSolutions finding fails synthesis.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
}
new ShopStacks(app, shopStackPrefix(stage), {
  stage,
  version: process.env.SHOP_VERSION ?? describeVersion(),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
