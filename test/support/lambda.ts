import type { Context } from 'aws-lambda';
import type { HttpEvent, HttpResult, JwtClaims } from '../../functions/shared/http';

/** A Lambda context good enough for Powertools. */
export const fakeContext = (functionName = 'test-function'): Context => ({
  callbackWaitsForEmptyEventLoop: false,
  functionName,
  functionVersion: '$LATEST',
  invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
  memoryLimitInMB: '256',
  awsRequestId: 'test-request',
  logGroupName: `/aws/lambda/${functionName}`,
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});

/** Who calls, in tests: a user, an admin, or nobody. */
export type TestCaller = { readonly sub: string; readonly groups?: readonly string[] } | undefined;

/** Options of {@link httpEvent}. */
export interface HttpEventOptions {
  readonly routeKey: string;
  /** Concrete path; defaults to the route key's path with parameters filled in. */
  readonly path?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  /** A string is sent as is; anything else is JSON-encoded. */
  readonly body?: unknown;
  readonly caller?: TestCaller;
}

/** An API Gateway HTTP API (payload 2.0) event, as the JWT authorizer would pass it. */
export const httpEvent = (options: HttpEventOptions): HttpEvent => {
  const [method, template] = options.routeKey.split(' ');
  const path =
    options.path ??
    Object.entries(options.pathParameters ?? {}).reduce((p, [k, v]) => p.replace(`{${k}}`, encodeURIComponent(v)), template ?? '/');
  const claims: JwtClaims | undefined = options.caller
    ? { sub: options.caller.sub, ...(options.caller.groups ? { 'cognito:groups': `[${options.caller.groups.join(' ')}]` } : {}) }
    : undefined;
  const body = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: options.routeKey,
    rawPath: path,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { 'content-type': 'application/json', ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.pathParameters,
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'test.local',
      domainPrefix: 'test',
      requestId: 'req-1',
      routeKey: options.routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      http: { method: method ?? 'GET', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'jest' },
      ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}),
    },
  } as HttpEvent;
};

/** Invokes a Lambda handler and returns its result. */
export const invoke = async <E, R>(handler: (event: E, context: Context) => Promise<R>, event: E): Promise<R> =>
  handler(event, fakeContext());

/** The JSON body of an HTTP result. */
export const bodyOf = (result: HttpResult): unknown => (result.body ? JSON.parse(result.body) : undefined);

export const alice: TestCaller = { sub: 'user-alice' };
export const bob: TestCaller = { sub: 'user-bob' };
export const admin: TestCaller = { sub: 'user-admin', groups: ['admin'] };
