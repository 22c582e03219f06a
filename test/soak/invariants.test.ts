import {
  checkInvariants,
  compensationFindings,
  type InvariantId,
  type InvariantResult,
  type SoakFacts,
} from '../../bench/soak/invariants';
import type { ExecutionTrace, TraceStep } from '../../bench/soak/saga-history';
import type { OrderItem, PaymentItem, ReservationItem, ShipmentItem, TableSnapshot } from '../../bench/soak/table-snapshot';

/*
 * The soak's invariants on hand-made end states: a consistent shop passes
 * every one, and each kind of damage is caught by the invariant meant for it.
 * The reduced soak (soak.test.ts) asserts they all come out 0, which only
 * means something if they can come out otherwise.
 */

const USER = 'user-1';
const PRICE = 250;
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const C = '00000000-0000-4000-8000-00000000000c';

const order = (orderId: string, status: OrderItem['status'], quantity: number, extra: Partial<OrderItem> = {}): OrderItem => ({
  pk: `ORDER#${orderId}`,
  type: 'ORDER',
  orderId,
  userId: USER,
  items: [{ productId: 'p1', quantity, unitPrice: { amount: PRICE, currency: 'EUR' } }],
  total: { amount: PRICE * quantity, currency: 'EUR' },
  paymentToken: 'tok_visa',
  shippingAddress: { country: 'US' },
  status,
  correlationId: `corr-${orderId}`,
  ...extra,
});

const reservation = (orderId: string, status: ReservationItem['status'], quantity: number): ReservationItem => ({
  pk: `RESERVATION#${orderId}`,
  orderId,
  executionId: `exec-${orderId}`,
  lines: [{ productId: 'p1', quantity }],
  status,
});

const payment = (orderId: string, status: PaymentItem['status'], amount: number, extra: Partial<PaymentItem> = {}): PaymentItem => ({
  pk: `PAYMENT#${orderId}`,
  orderId,
  paymentId: `pay-${orderId}`,
  amount: { amount, currency: 'EUR' },
  status,
  ...(status === 'CAPTURED' || status === 'REFUNDED' ? { chargeId: `ch-${orderId}` } : {}),
  ...extra,
});

const shipment = (orderId: string, status: ShipmentItem['status'], quantity: number): ShipmentItem => ({
  pk: `SHIPMENT#shp-${orderId}`,
  shipmentId: `shp-${orderId}`,
  orderId,
  status,
  items: [{ productId: 'p1', quantity }],
});

const entered = (state: string): TraceStep => ({ kind: 'entered', state });
const ok: TraceStep = { kind: 'task-succeeded' };
const failed = (error: string): TraceStep => ({ kind: 'task-failed', error });
const trace = (orderId: string, steps: readonly TraceStep[], status = 'SUCCEEDED'): ExecutionTrace => ({
  executionArn: `arn:aws:states:us-east-1:000000000000:execution:Saga:${orderId}-${steps.length}`,
  status,
  orderId,
  steps,
});

/**
 * A consistent end state: 10 units of p1; A confirmed with 2 units, B
 * cancelled because its card was declined (stock released), C cancelled out
 * of stock (nothing written).
 */
const consistentFacts = (): SoakFacts => {
  const snapshot: TableSnapshot = {
    stock: [{ pk: 'PRODUCT#p1', productId: 'p1', stock: 8 }],
    reservations: [reservation(A, 'RESERVED', 2), reservation(B, 'RELEASED', 1)],
    payments: [payment(A, 'CAPTURED', 2 * PRICE), payment(B, 'DECLINED', PRICE)],
    shipments: [shipment(A, 'CREATED', 2)],
    orders: [
      order(A, 'CONFIRMED', 2),
      order(B, 'CANCELLED', 1, { paymentToken: 'tok_decline', cancellationReason: 'PAYMENT_DECLINED' }),
      order(C, 'CANCELLED', 5, { cancellationReason: 'OUT_OF_STOCK' }),
    ],
    idempotency: [A, B, C].map((orderId) => ({ pk: `IDEMPOTENCY#${USER}#key-${orderId}`, type: 'IDEMPOTENCY' as const, orderId, requestHash: 'h' })),
    unreadable: [],
  };
  return {
    products: [{ id: 'p1', initialStock: 10 }],
    minObservedStock: new Map([['p1', 3]]),
    snapshot,
    traces: [
      trace(A, [entered('ReserveInventory'), ok, entered('ChargePayment'), ok, entered('CreateShipment'), ok, entered('PublishOrderConfirmed'), ok]),
      trace(B, [
        entered('ReserveInventory'),
        ok,
        entered('ChargePayment'),
        failed('PaymentDeclinedError'),
        entered('PaymentDeclined'),
        entered('ReleaseInventory'),
        ok,
        entered('PublishOrderCancelled'),
        ok,
      ]),
      trace(C, [entered('ReserveInventory'), failed('OutOfStockError'), entered('OutOfStock'), entered('PublishOrderCancelled'), ok]),
    ],
    userIds: new Set([USER]),
    client: { plannedOrders: 3, idempotencyMismatches: [], placementFailures: [] },
  };
};

