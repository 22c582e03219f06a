import type { HttpApiHop } from '../../local/apigateway/http-api';
import { ActivityRecorder, correlationIdsIn, parseLine, percentile, Ring } from '../../local/console/activity';
import { answerActivity } from '../../local/console/activity-api';
import { ConsoleRequestError } from '../../local/console/request-error';
import type { BusEvent, EventBridgeHop } from '../../local/eventbridge/event-bus';
import type { InvokeResult } from '../../local/lambda/lambda-runtime';
import { LambdaThrottledError } from '../../local/lambda/limits';
import type { QueueMessage, QueueSettings } from '../../local/sqs/queues';

/*
 * The console's activity recorder without a local cloud: its ring buffers
 * stay within their bounds, its percentiles are nearest-rank, its log query
 * filters by function and correlation id (a line without one by the other
 * lines of its invocation), and an event's hops add up to what each target
 * got. Then the read API's answers over it, bad parameters included.
 */

const ok = (durationMs: number, coldStartMs?: number): InvokeResult => ({ ok: true, payload: null, durationMs, ...(coldStartMs !== undefined ? { coldStartMs } : {}) });
const failed = (durationMs: number, errorType: string): InvokeResult => ({ ok: false, durationMs, error: { errorType, errorMessage: `${errorType} happened`, trace: [] } });

/** A Powertools JSON line. */
const powertools = (fields: Record<string, unknown>): string => JSON.stringify({ level: 'INFO', message: 'done', timestamp: '2025-01-01T00:00:00.000Z', service: 'orders', ...fields });

const BUS = 'shop-bus';
const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:StatusQueue';
const DLQ_ARN = 'arn:aws:sqs:us-east-1:000000000000:StatusDeadLetters';
const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:Notify';

const busEvent = (id: string, correlationId: string): BusEvent => ({
  version: '0',
  id,
  'detail-type': 'OrderPlaced',
  source: 'shop.orders',
  account: '000000000000',
  time: '2025-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: [],
  detail: { metadata: { correlationId }, data: { orderId: 'o-1', paymentToken: 'tok_visa' } },
});

/** The hops the bus reports for one event: accepted, one rule matched, and `then` for its target. */
const eventHops = (id: string, correlationId: string, then: ReadonlyArray<Partial<EventBridgeHop> & { kind: 'target' | 'retry' | 'dlq' }>): EventBridgeHop[] => {
  const context = { bus: BUS, eventId: id, detailType: 'OrderPlaced', source: 'shop.orders', correlationId };
  const target = { ...context, rule: 'StartSaga', targetId: 'Target0', targetArn: QUEUE_ARN, duplicate: false };
  return [
    { ...context, kind: 'event', bytes: 100, archived: 0, event: busEvent(id, correlationId) },
    { ...context, kind: 'rule', rule: 'StartSaga' },
    ...then.map((hop) => ({ ...target, attempt: 1, ...hop }) as EventBridgeHop),
  ];
};

describe('Ring', () => {
  it('keeps the newest items up to its capacity and hands back the one it replaces', () => {
    // Prepare
    const ring = new Ring<number>(3);

    // Act
    const evicted = [1, 2, 3, 4, 5].map((item) => ring.push(item));

    // Assess
    expect([...ring.newestFirst()]).toEqual([5, 4, 3]);
    expect(evicted).toEqual([undefined, undefined, undefined, 1, 2]);
    expect(ring.size).toBe(3);
    expect(ring.pushed).toBe(5);
  });

  it('refuses a capacity that is not a whole number of at least 1', () => {
    // Act / Assess
    for (const capacity of [0, -1, 1.5, Number.NaN]) expect(() => new Ring(capacity)).toThrow(RangeError);
  });
});

describe('percentile', () => {
  it('takes the nearest rank', () => {
    // Prepare
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);

    // Act / Assess
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([10], 0.99)).toBe(10);
    expect(percentile(hundred, 0.5)).toBe(50);
    expect(percentile(hundred, 0.99)).toBe(99);
    expect(percentile([], 0.5)).toBeUndefined();
  });
});

