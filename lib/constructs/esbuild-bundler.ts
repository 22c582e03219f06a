import type { BundlingOptions, ILocalBundling } from 'aws-cdk-lib';
import { buildSync, type BuildOptions, type BuildResult, type Metafile } from 'esbuild';
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
  // What only a dynamic import() reaches (the SDK's other credential providers, the X-Ray SDK) goes to chunks init never loads.
  splitting: true,
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
export const findEntries = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return findEntries(full);
    return path.basename(path.dirname(full)) === 'entries' && name.endsWith('.ts') ? [full] : [];
  });

/**
 * `orders-entries-api`: every entry at the top of the output, beside the
 * chunks it shares with others, so that a function's files are one flat
 * directory and its entry can be renamed `index.mjs` (its source map keeps
 * its own name, which its sourceMappingURL says).
 */
const outputKey = (functionsDir: string, entry: string): string => path.relative(functionsDir, entry).replace(/\.ts$/, '').split(path.sep).join('-');

/**
 * The one definition of a build of function bundles, used by the synthesis
 * ({@link bundleFunctions}) and by `npm start -- --watch`: {@link bundleOptions},
 * with every entry at the top of `outDir` as `<service>-entries-<name>.mjs`
 * (+ map) and the code entries share, and the code only a dynamic `import()`
 * reaches, in chunks beside them; metafile paths relative to the functions
 * directory's parent. Where the files go is the caller's (`write: false`
 * keeps them in memory); {@link functionBundle} then says which are one
 * function's, and {@link assetFiles} how its asset directory names them.
 */
export const functionBuildOptions = (functionsDir: string, entries: readonly string[], outDir: string): BuildOptions & { metafile: true } => ({
  ...bundleOptions(),
  metafile: true,
  absWorkingDir: path.dirname(functionsDir),
  entryPoints: Object.fromEntries(entries.map((e) => [outputKey(functionsDir, e), e])),
  outdir: outDir,
});

/**
 * Builds every entry under `functionsDir` into `outDir` in one esbuild run
 * ({@link functionBuildOptions}). `extra` adds build options.
 */
export const bundleFunctions = (functionsDir: string, outDir: string, extra: BuildOptions = {}, entries = findEntries(functionsDir)): BuildResult & { metafile: Metafile } => {
  const result = buildSync({ ...functionBuildOptions(functionsDir, entries, outDir), ...extra });
  return { ...result, metafile: result.metafile as Metafile };
};

/**
 * {@link bundleFunctions} into a new temporary directory. Always there: a
 * chunk's name is a hash that covers its source map, whose paths are
 * relative to the output directory, so another place gives other names.
 */
export const bundleFunctionsToTemp = (functionsDir: string, entries = findEntries(functionsDir)): BuildResult & { metafile: Metafile } =>
  bundleFunctions(functionsDir, mkdtempSync(path.join(tmpdir(), 'shop-bundles-')), {}, entries);

/** What one entry of a {@link bundleFunctions} build is made of (absolute paths). */
export interface FunctionBundle {
  /** Its entry file. */
  readonly entry: string;
  /** The chunks module init loads: what the entry imports statically, transitively. */
  readonly loadedChunks: readonly string[];
  /** The chunks only a dynamic `import()` loads, when the code gets there: the SDK's other credential providers, the X-Ray SDK. */
  readonly deferredChunks: readonly string[];
}

/** The files of one entry's bundle in a {@link bundleFunctions} build: its own, and every chunk it may import. */
export const functionBundle = (metafile: Metafile, functionsDir: string, entry: string): FunctionBundle => {
  // The metafile's paths are relative to the build's working directory, the functions directory's parent.
  const resolve = (file: string): string => path.resolve(path.dirname(functionsDir), file);
  const outputs = new Map(Object.entries(metafile.outputs).map(([file, output]) => [resolve(file), output]));
  const own = [...outputs.keys()].find((file) => path.basename(file) === `${outputKey(functionsDir, entry)}.mjs`);
  if (!own) throw new Error(`No bundle of ${entry} in the build`);
  const reach = (dynamic: boolean): Set<string> => {
    const seen = new Set<string>();
    const visit = (file: string): void => {
      for (const imported of outputs.get(file)?.imports ?? []) {
        const target = resolve(imported.path);
        if (imported.external || seen.has(target) || (!dynamic && imported.kind === 'dynamic-import')) continue;
        seen.add(target);
        visit(target);
      }
    };
    visit(own);
    return seen;
  };
  const loaded = reach(false);
  return { entry: own, loadedChunks: [...loaded], deferredChunks: [...reach(true)].filter((file) => !loaded.has(file)) };
};

/**
 * A source map with each of its `sources` rewritten by `source` (they are
 * relative to the directory the map was built for).
 */
export const rewriteSourceMap = (text: string, source: (path: string) => string): string => {
  const map = JSON.parse(text) as { sources?: string[] };
  return JSON.stringify({ ...map, sources: (map.sources ?? []).map(source) });
};

/**
 * A function's asset directory, file name → the build's output file: the
 * entry as `index.mjs` (the handler `index.handler`; its source map keeps
 * the entry's name, which its sourceMappingURL says), every chunk it loads
 * or may load, and each file's source map.
 */
export const assetFiles = (bundle: FunctionBundle): ReadonlyMap<string, string> => {
  const chunks = [...bundle.loadedChunks, ...bundle.deferredChunks];
  return new Map([
    ['index.mjs', bundle.entry],
    ...chunks.map((file) => [path.basename(file), file] as const),
    ...[bundle.entry, ...chunks].map((file) => [`${path.basename(file)}.map`, `${file}.map`] as const),
  ]);
};

/**
 * Bundles every function of the app in ONE esbuild run, the first time any
 * function asks, and hands each its own files. One run parses the shared
 * dependencies (SDK, Powertools, zod) once and uses every core, where one
 * esbuild process per function spent most of `cdk synth` starting up.
 */
export class SharedBundler {
  private static readonly instances = new Map<string, SharedBundler>();
  private built?: Metafile;

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

  /**
   * CDK local bundling for one entry: writes its bundle into the asset
   * directory as `index.mjs`, with the chunks it loads and may load, and
   * every file's source map, its sources made relative to the asset
   * directory (CDK moves it to `cdk.out/asset.<hash>`, the same depth), so
   * stack traces name the files and the asset's hash does not depend on
   * where the temporary build ran.
   */
  public localBundling(entry: string): ILocalBundling {
    return {
      tryBundle: (outputDir: string, _options: BundlingOptions) => {
        for (const [name, file] of assetFiles(functionBundle(this.buildAll(entry), this.functionsDir, entry))) {
          if (!name.endsWith('.map')) cpSync(file, path.join(outputDir, name));
          else writeFileSync(path.join(outputDir, name), rewriteSourceMap(readFileSync(file, 'utf8'), (source) => path.relative(outputDir, path.resolve(path.dirname(file), source))));
        }
        return true;
      },
    };
  }

  private buildAll(entry: string): Metafile {
    const key = `${outputKey(this.functionsDir, entry)}.mjs`;
    if (this.built && Object.keys(this.built.outputs).some((file) => path.basename(file) === key)) return this.built;
    this.built = bundleFunctionsToTemp(this.functionsDir, [...new Set([...findEntries(this.functionsDir), entry])]).metafile;
    return this.built;
  }
}
