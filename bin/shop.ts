import { App } from 'aws-cdk-lib';
import { execSync } from 'node:child_process';
import { ShopStack } from '../lib/shop-stack';

/** `git describe` of the checkout, so /health reports what is deployed. */
const describeVersion = (): string => {
  try {
    return execSync('git describe --tags --always --dirty', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
};

const app = new App();
new ShopStack(app, 'ServerlessShop', {
  version: process.env.SHOP_VERSION ?? describeVersion(),
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'serverless-shop: order processing with a saga on Step Functions',
});
