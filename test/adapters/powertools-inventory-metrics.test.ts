import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PowertoolsInventoryMetrics } from '../../functions/inventory/adapters/powertools-inventory-metrics';

describe('PowertoolsInventoryMetrics', () => {
  it('counts a release as CompensationsRun with dimension step=ReleaseInventory, in its own EMF record', () => {
    // Prepare
    const metrics = new Metrics({ namespace: 'Test', serviceName: 'inventory' });
    const single = new Metrics({ namespace: 'Test', serviceName: 'inventory' });
    jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);
    const addDimension = jest.spyOn(single, 'addDimension');
    const addMetric = jest.spyOn(single, 'addMetric').mockReturnValue(single);
    const shared = jest.spyOn(metrics, 'addMetric');

    // Act
    new PowertoolsInventoryMetrics(metrics).compensationRun();

    // Assess
    expect(addDimension).toHaveBeenCalledWith('step', 'ReleaseInventory');
    expect(addMetric).toHaveBeenCalledWith('CompensationsRun', MetricUnit.Count, 1);
    expect(addDimension.mock.invocationCallOrder[0]).toBeLessThan(addMetric.mock.invocationCallOrder[0] ?? 0);
    expect(shared).not.toHaveBeenCalled();
  });
});
