import { rmSync } from 'node:fs';
import type { RecordedGrant } from '../../local/iam/authorizer';
import { DeployRefusedError } from '../../local/iam/deploy-checks';
import { LocalCloud } from '../../local/local-cloud';
import { synthesizedAssembly, type SynthesizedAssembly } from '../../local/fresh-local-cloud';
import { startDynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { ShopClient } from '../e2e/support/shop-client';
import { CollectedLog } from '../e2e/support/target';
import { editedCopy } from '../support/assembly';

/*
 * A few grants removed for real. `grants.test.ts` proves exactness from one
 * recorded run (which statement alone allowed each call); these removals
 * show the recording tells the truth: a statement the recording names as the
 * only one allowing a call is removed from the template, and that call is
 * then denied — at start-up as AWS would refuse the deploy, or at run time
 * with AWS's AccessDenied.
 */

jest.setTimeout(240_000);

type Statement = { Action?: string | string[]; Sid?: string };
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** The shop's assembly, synthesized (or taken from the run's cache) by beforeAll: only copied or read. */
let synthesized: SynthesizedAssembly;
const copies: string[] = [];

/** A copy of the synthesized assembly whose template `edit` changes. */
const assemblyWith = (edit: (template: Template) => void): string => {
  const dir = editedCopy(synthesized.dir, 'shop-iam-removal-', edit);
  copies.push(dir);
  return dir;
};

/** The one resource whose logical id is `prefix` followed by CDK's hash. */
const resourceId = (template: Template, prefix: string): string => {
  const ids = Object.keys(template.Resources).filter((id) => id.startsWith(prefix) && /^[0-9A-F]{8}$/.test(id.slice(prefix.length)));
  if (ids.length !== 1) throw new Error(`expected one resource ${prefix}…, found ${ids.join(', ') || 'none'}`);
  return ids[0] ?? '';
};

/** Removes the statements of a policy (`prefix…`) that grant `action`, and returns how many. */
const removeStatements = (template: Template, policyPrefix: string, action: string): number => {
  const policy = template.Resources[resourceId(template, policyPrefix)]?.Properties.PolicyDocument as { Statement: Statement[] };
  const before = policy.Statement.length;
  policy.Statement = policy.Statement.filter((statement) => ![statement.Action ?? []].flat().includes(action));
  return before - policy.Statement.length;
};

const start = async (assemblyDir: string, log = new CollectedLog()) =>
  LocalCloud.start({ assemblyDir, apiPort: 0, log: log.log, retryDelayScale: 0.01, iam: 'strict', dynamoDb: startDynamoDbLocal() });

/** The recorded grants of a run, by the statement that alone allowed each call. */
const soleStatementsOf = (grants: readonly RecordedGrant[], action: string): string[] =>
  grants.filter((grant) => grant.action === action && grant.statements.length === 1).map((grant) => grant.statements[0]?.source.logicalId ?? '');

beforeAll(async () => {
  synthesized = await synthesizedAssembly();
}, 240_000);

