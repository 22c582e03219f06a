import type { BundlingOptions, ILocalBundling } from 'aws-cdk-lib';
import { buildSync, type BuildOptions, type BuildResult } from 'esbuild';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Where {@link builtinAliases} writes its shims: one fixed place, so a bundle's
 * source map (which names them) is the same on every synth.
 */
const SHIMS_DIR = path.join(tmpdir(), 'shop-node-builtins');

/**
 * Import paths of Node's built-in modules (`http`, `node:http`, …), each
 * aliased to a CommonJS shim that loads it with `process.getBuiltinModule`
 * (Node ≥ 22.3; a `require` there would be aliased to the shim itself).
 *
 * Why: an ESM `import … from 'node:http'` makes Node build the module's ESM
 * facade, which reads every export, and on Node 24 `http`'s lazy `WebSocket`
 * getters load the whole bundled undici (~25 ms at every cold start, about a
 * third of a bundle's init, for a client no function uses). Loaded as
 * CommonJS, a module's exports are read only where used. The AWS SDK and
 * Powertools import `http`/`https` as ESM, so every function paid it.
 */
export const builtinAliases = (): Record<string, string> => {
  mkdirSync(SHIMS_DIR, { recursive: true });
  const aliases: Record<string, string> = {};
  for (const listed of builtinModules) {
    // Newer Node lists its `node:`-only modules (node:test, node:sqlite) with the prefix.
    const name = listed.replace(/^node:/, '');
    const file = path.join(SHIMS_DIR, `${name.replace(/\//g, '__')}.cjs`);
    const contents = `module.exports = process.getBuiltinModule(${JSON.stringify(`node:${name}`)});\n`;
    if (!existsSync(file) || readFileSync(file, 'utf8') !== contents) {
      // Another synth may be writing the same file: write beside it, then rename (atomic).
      const partial = `${file}.${process.pid}`;
      writeFileSync(partial, contents);
      renameSync(partial, file);
    }
    if (listed === name) aliases[name] = file;
    aliases[`node:${name}`] = file;
  }
  return aliases;
};

/**
 * esbuild settings of every function bundle: ESM (tree-shaken, smaller and
 * faster to load than CJS), minified, with source maps, the AWS SDK bundled
 * so the same bundle runs on AWS, LocalStack and the local cloud, a
 * `require` shim for the CommonJS dependencies inside an ESM bundle, and Node's
 * built-in modules loaded by `require` ({@link builtinAliases}).
 */
export const bundleOptions = (): BuildOptions => ({ ...BUNDLE_OPTIONS, alias: builtinAliases() });

/** {@link bundleOptions} without the built-in aliases, which need files written first. */
const BUNDLE_OPTIONS: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  outExtension: { '.js': '.mjs' },
  banner: { js: "import { createRequire as __shopCreateRequire } from 'node:module'; const require = __shopCreateRequire(import.meta.url);" },
  logLevel: 'silent',
  legalComments: 'none',
};

/** Entry files under `dir` named `entries/*.ts`, the composition roots of the services. */
const findEntries = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findEntries(full);
    return path.basename(path.dirname(full)) === 'entries' && name.endsWith('.ts') ? [full] : [];
  });

/** `orders/entries/api/index`: every bundle is named index.mjs, so its sourceMappingURL is index.mjs.map. */
const outputKey = (functionsDir: string, entry: string): string =>
  `${path.relative(functionsDir, entry).replace(/\.ts$/, '').split(path.sep).join('/')}/index`;

/**
 * Builds every entry under `functionsDir` into `outDir` in one esbuild run,
 * each as `<service>/entries/<name>/index.mjs` (+ map). `extra` adds build
 * options, e.g. `{ metafile: true }` for what a bundle is made of.
 */
export const bundleFunctions = (functionsDir: string, outDir: string, extra: BuildOptions = {}, entries = findEntries(functionsDir)): BuildResult =>
  buildSync({ ...bundleOptions(), ...extra, entryPoints: Object.fromEntries(entries.map((e) => [outputKey(functionsDir, e), e])), outdir: outDir });

/**
 * Bundles every function of the app in ONE esbuild run, the first time any
 * function asks, and hands each its own files. One run parses the shared
 * dependencies (SDK, Powertools, zod) once and uses every core, where one
 * esbuild process per function spent most of `cdk synth` starting up.
 */
export class SharedBundler {
  private static readonly instances = new Map<string, SharedBundler>();
  private outDir?: string;

  private constructor(private readonly functionsDir: string) {}

  /** The bundler of a functions directory (one per process). */
  public static of(functionsDir: string): SharedBundler {
    let bundler = SharedBundler.instances.get(functionsDir);
    if (!bundler) {
      bundler = new SharedBundler(functionsDir);
      SharedBundler.instances.set(functionsDir, bundler);
    }
    return bundler;
  }

  /** CDK local bundling for one entry: writes `index.mjs` (+ map) into the asset directory. */
  public localBundling(entry: string): ILocalBundling {
    return {
      tryBundle: (outputDir: string, _options: BundlingOptions) => {
        const built = this.buildAll(entry);
        const key = outputKey(this.functionsDir, entry);
        for (const ext of ['.mjs', '.mjs.map']) cpSync(path.join(built, `${key}${ext}`), path.join(outputDir, `index${ext}`));
        return true;
      },
    };
  }

  private buildAll(entry: string): string {
    if (this.outDir && existsSync(path.join(this.outDir, `${outputKey(this.functionsDir, entry)}.mjs`))) return this.outDir;
    const outDir = mkdtempSync(path.join(tmpdir(), 'shop-bundles-'));
    bundleFunctions(this.functionsDir, outDir, {}, [...new Set([...findEntries(this.functionsDir), entry])]);
    this.outDir = outDir;
    return outDir;
  }
}
