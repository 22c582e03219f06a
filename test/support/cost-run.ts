import { runCost, SAGA_PATHS, type CostRun, type PathCost } from '../../bench/cost/run-cost';
import type { SagaType } from '../../lib/config/saga-type';
import type { Usage } from '../../local/cost/meter';

/** One confirmed and one declined order through a fresh local cloud, metered: what the cost-run suites count by hand. */
export const measureConfirmedAndDeclined = (saga?: SagaType): Promise<CostRun> =>
  runCost({ ordersPerPath: 1, paths: SAGA_PATHS.filter((path) => path.name === 'confirmed' || path.name === 'declined'), ...(saga ? { saga } : {}) });

/** The measured path of that name. */
export const pathNamed = (run: CostRun, name: string): PathCost => {
  const found = run.paths.find((p) => p.path.name === name);
  if (!found) throw new Error(`no ${name} path measured`);
  return found;
};

/** A record keyed by logical id, keyed by the id without its CDK hash instead. */
export const byName = <T>(record: Readonly<Record<string, T>>): Record<string, T> =>
  Object.fromEntries(Object.entries(record).map(([name, value]) => [name.replace(/[0-9A-F]{8}$/, ''), value]));

/** Invocations per function that ran, by the function's name without its CDK hash. */
export const invocations = (usage: Usage): Record<string, number> =>
  Object.fromEntries(Object.entries(byName(usage.functions)).flatMap(([name, f]) => (f.invocations > 0 ? [[name, f.invocations]] : [])));
