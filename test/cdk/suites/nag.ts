import { App, Stack, Validations, type PolicyViolation } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { OBSERVABILITY_ACTIONS } from '../support/iam';
import { pathOf, resourcesOf, shopApp, shopTemplate } from '../support/template';

/**
 * Every unacknowledged AwsSolutions finding of an app, one line each, split
 * by severity, saying what to fix and where. cdk-nag 3 is a policy-validation
 * plugin: its report is read directly instead of from annotations.
 */
const nagFindings = (app: App): { errors: string[]; warnings: string[] } => {
  const lines = (violations: PolicyViolation[]): string[] =>
    violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`));
  const { violations } = new AwsSolutionsChecks(app, { verbose: true }).validateScope(app);
  return {
    errors: lines(violations.filter((v) => v.severity === 'error')),
    warnings: lines(violations.filter((v) => v.severity !== 'error')),
  };
};

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every rule acknowledged anywhere in a construct tree, with where and why. */
const acknowledgements = (root: IConstruct): Acknowledgement[] =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing unacknowledged in the shop: no error, no warning', () => {
    // Prepare
    shopTemplate();

    // Act
    const findings = nagFindings(shopApp().app);

    // Assess
    expect(findings).toEqual({ errors: [], warnings: [] });
  });

  it('reports a finding until it is acknowledged on its resource', () => {
    // Prepare
    const app = new App();
    const stack = new Stack(app, 'Probe');
    const queue = new Queue(stack, 'Queue', { enforceSSL: true });
    const before = nagFindings(app).errors;

    // Act
    Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'A probe queue.' });

    // Assess
    expect(before).toEqual([expect.stringMatching(/^AwsSolutions-SQS3 at Probe\/Queue\/Resource: /)]);
    expect(nagFindings(app).errors).toEqual([]);
  });

  it('acknowledges on the constructs concerned, never on the app or the stack, each with a reason', () => {
    const { app, shop } = shopApp();
    const acks = acknowledgements(app);
    const stackPaths = new Set(Object.values(shop.stacks).map((stack) => stack.node.path));
    expect(acks.length).toBeGreaterThan(0);
    expect(acks.filter((ack) => ack.path === '' || stackPaths.has(ack.path))).toEqual([]);
    expect(acks.filter((ack) => ack.reason.trim().length < 60)).toEqual([]);
  });

  it('acknowledges IAM findings one wildcard resource at a time, and no managed policy', () => {
    const iam = acknowledgements(shopApp().app).filter((ack) => ack.id.startsWith('AwsSolutions-IAM'));
    expect(iam.length).toBeGreaterThan(0);
    expect(iam.filter((ack) => !/^AwsSolutions-IAM5\[Resource::.+\]$/.test(ack.id))).toEqual([]);
  });

  it('grants "*" resources only for X-Ray, log delivery and dynamodb:ListStreams (none has a resource type), the only wildcards it acknowledges', () => {
    const wildcards = Object.values(resourcesOf('AWS::IAM::Policy')).flatMap((policy) => {
      const { Statement } = policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
      return Statement.filter((s) => ([] as unknown[]).concat(s.Resource).includes('*')).flatMap((s) =>
        ([] as string[]).concat(s.Action).map((action) => ({ policy: pathOf(policy), action })),
      );
    });
    expect(wildcards.length).toBeGreaterThan(0);
    expect(wildcards.filter((w) => !OBSERVABILITY_ACTIONS.has(w.action) && w.action !== 'dynamodb:ListStreams')).toEqual([]);
  });
});
