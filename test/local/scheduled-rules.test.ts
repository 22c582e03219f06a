/**
 * Scheduled rules in the local EventBridge: schedule expressions read as
 * EventBridge reads them (what it refuses is refused at start-up, naming the
 * property), the next firing computed in UTC, and each firing delivering the
 * event AWS delivers through the same path as a matched event (input
 * shaping, retries, dead-letter queue, IAM). Timers are Jest's fake ones.
 */
import { UnsupportedFeatureError } from '../../local/errors';
import { EventBridgeEmulator, type BusEvent, type EventBridgeDeps, type EventBridgeHop } from '../../local/eventbridge/event-bus';
import {
  InvalidScheduleExpressionError,
  nextCronFire,
  nextRateFire,
  parseScheduleExpression,
  UnsupportedScheduleExpressionError,
  type CronSchedule,
} from '../../local/eventbridge/schedule-expression';
import { LocalIam } from '../../local/iam/local-iam';
import type { LocalResource } from '../../local/resources';
import { SqsQueues } from '../../local/sqs/queues';
import { busArn, failureOf, functionArn, queueArn, resource } from '../support/local-resources';

const ACCOUNT = '000000000000';
const ruleArn = (name: string): string => `arn:aws:events:us-east-1:${ACCOUNT}:rule/${name}`;
const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

const cron = (text: string): CronSchedule => {
  const parsed = parseScheduleExpression(text);
  if (parsed.kind !== 'cron') throw new Error(`${text} is not a cron expression`);
  return parsed;
};

/** A scheduled rule on the default bus, as CDK synthesizes one (`Ref` and ARN from the logical id). */
const scheduledRule = (logicalId: string, properties: Record<string, unknown>): LocalResource =>
  resource(logicalId, 'AWS::Events::Rule', { State: 'ENABLED', Targets: [{ Arn: functionArn('Reconciler'), Id: 'Target0' }], ...properties }, ruleArn(logicalId));

interface World {
  readonly bus: EventBridgeEmulator;
  readonly queues: SqsQueues;
  readonly delivered: Array<{ readonly arn: string; readonly payload: unknown }>;
  readonly hops: EventBridgeHop[];
}

const build = (resources: readonly LocalResource[], deps: Partial<EventBridgeDeps> = {}): World => {
  const queues = SqsQueues.create(resources);
  const delivered: World['delivered'] = [];
  const hops: EventBridgeHop[] = [];
  const bus = EventBridgeEmulator.create(resources, {
    queues,
    invokeAsync: async (arn, payload) => void delivered.push({ arn, payload }),
    startExecution: async () => undefined,
    onHop: (hop) => hops.push(hop),
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
    ...deps,
  });
  return { bus, queues, delivered, hops };
};

