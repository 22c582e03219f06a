import { Metrics } from '@aws-lambda-powertools/metrics';

type Emf = { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } } & Record<string, unknown>;

/** The EMF records `act` prints through a Metrics of `service`, metrics on (a single metric prints at once, with nothing to flush). */
export const emfRecordsOf = (service: string, act: (metrics: Metrics) => void): Emf[] => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const printed = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    const metrics = new Metrics({ namespace: 'ServerlessShop', serviceName: service });
    act(metrics);
    return printed.mock.calls.map(([line]) => JSON.parse(String(line)) as Emf);
  } finally {
    printed.mockRestore();
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  }
};

/** What a compensation of `step` must print: one CompensationsRun record, the step a property, no dimension but `service`. */
export const expectOneCompensationRecord = (records: Emf[], service: string, step: string): void => {
  expect(records).toHaveLength(1);
  expect(records[0]?._aws.CloudWatchMetrics).toEqual([{ Namespace: 'ServerlessShop', Dimensions: [['service']], Metrics: [{ Name: 'CompensationsRun', Unit: 'Count' }] }]);
  expect(records[0]).toMatchObject({ service, step, CompensationsRun: 1 });
};
