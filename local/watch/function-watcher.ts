import { build, context, formatMessages, type BuildContext, type BuildOptions, type Message, type Metafile, type OutputFile } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { assetFiles, functionBuildOptions, functionBundle, rewriteSourceMap } from '../../lib/constructs/esbuild-bundler';
import type { LambdaRuntime } from '../lambda/lambda-runtime';

/** What the watcher did after a change, for the log (`npm start -- --watch` prints one line each). */
export type WatchEvent =
  /** These functions now serve the new bundle: their environments retired (busy ones after their invocation). */
  | { readonly kind: 'reloaded'; readonly functions: readonly string[]; readonly changed: readonly string[]; readonly buildMs: number }
  /** The sources changed but no function's bundle did (a comment in an unused file, a type). */
  | { readonly kind: 'unchanged'; readonly changed: readonly string[]; readonly buildMs: number }
  /** The bundles did not build: the functions keep their current code. `errors` is esbuild's text, file:line and a code frame. */
  | { readonly kind: 'failed'; readonly changed: readonly string[]; readonly errors: string }
  /** Infrastructure code changed: the running template is stale until a new synthesis. */
  | { readonly kind: 'infrastructure'; readonly changed: readonly string[] }
  /** The incremental contexts of these functions are built ahead of a save (their own sources changed last). */
  | { readonly kind: 'warmed'; readonly functions: readonly string[]; readonly buildMs: number };

/** Options of {@link FunctionWatcher.start}. */
export interface FunctionWatcherOptions {
  /** Each function to keep current, by its name in the runtime: the entry file (absolute) its bundle is built from. */
  readonly entries: ReadonlyMap<string, string>;
  /** The functions' sources: watched recursively; a change under it rebuilds. */
  readonly functionsDir: string;
  /**
   * Infrastructure code (directories or files: lib/, bin/, cdk.json): a
   * change under one is reported as `infrastructure`; it also rebuilds when
   * a bundle imports the file. @default none
   */
  readonly infrastructure?: readonly string[];
  /** The runtime whose functions are recycled. */
  readonly runtime: Pick<LambdaRuntime, 'replaceCode' | 'resolve'>;
  readonly onEvent: (event: WatchEvent) => void;
  /** How long to wait for more changes before building (editors write a file in several steps). @default 30 */
  readonly debounceMs?: number;
  /**
   * Most incremental esbuild contexts kept at once, one per function saved
   * lately (each caches its parse of the function's whole import graph,
   * ~130 MB): a save rebuilds only the functions that include the file.
   * @default 3
   */
  readonly incrementalContexts?: number;
}

/** Extensions of files a bundle can be built from: other files (editors' temporary files) are no change. */
const SOURCE_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx', '.json']);

/** A file a save does not change anything with: editor swap and backup files, dotfiles. */
const ignored = (file: string): boolean => {
  const name = path.basename(file);
  return name.startsWith('.') || !SOURCE_EXTENSIONS.has(path.extname(name));
};

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * A source map with its sources as absolute paths: the same map wherever it
 * is written, and comparable between two bundles built in different places.
 */
const absoluteSourceMap = (text: string, mapDir: string): string => rewriteSourceMap(text, (source) => path.resolve(mapDir, source));

/**
 * A function's asset as served, hashed: every file by its name in the asset
 * (entry, chunks, source maps with absolute sources), so that two builds
 * written to different places compare equal when they hold the same code.
 */
const assetDigest = (files: ReadonlyMap<string, string | Uint8Array>): string =>
  sha256(
    [...files]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, contents]) => `${name}\0${sha256(contents)}`)
      .join('\n'),
  );

/**
 * `npm start -- --watch`: keeps the running functions on the code as saved.
 * A save under the functions' sources (or of anything a bundle imports)
 * rebuilds exactly the functions whose bundle includes the file (known from
 * esbuild's metafile: the import graph read at start, then each build's),
 * with the synthesis's build definition (`functionBuildOptions`: the same
 * settings, an entry and its chunks), in an incremental esbuild context per
 * function saved lately (only what changed is parsed again); a function
 * whose asset differs from the one it serves gets a new asset directory
 * (`index.mjs`, the chunks it imports, their source maps):
 * `LambdaRuntime.replaceCode` retires its
 * environments (busy ones once their invocation ends) and the next
 * invocation starts cold on the new code. Tables, queues and executions are
 * untouched. A function whose bundle fails to build keeps its code, and
 * esbuild's errors are reported. New bundles go to a temporary directory
 * (cdk.out stays what the synthesis wrote), removed by {@link FunctionWatcher.close}.
 */
