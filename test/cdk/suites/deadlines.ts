import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ShopFunction } from '../../../lib/constructs/shop-function';
import { referencedIds, resourcesOf, type CfnResource } from '../support/template';

/*
 * Deadlines nest: the HTTP API waits longer than a function may run, a
 * function gives up on its calls before Lambda stops it, and a caller gives
 * up on a function only after that function has given up on its own calls.
 * So whoever gives up first is the innermost caller, and it answers with our
 * 503 + Retry-After rather than a gateway timeout.
 */

const functions = () => resourcesOf('AWS::Lambda::Function');

const variablesOf = (fn: CfnResource): Record<string, unknown> => (fn.Properties?.Environment as { Variables: Record<string, unknown> }).Variables;

const deadlinesOf = (id: string, fn: CfnResource) => {
  const variables = variablesOf(fn);
  return { id, timeoutMs: Number(fn.Properties?.Timeout) * 1000, awsMs: Number(variables.SHOP_AWS_DEADLINE_MS), callMs: Number(variables.SHOP_CALL_DEADLINE_MS) };
};

/**
 * The functions a function is told the names of (and so may invoke), other
 * than itself. Readiness's checks are left out: it only dry-runs the
 * functions it checks, which does not run them.
 */
const calleesOf = (id: string, fn: CfnResource): string[] => {
  const { READY_CHECKS: _dryRunOnly, ...variables } = variablesOf(fn);
  return [...referencedIds(variables)].filter((ref) => ref !== id && ref in functions());
};

describe('deadlines', () => {
  it('are set on every function, and each is shorter than the function timeout', () => {
    const all = Object.entries(functions()).map(([id, fn]) => deadlinesOf(id, fn));

    expect(all.length).toBeGreaterThan(10);
    for (const { id, timeoutMs, awsMs, callMs } of all) {
      expect({ id, awsMs: awsMs > 0 && awsMs < timeoutMs, callMs: callMs > 0 && callMs < timeoutMs }).toEqual({ id, awsMs: true, callMs: true });
    }
  });

  it("of a caller outlast every deadline inside the functions it invokes (GetPrices, GetPayment, GetShipment)", () => {
    let pairs = 0;
    for (const [id, fn] of Object.entries(functions())) {
      const caller = deadlinesOf(id, fn);
      for (const calleeId of calleesOf(id, fn)) {
        const calleeFn = functions()[calleeId];
        if (!calleeFn) continue;
        const callee = deadlinesOf(calleeId, calleeFn);
        const innermost = Math.max(callee.awsMs, calleesOf(calleeId, calleeFn).length > 0 ? callee.callMs : 0);
        pairs += 1;
        expect({ caller: id, callee: calleeId, outlasts: caller.callMs > innermost }).toEqual({ caller: id, callee: calleeId, outlasts: true });
      }
    }
    expect(pairs).toBeGreaterThanOrEqual(3);
  });

  it('of the HTTP API outlast every function it integrates', () => {
    const integrations = Object.values(resourcesOf('AWS::ApiGatewayV2::Integration'));

    expect(integrations.length).toBeGreaterThan(0);
    for (const integration of integrations) {
      const [fnId] = [...referencedIds(integration.Properties?.IntegrationUri)].filter((ref) => ref in functions());
      const fn = fnId ? functions()[fnId] : undefined;
      if (!fnId || !fn) throw new Error(`integration ${JSON.stringify(integration.Properties?.IntegrationUri)} names no function of the stack`);
      // An HTTP API waits 30 s for an integration unless TimeoutInMillis says less:
      // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
      const gatewayMs = Number(integration.Properties?.TimeoutInMillis ?? 30_000);
      expect({ fnId, outlasts: gatewayMs > deadlinesOf(fnId, fn).timeoutMs }).toEqual({ fnId, outlasts: true });
    }
  });

  it('that a function could not keep are refused at synth, naming the function and both durations', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const make = (id: string, extra: { serviceCallDeadline?: Duration; awsCallDeadline?: Duration }) => () =>
      new ShopFunction(stack, id, { service: 'test', entry: 'health/entries/health.ts', description: 'test', timeout: Duration.seconds(2), ...extra });

    // Act & Assess
    expect(make('TooLong', { serviceCallDeadline: Duration.seconds(2) })).toThrow(
      'TooLong: serviceCallDeadline (2 seconds) must be at least 1 ms and shorter than the function timeout (2 seconds): a call must give up before Lambda stops the function.',
    );
    expect(make('AwsTooLong', { awsCallDeadline: Duration.seconds(3) })).toThrow(/AwsTooLong: awsCallDeadline \(3 seconds\)/);
    expect(make('Fits', { serviceCallDeadline: Duration.millis(1500), awsCallDeadline: Duration.millis(900) })).not.toThrow();
  });

  it('default to half the timeout of a function too short for 1.5 s and 2 s', () => {
    // Prepare
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');

    // Act
    const fn = new ShopFunction(stack, 'Quick', { service: 'test', entry: 'health/entries/health.ts', description: 'test', timeout: Duration.seconds(1) });

    // Assess
    const variables = (Template.fromStack(stack).toJSON() as { Resources: Record<string, CfnResource> }).Resources[stack.getLogicalId(fn.node.defaultChild as CfnFunction)];
    expect(variables && variablesOf(variables)).toMatchObject({ SHOP_AWS_DEADLINE_MS: '500', SHOP_CALL_DEADLINE_MS: '500' });
  });
});
