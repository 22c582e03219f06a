import { PowertoolsPaymentsMetrics } from '../../functions/payments/adapters/powertools-payments-metrics';
import { emfRecordsOf, expectOneCompensationRecord } from '../support/emf';

describe('PowertoolsPaymentsMetrics', () => {
  it('counts a refund as CompensationsRun in its own EMF record, the step a property (one series for every step)', () => {
    const records = emfRecordsOf('payments', (metrics) => new PowertoolsPaymentsMetrics(metrics).compensationRun());
    expectOneCompensationRecord(records, 'payments', 'RefundPayment');
  });
});