export class FunctionWatcher {
  private readonly watchers: FSWatcher[] = [];
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private building: Promise<void> | undefined;
  /** Changes saved while a build ran: one more build follows it. */
  private readonly again = new Set<string>();
  private closed = false;
  private generation = 0;
  /** The files each function's bundle is built from (node_modules aside), absolute. */
  private readonly inputs = new Map<string, ReadonlySet<string>>();
  /** Functions whose last build failed: rebuilt on any change until they build. */
  private readonly failing = new Set<string>();
  /** The first reading of the import graph (see {@link readImportGraph}). */
  private graph: Promise<void> = Promise.resolve();
  /** Incremental contexts by function, least recently used first. */
  private readonly contexts = new Map<string, BuildContext<BuildOptions & { write: false; metafile: true }>>();
  /** What each served asset directory holds ({@link assetDigest}), by directory (read once). */
  private readonly served = new Map<string, string>();

  private constructor(
    private readonly options: FunctionWatcherOptions,
    private readonly outRoot: string,
  ) {}

  /** Starts watching, and reading which files each function includes; no bundle is built until a save. */
  public static start(options: FunctionWatcherOptions): FunctionWatcher {
    const watcher = new FunctionWatcher(options, mkdtempSync(path.join(tmpdir(), 'shop-watch-')));
    for (const target of [options.functionsDir, ...(options.infrastructure ?? [])]) {
      // A file is watched through its directory: editors replace a file on save, which ends a watch of the file itself.
      const file = statSync(target).isDirectory() ? undefined : path.basename(target);
      const dir = file === undefined ? target : path.dirname(target);
      const fsWatcher = watch(dir, { recursive: file === undefined }, (_event, name) => {
        if (file !== undefined && name?.toString() !== file) return;
        watcher.changed(name === null ? target : path.resolve(dir, name.toString()));
      });
      fsWatcher.on('error', () => undefined);
      watcher.watchers.push(fsWatcher);
    }
    watcher.graph = watcher.readImportGraph();
    void watcher.graph.then(() => watcher.warm());
    return watcher;
  }

  /** Waits for the changes saved so far to be built and served (or reported). */
  public async settled(): Promise<void> {
    while (this.building || this.timer) {
      if (this.building) await this.building;
      else await new Promise((resolve) => setTimeout(resolve, this.options.debounceMs ?? 30));
    }
  }

