import { CircuitBreaker, CircuitOpenError } from '../../../functions/payments/adapters/circuit-breaker';

class Answer extends Error {}

const setup = () => {
  let clock = 1_000_000;
  const breaker = new CircuitBreaker({ now: () => clock, isFailure: (error) => !(error instanceof Answer) });
  let calls = 0;
  const fail = () =>
    breaker.execute(async () => {
      calls += 1;
      throw new Error('down');
    });
  const succeed = () =>
    breaker.execute(async () => {
      calls += 1;
      return 'ok';
    });
  const answerNo = () =>
    breaker.execute(async () => {
      calls += 1;
      throw new Answer('declined');
    });
  return {
    breaker,
    fail: () => fail().catch((e: unknown) => e),
    succeed,
    answerNo: () => answerNo().catch((e: unknown) => e),
    advance: (ms: number) => {
      clock += ms;
    },
    calls: () => calls,
  };
};

const failTimes = async (fail: () => Promise<unknown>, n: number) => {
  for (let i = 0; i < n; i += 1) await fail();
};

describe('CircuitBreaker', () => {
  it('stays closed through 4 consecutive failures and opens on the 5th', async () => {
    const { breaker, fail } = setup();
    await failTimes(fail, 4);
    expect(breaker.state).toBe('CLOSED');
    await fail();
    expect(breaker.state).toBe('OPEN');
  });

  it('refuses calls without making them while open, saying how long is left', async () => {
    const { fail, succeed, advance, calls } = setup();
    await failTimes(fail, 5);
    advance(10_000);
    const refused = await succeed().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CircuitOpenError);
    expect((refused as CircuitOpenError).retryAfterMs).toBe(20_000);
    expect(calls()).toBe(5);
  });

  it('counts only consecutive failures: a success in between resets the count', async () => {
    const { breaker, fail, succeed } = setup();
    await failTimes(fail, 4);
    await succeed();
    await failTimes(fail, 4);
    expect(breaker.state).toBe('CLOSED');
  });

  it('does not count answers such as declines as failures', async () => {
    const { breaker, fail, answerNo } = setup();
    await failTimes(fail, 4);
    expect(await answerNo()).toBeInstanceOf(Answer);
    await failTimes(fail, 4);
    for (let i = 0; i < 10; i += 1) await answerNo();
    expect(breaker.state).toBe('CLOSED');
  });

  it('half-opens after 30 s and closes when the probe succeeds', async () => {
    const { breaker, fail, succeed, advance } = setup();
    await failTimes(fail, 5);
    advance(29_999);
    expect(breaker.state).toBe('OPEN');
    advance(1);
    expect(breaker.state).toBe('HALF_OPEN');
    expect(await succeed()).toBe('ok');
    expect(breaker.state).toBe('CLOSED');
    await failTimes(fail, 4);
    expect(breaker.state).toBe('CLOSED');
  });

  it('re-opens for another 30 s when the probe fails', async () => {
    const { breaker, fail, succeed, advance, calls } = setup();
    await failTimes(fail, 5);
    advance(30_000);
    await fail();
    expect(breaker.state).toBe('OPEN');
    advance(29_999);
    await expect(succeed()).rejects.toBeInstanceOf(CircuitOpenError);
    expect(calls()).toBe(6);
    advance(1);
    expect(await succeed()).toBe('ok');
  });

  it('closes when the probe gets an answer that is not a failure', async () => {
    const { breaker, fail, answerNo, advance } = setup();
    await failTimes(fail, 5);
    advance(30_000);
    await answerNo();
    expect(breaker.state).toBe('CLOSED');
  });

  it('lets exactly one probe through while half-open', async () => {
    // Prepare
    const { breaker, fail, advance } = setup();
    await failTimes(fail, 5);
    advance(30_000);
    let finishProbe: (value: string) => void = () => undefined;
    let probes = 0;
    const probe = breaker.execute(
      () =>
        new Promise<string>((resolve) => {
          probes += 1;
          finishProbe = resolve;
        }),
    );

    // Act
    const second = await breaker.execute(async () => 'second').catch((e: unknown) => e);
    finishProbe('probe');

    // Assess
    expect(second).toBeInstanceOf(CircuitOpenError);
    expect(await probe).toBe('probe');
    expect(probes).toBe(1);
    expect(breaker.state).toBe('CLOSED');
  });

  it('rejects a nonsensical configuration', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ openMs: -1 })).toThrow(RangeError);
  });
});
