import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { cdkArguments } from '../../bin/stage-cdk';
import { applyStage, shopStackPrefix } from '../../lib/config/stage';
import { ShopStacks } from '../../lib/shop-stacks';
import { testAppContext } from '../support/cdk-context';
import { deletionHint, retainedInAssembly, retainedResources, type TemplateResources } from '../../lib/ops/retained-resources';

/*
 * `npm run diff` / `npm run destroy`: the cdk command they run for a stage,
 * and the list of what outlives a destroy, read from the synthesized app
 * (every stack of it) and matched against what README's "Tearing down"
 * tells an operator to delete by hand.
 */

const README = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

/** README's "Tearing down" section. */
const tearingDown = (): string => {
  const start = README.indexOf('### Tearing down');
  if (start < 0) throw new Error('README has no "### Tearing down" section');
  const end = README.indexOf('\n##', start + 4);
  return README.slice(start, end < 0 ? undefined : end);
};

/** Every stack of the shop's app as `cdk synth` builds it (bin/shop.ts), for a stage, with or without `-c saga=express`. */
const synthesize = (outdir: string, context: Record<string, string> = {}) => {
  const app = new App({ outdir, context: testAppContext({ 'aws:cdk:enable-path-metadata': true, ...context }) });
  const stage = applyStage(app);
  new ShopStacks(app, shopStackPrefix(stage), { stage, version: 'v-test', env: { account: '123456789012', region: 'eu-west-1' } });
  return app.synth().stacks.map((stack) => ({ stack: stack.stackName, template: stack.template as TemplateResources }));
};

let outdir: string;
beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), 'shop-stage-cdk-'));
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npm run diff / destroy', () => {
  it('runs cdk on every stack of the stage: dev unless told, other options passed on', () => {
    expect(cdkArguments('diff', [], 'dev').args).toEqual(['diff', '--all', '-c', 'stage=dev']);
    expect(cdkArguments('destroy', ['--stage', 'prod', '--force'], 'dev').args).toEqual(['destroy', '--all', '-c', 'stage=prod', '--force']);
    expect(cdkArguments('diff', ['--stage=alice', '--fail'], 'dev')).toEqual({ stage: 'alice', args: ['diff', '--all', '-c', 'stage=alice', '--fail'] });
    expect(() => cdkArguments('destroy', ['--stage'], 'dev')).toThrow(/must be a short lower-case name/);
    expect(() => cdkArguments('destroy', ['--stage', 'Prod East'], 'dev')).toThrow(/not 'Prod East'/);
  });

  it('lists nothing that outlives destroying a dev stage: its data goes with it', () => {
    const dir = path.join(outdir, 'dev');
    expect(retainedResources(synthesize(dir))).toEqual([]);
    expect(retainedInAssembly(dir)).toEqual([]);
  });

  it.each([['standard', {}], ['express', { saga: 'express' }]])(
    'lists what outlives destroying a prod stage (%s saga): tables, the user pool, log groups, each kind named in README with how to delete it',
    (type, context) => {
      // Act: from the templates, and from the cloud assembly on disk as `npm run destroy` reads it
      const dir = path.join(outdir, `prod-${type}`);
      const retained = retainedResources(synthesize(dir, { stage: 'prod', ...context }));
      const fromAssembly = retainedInAssembly(dir);

      // Assess: the data is kept, and README names each table and kind
      expect(fromAssembly).toEqual(retained);
      expect([...new Set(retained.map((r) => `${r.type} ${r.policy}`))].sort()).toEqual([
        'AWS::Cognito::UserPool Retain',
        'AWS::DynamoDB::GlobalTable Retain',
        'AWS::Logs::LogGroup Retain',
      ]);
      const section = tearingDown();
      for (const resource of retained.filter((r) => r.type === 'AWS::DynamoDB::GlobalTable')) {
        expect(deletionHint(resource)).toContain(`starts_with(@, '${resource.stack}-')`);
        const tableId = (resource.constructPath ?? '').split('/').slice(-3)[0];
        expect(section).toContain(`\`${tableId}\``);
      }
      for (const kind of ['user pool', 'log groups']) expect(section).toContain(kind);
    },
  );
});