  /** Stops watching and building; removes the bundles it wrote (environments already running keep what they loaded). */
  public async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const fsWatcher of this.watchers) fsWatcher.close();
    await this.building?.catch(() => undefined);
    await Promise.all([...this.contexts.values()].map((ctx) => ctx.dispose()));
    this.contexts.clear();
    rmSync(this.outRoot, { recursive: true, force: true });
  }

  private changed(file: string): void {
    if (this.closed || ignored(file)) return;
    this.pending.add(file);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const changed = [...this.pending];
      this.pending.clear();
      const infrastructure = changed.filter((changedFile) => isUnder(changedFile, this.options.infrastructure ?? []));
      if (infrastructure.length > 0) this.options.onEvent({ kind: 'infrastructure', changed: infrastructure });
      // Which functions include them is known once the import graph is read (buildAndReplace waits for it).
      void this.rebuild(changed);
    }, this.options.debounceMs ?? 30);
  }

  /** What a function's bundle is built from: its last build's import graph, else the one of the start. */
  private inputsOf(name: string): ReadonlySet<string> {
    return this.inputs.get(name) ?? new Set();
  }

  /**
   * The import graph of every function's sources, packages aside (quick: only
   * the project's own files are parsed), so the first save knows which
   * functions include the file, constants esbuild inlines included.
   */
  private async readImportGraph(): Promise<void> {
    try {
      const result = await build({
        ...functionBuildOptions(this.options.functionsDir, [...new Set(this.options.entries.values())], path.join(this.outRoot, 'graph')),
        packages: 'external',
        minify: false,
        sourcemap: false,
        write: false,
        metafile: true,
      });
      for (const [name, entry] of this.options.entries) if (!this.inputs.has(name)) this.inputs.set(name, importGraphOf(result.metafile, this.workingDir, entry));
    } catch {
      // Some source does not build now: those functions are rebuilt on the first save, which tells.
      for (const name of this.options.entries.keys()) if (!this.inputs.has(name)) this.failing.add(name);
    }
  }

  /**
   * Builds ahead the incremental contexts of the functions a save is most
   * likely to touch, so even their first save pays only for what changed:
   * those whose own sources (files no other function includes) were modified
   * last, as many as contexts are kept. One at a time, and it gives way to
   * any save.
   */
  private async warm(): Promise<void> {
    const started = Date.now();
    const warmed: string[] = [];
    for (const name of this.warmCandidates()) {
      if (this.closed || this.building || this.timer || this.failing.has(name)) break;
      const work = (async () => {
        try {
          await (await this.contextOf(name, [], path.join(this.outRoot, 'build'))).rebuild();
          warmed.push(name);
        } catch {
          // A save will report what does not build.
        }
      })();
      this.building = work;
      await work;
      this.building = undefined;
      if (this.again.size > 0 && !this.closed) {
        const next = [...this.again];
        this.again.clear();
        void this.rebuild(next);
        break;
      }
    }
    if (warmed.length > 0 && !this.closed) this.options.onEvent({ kind: 'warmed', functions: warmed, buildMs: Date.now() - started });
  }

  /** The functions whose own sources were modified last, newest first, as many as contexts are kept. */
  private warmCandidates(): string[] {
    const includedBy = new Map<string, number>();
    for (const name of this.options.entries.keys()) for (const file of this.inputsOf(name)) includedBy.set(file, (includedBy.get(file) ?? 0) + 1);
    const modified = (file: string): number => {
      try {
        return statSync(file).mtimeMs;
      } catch {
        return 0;
      }
    };
    return [...this.options.entries.keys()]
      .map((name) => ({ name, modifiedAt: Math.max(0, ...[...this.inputsOf(name)].filter((file) => includedBy.get(file) === 1).map(modified)) }))
      .filter(({ modifiedAt }) => modifiedAt > 0)
      .sort((a, b) => b.modifiedAt - a.modifiedAt)
      .slice(0, Math.max(0, this.options.incrementalContexts ?? 3))
      .map(({ name }) => name);
  }

  private rebuild(changed: readonly string[]): Promise<void> {
    if (this.building) {
      // One more build once this one ends sees every change saved meanwhile.
      changed.forEach((file) => this.again.add(file));
      return this.building;
    }
    this.building = (async () => {
      try {
        await this.buildAndReplace(changed);
      } finally {
        this.building = undefined;
      }
      if (this.again.size > 0 && !this.closed) {
        const next = [...this.again];
        this.again.clear();
        await this.rebuild(next);
      }
    })();
    return this.building;
  }

  private async buildAndReplace(changed: readonly string[]): Promise<void> {
    await this.graph;
    const started = Date.now();
    const targets = [...this.options.entries.keys()].filter((name) => this.failing.has(name) || changed.some((file) => this.inputsOf(name).has(file)));
    if (targets.length === 0) {
      // A change outside the functions' sources that no function includes is the infrastructure's alone.
      if (changed.some((file) => isUnder(file, [this.options.functionsDir]))) this.options.onEvent({ kind: 'unchanged', changed, buildMs: 0 });
      return;
    }
    const built = await this.buildAll(targets);
    if (this.closed) return;
    this.generation += 1;
    const replaced: string[] = [];
    const errors = new Set<string>();
    for (const [name, result] of built) {
      if ('errors' in result) {
        this.failing.add(name);
        errors.add(result.errors);
        continue;
      }
      this.failing.delete(name);
      this.inputs.set(name, result.inputs);
      const spec = this.options.runtime.resolve(name);
      if (!spec) continue;
      const digest = assetDigest(result.files);
      if (this.servedDigest(spec.codeDir) === digest) continue;
      const dir = path.join(this.outRoot, name, String(this.generation));
      mkdirSync(dir, { recursive: true });
      for (const [file, contents] of result.files) writeFileSync(path.join(dir, file), contents);
      this.served.set(dir, digest);
      this.options.runtime.replaceCode(name, dir);
      replaced.push(name);
    }
    const buildMs = Date.now() - started;
    if (errors.size > 0) this.options.onEvent({ kind: 'failed', changed, errors: [...errors].join('\n') });
    if (replaced.length > 0) this.options.onEvent({ kind: 'reloaded', functions: replaced, changed, buildMs });
    else if (errors.size === 0) this.options.onEvent({ kind: 'unchanged', changed, buildMs });
  }

  /**
   * Builds each target: in its incremental context when they are few (the
   * contexts of the functions saved longest ago are dropped), else in one
   * build of them all (a change most functions include: one parse of the
   * shared code serves them all).
   */
  private async buildAll(targets: readonly string[]): Promise<Map<string, BuiltBundle | { readonly errors: string }>> {
    const results = new Map<string, BuiltBundle | { readonly errors: string }>();
    const outdir = path.join(this.outRoot, 'build');
    const max = Math.max(0, this.options.incrementalContexts ?? 3);
    if (targets.length > max) {
      try {
        const result = await build({ ...functionBuildOptions(this.options.functionsDir, [...new Set(targets.map((name) => this.entryOf(name)))], outdir), write: false });
        for (const name of targets) results.set(name, this.bundleOf(result.outputFiles, result.metafile, this.entryOf(name)));
      } catch (error) {
        const errors = await describeFailure(error);
        for (const name of targets) results.set(name, { errors });
      }
      return results;
    }
    await Promise.all(
      targets.map(async (name) => {
        try {
          const result = await (await this.contextOf(name, targets, outdir)).rebuild();
          results.set(name, this.bundleOf(result.outputFiles, result.metafile, this.entryOf(name)));
        } catch (error) {
          results.set(name, { errors: await describeFailure(error) });
        }
      }),
    );
    return results;
  }

  private async contextOf(name: string, keep: readonly string[], outdir: string): Promise<BuildContext<BuildOptions & { write: false; metafile: true }>> {
    let ctx = this.contexts.get(name);
    if (ctx) {
      // Most recently used last.
      this.contexts.delete(name);
      this.contexts.set(name, ctx);
      return ctx;
    }
    const max = Math.max(1, this.options.incrementalContexts ?? 3);
    for (const [old, oldCtx] of this.contexts) {
      if (this.contexts.size < max) break;
      if (keep.includes(old)) continue;
      this.contexts.delete(old);
      await oldCtx.dispose();
    }
    ctx = await context({ ...functionBuildOptions(this.options.functionsDir, [this.entryOf(name)], outdir), write: false });
    this.contexts.set(name, ctx);
    return ctx;
  }

  private entryOf(name: string): string {
    const entry = this.options.entries.get(name);
    if (entry === undefined) throw new Error(`No entry for ${name}`);
    return entry;
  }

  /** The working directory of every build (metafile paths are relative to it). */
  private get workingDir(): string {
    return path.dirname(this.options.functionsDir);
  }

  /** One function's asset among a build's outputs (source maps with absolute sources), with the files its entry imports. */
  private bundleOf(outputs: readonly OutputFile[], metafile: Metafile, entry: string): BuiltBundle | { readonly errors: string } {
    const byPath = new Map(outputs.map((output) => [output.path, output]));
    const files = new Map<string, string | Uint8Array>();
    try {
      for (const [name, file] of assetFiles(functionBundle(metafile, this.options.functionsDir, entry))) {
        const output = byPath.get(file);
        if (!output) return { errors: `esbuild wrote no ${file}` };
        files.set(name, name.endsWith('.map') ? absoluteSourceMap(output.text, path.dirname(file)) : output.contents);
      }
    } catch (error) {
      return { errors: error instanceof Error ? error.message : String(error) };
    }
    return { files, inputs: importGraphOf(metafile, this.workingDir, entry) };
  }

  private servedDigest(codeDir: string): string | undefined {
    let digest = this.served.get(codeDir);
    if (!digest) {
      try {
        const files = new Map(
          readdirSync(codeDir).map((name) => {
            const file = path.join(codeDir, name);
            return [name, name.endsWith('.map') ? absoluteSourceMap(readFileSync(file, 'utf8'), codeDir) : readFileSync(file)] as const;
          }),
        );
        digest = assetDigest(files);
      } catch {
        return undefined;
      }
      this.served.set(codeDir, digest);
    }
    return digest;
  }
}