const withSnapshot = (facts: SoakFacts, change: (snapshot: TableSnapshot) => Partial<TableSnapshot>): SoakFacts => ({
  ...facts,
  snapshot: { ...facts.snapshot, ...change(facts.snapshot) },
});

const replaceOrder = (snapshot: TableSnapshot, orderId: string, change: Partial<OrderItem>): OrderItem[] =>
  snapshot.orders.map((o) => (o.orderId === orderId ? { ...o, ...change } : o));

const verdicts = (facts: SoakFacts): Record<InvariantId, InvariantResult> =>
  Object.fromEntries(checkInvariants(facts).map((result) => [result.id, result])) as Record<InvariantId, InvariantResult>;

const failing = (facts: SoakFacts): InvariantId[] => checkInvariants(facts).filter((r) => !r.ok).map((r) => r.id);

describe('soak invariants', () => {
  it('hold, each at 0, for a consistent end state', () => {
    // Act
    const results = checkInvariants(consistentFacts());

    // Assess
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.map((r) => r.value)).toEqual(results.map(() => 0));
    expect(results).toHaveLength(14);
  });

  it('count units oversold when stock was seen below zero, more is reserved than ever existed, or units are both on hand and shipped', () => {
    const dipped = { ...consistentFacts(), minObservedStock: new Map([['p1', -2]]) };
    const overReserved = withSnapshot(consistentFacts(), (s) => ({ reservations: [...s.reservations, reservation(C, 'RESERVED', 9)] }));
    const shippedAndOnHand = withSnapshot(consistentFacts(), (s) => ({ shipments: [...s.shipments, shipment(B, 'CREATED', 1)] }));

    expect(verdicts(dipped).unitsOversold.value).toBe(2);
    expect(verdicts(overReserved).unitsOversold.value).toBe(1);
    expect(verdicts(shippedAndOnHand).unitsOversold.value).toBe(1);
  });

  it('count money kept for a cancelled order, money missing for a confirmed one, and payments left PENDING', () => {
    const kept = withSnapshot(consistentFacts(), (s) => ({ payments: [...s.payments, payment(C, 'CAPTURED', 5 * PRICE)] }));
    const unpaid = withSnapshot(consistentFacts(), (s) => ({ payments: s.payments.filter((p) => p.orderId !== A) }));
    const pending = withSnapshot(consistentFacts(), (s) => ({ payments: [...s.payments, payment(C, 'PENDING', 5 * PRICE)] }));

    expect(verdicts(kept).money).toMatchObject({ value: 5 * PRICE, ok: false });
    expect(verdicts(unpaid).money).toMatchObject({ value: -2 * PRICE, ok: false });
    expect(verdicts(pending).money).toMatchObject({ value: 0, ok: false });
  });

  it('do not let two opposite money mistakes cancel out', () => {
    const D = '00000000-0000-4000-8000-00000000000d';
    const facts = withSnapshot(consistentFacts(), (s) => ({
      orders: [...s.orders, order(D, 'CONFIRMED', 1)],
      payments: [...s.payments.filter((p) => p.orderId !== A), payment(A, 'CAPTURED', 2 * PRICE + 10), payment(D, 'CAPTURED', PRICE - 10)],
    }));

    expect(verdicts(facts).money).toMatchObject({ value: 0, ok: false });
  });

  it('count orders that are not terminal', () => {
    const facts = withSnapshot(consistentFacts(), (s) => ({ orders: replaceOrder(s, C, { status: 'PENDING', cancellationReason: undefined }) }));

    expect(verdicts(facts).ordersNotTerminal.value).toBe(1);
  });

  it('count a second capture of an order, an untraceable capture and a charge booked on two orders', () => {
    const second = withSnapshot(consistentFacts(), (s) => ({ payments: [...s.payments, payment(A, 'CAPTURED', 2 * PRICE, { pk: 'PAYMENT#again', chargeId: 'ch-other' })] }));
    const untraceable = withSnapshot(consistentFacts(), (s) => ({ payments: s.payments.map((p) => (p.orderId === A ? { ...p, chargeId: undefined } : p)) }));
    const shared = withSnapshot(consistentFacts(), (s) => ({ payments: [...s.payments, payment(C, 'REFUNDED', PRICE, { chargeId: `ch-${A}` })] }));

    expect(verdicts(second).doubleCharges.value).toBe(1);
    expect(verdicts(untraceable).doubleCharges.value).toBe(1);
    expect(verdicts(shared).doubleCharges.value).toBe(1);
  });

  it('count a live shipment of a cancelled order as a shipment too many', () => {
    const facts = withSnapshot(consistentFacts(), (s) => ({ shipments: [...s.shipments, shipment(B, 'CREATED', 1)] }));

    expect(verdicts(facts).doubleShipments.value).toBe(1);
    expect(failing(facts)).toEqual(['unitsOversold', 'doubleShipments', 'endStates']);
  });

  it('see a second release as surplus stock, and a released reservation of a confirmed order', () => {
    const surplus = withSnapshot(consistentFacts(), () => ({ stock: [{ pk: 'PRODUCT#p1', productId: 'p1', stock: 9 }] }));
    const releasedConfirmed = withSnapshot(consistentFacts(), (s) => ({
      reservations: s.reservations.map((r) => (r.orderId === A ? { ...r, status: 'RELEASED' as const } : r)),
      stock: [{ pk: 'PRODUCT#p1', productId: 'p1', stock: 10 }],
    }));

    expect(verdicts(surplus).doubleReleases.value).toBe(1);
    expect(verdicts(surplus).stockConservation.value).toBe(1);
    expect(verdicts(releasedConfirmed).doubleReleases).toMatchObject({ value: 2, ok: false });
  });

  it('count a product whose units leaked (held for an order that is not confirmed)', () => {
    const facts = withSnapshot(consistentFacts(), () => ({ stock: [{ pk: 'PRODUCT#p1', productId: 'p1', stock: 7 }] }));

    expect(verdicts(facts).stockConservation.value).toBe(1);
    expect(verdicts(facts).doubleReleases.value).toBe(0);
  });

  it('count an order placed twice for one Idempotency-Key, and a duplicated request answered with another order', () => {
    const D = '00000000-0000-4000-8000-00000000000d';
    const twice = withSnapshot(consistentFacts(), (s) => ({ orders: [...s.orders, order(D, 'CANCELLED', 1, { cancellationReason: 'OUT_OF_STOCK' })] }));
    const mismatch = { ...consistentFacts(), client: { plannedOrders: 3, idempotencyMismatches: [`key k: ${A} vs ${B}`], placementFailures: [] } };

    expect(verdicts(twice).idempotency.value).toBe(2);
    expect(verdicts(mismatch).idempotency.value).toBe(1);
  });

  it('count orders the API never accepted', () => {
    const facts = { ...consistentFacts(), client: { plannedOrders: 3, idempotencyMismatches: [], placementFailures: ['key k: 503'] } };

    expect(verdicts(facts).placementFailures.value).toBe(1);
  });

  it('flag end states the inputs forbid: a declined card confirmed, a decline without a declining card', () => {
    const confirmedDecline = withSnapshot(consistentFacts(), (s) => ({ orders: replaceOrder(s, A, { paymentToken: 'tok_decline' }) }));
    const oddDecline = withSnapshot(consistentFacts(), (s) => ({ orders: replaceOrder(s, B, { paymentToken: 'tok_visa' }) }));

    expect(failing(confirmedDecline)).toEqual(['endStates']);
    expect(failing(oddDecline)).toEqual(['endStates']);
  });

  it('flag a cancelled order whose duplicate saga charged and shipped it (what the soak found)', () => {
    const facts = withSnapshot(consistentFacts(), (s) => ({
      orders: replaceOrder(s, A, { status: 'CANCELLED', cancellationReason: 'TECHNICAL' }),
    }));
    const traces = [
      trace(A, [entered('ReserveInventory'), failed('InjectedFault'), entered('ReserveFailed'), entered('ReleaseInventory'), ok, entered('PublishOrderCancelled'), ok]),
      trace(A, [entered('ReserveInventory'), ok, entered('ChargePayment'), ok, entered('CreateShipment'), ok, entered('PublishOrderConfirmed'), ok]),
    ];

    expect(failing({ ...facts, traces })).toEqual(['money', 'doubleShipments', 'stockConservation', 'endStates', 'duplicateSagas']);
  });

  it('accept duplicate executions that stop as AlreadyHandled, or that both find the order out of stock', () => {
    const alreadyHandled = trace(A, [entered('ReserveInventory'), failed('DuplicateSagaError'), entered('AlreadyHandled')]);
    const secondOutOfStock = trace(C, [entered('ReserveInventory'), failed('OutOfStockError'), entered('OutOfStock'), entered('PublishOrderCancelled'), ok]);
    const facts = consistentFacts();

    expect(failing({ ...facts, traces: [...facts.traces, alreadyHandled, secondOutOfStock] })).toEqual([]);
  });

  it('count an Express execution that did work without holding any claim, but not one that stopped at its claim', () => {
    const unclaimed = (steps: readonly TraceStep[]): ExecutionTrace => ({ ...trace(A, steps), orderId: undefined, executionArn: `arn:aws:states:us-east-1:000000000000:express:Saga:x:${steps.length}` });
    const facts = consistentFacts();

    expect(failing({ ...facts, traces: [...facts.traces, unclaimed([entered('ClaimOrder'), failed('DynamoDB.ConditionalCheckFailedException'), entered('AlreadyHandled')])] })).toEqual([]);
    expect(failing({ ...facts, traces: [...facts.traces, unclaimed([entered('ClaimOrder'), ok, entered('ReserveInventory'), ok])] })).toEqual(['duplicateSagas']);
  });

  describe('with the lifecycle', () => {
    const D = '00000000-0000-4000-8000-00000000000d';
    const REQUESTED = '2026-03-01T12:00:05.000Z';
    /** D: placed, confirmed with 1 unit, cancelled by its owner: shipment cancelled, payment refunded, stock back. */
    const withCustomerCancellation = (): SoakFacts => {
      const facts = consistentFacts();
      return {
        ...withSnapshot(facts, (s) => ({
          orders: [...s.orders, order(D, 'CANCELLED', 1, { cancellationReason: 'CUSTOMER_REQUEST', cancelRequestedAt: REQUESTED })],
          reservations: [...s.reservations, reservation(D, 'RELEASED', 1)],
          payments: [...s.payments, payment(D, 'REFUNDED', PRICE)],
          shipments: [...s.shipments, shipment(D, 'CANCELLED', 1)],
          idempotency: [...s.idempotency, { pk: `IDEMPOTENCY#${USER}#key-${D}`, type: 'IDEMPOTENCY' as const, orderId: D, requestHash: 'h' }],
        })),
        cancellationTraces: [
          trace(D, [entered('CustomerRequest'), entered('RefundPayment'), ok, entered('ReleaseInventory'), ok, entered('PublishOrderCancelled'), ok]),
        ],
        client: { ...facts.client, plannedOrders: 4, cancellations: [{ orderId: D, moment: 'after', answer: 202 }] },
      };
    };

    it('hold for an order its owner cancelled once confirmed, and for a shipped one whose cancellation came too late', () => {
      // Prepare: A was shipped; its owner's cancellation was refused.
      const facts = withCustomerCancellation();
      const shipped = withSnapshot(facts, (s) => ({
        orders: replaceOrder(s, A, { status: 'SHIPPED' }),
        shipments: s.shipments.map((x) => (x.orderId === A ? { ...x, status: 'SHIPPED' as const } : x)),
      }));

      // Act
      const results = checkInvariants({ ...shipped, client: { ...shipped.client, cancellations: [...(shipped.client.cancellations ?? []), { orderId: A, moment: 'after', answer: 409 }] } });

      // Assess
      expect(results.filter((r) => !r.ok)).toEqual([]);
    });

    it('flag money kept, stock held or a shipment alive for an order cancelled by its owner', () => {
      const facts = withCustomerCancellation();
      const moneyKept = withSnapshot(facts, (s) => ({ payments: s.payments.map((p) => (p.orderId === D ? { ...p, status: 'CAPTURED' as const } : p)) }));
      const stockHeld = withSnapshot(facts, (s) => ({
        reservations: s.reservations.map((r) => (r.orderId === D ? { ...r, status: 'RESERVED' as const } : r)),
        stock: [{ pk: 'PRODUCT#p1', productId: 'p1', stock: 7 }],
      }));
      const shipmentAlive = withSnapshot(facts, (s) => ({ shipments: s.shipments.map((x) => (x.orderId === D ? { ...x, status: 'SHIPPED' as const } : x)) }));

      expect(failing(moneyKept)).toEqual(['money', 'endStates']);
      expect(failing(stockHeld)).toEqual(['stockConservation', 'endStates']);
      expect(failing(shipmentAlive)).toEqual(['unitsOversold', 'doubleShipments', 'endStates']);
    });

    it('flag a cancellation accepted but not carried out, one refused although nothing shipped, one never answered, and a failed execution', () => {
      const facts = withCustomerCancellation();
      const notCarriedOut = withSnapshot(facts, (s) => ({ orders: replaceOrder(s, D, { status: 'CONFIRMED', cancellationReason: undefined }) }));
      const refusedForNothing = { ...facts, client: { ...facts.client, cancellations: [{ orderId: A, moment: 'during', answer: 409 }] } };
      const unanswered = { ...facts, client: { ...facts.client, cancellations: [{ orderId: D, moment: 'before', answer: 503 }] } };
      const failedExecution = { ...facts, cancellationTraces: [trace(D, [entered('CancelShipment'), ok, entered('RefundPayment'), failed('TransientError')], 'FAILED')] };

      expect(verdicts(notCarriedOut).cancellations.value).toBe(1);
      expect(verdicts(notCarriedOut).ordersNotTerminal.value).toBe(1);
      expect(verdicts(refusedForNothing).cancellations.value).toBe(1);
      expect(verdicts(unanswered).cancellations.value).toBe(1);
      expect(verdicts(failedExecution).cancellations.value).toBe(1);
    });

    it("accept a cancellation execution that finished an Express saga's repair (RecordRepair), and flag one that nothing asked for", () => {
      const facts = withCustomerCancellation();
      const repaired = withSnapshot(facts, (s) => ({ orders: replaceOrder(s, D, { cancelRequestedAt: undefined, cancellationReason: 'PAYMENT_DECLINED' }) }));
      const cancellation = trace(D, [entered('CancelShipment'), ok, entered('RefundPayment'), ok, entered('ReleaseInventory'), ok], 'SUCCEEDED');
      const handedOver = trace(D, [entered('ClaimOrder'), ok, entered('ReserveInventory'), ok, entered('HandToRepair'), ok, entered('RecordRepair'), ok], 'SUCCEEDED');

      const withRepair = { ...repaired, cancellationTraces: [cancellation], traces: [...repaired.traces, handedOver], client: { ...repaired.client, cancellations: [] } };
      const withoutRepair = { ...withRepair, traces: repaired.traces };

      expect(verdicts(withRepair).cancellations.value).toBe(0);
      expect(verdicts(withoutRepair).cancellations.value).toBe(1);
    });

    it('flag CUSTOMER_REQUEST on an order nobody asked to cancel', () => {
      const facts = withSnapshot(withCustomerCancellation(), (s) => ({ orders: replaceOrder(s, D, { cancelRequestedAt: undefined }) }));

      expect(failing(facts)).toEqual(['endStates', 'cancellations']);
    });

    it('accept the saga compensating an order whose shipment its owner cancelled before it was created', () => {
      const steps = [
        entered('ReserveInventory'),
        ok,
        entered('ChargePayment'),
        ok,
        entered('CreateShipment'),
        failed('ShipmentCancelledError'),
        entered('CancelledByCustomer'),
        entered('RefundPayment'),
        ok,
        entered('ReleaseInventory'),
        ok,
        entered('PublishOrderCancelled'),
        ok,
      ];

      expect(compensationFindings({ status: 'SUCCEEDED', steps })).toEqual({ outOfOrder: [], repeated: [], withoutForwardStep: [], missing: [] });
    });
  });

  it('count malformed items', () => {
    const facts = withSnapshot(consistentFacts(), () => ({ unreadable: [{ table: 'payments', pk: 'PAYMENT#x', problem: 'status: invalid' }] }));

    expect(verdicts(facts).malformedItems.value).toBe(1);
  });
});

