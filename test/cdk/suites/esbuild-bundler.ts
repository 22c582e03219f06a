import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SharedBundler } from '../../../lib/constructs/esbuild-bundler';
import { FUNCTIONS_DIR } from '../../../lib/constructs/shop-function';

describe('SharedBundler', () => {
  // Deeper than the temporary build, as CDK's cdk.out/bundling-temp-… in a project is.
  const outputDir = path.join(mkdtempSync(path.join(tmpdir(), 'bundle-test-')), 'project', 'cdk.out', 'bundling-temp-1');
  const entry = path.join(FUNCTIONS_DIR, 'catalog', 'entries', 'get-prices.ts');
  let bundled: boolean;

  beforeAll(() => {
    mkdirSync(outputDir, { recursive: true });
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

  it('writes source maps whose sources, read from the asset directory, are the files the bundle was built from', () => {
    // Prepare
    const maps = readdirSync(outputDir).filter((file) => file.endsWith('.map'));
    const sources = maps.flatMap((file) => (JSON.parse(readFileSync(path.join(outputDir, file), 'utf8')) as { sources: string[] }).sources);

    // Assess
    expect(sources).toContainEqual(expect.stringMatching(/functions\/catalog\/handlers\/get-prices\.ts$/));
    expect(sources.filter((source) => !existsSync(path.resolve(outputDir, source)))).toEqual([]);
  });

  it("loads Node's built-in modules by require, so importing it builds no ESM facade of node:http (which loads undici)", () => {
    // Prepare
    const code = readdirSync(outputDir).filter((file) => file.endsWith('.mjs')).map((file) => readFileSync(path.join(outputDir, file), 'utf8')).join('\n');
    const builtinImports = [...code.matchAll(/\bimport\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']([^"']+)["']/g)].map((m) => m[1]).filter((name) => isBuiltin(name));

    // Act: a fresh node imports it with only the function's variables, as Lambda's runtime does at init.
    const loaded = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(`file://${path.join(outputDir, 'index.mjs')}`)}); console.log(JSON.stringify({ handler: typeof m.handler, undici: process.moduleLoadList.some((name) => name.includes('undici')) }));`],
      { env: { TABLE_NAME: 'products', AWS_REGION: 'us-east-1' }, encoding: 'utf8' },
    );

    // Assess: only the banner's node:module is imported as ESM (by the entry and its chunks); the handler is there and undici was never loaded.
    expect(new Set(builtinImports)).toEqual(new Set(['node:module']));
    expect(loaded.stderr).toBe('');
    expect(JSON.parse(loaded.stdout)).toEqual({ handler: 'function', undici: false });
  });

  it('ships the chunks the entry imports, each with its source map, and leaves what only a dynamic import() reaches out of module init', () => {
    // Prepare
    const files = readdirSync(outputDir);
    const code = readFileSync(path.join(outputDir, 'index.mjs'), 'utf8');
    const imported = (source: string, dynamic: boolean): string[] =>
      [...source.matchAll(dynamic ? /\bimport\(\s*["'](\.\/[^"']+)["']\s*\)/g : /\bfrom\s*["'](\.\/[^"']+)["']/g)].map((m) => m[1].slice(2));

    // Assess: every relative import of every file is a file of the asset, with its map
    const all = files.filter((file) => file.endsWith('.mjs'));
    for (const file of all) {
      const source = readFileSync(path.join(outputDir, file), 'utf8');
      for (const target of [...imported(source, false), ...imported(source, true)]) expect(all).toContain(target);
      expect(files).toContain(file === 'index.mjs' ? /\/\/# sourceMappingURL=(\S+)\s*$/.exec(source)?.[1] : `${file}.map`);
    }
    // The X-Ray SDK (a DeferredTracer's import) is not among what the entry imports statically, transitively.
    const loaded = new Set<string>();
    const visit = (file: string): void => {
      for (const target of imported(readFileSync(path.join(outputDir, file), 'utf8'), false)) if (!loaded.has(target)) (loaded.add(target), visit(target));
    };
    visit('index.mjs');
    const loadedCode = [...loaded].map((file) => readFileSync(path.join(outputDir, file), 'utf8')).join('\n') + code;
    const everything = all.map((file) => readFileSync(path.join(outputDir, file), 'utf8')).join('\n');
    expect(everything).toContain('AWSXRay');
    expect(loadedCode).not.toContain('AWSXRay');
  });
});