describe('ActivityRecorder: functions', () => {
  it('counts invocations, cold starts, errors and throttles, and lists a function before it runs', () => {
    // Prepare
    const recorder = new ActivityRecorder({ functions: ['Charge', 'Idle'] });

    // Act
    recorder.invoked('Charge', 'r1', ok(30, 200));
    recorder.invoked('Charge', 'r2', ok(10));
    recorder.invoked('Charge', 'r3', failed(20, 'PaymentDeclinedError'));
    recorder.refused('Charge', new LambdaThrottledError('Charge', 'ReservedFunctionConcurrentInvocationLimitExceeded'));

    // Assess
    const [charge, idle] = recorder.functions();
    expect(charge).toMatchObject({ name: 'Charge', invocations: 3, coldStarts: 1, errors: 1, throttles: 1, recorded: 3, p50Ms: 20, p99Ms: 30, lastError: 'PaymentDeclinedError: PaymentDeclinedError happened' });
    expect(idle).toEqual({ name: 'Idle', invocations: 0, coldStarts: 0, errors: 0, throttles: 0, asyncRetries: 0, asyncFailures: 0, recorded: 0 });
    expect(recorder.logs({ functionName: 'Charge', limit: 10 }).lines.map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'Throttled: TooManyRequestsException (ReservedFunctionConcurrentInvocationLimitExceeded)'],
      ['ERROR', 'Invocation failed after 20 ms: PaymentDeclinedError: PaymentDeclinedError happened'],
    ]);
  });

  it('computes the percentiles over the newest invocations it keeps, while the counts go on', () => {
    // Prepare
    const recorder = new ActivityRecorder({ bounds: { invocations: 4, logLines: 10, events: 10 } });

    // Act
    for (const durationMs of [1000, 1000, 1000, 1, 2, 3, 4]) recorder.invoked('Fn', 'r', ok(durationMs));

    // Assess
    expect(recorder.functions()[0]).toMatchObject({ invocations: 7, recorded: 4, p50Ms: 2, p99Ms: 4 });
  });

  it('counts asynchronous retries and the events given up', () => {
    // Prepare
    const recorder = new ActivityRecorder();

    // Act
    recorder.asyncHop({ kind: 'retry', functionArn: FUNCTION_ARN, requestId: 'r1', attempt: 1, delayMs: 10, errorType: 'Error', errorMessage: 'boom' });
    recorder.asyncHop({ kind: 'dlq', functionArn: FUNCTION_ARN, requestId: 'r1', deadLetterArn: DLQ_ARN, errorType: 'Error', errorMessage: 'boom' });

    // Assess
    expect(recorder.functions()[0]).toMatchObject({ name: 'Notify', asyncRetries: 1, asyncFailures: 1 });
    expect(recorder.logs({ limit: 5 }).lines[0]?.message).toBe('Asynchronous event sent to dead-letter queue StatusDeadLetters (Error)');
  });
});