/** One function's asset as built (file name → contents), and the files it was built from. */
interface BuiltBundle {
  readonly files: ReadonlyMap<string, string | Uint8Array>;
  readonly inputs: ReadonlySet<string>;
}

const isUnder = (file: string, roots: readonly string[]): boolean => roots.some((root) => file === root || file.startsWith(`${root}${path.sep}`));

/**
 * Every file `entry` imports, directly or not, packages (node_modules)
 * aside, itself included, absolute: from esbuild's metafile, whose paths are
 * relative to the build's working directory `cwd`.
 */
const importGraphOf = (metafile: Metafile, cwd: string, entry: string): ReadonlySet<string> => {
  const absolute = new Map(Object.keys(metafile.inputs).map((input) => [input, path.resolve(cwd, input)]));
  const start = [...absolute].find(([, file]) => file === entry)?.[0];
  const seen = new Set<string>();
  const queue = start === undefined ? [] : [start];
  while (queue.length > 0) {
    const input = queue.pop() ?? '';
    if (seen.has(input) || input.includes('node_modules')) continue;
    seen.add(input);
    for (const imported of metafile.inputs[input]?.imports ?? []) if (!imported.external && metafile.inputs[imported.path]) queue.push(imported.path);
  }
  return new Set([...seen].map((input) => absolute.get(input) ?? path.resolve(cwd, input)));
};

/** esbuild's errors as it prints them (file:line:column, the line, a caret), or the error's message. */
const describeFailure = async (error: unknown): Promise<string> => {
  const errors = (error as { errors?: Message[] }).errors;
  if (!errors || errors.length === 0) return error instanceof Error ? error.message : String(error);
  return (await formatMessages(errors, { kind: 'error', color: false })).join('').trimEnd();
};
