/**
 * The console API's routes of the Tables and the Faults-and-cost views: the
 * template's tables and a page of items (./tables-api), the faults in force
 * and the run's bill so far (./ops-api). All GET, all read-only.
 */
import { toJson } from './console-data';
import type { JsonValue } from '../cloudformation/intrinsics';
import type { Usage } from '../cost/meter';
import { costView, faultsView, type FaultsSource } from './ops-api';
import { ConsoleRequestError } from './request-error';
import type { TableBrowser } from './tables-api';

/** What the two views read. */
export interface DataSources {
  readonly tables: TableBrowser;
  readonly faults: FaultsSource;
  /** The cost meter's running total. */
  readonly cost: { usage(): Usage };
}

/** The paths {@link dataRoute} answers (GET only). */
export const DATA_ROUTES: readonly string[] = ['/api/tables', '/api/table-items', '/api/faults', '/api/cost'];

/** A query parameter, absent when empty. */
const param = (url: URL, name: string): string | undefined => {
  const value = url.searchParams.get(name);
  return value === null || value === '' ? undefined : value;
};

/**
 * Answers a GET of one of {@link DATA_ROUTES}.
 *
 * @throws {ConsoleRequestError} 404 when the console has no such sources,
 *   400/404 for a missing or unknown table or index and a bad cursor.
 */
export const dataRoute = async (sources: DataSources | undefined, url: URL): Promise<JsonValue> => {
  if (!sources) throw new ConsoleRequestError(404, `Nothing at ${url.pathname}: this console shows no tables, faults or cost`);
  switch (url.pathname) {
    case '/api/tables':
      return toJson(await sources.tables.list());
    case '/api/table-items': {
      const table = param(url, 'table');
      if (table === undefined) throw new ConsoleRequestError(400, 'table is required (a logical id or a table name of the template)');
      const [index, key, cursor] = [param(url, 'index'), param(url, 'key'), param(url, 'cursor')];
      return toJson(await sources.tables.page({ table, ...(index !== undefined ? { index } : {}), ...(key !== undefined ? { key } : {}), ...(cursor !== undefined ? { cursor } : {}) }));
    }
    case '/api/faults':
      return faultsView(sources.faults);
    case '/api/cost':
      return costView(sources.cost.usage());
    default:
      throw new ConsoleRequestError(404, `Nothing at ${url.pathname}`);
  }
};