describe('ActivityRecorder: log lines', () => {
  it('keeps the newest lines within its bound, newest first, and says how many it received', () => {
    // Prepare
    const recorder = new ActivityRecorder({ bounds: { invocations: 10, logLines: 3, events: 10 } });

    // Act
    for (const n of [1, 2, 3, 4, 5]) recorder.logLine('Fn', `line ${n}`);
    const answer = recorder.logs({ limit: 2 });

    // Assess
    expect(answer.lines.map((line) => line.message)).toEqual(['line 5', 'line 4']);
    expect(answer).toMatchObject({ matched: 3, kept: 3, received: 5 });
  });

  it('filters by correlation id and function; a line without one goes with the other lines of its invocation', () => {
    // Prepare
    const recorder = new ActivityRecorder();
    recorder.logLine('Api', powertools({ function_request_id: 'a1', correlation_id: 'order-1', message: 'placed' }));
    recorder.logLine('Api', powertools({ function_request_id: 'a2', correlation_id: 'order-2', message: 'placed' }));
    recorder.logLine('Charge', powertools({ function_request_id: 'c1', correlation_id: 'order-1', level: 'WARN', message: 'declined' }));
    recorder.logLine('Charge', `2025-01-01T00:00:00.000Z\tc1\tINFO\ta plain console.log`);
    recorder.invoked('Charge', 'c1', failed(5, 'PaymentDeclinedError'));
    recorder.logLine('Charge', 'no request, no correlation');

    // Act
    const order1 = recorder.logs({ correlationId: 'order-1', limit: 10 });
    const charge1 = recorder.logs({ correlationId: 'order-1', functionName: 'Charge', limit: 10 });

    // Assess
    expect(order1.lines.map((line) => [line.functionName, line.message])).toEqual([
      ['Charge', 'Invocation failed after 5 ms: PaymentDeclinedError: PaymentDeclinedError happened'],
      ['Charge', 'a plain console.log'],
      ['Charge', 'declined'],
      ['Api', 'placed'],
    ]);
    expect(order1.lines.every((line) => line.correlationId === 'order-1')).toBe(true);
    expect(order1.matched).toBe(4);
    expect(charge1.lines.map((line) => line.message)).toEqual(['Invocation failed after 5 ms: PaymentDeclinedError: PaymentDeclinedError happened', 'a plain console.log', 'declined']);
    expect(charge1.lines[0]?.platform).toBe(true);
    expect(charge1.lines[2]).toMatchObject({ platform: false, requestId: 'c1', level: 'WARN', fields: expect.objectContaining({ correlation_id: 'order-1' }) });
  });

  it("puts a failed invocation with every order its event names, when no code logged for it", () => {
    // Prepare
    const recorder = new ActivityRecorder();
    const sqsBatch = JSON.stringify({ Records: [{ body: JSON.stringify({ detail: { metadata: { correlationId: 'order-1' } } }) }, { body: JSON.stringify({ detail: { metadata: { correlationId: 'order-2' } } }) }] });

    // Act
    recorder.invoked('Consumer', 'r1', failed(0, 'InjectedFault'), sqsBatch);

    // Assess
    for (const order of ['order-1', 'order-2']) expect(recorder.logs({ correlationId: order, limit: 5 }).lines).toEqual([expect.objectContaining({ functionName: 'Consumer', correlationId: order, level: 'ERROR' })]);
    expect(recorder.logs({ correlationId: 'order-3', limit: 5 }).matched).toBe(0);
  });

  it("lists an API request under the function it reached, with the correlation id the function answered", () => {
    // Prepare
    const recorder = new ActivityRecorder();
    const hop: HttpApiHop = { requestId: 'gw-1', method: 'POST', path: '/orders', routeKey: 'POST /orders', status: 202, latencyMs: 35, functionName: 'Api', correlationId: 'order-1' };

    // Act
    recorder.httpRequest(hop);
    recorder.httpRequest({ ...hop, functionName: undefined, status: 401, correlationId: undefined });

    // Assess
    expect(recorder.logs({ correlationId: 'order-1', limit: 5 }).lines).toEqual([expect.objectContaining({ functionName: 'Api', level: 'INFO', message: 'API Gateway: POST /orders → 202 in 35 ms', platform: true })]);
    expect(recorder.logs({ limit: 5 }).matched).toBe(1);
  });
});

describe('parseLine', () => {
  it('reads Powertools JSON, Lambda JSON, Text-format lines, EMF documents and plain text', () => {
    // Act / Assess
    expect(parseLine(powertools({ function_request_id: 'r1', correlation_id: 'c1', level: 'ERROR', message: 'boom' }))).toMatchObject({ requestId: 'r1', correlationId: 'c1', level: 'ERROR', message: 'boom' });
    expect(parseLine(JSON.stringify({ timestamp: 't', level: 'warn', requestId: 'r2', message: { nested: true } }))).toMatchObject({ requestId: 'r2', level: 'WARN', message: '{"nested":true}' });
    expect(parseLine('2025-01-01T00:00:00.000Z\tr3\tERROR\tsomething broke')).toEqual({ requestId: 'r3', level: 'ERROR', message: 'something broke' });
    expect(parseLine(JSON.stringify({ _aws: { CloudWatchMetrics: [{ Namespace: 'shop', Metrics: [{ Name: 'OrdersPlaced' }, { Name: 'OrdersConfirmed' }] }] }, OrdersPlaced: 1 }))).toMatchObject({ level: 'METRICS', message: 'EMF metrics: OrdersPlaced, OrdersConfirmed' });
    expect(parseLine('{ not json')).toEqual({ message: '{ not json' });
  });
});