describe('schedule expressions', () => {
  it.each<[string, number]>([
    ['rate(1 minute)', 60_000],
    ['rate(5 minutes)', 300_000],
    ['rate(1 hour)', 3_600_000],
    ['rate(2 days)', 172_800_000],
  ])('reads %s as a period of %i ms', (text, periodMs) => {
    expect(parseScheduleExpression(text)).toEqual({ kind: 'rate', text, periodMs });
  });

  it.each<[string, string]>([
    ['rate(1 minutes)', 'singular'],
    ['rate(5 minute)', 'plural'],
    ['rate(0 minutes)', 'positive'],
    ['rate(5 seconds)', 'rate(value unit)'],
    ['every 5 minutes', 'rate(value unit) or cron'],
    ['cron(0 10 * * ?)', 'six fields'],
    ['cron(0 10 * * * *)', 'one of them must be ?'],
    ['cron(0 10 ? * ? *)', 'cannot both be ?'],
    ['cron(60 10 * * ? *)', 'outside 0-59'],
    ['cron(0 24 * * ? *)', 'outside 0-23'],
    ['cron(0 10 ? * 3#1,6#3 *)', 'single expression'],
    ['cron(0 10 ? * 3#6 *)', 'outside 1-5'],
    ['cron(0 10 ? * FUN *)', 'not a value'],
    ['cron(0/0 10 * * ? *)', 'positive number'],
    ['cron(0 10 * * ? 2200)', 'outside 1970-2199'],
  ])('refuses %s as EventBridge does (%s)', (text, reason) => {
    // Act
    const error = failureOf(() => parseScheduleExpression(text));

    // Assess
    expect(error).toBeInstanceOf(InvalidScheduleExpressionError);
    expect((error as Error).message).toMatch(/^Parameter ScheduleExpression is not valid\./);
    expect((error as InvalidScheduleExpressionError).reason).toContain(reason);
  });

  it.each<[string, string]>([
    ['cron(0 10 LW * ? *)', 'LW'],
    ['cron(0 10 L-3 * ? *)', 'L-3'],
    ['cron(0 22-2 * * ? *)', 'wraps around'],
    ['cron(0 10 ? * MON/2 *)', 'increments'],
  ])('refuses %s, which it does not implement, saying so', (text, reason) => {
    const error = failureOf(() => parseScheduleExpression(text));

    expect(error).toBeInstanceOf(UnsupportedScheduleExpressionError);
    expect((error as Error).message).toContain(reason);
  });

  it('counts rate periods from when the schedule started', () => {
    expect(nextRateFire(15_000, 1_000, 0)).toBe(16_000);
    expect(nextRateFire(15_000, 1_000, 1_000)).toBe(16_000);
    expect(nextRateFire(15_000, 1_000, 16_000)).toBe(31_000);
    expect(nextRateFire(15_000, 1_000, 16_001)).toBe(31_000);
  });

  it.each<[string, string, string | undefined]>([
    ['cron(0 10 * * ? *)', '2025-03-10T09:59:30Z', '2025-03-10T10:00:00.000Z'],
    ['cron(0 10 * * ? *)', '2025-03-10T10:00:00Z', '2025-03-11T10:00:00.000Z'],
    ['cron(0/15 * * * ? *)', '2025-03-10T10:07:00Z', '2025-03-10T10:15:00.000Z'],
    ['cron(1/10 * * * ? *)', '2025-03-10T10:01:00Z', '2025-03-10T10:11:00.000Z'],
    ['cron(0 9-17/4 * * ? *)', '2025-03-10T13:00:00Z', '2025-03-10T17:00:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2025-03-14T18:00:00Z', '2025-03-17T18:00:00.000Z'],
    ['cron(0 12 ? * mon *)', '2025-03-11T00:00:00Z', '2025-03-17T12:00:00.000Z'],
    ['cron(0 8 1 * ? *)', '2025-03-10T00:00:00Z', '2025-04-01T08:00:00.000Z'],
    ['cron(0 8 1 JAN,JUL ? *)', '2025-03-10T00:00:00Z', '2025-07-01T08:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2024-02-10T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['cron(0 0 L * ? *)', '2025-02-10T00:00:00Z', '2025-02-28T00:00:00.000Z'],
    ['cron(0 9 15W * ? *)', '2025-06-01T00:00:00Z', '2025-06-16T09:00:00.000Z'],
    ['cron(0 9 15W * ? *)', '2025-03-01T00:00:00Z', '2025-03-14T09:00:00.000Z'],
    ['cron(0 9 1W * ? *)', '2025-01-05T00:00:00Z', '2025-02-03T09:00:00.000Z'],
    ['cron(0 9 31W * ? *)', '2025-08-01T00:00:00Z', '2025-08-29T09:00:00.000Z'],
    ['cron(0 12 ? * 6L *)', '2025-05-01T00:00:00Z', '2025-05-30T12:00:00.000Z'],
    ['cron(0 12 ? * 3#2 *)', '2025-06-01T00:00:00Z', '2025-06-10T12:00:00.000Z'],
    ['cron(0 12 ? * L *)', '2025-03-10T00:00:00Z', '2025-03-15T12:00:00.000Z'],
    ['cron(30 6 29 2 ? *)', '2025-03-01T00:00:00Z', '2028-02-29T06:30:00.000Z'],
    ['cron(0 0 1 1 ? 2024)', '2024-06-01T00:00:00Z', undefined],
    ['cron(0 0 30 2 ? *)', '2025-01-01T00:00:00Z', undefined],
  ])('%s after %s fires next at %s (UTC)', (text, after, expected) => {
    expect(iso(nextCronFire(cron(text), utc(after)))).toBe(expected);
  });
});

describe('scheduled rules', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fires a rate schedule every scaled period and delivers the event AWS delivers to the target', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T10:00:00Z') });
    const world = build([scheduledRule('Reconcile', { ScheduleExpression: 'rate(5 minutes)' })], { scheduleScale: 0.05 });
    world.bus.startSchedules();

    // Act
    await jest.advanceTimersByTimeAsync(14_999);
    const beforeFirstPeriod = world.delivered.length;
    await jest.advanceTimersByTimeAsync(15_010);

    // Assess
    expect(beforeFirstPeriod).toBe(0);
    expect(world.delivered.map((call) => call.arn)).toEqual([functionArn('Reconciler'), functionArn('Reconciler')]);
    const events = world.delivered.map((call) => call.payload as BusEvent);
    expect(events[0]).toEqual({
      version: '0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: '2025-03-10T10:00:15Z',
      region: 'us-east-1',
      resources: [ruleArn('Reconcile')],
      detail: {},
    });
    expect(events[1]?.time).toBe('2025-03-10T10:00:30Z');
    expect(events[0]?.id).not.toBe(events[1]?.id);
    world.bus.close();
  });

  it('runs a cron schedule on the wall clock, at the UTC minute it names, whatever the scale', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T09:58:30Z') });
    const world = build([scheduledRule('Nightly', { ScheduleExpression: 'cron(0 10 * * ? *)' })], { scheduleScale: 0.05 });
    world.bus.startSchedules();

    // Act
    await jest.advanceTimersByTimeAsync(89_000);
    const early = world.delivered.length;
    await jest.advanceTimersByTimeAsync(1_010);

    // Assess
    expect(early).toBe(0);
    expect(world.delivered.map((call) => (call.payload as BusEvent).time)).toEqual(['2025-03-10T10:00:00Z']);
    expect(world.bus.scheduledRules()).toEqual([
      { name: 'Nightly', logicalId: 'Nightly', arn: ruleArn('Nightly'), expression: 'cron(0 10 * * ? *)', state: 'ENABLED', nextFireAt: utc('2025-03-11T10:00:00Z') },
    ]);
    world.bus.close();
  });

  it('shapes the scheduled event with the target input, as for any event', async () => {
    // Prepare
    const world = build([
      scheduledRule('Shaped', {
        ScheduleExpression: 'rate(1 minute)',
        Targets: [
          { Arn: functionArn('Constant'), Id: 'Constant', Input: '{"job":"reconcile"}' },
          { Arn: functionArn('Transformed'), Id: 'Transformed', InputTransformer: { InputPathsMap: { at: '$.time' }, InputTemplate: '{"at":<at>,"rule":"<aws.events.rule-name>"}' } },
        ],
      }),
    ]);

    // Act
    const event = world.bus.fireSchedule('Shaped');
    await world.bus.drain();

    // Assess
    expect(world.delivered).toEqual([
      { arn: functionArn('Constant'), payload: { job: 'reconcile' } },
      { arn: functionArn('Transformed'), payload: { at: event.time, rule: 'Shaped' } },
    ]);
  });

  it('fires a rule now through fireSchedule, by name or logical id, and logs each firing as a hop', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T10:00:00Z') });
    const world = build([scheduledRule('ReconcileRule1A2B', { Name: 'reconcile-orders', ScheduleExpression: 'rate(1 hour)' })], { scheduleScale: 0.05 });
    world.bus.startSchedules();

    // Act
    const byName = world.bus.fireSchedule('reconcile-orders');
    const byLogicalId = world.bus.fireSchedule('ReconcileRule1A2B');
    await jest.advanceTimersByTimeAsync(180_010);

    // Assess
    expect(world.delivered.map((call) => (call.payload as BusEvent).id)).toEqual([byName.id, byLogicalId.id, expect.any(String)]);
    expect(world.hops.filter((hop) => hop.kind === 'schedule')).toEqual([
      expect.objectContaining({ kind: 'schedule', rule: 'reconcile-orders', expression: 'rate(1 hour)', manual: true, eventId: byName.id, detailType: 'Scheduled Event' }),
      expect.objectContaining({ manual: true, eventId: byLogicalId.id }),
      expect.objectContaining({ manual: false }),
    ]);
    world.bus.close();
  });

  it('never fires a DISABLED rule, and fireSchedule refuses it and unknown rules', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T10:00:00Z') });
    const world = build([scheduledRule('Off', { ScheduleExpression: 'rate(1 minute)', State: 'DISABLED' }), scheduledRule('On', { ScheduleExpression: 'rate(1 day)' })]);
    world.bus.startSchedules();

    // Act
    await jest.advanceTimersByTimeAsync(3_600_000);
    const disabled = failureOf(() => world.bus.fireSchedule('Off'));
    const unknown = failureOf(() => world.bus.fireSchedule('Nope'));

    // Assess
    expect(world.delivered).toEqual([]);
    expect((disabled as Error).message).toBe('Rule Off is DISABLED: a disabled rule never fires');
    expect((unknown as Error).message).toBe('No scheduled rule Nope (scheduled rules: Off, On)');
    world.bus.close();
  });

  it('retries a failing target and dead-letters the scheduled event, as for any event', async () => {
    // Prepare
    const world = build(
      [
        resource('ReconcileDlq', 'AWS::SQS::Queue', {}, queueArn('ReconcileDlq')),
        scheduledRule('Flaky', {
          ScheduleExpression: 'rate(5 minutes)',
          Targets: [{ Arn: functionArn('Reconciler'), Id: 'T', RetryPolicy: { MaximumRetryAttempts: 2 }, DeadLetterConfig: { Arn: queueArn('ReconcileDlq') } }],
        }),
      ],
      {
        invokeAsync: async () => {
          throw new Error('target down');
        },
      },
    );

    // Act
    const event = world.bus.fireSchedule('Flaky');
    await world.bus.drain();

    // Assess
    const [dead] = world.queues.receiveAll(queueArn('ReconcileDlq'));
    expect(JSON.parse(dead?.body ?? '{}')).toEqual(event);
    expect(dead?.attributes).toMatchObject({ RULE_ARN: { stringValue: ruleArn('Flaky') }, ERROR_CODE: { stringValue: 'ERROR_FROM_TARGET' }, RETRY_ATTEMPTS: { stringValue: '2' } });
    expect(world.hops.filter((hop) => hop.kind === 'retry')).toHaveLength(2);
  });

  it('delivers as events.amazonaws.com under IAM: a function that does not allow the rule is NO_PERMISSIONS', async () => {
    // Prepare
    const permission = (sourceArn: string): LocalResource =>
      resource('ReconcilerPermission', 'AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', FunctionName: functionArn('Reconciler'), Principal: 'events.amazonaws.com', SourceArn: sourceArn });
    const resources = (sourceArn: string): LocalResource[] => [
      resource('Reconciler', 'AWS::Lambda::Function', {}, functionArn('Reconciler')),
      permission(sourceArn),
      resource('Dlq', 'AWS::SQS::Queue', {}, queueArn('Dlq')),
      resource('DlqPolicy', 'AWS::SQS::QueuePolicy', {
        Queues: ['Dlq'],
        PolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage', Resource: queueArn('Dlq') }] },
      }),
      scheduledRule('Guarded', { ScheduleExpression: 'rate(1 hour)', Targets: [{ Arn: functionArn('Reconciler'), Id: 'T', DeadLetterConfig: { Arn: queueArn('Dlq') } }] }),
    ];
    const allowed = resources(ruleArn('Guarded'));
    const denied = resources(ruleArn('SomeOtherRule'));
    const allowedWorld = build(allowed, { iam: LocalIam.create(allowed) });
    const deniedWorld = build(denied, { iam: LocalIam.create(denied) });

    // Act
    allowedWorld.bus.fireSchedule('Guarded');
    deniedWorld.bus.fireSchedule('Guarded');
    await Promise.all([allowedWorld.bus.drain(), deniedWorld.bus.drain()]);

    // Assess
    expect(allowedWorld.delivered).toHaveLength(1);
    expect(deniedWorld.delivered).toEqual([]);
    expect(deniedWorld.queues.receiveAll(queueArn('Dlq'))[0]?.attributes.ERROR_CODE?.stringValue).toBe('NO_PERMISSIONS');
  });

  it('fires a rule with both a pattern and a schedule on each, as AWS documents; a scheduled event reaches no other rule', async () => {
    // Prepare
    const world = build([
      scheduledRule('Both', { ScheduleExpression: 'rate(1 hour)', EventPattern: { source: ['shop.orders'] } }),
      resource('Listener', 'AWS::Events::Rule', { EventPattern: { source: ['aws.events'] }, Targets: [{ Arn: functionArn('Listener'), Id: 'L' }] }, ruleArn('Listener')),
    ]);

    // Act
    world.bus.fireSchedule('Both');
    world.bus.putEvents([{ Source: 'shop.orders', DetailType: 'OrderPlaced', Detail: '{}' }]);
    await world.bus.drain();

    // Assess
    expect(world.delivered.map((call) => `${call.arn} ${(call.payload as BusEvent)['detail-type']}`)).toEqual([
      `${functionArn('Reconciler')} Scheduled Event`,
      `${functionArn('Reconciler')} OrderPlaced`,
    ]);
  });

  it('cancels its timers on close and keeps none when nothing is scheduled', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T10:00:00Z') });
    const scheduled = build([scheduledRule('Tick', { ScheduleExpression: 'rate(1 minute)' })]);
    const unscheduled = build([resource('Plain', 'AWS::Events::Rule', { EventPattern: { source: ['x'] }, Targets: [{ Arn: functionArn('F'), Id: 'T' }] })]);

    // Act
    unscheduled.bus.startSchedules();
    const idleTimers = jest.getTimerCount();
    scheduled.bus.startSchedules();
    const armedTimers = jest.getTimerCount();
    scheduled.bus.close();
    await jest.advanceTimersByTimeAsync(600_000);

    // Assess
    expect(idleTimers).toBe(0);
    expect(armedTimers).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
    expect(scheduled.delivered).toEqual([]);
    expect(() => scheduled.bus.fireSchedule('Tick')).toThrow('EventBridge is stopped');
  });

  it('fires nothing on its own at scale 0, and until startSchedules is called', async () => {
    // Prepare
    jest.useFakeTimers({ now: utc('2025-03-10T10:00:00Z') });
    const zero = build([scheduledRule('Tick', { ScheduleExpression: 'rate(1 minute)' })], { scheduleScale: 0 });
    const unstarted = build([scheduledRule('Tick', { ScheduleExpression: 'cron(* * * * ? *)' })]);
    zero.bus.startSchedules();

    // Act
    await jest.advanceTimersByTimeAsync(3_600_000);
    zero.bus.fireSchedule('Tick');
    await jest.advanceTimersByTimeAsync(0);

    // Assess
    expect(zero.delivered).toHaveLength(1);
    expect(unstarted.delivered).toEqual([]);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('describes a scheduled rule over the API with its ScheduleExpression and no EventPattern', () => {
    const world = build([scheduledRule('Reconcile', { ScheduleExpression: 'rate(5 minutes)' })]);

    expect(world.bus.listRuleSummaries()).toEqual([expect.objectContaining({ name: 'Reconcile', eventPattern: '', scheduleExpression: 'rate(5 minutes)', bus: 'default' })]);
  });
});

