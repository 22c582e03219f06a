import { readFileSync } from 'node:fs';
import path from 'node:path';

/** cdk.json's context (the feature flags, the stages), as `cdk synth` gives it to the app. */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> =
  (JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> }).context ?? {};

/**
 * The context of a test app: cdk.json's, so a template under test is the one
 * `cdk synth` makes (feature flags included), with bundling skipped (the
 * template is asserted, not the bundles) and the test's own values on top.
 */
export const testAppContext = (context: Readonly<Record<string, unknown>> = {}): Record<string, unknown> => ({
  ...CDK_JSON_CONTEXT,
  'aws:cdk:bundling-stacks': [],
  ...context,
});