describe('correlationIdsIn', () => {
  it('finds correlation ids in an event and in the JSON strings inside it', () => {
    // Act / Assess
    expect(correlationIdsIn(JSON.stringify({ correlationId: 'a', body: JSON.stringify({ metadata: { correlationId: 'b' } }), other: { correlation_id: 'a' } }))).toEqual(['a', 'b']);
    expect(correlationIdsIn('{"orderId":"o-1"}')).toEqual([]);
  });
});

describe('ActivityRecorder: events', () => {
  const settings = (arn: string): QueueSettings => ({ arn, name: arn.split(':').pop() ?? arn }) as QueueSettings;

  it('follows an event to its rules and targets: listed before the first attempt ends, then retried, then delivered', () => {
    // Prepare
    const recorder = new ActivityRecorder();
    recorder.describeBuses([BUS, 'default'], [{ bus: BUS, name: 'StartSaga', targets: [{ id: 'Target0', arn: QUEUE_ARN }] }]);
    const [accepted, matched, ...rest] = eventHops('e-1', 'order-1', [
      { kind: 'retry', attempt: 1, delayMs: 10, errorCode: 'THROTTLING', errorMessage: 'slow down' },
      { kind: 'target', attempt: 2 },
    ]);

    // Act
    recorder.eventHop(accepted as EventBridgeHop);
    recorder.eventHop(matched as EventBridgeHop);
    const inFlight = recorder.eventTimeline({ limit: 5 }).events[0];
    for (const hop of rest) recorder.eventHop(hop);

    // Assess
    expect(inFlight).toMatchObject({ status: 'in flight', targets: [{ outcome: 'pending', attempts: 0 }] });
    expect(recorder.eventTimeline({ limit: 5 }).events).toEqual([
      expect.objectContaining({ bus: BUS, eventId: 'e-1', correlationId: 'order-1', detailType: 'OrderPlaced', rules: ['StartSaga'], status: 'delivered', targets: [expect.objectContaining({ targetArn: QUEUE_ARN, outcome: 'delivered', attempts: 2, errors: ['THROTTLING: slow down'] })] }),
    ]);
    expect(recorder.event(BUS, 'e-1')?.event?.detail).toEqual(busEvent('e-1', 'order-1').detail);
    expect(recorder.buses()).toEqual([{ name: BUS, events: 1 }, { name: 'default', events: 0 }]);
  });

  it("marks a target's dead letter, and a queue target's message its consumer failed on until the queue moved it", () => {
    // Prepare
    const recorder = new ActivityRecorder();
    const dead = eventHops('e-1', 'order-1', [{ kind: 'dlq', attempt: 3, deadLetterArn: DLQ_ARN, errorCode: 'NO_PERMISSIONS', errorMessage: 'denied' }]);
    const moved = eventHops('e-2', 'order-2', [{ kind: 'target' }]);
    const message = { messageId: 'm-1', body: JSON.stringify(busEvent('e-2', 'order-2')) } as QueueMessage;

    // Act
    for (const hop of [...dead, ...moved]) recorder.eventHop(hop);
    recorder.queueMove(settings(QUEUE_ARN), settings(DLQ_ARN), message, 30);

    // Assess
    const [second, first] = recorder.eventTimeline({ limit: 5 }).events;
    expect(first).toMatchObject({ status: 'dead-lettered', targets: [{ outcome: 'dead-lettered', deadLetterArn: DLQ_ARN, attempts: 3 }] });
    expect(second).toMatchObject({ status: 'dead-lettered', targets: [{ outcome: 'delivered', consumerDeadLetter: { queueArn: DLQ_ARN, receives: 30 } }] });
  });

  it('filters by bus and correlation id, and forgets the oldest events past its bound', () => {
    // Prepare
    const recorder = new ActivityRecorder({ bounds: { invocations: 10, logLines: 10, events: 2 } });

    // Act
    for (const [id, correlationId] of [['e-1', 'order-1'], ['e-2', 'order-2'], ['e-3', 'order-1']] as const) for (const hop of eventHops(id, correlationId, [{ kind: 'target' }])) recorder.eventHop(hop);
    // A hop of an event the bus reported no `event` hop for (a scheduled rule's) starts its record.
    recorder.eventHop({ bus: 'default', eventId: 'e-4', detailType: 'Scheduled Event', source: 'aws.events', kind: 'rule', rule: 'Nightly' });

    // Assess
    expect(recorder.event(BUS, 'e-1')).toBeUndefined();
    expect(recorder.eventTimeline({ limit: 5 })).toMatchObject({ matched: 2, kept: 2, received: 4 });
    expect(recorder.eventTimeline({ bus: BUS, limit: 5 }).events.map((event) => event.eventId)).toEqual(['e-3']);
    expect(recorder.eventTimeline({ correlationId: 'order-2', limit: 5 }).matched).toBe(0);
    expect(recorder.eventTimeline({ bus: 'default', limit: 5 }).events).toEqual([expect.objectContaining({ eventId: 'e-4', rules: ['Nightly'], status: 'delivered' })]);
  });
});

