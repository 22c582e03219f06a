import { App } from 'aws-cdk-lib';
import { FidelityProbeStack } from '../lib/probe/fidelity-probe-stack';

/**
 * The fidelity probe app, separate from the shop: deploy it to record the
 * fidelity goldens from AWS (`npm run fidelity:deploy`), or let the fidelity
 * suite run it on the local cloud.
 */
const app = new App();
new FidelityProbeStack(app, 'FidelityProbe', {
  version: process.env.SHOP_VERSION ?? 'fidelity-probe',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description: 'serverless-shop fidelity probe: one resource per AWS behaviour the local cloud must match',
});