afterAll(() => {
  synthesized?.remove();
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe('removing a grant the recording names makes AWS (and the local cloud) deny the call it allowed', () => {
  let baseline: LocalCloud;
  let baselineGrants: readonly RecordedGrant[];

  beforeAll(async () => {
    baseline = await start(synthesized.dir);
    const shop = new ShopClient({ apiUrl: baseline.apiUrl, waitMs: 20_000, diagnostics: () => '' });
    const alice = { name: 'alice', token: baseline.issuer.mint({ username: 'alice@example.com' }).token };
    expect((await shop.call('GET', '/health')).status).toBe(200);
    expect((await shop.call('GET', '/orders', { as: alice })).status).toBe(200);
    baselineGrants = baseline.iam.authorizer.grants();
    await baseline.stop();
  });

  it('the pipe role without dynamodb:ListStreams: the deploy is refused (the pipe could not read its source)', async () => {
    // Prepare
    // Each outbox pipe (orders, inventory) lists streams with its own role's sole statement.
    expect(soleStatementsOf(baselineGrants, 'dynamodb:ListStreams')).toContainEqual(expect.stringMatching(/^OrdersOutboxRoleDefaultPolicy/));
    const dir = assemblyWith((template) => expect(removeStatements(template, 'OrdersOutboxRoleDefaultPolicy', 'dynamodb:ListStreams')).toBe(1));

    // Act
    const started = start(dir);

    // Assess
    await expect(started).rejects.toBeInstanceOf(DeployRefusedError);
    await expect(started).rejects.toThrow(/OrdersOutbox.*AWS::Pipes::Pipe.*is not authorized to perform: dynamodb:ListStreams on resource: \*/s);
  });

  it('the orders API role without dynamodb:Query on the byUser index: GET /orders fails, denied as AWS denies it', async () => {
    // Prepare
    expect(soleStatementsOf(baselineGrants, 'dynamodb:Query')).toEqual([expect.stringMatching(/^OrdersApiServiceRoleDefaultPolicy/)]);
    const dir = assemblyWith((template) => expect(removeStatements(template, 'OrdersApiServiceRoleDefaultPolicy', 'dynamodb:Query')).toBe(1));
    const cloud = await start(dir);
    try {
      const shop = new ShopClient({ apiUrl: cloud.apiUrl, waitMs: 20_000, diagnostics: () => '' });
      const alice = { name: 'alice', token: cloud.issuer.mint({ username: 'alice@example.com' }).token };

      // Act
      const reply = await shop.call('GET', '/orders', { as: alice });

      // Assess
      expect(reply.status).toBe(500);
      expect(cloud.iam.authorizer.denials.map((denial) => denial.message)).toEqual([
        expect.stringMatching(/^User: arn:aws:sts::000000000000:assumed-role\/OrdersApiServiceRole[0-9A-F]{8}\/OrdersApi[0-9A-F]{8} is not authorized to perform: dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/OrdersTable[0-9A-F]{8}\/index\/byUser because no identity-based policy allows the dynamodb:Query action$/),
      ]);
    } finally {
      await cloud.stop();
    }
  });

  it('a function role without its log statement: the function still answers, its log group refuses it (on AWS its lines are lost), the denial is recorded', async () => {
    // Prepare
    expect(soleStatementsOf(baselineGrants, 'logs:PutLogEvents')).toContainEqual(expect.stringMatching(/^HealthFunctionServiceRoleDefaultPolicy/));
    const dir = assemblyWith((template) => expect(removeStatements(template, 'HealthFunctionServiceRoleDefaultPolicy', 'logs:PutLogEvents')).toBe(1));
    const cloud = await start(dir);
    try {
      const shop = new ShopClient({ apiUrl: cloud.apiUrl, waitMs: 20_000, diagnostics: () => '' });

      // Act
      const reply = await shop.call('GET', '/health');

      // Assess: the function answers (logs never fail a call) but may not write its log group.
      expect(reply.status).toBe(200);
      expect(cloud.iam.authorizer.denials.map((denial) => `${denial.action} ${denial.resource}`)).toEqual([
        expect.stringMatching(/^logs:CreateLogStream arn:aws:logs:us-east-1:000000000000:log-group:\/local\/HealthFunctionLogs[0-9A-F]{8}:log-stream:/),
      ]);
    } finally {
      await cloud.stop();
    }
  });

  it("GET /health without its Lambda permission: API Gateway answers 500, as it does when it may not invoke the integration", async () => {
    // Prepare
    const healthPermission = soleStatementsOf(baselineGrants, 'lambda:InvokeFunction').filter((id) => id.startsWith('ApiGEThealth'));
    expect(healthPermission).toEqual([expect.stringMatching(/^ApiGEThealth/)]);
    const dir = assemblyWith((template) => {
      delete template.Resources[resourceId(template, 'ApiGEThealthHealthGEThealthIntegrationPermission')];
    });
    const cloud = await start(dir);
    try {
      const shop = new ShopClient({ apiUrl: cloud.apiUrl, waitMs: 20_000, diagnostics: () => '' });

      // Act
      const reply = await shop.call('GET', '/health');

      // Assess
      expect(reply).toMatchObject({ status: 500, body: { message: 'Internal Server Error' } });
      expect(cloud.iam.authorizer.denials.map((denial) => `${denial.principal} ${denial.action}`)).toEqual(['apigateway.amazonaws.com lambda:InvokeFunction']);
    } finally {
      await cloud.stop();
    }
  });
});