describe('the activity API', () => {
  const recorder = new ActivityRecorder({ functions: ['Api'] });
  recorder.describeBuses([BUS], []);
  for (const hop of eventHops('e-1', 'order-1', [{ kind: 'target' }])) recorder.eventHop(hop);
  recorder.logLine('Api', powertools({ function_request_id: 'a1', correlation_id: 'order-1', message: 'token tok_visa', shippingAddress: { line1: '1 Main St' } }));

  const answer = (path: string, method = 'GET') => answerActivity(recorder, method, new URL(path, 'http://console.local'));
  const refusal = (path: string, method = 'GET'): { status: number; message: string } => {
    try {
      answer(path, method);
    } catch (error) {
      if (error instanceof ConsoleRequestError) return { status: error.status, message: error.message };
      throw error;
    }
    throw new Error(`${path} was answered`);
  };

  it('answers nothing for a path that is not its own', () => {
    // Act / Assess
    expect(answer('/api/executions')).toBeUndefined();
  });

  it('redacts what it hands out: the log line in full, and the event', () => {
    // Act
    const logs = answer('/api/logs?correlationId=order-1') as { lines: Array<{ fields: { shippingAddress: unknown } }> };
    const event = answer(`/api/event?bus=${BUS}&id=e-1`) as { event: { detail: { data: { paymentToken: unknown } } } };

    // Assess
    expect(logs.lines[0]?.fields.shippingAddress).toBe('«redacted»');
    expect(event.event.detail.data.paymentToken).toBe('«redacted»');
  });

  it('refuses a bad parameter with 400 and a reason, an unknown event with 404, and a method other than GET with 405', () => {
    // Act
    const refusals = [
      refusal('/api/logs?limit=0'),
      refusal('/api/logs?limit=2.5'),
      refusal('/api/logs?function=Nope'),
      refusal('/api/logs?correlationId=a&correlationId=b'),
      refusal(`/api/logs?correlationId=${'x'.repeat(257)}`),
      refusal('/api/events?bus=Nope'),
      refusal('/api/events?order=1'),
      refusal('/api/event?id=e-1'),
      refusal(`/api/event?bus=${BUS}&id=e-9`),
      refusal('/api/functions', 'POST'),
    ];

    // Assess
    expect(refusals).toEqual([
      { status: 400, message: 'limit must be a whole number from 1 to 1000' },
      { status: 400, message: 'limit must be a whole number from 1 to 1000' },
      { status: 400, message: 'function: no function Nope; the functions are Api' },
      { status: 400, message: 'correlationId is given 2 times; give it once' },
      { status: 400, message: 'correlationId is longer than 256 characters' },
      { status: 400, message: `bus: no bus Nope; the buses are ${BUS}` },
      { status: 400, message: 'Unknown parameter order: this route takes bus, correlationId, limit' },
      { status: 400, message: 'bus and id are required' },
      { status: 404, message: `No event e-9 on ${BUS} among the newest 5000 kept` },
      { status: 405, message: '/api/functions answers GET only' },
    ]);
  });

  it('takes an empty filter as no filter', () => {
    // Act
    const logs = answer('/api/logs?correlationId=&function=') as { matched: number };

    // Assess
    expect(logs.matched).toBe(1);
  });
});
