import * as path from 'node:path';
import type { LocalCloud } from '../local-cloud';
import type { HopLog } from '../log';
import { FunctionWatcher, type WatchEvent } from './function-watcher';

/** How many changed paths a line names before "and N more". */
const SHOWN_PATHS = 3;

const describePaths = (root: string, files: readonly string[]): string => {
  const relative = [...new Set(files.map((file) => path.relative(root, file) || file))];
  const more = relative.length > SHOWN_PATHS ? ` and ${relative.length - SHOWN_PATHS} more` : '';
  return `${relative.slice(0, SHOWN_PATHS).join(', ')}${more}`;
};

/** One log line (or, for a failed build, esbuild's report) per watch event. */
export const logWatchEvent = (log: HopLog, root: string, event: WatchEvent): void => {
  if (event.kind === 'warmed') {
    return log.hop({ kind: 'info', text: `--watch: ${event.functions.join(', ')} built ahead in ${event.buildMs} ms (their sources changed last): their first save is fast too` });
  }
  const saved = describePaths(root, event.changed);
  switch (event.kind) {
    case 'reloaded':
      return log.hop({
        kind: 'info',
        text: `reload (${saved}; built in ${event.buildMs} ms): ${event.functions.join(', ')} recycled: the next invocation starts cold on the new code (busy environments finish first)`,
      });
    case 'unchanged':
      return log.hop({ kind: 'info', text: `saved ${saved}: no function's bundle changed${event.buildMs > 0 ? ` (built in ${event.buildMs} ms)` : ' (none includes it)'}` });
    case 'failed':
      return log.hop({ kind: 'error', text: `saved ${saved}: does not build; the functions that include it keep their current code:\n${event.errors}` });
    case 'infrastructure':
      return log.hop({
        kind: 'error',
        text: `infrastructure changed (${saved}): the running cloud still has the old template. Restart npm start to apply it (it re-synthesizes; --persist DIR keeps the tables' data across the restart)`,
      });
  }
};

/**
 * `npm start -- --watch`: keeps every function whose template names its
 * source (`shop:entry` Metadata) on its code as saved under `functions/`,
 * and reports changes to lib/, bin/ and cdk.json, which need a new synthesis.
 */
export const startWatchMode = (cloud: LocalCloud, log: HopLog, root: string): FunctionWatcher => {
  const functionsDir = path.join(root, 'functions');
  const entries = new Map([...cloud.functionEntries].map(([name, entry]) => [name, path.join(functionsDir, entry)]));
  const missing = cloud.runtime.functions().filter((fn) => !entries.has(fn.name)).map((fn) => fn.name);
  if (missing.length > 0) log.hop({ kind: 'error', text: `--watch: ${missing.join(', ')} name no source (shop:entry Metadata): their code is not watched; synthesize again (npm start without --no-synth)` });
  const watcher = FunctionWatcher.start({
    entries,
    functionsDir,
    infrastructure: [path.join(root, 'lib'), path.join(root, 'bin'), path.join(root, 'cdk.json')],
    runtime: cloud.runtime,
    onEvent: (event) => logWatchEvent(log, root, event),
  });
  log.hop({ kind: 'info', text: `--watch: ${entries.size} functions follow functions/ as saved (lib/, bin/, cdk.json: restart to apply)` });
  return watcher;
};
