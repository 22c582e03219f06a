import { CorsConfigError, corsOriginProblem, corsOriginsFromContext } from '../../../lib/config/cors';
import { newShopTemplate } from '../support/template';

/*
 * CORS for browser front ends: off unless origins are configured (the
 * `corsOrigins` prop, or the CDK context value of that name), checked at synth.
 */

const apiOf = (context: Record<string, unknown>, corsOrigins?: readonly string[]): Record<string, unknown> => {
  const { template } = newShopTemplate(corsOrigins ? { corsOrigins } : {}, context);
  const apis = Object.values(template.findResources('AWS::ApiGatewayV2::Api')) as Array<{ Properties: Record<string, unknown> }>;
  if (apis.length !== 1) throw new Error(`expected one API, found ${apis.length}`);
  return apis[0].Properties;
};

describe('CORS of the HTTP API', () => {
  it('is not configured without origins, so browsers refuse cross-origin calls', () => {
    expect(apiOf({})).not.toHaveProperty('CorsConfiguration');
    expect(apiOf({ corsOrigins: '[]' })).not.toHaveProperty('CorsConfiguration');
  });

  it('allows the origins of `-c corsOrigins=<json>`, the headers the API reads and shows, and the methods of its routes', () => {
    const api = apiOf({ corsOrigins: JSON.stringify(['https://shop.example.com', 'http://localhost:5173']) });

    expect(api.CorsConfiguration).toEqual({
      AllowOrigins: ['https://shop.example.com', 'http://localhost:5173'],
      AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'],
      ExposeHeaders: ['location', 'x-correlation-id', 'retry-after'],
      AllowMethods: ['DELETE', 'GET', 'POST', 'PUT'],
      MaxAge: 600,
    });
  });

  it('takes an array from cdk.json as it is, and a prop over the context', () => {
    expect(apiOf({ corsOrigins: ['https://admin.shop.example'] }).CorsConfiguration).toMatchObject({ AllowOrigins: ['https://admin.shop.example'] });
    expect(apiOf({ corsOrigins: ['https://admin.shop.example'] }, ['https://from.props.example']).CorsConfiguration).toMatchObject({ AllowOrigins: ['https://from.props.example'] });
  });

  it('stops synth on an origin that is not valid, given as a prop too', () => {
    expect(() => apiOf({}, ['https://*.shop.example'])).toThrow(/corsOrigins is not a valid list of CORS origins: 'https:\/\/\*\.shop\.example': a wildcard/);
  });

  it.each([
    ['not JSON', '[https://shop.example', /context 'corsOrigins' is not JSON/],
    ['not a list', '{"origin":"https://shop.example"}', /is not a valid list of origins/],
    ['a wildcard', '["*"]', /'\*': a wildcard is not allowed/],
    ['a path', '["https://shop.example/app"]', /write 'https:\/\/shop\.example'/],
    ['a trailing slash', '["https://shop.example/"]', /write 'https:\/\/shop\.example'/],
    ['upper case', '["https://Shop.Example"]', /write 'https:\/\/shop\.example'/],
    ['plain http to a public host', '["http://shop.example"]', /plain http is only allowed for http:\/\/localhost/],
    ['localhost without a port', '["http://localhost"]', /plain http is only allowed/],
    ['another scheme', '["ftp://shop.example"]', /ftp is not https/],
    ['a duplicate', '["https://shop.example","https://shop.example"]', /given twice/],
  ])('refuses %s with what is wrong', (_, value, message) => {
    expect(() => corsOriginsFromContext(value)).toThrow(CorsConfigError);
    expect(() => corsOriginsFromContext(value)).toThrow(message);
  });

  it.each(['https://shop.example', 'https://shop.example:8443', 'http://localhost:5173', 'http://127.0.0.1:8080'])('accepts %s', (origin) => {
    expect(corsOriginProblem(origin)).toBeUndefined();
  });
});
