import { DynamoDbPaymentRepository } from '../../functions/payments/adapters/dynamodb-payment-repository';
import { createChargePaymentHandler } from '../../functions/payments/handlers/charge-payment';
import { createRefundPaymentHandler } from '../../functions/payments/handlers/refund-payment';
import { ORDER_ID } from '../fixtures/events';
import { ScriptedPaymentProvider } from '../fakes/payment-provider';
import { payment } from '../fakes/payment-repository';
import { RecordingPaymentsMetrics } from '../fakes/payments-metrics';
import { createTestTable, scanAll, testDocumentClient } from '../support/dynamodb';
import { invoke } from '../support/lambda';

const AT = '2026-03-01T12:01:00.000Z';

describe('DynamoDbPaymentRepository (DynamoDB Local)', () => {
  const client = testDocumentClient();
  let tableName: string;
  let repository: DynamoDbPaymentRepository;

  beforeEach(async () => {
    tableName = await createTestTable();
    repository = new DynamoDbPaymentRepository(tableName, client);
  });
  afterAll(() => client.destroy());

  it('creates once under PAYMENT#<orderId> and refuses a second payment for the order', async () => {
    expect(await repository.create(payment())).toBe(true);
    expect(await repository.create(payment({ paymentId: 'pay-2', amount: { amount: 1, currency: 'EUR' } }))).toBe(false);
    expect(await repository.get(ORDER_ID)).toEqual(payment());
    expect(await scanAll(client, tableName)).toEqual([{ pk: `PAYMENT#${ORDER_ID}`, ...payment() }]);
    expect(await repository.get('0c4d6f1a-2b3c-4d5e-8f70-81a2b3c4d5e6')).toBeUndefined();
  });

  it('counts attempts only while PENDING', async () => {
    await repository.create(payment());
    expect(await repository.recordAttempt(ORDER_ID, AT)).toEqual(payment({ attempts: 2, updatedAt: AT }));
    await repository.transition(ORDER_ID, { from: 'PENDING', to: 'CAPTURED', at: AT, chargeId: 'ch_1' });
    const before = await scanAll(client, tableName);
    expect(await repository.recordAttempt(ORDER_ID, '2026-03-01T12:09:00.000Z')).toBeUndefined();
    expect(await repository.recordAttempt('0c4d6f1a-2b3c-4d5e-8f70-81a2b3c4d5e6', AT)).toBeUndefined();
    expect(await scanAll(client, tableName)).toEqual(before);
  });

  it('moves the status only from the expected one, with its details, once', async () => {
    await repository.create(payment());
    expect(await repository.transition(ORDER_ID, { from: 'PENDING', to: 'CAPTURED', at: AT, chargeId: 'ch_1' })).toBe(true);
    expect(await repository.transition(ORDER_ID, { from: 'PENDING', to: 'CAPTURED', at: AT, chargeId: 'ch_2' })).toBe(false);
    expect(await repository.transition(ORDER_ID, { from: 'PENDING', to: 'DECLINED', at: AT, declineReason: 'card_declined' })).toBe(false);
    expect(await repository.transition(ORDER_ID, { from: 'CAPTURED', to: 'REFUNDED', at: AT, refundId: 're_1' })).toBe(true);
    expect(await repository.transition(ORDER_ID, { from: 'CAPTURED', to: 'REFUNDED', at: AT, refundId: 're_2' })).toBe(false);
    expect(await repository.get(ORDER_ID)).toEqual(payment({ status: 'REFUNDED', chargeId: 'ch_1', refundId: 're_1', updatedAt: AT }));
  });

  it('lets exactly one of concurrent transitions from the same status win', async () => {
    await repository.create(payment());
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => repository.transition(ORDER_ID, { from: 'PENDING', to: 'CAPTURED', at: AT, chargeId: `ch_${i}` })),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repository.get(ORDER_ID))?.chargeId).toBe(`ch_${results.indexOf(true)}`);
  });

  it('refuses a transition of a payment that does not exist, creating nothing', async () => {
    expect(await repository.transition(ORDER_ID, { from: 'PENDING', to: 'VOIDED', at: AT })).toBe(false);
    expect(await scanAll(client, tableName)).toEqual([]);
  });

  it('charges once and refunds once through the saga tasks, whatever the repeats', async () => {
    // Prepare
    const provider = new ScriptedPaymentProvider();
    const metrics = new RecordingPaymentsMetrics();
    const deps = { payments: repository, provider, metrics, now: () => new Date(AT), newId: () => 'pay-db' };
    const charge = createChargePaymentHandler(deps);
    const refund = createRefundPaymentHandler(deps);
    const input = { orderId: ORDER_ID, correlationId: 'corr-1', amount: { amount: 2999, currency: 'EUR' }, paymentToken: 'tok_visa' };

    // Act
    const charged = [await invoke(charge, input), await invoke(charge, input)];
    const refunded = [await invoke(refund, { orderId: ORDER_ID, correlationId: 'corr-1' }), await invoke(refund, { orderId: ORDER_ID, correlationId: 'corr-1' })];
    const chargedAfterRefund = await invoke(charge, input).catch((e: unknown) => e);

    // Assess
    expect(charged).toEqual([
      { paymentId: 'pay-db', status: 'CAPTURED' },
      { paymentId: 'pay-db', status: 'CAPTURED' },
    ]);
    expect(refunded).toEqual([{ refunded: true }, { refunded: false }]);
    expect(chargedAfterRefund).toMatchObject({ name: 'PaymentClosedError' });
    expect([provider.charges.length, provider.refunds.length]).toEqual([1, 1]);
    expect(metrics.compensationsRun).toBe(1);
    expect(await repository.get(ORDER_ID)).toMatchObject({ status: 'REFUNDED', attempts: 1, chargeId: `ch_charge-${ORDER_ID}`, refundId: `re_refund-${ORDER_ID}` });
  });
});
