import { DEFAULT_THROTTLES, monthlyCeiling, ThrottleConfigError, throttlesFromContext } from '../../../lib/config/throttles';
import { newShopTemplate } from '../support/template';

/*
 * The API's throttles come from configuration: the CDK context value
 * `throttles` (cdk.json, or -c on the command line) over defaults sized for
 * a shop's peak, checked at synth.
 */

const stageOf = (context: Record<string, unknown>): Record<string, unknown> => {
  const stages = newShopTemplate({}, context).template.findResources('AWS::ApiGatewayV2::Stage');
  const [stage] = Object.values(stages) as Array<{ Properties: Record<string, unknown> }>;
  if (!stage) throw new Error('no stage');
  return stage.Properties;
};

describe('API throttles from configuration', () => {
  it('take a route and the default from `-c throttles=<json>`, keeping the other routes\' defaults', () => {
    const stage = stageOf({ throttles: JSON.stringify({ default: { rateLimit: 200, burstLimit: 400 }, routes: { 'POST /orders': { rateLimit: 40, burstLimit: 80 } } }) });

    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 });
    expect(stage.RouteSettings).toEqual({
      'POST /orders': { ThrottlingRateLimit: 40, ThrottlingBurstLimit: 80 },
      'GET /ready': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
  });

  it('take an object from cdk.json as it is', () => {
    const stage = stageOf({ throttles: { routes: { 'GET /products': { rateLimit: 1000, burstLimit: 2000 } } } });

    expect(stage.RouteSettings).toMatchObject({ 'GET /products': { ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 } });
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 });
  });

  it('stop synth on a route the API does not have', () => {
    expect(() => stageOf({ throttles: { routes: { 'POST /order': { rateLimit: 5, burstLimit: 5 } } } })).toThrow(/throttle is configured for route 'POST \/order', which the API does not have/);
  });

  it.each([
    ['not JSON', '{routes:', /is not JSON/],
    ['an unknown key', { route: {} }, /\(root\): Unrecognized key/],
    ['a rate above the account quota', { default: { rateLimit: 20_000, burstLimit: 10 } }, /default\.rateLimit: Too big/],
    ['a burst that is not a whole number', { default: { rateLimit: 10, burstLimit: 2.5 } }, /default\.burstLimit/],
    ['a malformed route key', { routes: { 'orders': { rateLimit: 1, burstLimit: 1 } } }, /routes\.orders: a route key is "<METHOD> \/path"/],
  ])('refuse %s with what is wrong', (_what, value, message) => {
    expect(() => throttlesFromContext(value)).toThrow(ThrottleConfigError);
    expect(() => throttlesFromContext(value)).toThrow(message);
  });

  it('imply a monthly ceiling: POST /orders at its default 100/s takes at most 259.2 million orders in 30 days', () => {
    expect(monthlyCeiling(DEFAULT_THROTTLES.routeThrottles['POST /orders'] ?? { rateLimit: 0, burstLimit: 0 })).toBe(259_200_000);
  });
});