describe('compensation order of one execution', () => {
  const shippingFailed = [entered('ReserveInventory'), ok, entered('ChargePayment'), ok, entered('CreateShipment'), failed('ShippingUnavailableError'), entered('ShippingUnavailable')];
  const none = { outOfOrder: [], repeated: [], withoutForwardStep: [], missing: [] };

  it('accepts newest first, and a retry chain (the same state entered again straight away) as one run', () => {
    const steps = [...shippingFailed, entered('RefundPayment'), failed('TransientError'), entered('RefundPayment'), ok, entered('ReleaseInventory'), ok, entered('PublishOrderCancelled'), ok];

    expect(compensationFindings({ status: 'SUCCEEDED', steps })).toEqual(none);
  });

  it('finds compensations out of order', () => {
    const steps = [...shippingFailed, entered('ReleaseInventory'), ok, entered('RefundPayment'), ok, entered('PublishOrderCancelled'), ok];

    expect(compensationFindings({ status: 'SUCCEEDED', steps }).outOfOrder).toEqual(['RefundPayment after a compensation of an older step']);
  });

  it('finds a forward step entered after compensating began', () => {
    const steps = [entered('ReserveInventory'), failed('InjectedFault'), entered('ReserveFailed'), entered('ReleaseInventory'), ok, entered('ChargePayment')];

    expect(compensationFindings({ status: 'RUNNING', steps }).outOfOrder).toEqual(['ChargePayment entered after compensating began']);
  });

  it('finds a compensation that ran twice', () => {
    const steps = [...shippingFailed, entered('RefundPayment'), ok, entered('ShippingUnavailable'), entered('RefundPayment'), ok];

    expect(compensationFindings({ status: 'RUNNING', steps }).repeated).toEqual(['RefundPayment ran again']);
  });

  it('finds a compensation of a step that never ran', () => {
    const steps = [entered('ReserveInventory'), ok, entered('ChargePayment'), failed('InjectedFault'), entered('ChargeFailed'), entered('CancelShipment'), ok];

    expect(compensationFindings({ status: 'RUNNING', steps }).withoutForwardStep).toEqual(['CancelShipment without CreateShipment']);
  });

  it('finds a step that succeeded, or failed technically, left uncompensated in a cancelled execution', () => {
    const skippedRefund = [...shippingFailed, entered('ReleaseInventory'), ok, entered('PublishOrderCancelled'), ok];
    const skippedOwnRefund = [entered('ReserveInventory'), ok, entered('ChargePayment'), failed('Sandbox.Timedout'), entered('ChargeFailed'), entered('ReleaseInventory'), ok, entered('PublishOrderCancelled'), ok];

    expect(compensationFindings({ status: 'SUCCEEDED', steps: skippedRefund }).missing).toEqual(['ChargePayment succeeded but RefundPayment never ran']);
    expect(compensationFindings({ status: 'SUCCEEDED', steps: skippedOwnRefund }).missing).toEqual(['ChargePayment failed technically but RefundPayment never ran']);
  });
});
