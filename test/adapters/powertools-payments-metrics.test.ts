import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { PowertoolsPaymentsMetrics } from '../../functions/payments/adapters/powertools-payments-metrics';

const setup = () => {
  const metrics = new Metrics({ namespace: 'Test', serviceName: 'payments' });
  const single = new Metrics({ namespace: 'Test', serviceName: 'payments' });
  jest.spyOn(metrics, 'singleMetric').mockReturnValue(single);
  return {
    adapter: new PowertoolsPaymentsMetrics(metrics),
    shared: jest.spyOn(metrics, 'addMetric').mockReturnValue(metrics),
    singleDimension: jest.spyOn(single, 'addDimension'),
    singleMetric: jest.spyOn(single, 'addMetric').mockReturnValue(single),
  };
};

describe('PowertoolsPaymentsMetrics', () => {
  it('counts a decline as PaymentsDeclined on the invocation metrics', () => {
    const { adapter, shared, singleMetric } = setup();
    adapter.paymentDeclined();
    expect(shared).toHaveBeenCalledWith('PaymentsDeclined', MetricUnit.Count, 1);
    expect(singleMetric).not.toHaveBeenCalled();
  });

  it('counts a refund as CompensationsRun with dimension step=RefundPayment, in its own EMF record', () => {
    const { adapter, shared, singleDimension, singleMetric } = setup();
    adapter.compensationRun();
    expect(singleDimension).toHaveBeenCalledWith('step', 'RefundPayment');
    expect(singleMetric).toHaveBeenCalledWith('CompensationsRun', MetricUnit.Count, 1);
    expect(shared).not.toHaveBeenCalled();
  });
});
