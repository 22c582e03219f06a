import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { decideReuse, readSynthInputs, recordSynthesis, type ReuseDecision } from '../../local/synth-fingerprint';

/** A project tree with what feeds a synthesis, and an assembly in its cdk.out as a synthesis would leave it. */
const project = (): { root: string; outDir: string; write: (file: string, text: string) => void } => {
  const root = mkdtempSync(path.join(tmpdir(), 'synth-fingerprint-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write('bin/shop.ts', 'new App();');
  write('lib/constructs/shop-function.ts', 'export class ShopFunction {}');
  write('functions/orders/handlers/get-order.ts', "export const handler = () => 'v1';");
  write('cdk.json', '{"app":"tsx bin/shop.ts"}');
  write('package-lock.json', '{"lockfileVersion":3}');
  write('tsconfig.json', '{}');
  const outDir = path.join(root, 'cdk.out');
  write('cdk.out/manifest.json', '{"artifacts":{}}');
  write('cdk.out/asset.abc/index.mjs', 'export const handler = 1;');
  write('cdk.out/Shop.template.json', '{"Resources":{"Fn":{"Metadata":{"aws:asset:path":"asset.abc"}}}}');
  return { root, outDir, write };
};

const ENV = { SHOP_VERSION: 'v1.0.0' };

/** Records a synthesis of the tree as it is now, then changes it and decides. */
const decideAfter = (change: (tree: ReturnType<typeof project>) => void, options: { context?: Record<string, string>; env?: NodeJS.ProcessEnv } = {}): ReuseDecision => {
  const tree = project();
  try {
    recordSynthesis(tree.outDir, readSynthInputs(tree.root, {}, ENV));
    change(tree);
    return decideReuse(tree.outDir, readSynthInputs(tree.root, options.context ?? {}, options.env ?? ENV));
  } finally {
    rmSync(tree.root, { recursive: true, force: true });
  }
};

const reasonsOf = (decision: ReuseDecision): string => (decision.reuse ? 'reused' : decision.reasons.join('; '));

describe('the synthesis fingerprint (npm start reuses cdk.out)', () => {
  it('reuses the assembly when nothing that feeds it changed, even files touched without change', () => {
    const decision = decideAfter((tree) => utimesSync(path.join(tree.root, 'lib/constructs/shop-function.ts'), new Date(), new Date(Date.now() + 60_000)));
    expect(decision).toEqual({ reuse: true, synthesizedAt: expect.any(Date) });
  });

  it.each([
    ['a changed handler', 'functions/orders/handlers/get-order.ts', "export const handler = () => 'v2';", 'changed: functions/orders/handlers/get-order.ts'],
    ['a changed construct', 'lib/constructs/shop-function.ts', 'export class ShopFunction { x = 1 }', 'changed: lib/constructs/shop-function.ts'],
    ['a changed cdk.json', 'cdk.json', '{"app":"tsx bin/shop.ts","context":{"saga":"express"}}', 'changed: cdk.json'],
    ['a changed lockfile', 'package-lock.json', '{"lockfileVersion":3,"packages":{}}', 'changed: package-lock.json'],
    ['a new source file', 'lib/services/new-service.ts', 'export {};', 'changed: lib/services/new-service.ts (new)'],
    ['a new cdk.context.json', 'cdk.context.json', '{}', 'changed: cdk.context.json (new)'],
  ])('re-synthesizes after %s, naming it', (_what, file, text, reason) => {
    const decision = decideAfter((tree) => tree.write(file, text));
    expect(reasonsOf(decision)).toBe(reason);
  });

  it('re-synthesizes after a deleted source file', () => {
    const decision = decideAfter((tree) => rmSync(path.join(tree.root, 'functions/orders/handlers/get-order.ts')));
    expect(reasonsOf(decision)).toBe('changed: functions/orders/handlers/get-order.ts (deleted)');
  });

  it('names the first few changed paths and counts the rest', () => {
    const decision = decideAfter((tree) => ['a', 'b', 'c', 'd', 'e'].forEach((name) => tree.write(`functions/${name}.ts`, name)));
    expect(reasonsOf(decision)).toBe('changed: functions/a.ts (new), functions/b.ts (new), functions/c.ts (new) and 2 more');
  });

  it('re-synthesizes with a different --context', () => {
    expect(reasonsOf(decideAfter(() => undefined, { context: { saga: 'express' } }))).toBe('context saga=express (was none)');
  });

  it('re-synthesizes when a variable the app reads changed, or the version it stamps', () => {
    expect(reasonsOf(decideAfter(() => undefined, { env: { ...ENV, CDK_DEFAULT_REGION: 'eu-west-1' } }))).toBe('environment: CDK_DEFAULT_REGION=eu-west-1 (was unset)');
    expect(reasonsOf(decideAfter(() => undefined, { env: { SHOP_VERSION: 'v1.0.1' } }))).toBe('environment: SHOP_VERSION=v1.0.1 (was v1.0.0); version v1.0.1 (was v1.0.0)');
  });

  it('re-synthesizes when the assembly was rewritten since (another cdk synth) or lost a bundle', () => {
    expect(reasonsOf(decideAfter((tree) => tree.write('cdk.out/Shop.template.json', '{"Resources":{}}')))).toBe('cdk.out was rewritten since (another cdk synth?)');
    expect(reasonsOf(decideAfter((tree) => rmSync(path.join(tree.outDir, 'asset.abc'), { recursive: true })))).toMatch(/^cdk.out is incomplete/);
  });

  it('synthesizes when there is no record or no assembly at all', () => {
    const tree = project();
    try {
      expect(reasonsOf(decideReuse(tree.outDir, readSynthInputs(tree.root, {}, ENV)))).toBe('no record of what cdk.out was synthesized from');
      rmSync(tree.outDir, { recursive: true });
      expect(reasonsOf(decideReuse(tree.outDir, readSynthInputs(tree.root, {}, ENV)))).toBe('no assembly in cdk.out');
    } finally {
      rmSync(tree.root, { recursive: true, force: true });
    }
  });
});
