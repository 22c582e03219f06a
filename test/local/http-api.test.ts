import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnsupportedFeatureError } from '../../local/errors';
import { HttpApiEmulator, type AccessLogRecord, type FunctionInvoker, type HttpApiEventV2, type HttpApiHop } from '../../local/apigateway/http-api';
import { LocalJwtIssuer } from '../../local/apigateway/jwt-issuer';
import { LambdaRuntime, type InvokeResult } from '../../local/lambda/lambda-runtime';
import type { LocalResource } from '../../local/resources';

const API_ID = 'ShopApi';
const POOL_ID = 'us-east-1_LocalPool';
const CLIENT = 'web-client';
const LOG_GROUP = 'arn:aws:logs:us-east-1:000000000000:log-group:AccessLogs';
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  routeKey: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  sub: '$context.authorizer.claims.sub',
  error: '$context.error.message',
  integrationError: '$context.integrationErrorMessage',
});

const arn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const ok = (payload: unknown): InvokeResult => ({ ok: true, payload, durationMs: 1 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Behaviour = (event: HttpApiEventV2) => InvokeResult | Promise<InvokeResult>;

/** Lambda, faked: records every invocation; a function echoes its event unless told otherwise. */
class FakeFunctions implements FunctionInvoker {
  public readonly calls: Array<{ readonly target: string; readonly event: HttpApiEventV2 }> = [];
  private readonly behaviours = new Map<string, Behaviour>();

  public constructor(private readonly names: readonly string[]) {}

  public on(name: string, behaviour: Behaviour): this {
    this.behaviours.set(name, behaviour);
    return this;
  }

  public async invoke(target: string, event: unknown): Promise<InvokeResult> {
    const httpEvent = event as HttpApiEventV2;
    this.calls.push({ target, event: httpEvent });
    const behaviour = this.behaviours.get(target.split(':').pop() ?? '');
    return behaviour ? behaviour(httpEvent) : ok({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(httpEvent) });
  }

  public resolve(target: string): unknown {
    return this.names.find((name) => arn(name) === target);
  }
}

const resource = (logicalId: string, type: string, properties: Record<string, unknown>, ref = logicalId): LocalResource => ({ logicalId, type, ref, properties });
const api = (properties: Record<string, unknown> = {}) => resource('Api', 'AWS::ApiGatewayV2::Api', { Name: 'Api', Description: 'shop', ProtocolType: 'HTTP', ...properties }, API_ID);
const integration = (name: string, properties: Record<string, unknown> = {}) =>
  resource(`${name}Integration`, 'AWS::ApiGatewayV2::Integration', { ApiId: API_ID, IntegrationType: 'AWS_PROXY', IntegrationUri: arn(name), PayloadFormatVersion: '2.0', ...properties });
const route = (routeKey: string, fn: string, properties: Record<string, unknown> = {}) =>
  resource(`Route${routeKey.replace(/[^A-Za-z0-9]/g, '')}`, 'AWS::ApiGatewayV2::Route', { ApiId: API_ID, RouteKey: routeKey, Target: `integrations/${fn}Integration`, AuthorizationType: 'NONE', ...properties });
const jwtRoute = (routeKey: string, fn: string, properties: Record<string, unknown> = {}) => route(routeKey, fn, { AuthorizationType: 'JWT', AuthorizerId: 'Cognito', ...properties });
const authorizer = (issuer: string) =>
  resource('Cognito', 'AWS::ApiGatewayV2::Authorizer', {
    ApiId: API_ID,
    AuthorizerType: 'JWT',
    IdentitySource: ['$request.header.Authorization'],
    JwtConfiguration: { Issuer: issuer, Audience: [CLIENT] },
    Name: 'Cognito',
  });
const stage = (properties: Record<string, unknown> = {}) =>
  resource(
    'DefaultStage',
    'AWS::ApiGatewayV2::Stage',
    {
      ApiId: API_ID,
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      RouteSettings: { 'GET /limited': { ThrottlingBurstLimit: 1, ThrottlingRateLimit: 0.001 } },
      StageVariables: { environment: 'local' },
      AccessLogSettings: { DestinationArn: LOG_GROUP, Format: ACCESS_LOG_FORMAT },
      ...properties,
    },
    '$default',
  );
const permission = resource('CatalogPermission', 'AWS::Lambda::Permission', {
  Action: 'lambda:InvokeFunction',
  FunctionName: arn('Catalog'),
  Principal: 'apigateway.amazonaws.com',
  SourceArn: `arn:aws:execute-api:us-east-1:000000000000:${API_ID}/*/*/products`,
});

const FUNCTIONS = ['Catalog', 'Files', 'Anything', 'Responses', 'Failing', 'TimingOut', 'Slow'];

const shopResources = (issuer: string): LocalResource[] => [
  api(),
  authorizer(issuer),
  ...FUNCTIONS.map((name) => integration(name, name === 'Slow' ? { TimeoutInMillis: 100 } : {})),
  route('GET /products', 'Catalog'),
  route('GET /products/{id}', 'Catalog'),
  route('GET /products/featured', 'Catalog'),
  jwtRoute('POST /products', 'Catalog'),
  jwtRoute('POST /orders', 'Catalog', { AuthorizationScopes: ['shop/orders.write'] }),
  route('GET /files/{proxy+}', 'Files'),
  route('ANY /anything', 'Anything'),
  route('GET /anything', 'Catalog'),
  route('GET /responses/{kind}', 'Responses'),
  route('GET /fail', 'Failing'),
  route('GET /timeout', 'TimingOut'),
  route('GET /slow', 'Slow'),
  route('GET /limited', 'Catalog'),
  stage(),
  permission,
];

const RESPONSES: Readonly<Record<string, unknown>> = {
  structured: { statusCode: 201, headers: { 'Content-Type': 'text/plain', 'x-correlation-id': 'corr-7' }, cookies: ['session=abc; Path=/; HttpOnly', 'theme=dark'], body: 'created' },
  binary: { statusCode: 200, headers: { 'content-type': 'image/png' }, body: Buffer.from([0x89, 0x50, 0x00, 0xff]).toString('base64'), isBase64Encoded: true },
  'bare-object': { hello: 'world' },
  'bare-string': 'Hello from Lambda!',
  malformed: { statusCode: 'created', body: 'x' },
  'multi-value': { statusCode: 204, multiValueHeaders: { 'x-many': ['1', '2'] } },
};

/** A request with a header sent twice, which fetch would merge itself. */
const rawGet = (url: string, headers: Record<string, string | string[]>): Promise<string> =>
  new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end();
  });

