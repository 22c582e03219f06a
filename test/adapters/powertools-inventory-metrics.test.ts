import { PowertoolsInventoryMetrics } from '../../functions/inventory/adapters/powertools-inventory-metrics';
import { emfRecordsOf, expectOneCompensationRecord } from '../support/emf';

describe('PowertoolsInventoryMetrics', () => {
  it('counts a release as CompensationsRun in its own EMF record, the step a property (one series for every step)', () => {
    const records = emfRecordsOf('inventory', (metrics) => new PowertoolsInventoryMetrics(metrics).compensationRun());
    expectOneCompensationRecord(records, 'inventory', 'ReleaseInventory');
  });
});
