import * as z from 'zod';
import type { Context } from 'aws-lambda';
import { fakeContext } from '../../support/lambda';

/*
 * What the handler chains print for metrics, with metrics enabled as on
 * Lambda: an invocation that recorded none prints nothing (no "No application
 * metrics to publish" warning, which CloudWatch Logs would bill on most of an
 * order's invocations), and one that recorded some prints one EMF document.
 */

type Handler = (event: unknown, context: Context) => Promise<unknown>;

const loadChains = (): { quiet: Handler; counting: Handler } => {
  let chains: { quiet: Handler; counting: Handler } | undefined;
  jest.isolateModules(() => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    process.env.POWERTOOLS_SERVICE_NAME = 'orders';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { internalQuery } = require('../../../functions/shared/middleware') as typeof import('../../../functions/shared/middleware');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { metrics } = require('../../../functions/shared/powertools') as typeof import('../../../functions/shared/powertools');
    chains = {
      quiet: internalQuery('Quiet', z.object({}), async () => ({})),
      counting: internalQuery('Counting', z.object({}), async () => {
        metrics.addMetric('OrdersPlaced', 'Count', 1);
        return {};
      }),
    };
  });
  if (!chains) throw new Error('the chains did not load');
  return chains;
};

afterEach(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.POWERTOOLS_SERVICE_NAME;
  jest.restoreAllMocks();
});

describe('metrics flushed by the handler chains', () => {
  it('prints nothing for an invocation that recorded no metric, cold or warm', async () => {
    // Prepare
    const { quiet } = loadChains();
    const printed = [jest.spyOn(console, 'log'), jest.spyOn(console, 'warn'), jest.spyOn(console, 'info')].map((spy) => spy.mockImplementation(() => undefined));

    // Act
    await quiet({}, fakeContext());
    await quiet({}, fakeContext());

    // Assess
    expect(printed.flatMap((spy) => spy.mock.calls)).toEqual([]);
  });

  it('prints one EMF document, with the metrics the invocation recorded, for an invocation that recorded some', async () => {
    // Prepare
    const { counting } = loadChains();
    const logged = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const warned = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    // Act
    await counting({}, fakeContext());

    // Assess
    const documents = logged.mock.calls.map(([line]) => JSON.parse(String(line)) as { _aws: { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> } });
    expect(documents.flatMap((d) => d._aws.CloudWatchMetrics.flatMap((m) => m.Metrics.map((metric) => metric.Name)))).toEqual(['OrdersPlaced']);
    expect(warned).not.toHaveBeenCalled();
  });
});