describe('scheduled rules AWS refuses, or the local cloud cannot run', () => {
  const refusal = (properties: Record<string, unknown>, extra: readonly LocalResource[] = []): UnsupportedFeatureError => {
    const error = failureOf(() => build([...extra, scheduledRule('Refused', properties)]));
    if (!(error instanceof UnsupportedFeatureError)) throw new Error(`expected an UnsupportedFeatureError, got ${String(error)}`);
    return error;
  };

  it('refuses a schedule on a custom bus with AWS\'s message', () => {
    const error = refusal({ ScheduleExpression: 'rate(5 minutes)', EventBusName: 'shop' }, [resource('Shop', 'AWS::Events::EventBus', { Name: 'shop' }, busArn('shop'))]);

    expect(error).toMatchObject({ logicalId: 'Refused', property: 'ScheduleExpression' });
    expect(error.message).toContain('ScheduleExpression is supported only on the default event bus.');
  });

  it('refuses an invalid expression with AWS\'s message and the reason', () => {
    const error = refusal({ ScheduleExpression: 'rate(1 minutes)' });

    expect(error).toMatchObject({ property: 'ScheduleExpression' });
    expect(error.message).toContain('Parameter ScheduleExpression is not valid.');
    expect(error.message).toContain('singular');
  });

  it('refuses syntax it does not implement, naming the property', () => {
    expect(refusal({ ScheduleExpression: 'cron(0 10 LW * ? *)' })).toMatchObject({ property: 'ScheduleExpression', message: expect.stringContaining('not emulated') });
  });

  it('refuses a rule with neither a pattern nor a schedule with AWS\'s message', () => {
    const error = refusal({});

    expect(error).toMatchObject({ property: 'EventPattern' });
    expect(error.message).toContain('Parameter(s) EventPattern or ScheduleExpression must be specified.');
  });
});
