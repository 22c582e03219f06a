import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SharedBundler } from '../../lib/constructs/esbuild-bundler';
import { FUNCTIONS_DIR } from '../../lib/constructs/shop-function';

describe('SharedBundler', () => {
  const outputDir = mkdtempSync(path.join(tmpdir(), 'bundle-test-'));
  const entry = path.join(FUNCTIONS_DIR, 'catalog', 'entries', 'get-prices.ts');
  let bundled: boolean;

  beforeAll(() => {
    bundled = SharedBundler.of(FUNCTIONS_DIR).localBundling(entry).tryBundle(outputDir, { image: undefined as never });
  });

  it("writes an ESM bundle whose source map is where its sourceMappingURL says (so stack traces name our TypeScript)", () => {
    // Assess
    expect(bundled).toBe(true);
    const code = readFileSync(path.join(outputDir, 'index.mjs'), 'utf8');
    expect(code).toMatch(/export\s*\{\s*\w+ as handler\s*\}/);
    const mapFile = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(code)?.[1];
    expect(mapFile).toBeDefined();
    expect(existsSync(path.join(outputDir, String(mapFile)))).toBe(true);
    const map = JSON.parse(readFileSync(path.join(outputDir, String(mapFile)), 'utf8')) as { sources: string[] };
    expect(map.sources.some((source) => source.endsWith('functions/catalog/handlers/get-prices.ts'))).toBe(true);
  });

  it("loads Node's built-in modules by require, so importing it builds no ESM facade of node:http (which loads undici)", () => {
    // Prepare
    const code = readFileSync(path.join(outputDir, 'index.mjs'), 'utf8');
    const builtinImports = [...code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g)].map((m) => m[1]).filter((name) => isBuiltin(name));

    // Act: a fresh node imports it with only the function's variables, as Lambda's runtime does at init.
    const loaded = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(`file://${path.join(outputDir, 'index.mjs')}`)}); console.log(JSON.stringify({ handler: typeof m.handler, undici: process.moduleLoadList.some((name) => name.includes('undici')) }));`],
      { env: { TABLE_NAME: 'products', AWS_REGION: 'us-east-1' }, encoding: 'utf8' },
    );

    // Assess: only the banner's node:module is imported as ESM; the handler is there and undici was never loaded.
    expect(builtinImports).toEqual(['node:module']);
    expect(loaded.stderr).toBe('');
    expect(JSON.parse(loaded.stdout)).toEqual({ handler: 'function', undici: false });
  });
});