const eventOf = async (response: Response): Promise<HttpApiEventV2> => {
  expect(response.status).toBe(200);
  return (await response.json()) as HttpApiEventV2;
};

const unsupported = (build: () => unknown): UnsupportedFeatureError => {
  try {
    build();
  } catch (error) {
    if (error instanceof UnsupportedFeatureError) return error;
    throw error;
  }
  throw new Error('expected an UnsupportedFeatureError');
};

describe('HttpApiEmulator', () => {
  const issuer = LocalJwtIssuer.create({ userPoolId: POOL_ID, clients: [{ clientId: CLIENT }, { clientId: 'cli' }], groups: ['admin', 'carrier'] });
  const functions = new FakeFunctions(FUNCTIONS)
    .on('Responses', (event) => ok(RESPONSES[event.pathParameters?.kind ?? '']))
    .on('Failing', () => ({ ok: false, durationMs: 3, error: { errorType: 'TypeError', errorMessage: 'boom', trace: [] } }))
    .on('TimingOut', () => ({ ok: false, durationMs: 3000, error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 3.00 seconds', trace: [] } }))
    .on('Slow', async () => {
      await sleep(400);
      return ok('late');
    });
  const hops: HttpApiHop[] = [];
  const accessLog: AccessLogRecord[] = [];
  const emulator = HttpApiEmulator.create(shopResources(issuer.issuer), {
    invoker: functions,
    issuer,
    onHop: (hop) => hops.push(hop),
    onAccessLog: (record) => accessLog.push(record),
  });
  let url = '';

  beforeAll(async () => {
    url = await emulator.listen(0);
  });
  afterAll(() => emulator.close(100));

  const hopOf = (response: Response): HttpApiHop | undefined => hops.find((hop) => hop.requestId === response.headers.get('apigw-requestid'));
  const invocationsOf = (response: Response) => functions.calls.filter((call) => call.event.requestContext.requestId === response.headers.get('apigw-requestid'));
  const alice = (options: Parameters<LocalJwtIssuer['mint']>[0] = { username: 'alice', groups: ['admin', 'carrier'] }) => issuer.mint(options).token;

  describe('routes', () => {
    it.each([
      ['GET', '/products', 'GET /products', undefined],
      ['GET', '/products/featured', 'GET /products/featured', undefined],
      ['GET', '/products/42', 'GET /products/{id}', { id: '42' }],
      ['GET', '/products/blue%20mug', 'GET /products/{id}', { id: 'blue mug' }],
      ['GET', '/files/2026/03/invoice.pdf', 'GET /files/{proxy+}', { proxy: '2026/03/invoice.pdf' }],
      ['GET', '/anything', 'GET /anything', undefined],
      ['PATCH', '/anything', 'ANY /anything', undefined],
    ])('sends %s %s to %s', async (method, path, routeKey, pathParameters) => {
      const event = await eventOf(await fetch(`${url}${path}`, { method }));
      expect(event.routeKey).toBe(routeKey);
      expect(event.requestContext.routeKey).toBe(routeKey);
      expect(event.pathParameters).toEqual(pathParameters);
    });

    it.each([
      ['GET', '/nowhere'],
      ['DELETE', '/products'],
      ['GET', '/files/'],
      ['GET', '/products/42/reviews'],
    ])('answers %s %s with 404 {"message":"Not Found"} without calling a function', async (method, path) => {
      const response = await fetch(`${url}${path}`, { method });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('{"message":"Not Found"}');
      expect(invocationsOf(response)).toHaveLength(0);
      expect(hopOf(response)).toMatchObject({ routeKey: '-', status: 404 });
    });

    it('sends what no route matches to the $default route', async () => {
      // Prepare
      const fallback = new FakeFunctions(['Fallback', 'Catalog']);
      const catchAll = HttpApiEmulator.create(
        [api(), integration('Fallback'), integration('Catalog'), route('$default', 'Fallback'), route('GET /products', 'Catalog'), stage({ RouteSettings: undefined })],
        { invoker: fallback },
      );
      const base = await catchAll.listen(0);

      // Act
      const unmatched = await eventOf(await fetch(`${base}/store/checkout?step=2`, { method: 'POST' }));
      const matched = await eventOf(await fetch(`${base}/products`));
      await catchAll.close(100);

      // Assess
      expect(unmatched).toMatchObject({ routeKey: '$default', rawPath: '/store/checkout', rawQueryString: 'step=2' });
      expect(unmatched).not.toHaveProperty('pathParameters');
      expect(matched.routeKey).toBe('GET /products');
      expect(fallback.calls.map((call) => call.target)).toEqual([arn('Fallback'), arn('Catalog')]);
    });

    it('answers 404 to everything when the API has no stage', async () => {
      const stageless = HttpApiEmulator.create([api(), integration('Catalog'), route('GET /products', 'Catalog')], { invoker: new FakeFunctions(['Catalog']) });
      const base = await stageless.listen(0);
      const response = await fetch(`${base}/products`);
      await stageless.close(100);
      expect(response.status).toBe(404);
    });
  });

  describe('the payload format 2.0 event', () => {
    it('carries the request as API Gateway sends it', async () => {
      // Act
      const response = await fetch(`${url}/anything?size=L&color=red&color=blue&note=a%20b`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'shop-test/1.0', 'X-Correlation-Id': 'corr-42', Cookie: 'session=abc; theme=dark' },
        body: '{"quantity":2}',
      });
      const event = await eventOf(response);

      // Assess
      expect(event).toEqual({
        version: '2.0',
        routeKey: 'ANY /anything',
        rawPath: '/anything',
        rawQueryString: 'size=L&color=red&color=blue&note=a%20b',
        cookies: ['session=abc', 'theme=dark'],
        headers: expect.objectContaining({
          'content-type': 'application/json',
          'user-agent': 'shop-test/1.0',
          'x-correlation-id': 'corr-42',
          'content-length': '14',
          host: new URL(url).host,
          'x-forwarded-for': '127.0.0.1',
          'x-forwarded-port': new URL(url).port,
          'x-forwarded-proto': 'http',
          'x-amzn-trace-id': expect.stringMatching(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/),
        }),
        queryStringParameters: { size: 'L', color: 'red,blue', note: 'a b' },
        requestContext: {
          accountId: '000000000000',
          apiId: API_ID,
          domainName: '127.0.0.1',
          domainPrefix: '127',
          http: { method: 'POST', path: '/anything', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'shop-test/1.0' },
          requestId: response.headers.get('apigw-requestid'),
          routeKey: 'ANY /anything',
          stage: '$default',
          time: expect.stringMatching(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/),
          timeEpoch: expect.any(Number),
        },
        body: '{"quantity":2}',
        isBase64Encoded: false,
        stageVariables: { environment: 'local' },
      });
      expect(event.headers).not.toHaveProperty('cookie');
      expect(event.headers).not.toHaveProperty('connection');
      expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9]{15}=$/);
    });

    it('joins a repeated header with commas', async () => {
      const event = JSON.parse(await rawGet(`${url}/anything`, { 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'], 'x-tag': ['a', 'b'] })) as HttpApiEventV2;
      expect(event.headers['x-tag']).toBe('a,b');
      expect(event.headers['x-forwarded-for']).toBe('10.0.0.1,10.0.0.2, 127.0.0.1');
    });

    it('passes on a query parameter or header named __proto__ or constructor as its own value, as API Gateway does', async () => {
      const event = JSON.parse(await rawGet(`${url}/anything?__proto__=x&constructor=y`, { ['__proto__']: 'h', constructor: 'c' })) as HttpApiEventV2;

      expect(Object.entries(event.queryStringParameters ?? {})).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
      expect(Object.entries(event.headers)).toEqual(expect.arrayContaining([['__proto__', 'h'], ['constructor', 'c']]));
    });

    it('leaves body out of a request without one', async () => {
      const event = await eventOf(await fetch(`${url}/anything`));
      expect(event).not.toHaveProperty('body');
      expect(event).not.toHaveProperty('queryStringParameters');
      expect(event).not.toHaveProperty('cookies');
      expect(event.isBase64Encoded).toBe(false);
    });

    it.each([
      ['application/octet-stream', Buffer.from([0x00, 0xff, 0x10])],
      ['application/x-www-form-urlencoded', Buffer.from('a=1&b=2')],
      ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
    ])('base64-encodes a %s body', async (contentType, body) => {
      const event = await eventOf(await fetch(`${url}/anything`, { method: 'PUT', headers: { 'content-type': contentType }, body }));
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body ?? '', 'base64')).toEqual(body);
    });

    it('answers 413 to a body over 10 MB without calling the function', async () => {
      const response = await fetch(`${url}/anything`, { method: 'POST', body: new Uint8Array(10 * 1024 * 1024 + 1) });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
      expect(invocationsOf(response)).toHaveLength(0);
    });
  });

  describe('the JWT authorizer', () => {
    const unauthorized = async (response: Response, challenge: string) => {
      expect(response.status).toBe(401);
      expect(await response.text()).toBe('{"message":"Unauthorized"}');
      expect(response.headers.get('www-authenticate')).toBe(challenge);
      expect(response.headers.get('content-type')).toBeNull();
      expect(invocationsOf(response)).toHaveLength(0);
    };
    const post = (token?: string) => fetch(`${url}/products`, { method: 'POST', headers: token === undefined ? {} : { authorization: token } });

    it('answers 401 to a request without a token', async () => {
      await unauthorized(await post(), 'Bearer');
      await unauthorized(await post(''), 'Bearer');
    });

    it('answers 401 to a token whose signature does not match', async () => {
      const [header, payload, signature] = alice().split('.');
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')), sub: 'someone-else' })).toString('base64url')}.${signature}`;
      await unauthorized(await post(`Bearer ${forged}`), 'Bearer scope="" error="invalid_token" error_description="the token signature is invalid"');
    });

    it('answers 401 to an expired token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const expired = issuer.signClaims({ sub: 'x', iss: issuer.issuer, aud: CLIENT, token_use: 'id', iat: now - 7200, exp: now - 3600 });
      await unauthorized(await post(`Bearer ${expired}`), 'Bearer scope="" error="invalid_token" error_description="the token has expired"');
    });

    it('answers 401 to a token for another audience, with the www-authenticate API Gateway documents', async () => {
      const forCli = alice({ username: 'alice', clientId: 'cli' });
      await unauthorized(await post(`Bearer ${forCli}`), 'Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience"');
    });

    it('answers 401 to a token of another issuer', async () => {
      const other = issuer.signClaims({ sub: 'x', iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other', aud: CLIENT, token_use: 'id', exp: Date.now() / 1000 + 60 });
      await unauthorized(await post(`Bearer ${other}`), 'Bearer scope="" error="invalid_token" error_description="the token does not have a valid issuer"');
    });

    it('passes the verified claims to the function, every value a string and cognito:groups as "[admin carrier]"', async () => {
      // Prepare
      const token = alice();
      const claims = issuer.verify(token, { issuer: issuer.issuer, audience: [CLIENT] });
      if (!claims.ok) throw new Error(claims.reason);

      // Act
      const withBearer = await eventOf(await post(`Bearer ${token}`));
      const bare = await eventOf(await post(token));

      // Assess
      expect(withBearer.requestContext.authorizer).toEqual({
        jwt: {
          claims: {
            sub: issuer.mint({ username: 'alice' }).sub,
            'cognito:groups': '[admin carrier]',
            email_verified: 'true',
            iss: issuer.issuer,
            'cognito:username': 'alice',
            origin_jti: claims.claims.origin_jti,
            aud: CLIENT,
            event_id: claims.claims.event_id,
            token_use: 'id',
            auth_time: String(claims.claims.auth_time),
            exp: String(claims.claims.exp),
            iat: String(claims.claims.iat),
            jti: claims.claims.jti,
            email: 'alice@example.local',
          },
          scopes: null,
        },
      });
      expect(withBearer.headers.authorization).toBe(`Bearer ${token}`);
      expect(bare.requestContext.authorizer?.jwt.claims.sub).toBe(withBearer.requestContext.authorizer?.jwt.claims.sub);
    });

    it('answers 403 {"message":"Forbidden"} when the token has none of the route\'s scopes (an ID token has none)', async () => {
      const response = await fetch(`${url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${alice()}` } });
      expect(response.status).toBe(403);
      expect(await response.text()).toBe('{"message":"Forbidden"}');
      expect(response.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
      expect(invocationsOf(response)).toHaveLength(0);
    });

    it('lets an access token with one of the scopes through, with all its scopes in the event', async () => {
      const token = alice({ username: 'alice', tokenUse: 'access', scopes: ['openid', 'shop/orders.write'] });
      const event = await eventOf(await fetch(`${url}/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }));
      expect(event.requestContext.authorizer?.jwt.scopes).toEqual(['openid', 'shop/orders.write']);
      expect(event.requestContext.authorizer?.jwt.claims).toMatchObject({ client_id: CLIENT, token_use: 'access', scope: 'openid shop/orders.write' });
    });

    it('adds no authorizer to the event of a route without one', async () => {
      const event = await eventOf(await fetch(`${url}/products`, { headers: { authorization: `Bearer ${alice()}` } }));
      expect(event.requestContext).not.toHaveProperty('authorizer');
    });
  });

  describe('the function response', () => {
    it('maps a structured response: status, headers, cookies as set-cookie lines, body', async () => {
      const response = await fetch(`${url}/responses/structured`);
      expect(response.status).toBe(201);
      expect(response.headers.get('content-type')).toBe('text/plain');
      expect(response.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark']);
      expect(await response.text()).toBe('created');
      expect(hopOf(response)).toMatchObject({ method: 'GET', path: '/responses/structured', routeKey: 'GET /responses/{kind}', status: 201, functionName: 'Responses', correlationId: 'corr-7', latencyMs: expect.any(Number) });
    });

    it('decodes a base64 body', async () => {
      const response = await fetch(`${url}/responses/binary`);
      expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0x89, 0x50, 0x00, 0xff]));
      expect(response.headers.get('content-type')).toBe('image/png');
    });

    it.each([
      ['bare-object', '{"hello":"world"}'],
      ['bare-string', 'Hello from Lambda!'],
    ])('answers a %s with 200 application/json', async (kind, body) => {
      const response = await fetch(`${url}/responses/${kind}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(await response.text()).toBe(body);
    });

    it('ignores multiValueHeaders, as payload format 2.0 does, and says so in the hop', async () => {
      const response = await fetch(`${url}/responses/multi-value`);
      expect(response.status).toBe(204);
      expect(response.headers.get('x-many')).toBeNull();
      expect(hopOf(response)?.note).toMatch(/multiValueHeaders ignored/);
    });

    it('answers 500 {"message":"Internal Server Error"} to a malformed response', async () => {
      const response = await fetch(`${url}/responses/malformed`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('{"message":"Internal Server Error"}');
      expect(hopOf(response)?.note).toMatch(/statusCode "created" is not an HTTP status code/);
    });

    it('answers 500 {"message":"Internal Server Error"} when the function fails', async () => {
      const response = await fetch(`${url}/fail`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('{"message":"Internal Server Error"}');
      expect(hopOf(response)).toMatchObject({ status: 500, functionName: 'Failing', note: 'function error TypeError: boom' });
    });

    it('answers 500 when the function times out (Sandbox.Timedout is a function error to API Gateway)', async () => {
      const response = await fetch(`${url}/timeout`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe('{"message":"Internal Server Error"}');
    });

    it('answers 503 {"message":"Service Unavailable"} when the integration outlives its timeout', async () => {
      const started = Date.now();
      const response = await fetch(`${url}/slow`);
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('{"message":"Service Unavailable"}');
      expect(Date.now() - started).toBeLessThan(390);
    });
  });

  describe('the stage', () => {
    it('throttles a route past its burst with 429 {"message":"Too Many Requests"}, leaving other routes alone', async () => {
      const first = await fetch(`${url}/limited`);
      const second = await fetch(`${url}/limited`);
      const other = await fetch(`${url}/products`);
      expect(first.status).toBe(200);
      expect(second.status).toBe(429);
      expect(await second.text()).toBe('{"message":"Too Many Requests"}');
      expect(invocationsOf(second)).toHaveLength(0);
      expect(other.status).toBe(200);
    });

    it('writes an access-log line per request in the stage\'s format', async () => {
      const response = await fetch(`${url}/products`, { method: 'POST', headers: { authorization: `Bearer ${alice()}` } });
      const requestId = response.headers.get('apigw-requestid');
      const denied = await fetch(`${url}/products`, { method: 'POST' });
      const lines = accessLog.filter((record) => record.destinationArn === LOG_GROUP).map((record) => JSON.parse(record.line) as Record<string, string>);
      expect(lines.find((line) => line.requestId === requestId)).toEqual({
        requestId,
        routeKey: 'POST /products',
        status: '200',
        latencyMs: expect.stringMatching(/^\d+$/),
        sub: issuer.mint({ username: 'alice' }).sub,
        error: '-',
        integrationError: '-',
      });
      expect(lines.find((line) => line.requestId === denied.headers.get('apigw-requestid'))).toMatchObject({ status: '401', error: 'Unauthorized', sub: '-' });
    });
  });

  it('lets requests in flight finish when closing, then refuses connections', async () => {
    // Prepare
    const slow = new FakeFunctions(['Slow']).on('Slow', async () => {
      await sleep(150);
      return ok({ statusCode: 200, body: 'done' });
    });
    const closing = HttpApiEmulator.create([api(), integration('Slow'), route('GET /slow', 'Slow'), stage({ RouteSettings: undefined })], { invoker: slow });
    const base = await closing.listen(0);
    const inFlight = fetch(`${base}/slow`);
    while (slow.calls.length === 0) await sleep(5);

    // Act
    const closed = closing.close(2000);
    const response = await inFlight;
    await closed;

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('done');
    await expect(fetch(`${base}/slow`)).rejects.toThrow();
  });

  it('closes within the grace period even when a request never finishes', async () => {
    const stuck = new FakeFunctions(['Slow']).on('Slow', () => new Promise<InvokeResult>(() => undefined));
    const closing = HttpApiEmulator.create([api(), integration('Slow', { TimeoutInMillis: 30_000 }), route('GET /slow', 'Slow'), stage({ RouteSettings: undefined })], { invoker: stuck });
    const base = await closing.listen(0);
    const inFlight = fetch(`${base}/slow`).then(
      () => 'answered',
      () => 'cut',
    );
    while (stuck.calls.length === 0) await sleep(5);

    const started = Date.now();
    await closing.close(100);

    expect(Date.now() - started).toBeLessThan(1000);
    expect(await inFlight).toBe('cut');
  });
});

describe('HttpApiEmulator on the local Lambda runtime', () => {
  // A real function with reserved concurrency 1, so Lambda's refusals reach the API as they do on AWS.
  const code = mkdtempSync(path.join(tmpdir(), 'http-api-lambda-'));
  writeFileSync(
    path.join(code, 'index.mjs'),
    `export const handler = async (event) => {
       const ms = Number(event.queryStringParameters?.ms ?? 0);
       if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
       const bytes = Number(event.queryStringParameters?.answerBytes ?? 0);
       return { statusCode: 200, body: bytes ? 'x'.repeat(bytes) : 'done' };
     };`,
  );
  const runtime = new LambdaRuntime();
  runtime.register({ name: 'OneAtATime', arn: arn('OneAtATime'), codeDir: code, handler: 'index.handler', environment: {}, timeoutSeconds: 10, memoryMb: 512, reservedConcurrency: 1 });
  const hops: HttpApiHop[] = [];
  const accessLog: AccessLogRecord[] = [];
  const emulator = HttpApiEmulator.create(
    [api(), integration('OneAtATime'), route('ANY /work', 'OneAtATime'), stage({ RouteSettings: undefined, DefaultRouteSettings: undefined })],
    { invoker: runtime, onHop: (hop) => hops.push(hop), onAccessLog: (record) => accessLog.push(record) },
  );
  let url = '';
  beforeAll(async () => {
    url = await emulator.listen(0);
  });
  afterAll(async () => {
    await emulator.close(100);
    await runtime.stop();
  });
  const logOf = (response: Response): Record<string, string> =>
    JSON.parse(accessLog.find((record) => record.line.includes(response.headers.get('apigw-requestid') ?? '-'))?.line ?? '{}') as Record<string, string>;

  it('answers 500 {"message":"Internal Server Error"} at once when Lambda throttles the integration', async () => {
    // Prepare
    const busy = fetch(`${url}/work?ms=800`);
    await sleep(200);

    // Act
    const started = Date.now();
    const throttled = await fetch(`${url}/work`);
    const answeredAfterMs = Date.now() - started;

    // Assess
    expect(throttled.status).toBe(500);
    expect(await throttled.json()).toEqual({ message: 'Internal Server Error' });
    expect(answeredAfterMs).toBeLessThan(400);
    expect(logOf(throttled)).toMatchObject({ status: '500', integrationError: expect.stringContaining('TooManyRequestsException') });
    expect(hops.find((hop) => hop.requestId === throttled.headers.get('apigw-requestid'))?.note).toContain('ReservedFunctionConcurrentInvocationLimitExceeded');
    expect((await busy).status).toBe(200);
  });

  it('answers 500 when the event would be over 6 MB, although the body is under API Gateway\'s 10 MB', async () => {
    const response = await fetch(`${url}/work`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(7 * 1024 * 1024) });
    expect(response.status).toBe(500);
    expect(logOf(response)).toMatchObject({ integrationError: expect.stringContaining('RequestEntityTooLargeException') });
  });

  it('answers 500 when the function answers over 6 MB', async () => {
    const response = await fetch(`${url}/work?answerBytes=6300000`);
    expect(response.status).toBe(500);
    expect(logOf(response)).toMatchObject({ integrationError: expect.stringContaining('Function.ResponseSizeTooLarge') });
  });
});

describe('HttpApiEmulator with a CORS configuration', () => {
  const SHOP = 'https://shop.example';
  const issuer = LocalJwtIssuer.create({ userPoolId: POOL_ID, clients: [{ clientId: CLIENT }] });
  const functions = new FakeFunctions(['Catalog']).on('Catalog', () =>
    ok({ statusCode: 201, headers: { 'content-type': 'application/json', location: '/products/p-1', 'Access-Control-Allow-Origin': 'https://evil.example' }, body: '{}' }),
  );
  const cors = {
    AllowOrigins: [SHOP, 'http://localhost:5173'],
    AllowMethods: ['GET', 'POST'],
    AllowHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-correlation-id'],
    ExposeHeaders: ['location', 'x-correlation-id', 'retry-after'],
    MaxAge: 600,
  };
  const emulator = HttpApiEmulator.create(
    [api({ CorsConfiguration: cors }), authorizer(issuer.issuer), integration('Catalog'), route('GET /products', 'Catalog'), jwtRoute('POST /products', 'Catalog'), stage({ RouteSettings: undefined })],
    { invoker: functions, issuer },
  );
  let url = '';

  beforeAll(async () => {
    url = await emulator.listen(0);
  });
  afterAll(() => emulator.close(100));

  const preflight = (origin: string, method = 'POST', headers = 'authorization,content-type') =>
    fetch(`${url}/products`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
  const corsHeadersOf = (response: Response): Record<string, string> =>
    Object.fromEntries([...response.headers.entries()].filter(([name]) => name.startsWith('access-control-')));

  it('answers the preflight of an allowed origin itself, 204 with the configured headers, without calling the function or the authorizer', async () => {
    // Act
    const response = await preflight(SHOP);

    // Assess
    expect(response.status).toBe(204);
    expect(corsHeadersOf(response)).toEqual({
      'access-control-allow-origin': SHOP,
      'access-control-allow-methods': 'GET,POST',
      'access-control-allow-headers': 'authorization,content-type,idempotency-key,x-correlation-id',
      'access-control-max-age': '600',
    });
    expect(await response.text()).toBe('');
    expect(functions.calls).toHaveLength(0);
  });

  it.each([
    ['an origin that is not allowed', 'https://evil.example', 'POST', 'content-type'],
    ['an allowed origin on another port', 'http://localhost:3000', 'POST', 'content-type'],
    ['a method that is not allowed', SHOP, 'DELETE', 'content-type'],
    ['a header that is not allowed', SHOP, 'POST', 'content-type,x-api-key'],
  ])('answers the preflight of %s with 204 and no CORS headers, so the browser refuses', async (_, origin, method, headers) => {
    const response = await preflight(origin, method, headers);
    expect(response.status).toBe(204);
    expect(corsHeadersOf(response)).toEqual({});
    expect(functions.calls).toHaveLength(0);
  });

  it('adds Allow-Origin and Expose-Headers to the answers an allowed origin gets, its own and the gateway\'s, and drops the function\'s CORS headers', async () => {
    // Act
    const read = await fetch(`${url}/products`, { headers: { origin: 'http://localhost:5173' } });
    const anonymousWrite = await fetch(`${url}/products`, { method: 'POST', headers: { origin: SHOP } });
    const write = await fetch(`${url}/products`, { method: 'POST', headers: { origin: SHOP, authorization: `Bearer ${issuer.mint({ username: 'alice' }).token}` } });

    // Assess
    const expected = (origin: string) => ({ 'access-control-allow-origin': origin, 'access-control-expose-headers': 'location,x-correlation-id,retry-after' });
    expect([read.status, anonymousWrite.status, write.status]).toEqual([201, 401, 201]);
    expect(corsHeadersOf(read)).toEqual(expected('http://localhost:5173'));
    expect(corsHeadersOf(anonymousWrite)).toEqual(expected(SHOP));
    expect(corsHeadersOf(write)).toEqual(expected(SHOP));
    expect(write.headers.get('location')).toBe('/products/p-1');
  });

  it('serves a disallowed origin, or a request without one, without CORS headers, the function\'s dropped too', async () => {
    const other = await fetch(`${url}/products`, { headers: { origin: 'https://evil.example' } });
    const none = await fetch(`${url}/products`);
    expect([other.status, none.status]).toEqual([201, 201]);
    expect(corsHeadersOf(other)).toEqual({});
    expect(corsHeadersOf(none)).toEqual({});
  });

  it('leaves an OPTIONS request that is not a preflight to the routes (none here: 404)', async () => {
    const response = await fetch(`${url}/products`, { method: 'OPTIONS' });
    expect(response.status).toBe(404);
  });

  it('without a CORS configuration, answers a preflight as any unrouted request, and passes the function\'s headers on', async () => {
    // Prepare
    const plain = HttpApiEmulator.create([api(), integration('Catalog'), route('GET /products', 'Catalog'), stage({ RouteSettings: undefined })], { invoker: functions });
    const base = await plain.listen(0);

    // Act
    const answer = await fetch(`${base}/products`, { method: 'OPTIONS', headers: { origin: SHOP, 'access-control-request-method': 'GET' } });
    const read = await fetch(`${base}/products`, { headers: { origin: SHOP } });
    await plain.close(100);

    // Assess
    expect(answer.status).toBe(404);
    expect(read.headers.get('access-control-allow-origin')).toBe('https://evil.example');
  });
});

describe('HttpApiEmulator.create', () => {
  const issuer = LocalJwtIssuer.create({ userPoolId: POOL_ID, clients: [{ clientId: CLIENT }] });
  const template = (): LocalResource[] => [api(), authorizer(issuer.issuer), integration('Catalog'), route('GET /products', 'Catalog'), jwtRoute('POST /products', 'Catalog'), stage({ RouteSettings: undefined })];
  const patch = (logicalId: string, properties: Record<string, unknown>) =>
    template().map((r) => (r.logicalId === logicalId ? { ...r, properties: { ...r.properties, ...properties } } : r));
  const create = (resources: LocalResource[]) => () => HttpApiEmulator.create(resources, { invoker: new FakeFunctions(['Catalog']), issuer });

  it('accepts the resources of the shop template', () => {
    expect(create(template())().routes()).toEqual([
      { routeKey: 'GET /products', authorizationType: 'NONE', functionName: 'Catalog' },
      { routeKey: 'POST /products', authorizationType: 'JWT', functionName: 'Catalog' },
    ]);
  });

  it.each([
    ['payload format 1.0', 'CatalogIntegration', { PayloadFormatVersion: '1.0' }, 'PayloadFormatVersion'],
    ['an HTTP proxy integration', 'CatalogIntegration', { IntegrationType: 'HTTP_PROXY', IntegrationUri: 'https://example.com' }, 'IntegrationType'],
    ['an integration of a function the local cloud does not run', 'CatalogIntegration', { IntegrationUri: arn('Missing') }, 'IntegrationUri'],
    ['request parameter mapping', 'CatalogIntegration', { RequestParameters: { 'overwrite:path': '/x' } }, 'RequestParameters'],
    ['a CORS property API Gateway does not have', 'Api', { CorsConfiguration: { AllowOrigins: ['https://shop.example'], AllowOrigin: ['x'] } }, 'CorsConfiguration.AllowOrigin'],
    ['CORS credentials with any origin, which API Gateway refuses', 'Api', { CorsConfiguration: { AllowOrigins: ['*'], AllowCredentials: true } }, 'CorsConfiguration.AllowCredentials'],
    ['a CORS max age over a day', 'Api', { CorsConfiguration: { AllowOrigins: ['https://shop.example'], MaxAge: 86_401 } }, 'CorsConfiguration.MaxAge'],
    ['a WebSocket API', 'Api', { ProtocolType: 'WEBSOCKET' }, 'ProtocolType'],
    ['an unknown route property', 'RouteGETproducts', { Frobnicate: true }, 'Frobnicate'],
    ['IAM authorization', 'RouteGETproducts', { AuthorizationType: 'AWS_IAM' }, 'AuthorizationType'],
    ['scopes on a route without an authorizer', 'RouteGETproducts', { AuthorizationScopes: ['shop/read'] }, 'AuthorizationScopes'],
    ['a Lambda authorizer', 'Cognito', { AuthorizerType: 'REQUEST' }, 'AuthorizerType'],
    ['another identity provider', 'Cognito', { JwtConfiguration: { Issuer: 'https://example.auth0.com/', Audience: [CLIENT] } }, 'JwtConfiguration.Issuer'],
    ['a named stage', 'DefaultStage', { StageName: 'prod' }, 'StageName'],
    ['metrics settings', 'DefaultStage', { DefaultRouteSettings: { DetailedMetricsEnabled: true } }, 'DefaultRouteSettings.DetailedMetricsEnabled'],
    ['throttling of a route that does not exist', 'DefaultStage', { RouteSettings: { 'POST /orders': { ThrottlingBurstLimit: 1 } } }, 'RouteSettings.POST /orders'],
    ['an access-log variable that is not emulated', 'DefaultStage', { AccessLogSettings: { DestinationArn: LOG_GROUP, Format: '$context.identity.caller' } }, 'AccessLogSettings.Format'],
    ['a permission with an unknown property', 'CatalogPermission', { EventSourceToken: 'x' }, 'EventSourceToken'],
  ])('refuses %s, naming the resource and the property', (_, logicalId, properties, property) => {
    const resources = logicalId === 'CatalogPermission' ? [...template(), { ...permission, properties: { ...permission.properties, ...properties } }] : patch(logicalId, properties);
    const error = unsupported(create(resources));
    expect(error).toMatchObject({ logicalId, property });
    expect(error.message).toContain(property);
  });

  it('refuses a JWT authorizer when there is no issuer to check tokens with', () => {
    const error = unsupported(() => HttpApiEmulator.create(template(), { invoker: new FakeFunctions(['Catalog']) }));
    expect(error).toMatchObject({ logicalId: 'Cognito', property: 'JwtConfiguration.Issuer' });
  });
});
