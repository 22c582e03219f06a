import * as z from 'zod';
import {
  DependencyUnavailableError,
  ForbiddenError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../../../functions/shared/errors';
import { authorize, errorToProblem, MAX_BODY_BYTES, parseJsonBody, principalOf, type HttpEvent, type JwtClaims } from '../../../functions/shared/http';
import { bodyOf, httpEvent } from '../../support/lambda';

/** An event whose authorizer passed exactly these claims. */
const withClaims = (claims: JwtClaims | undefined): HttpEvent => {
  const event = httpEvent({ routeKey: 'GET /things' });
  return { ...event, requestContext: { ...event.requestContext, ...(claims ? { authorizer: { jwt: { claims, scopes: null } } } : {}) } } as HttpEvent;
};

/** The problem body a caller gets for an error. */
const problemOf = (error: unknown) => {
  const result = errorToProblem(error, '/things/1', 'corr-1');
  return { status: result.statusCode, headers: result.headers, body: bodyOf(result) as Record<string, unknown> };
};

describe('who is calling', () => {
  it.each<[string, JwtClaims[string] | undefined, string[]]>([
    ["API Gateway's flattened array", '[admin carrier]', ['admin', 'carrier']],
    ['a JSON array', '["carrier","admin"]', ['carrier', 'admin']],
    ['an array claim', ['carrier'], ['carrier']],
    ['a single name', 'carrier', ['carrier']],
    ['names separated by commas', 'carrier, admin', ['carrier', 'admin']],
    ['names with a trailing comma', 'carrier,', ['carrier']],
    ['a flattened array with a trailing comma', '[admin, ]', ['admin']],
    ['a flattened array in blanks', ' [admin carrier] ', ['admin', 'carrier']],
    ['a name with a stray closing bracket', 'admin]', ['admin]']],
    ['a name with a stray opening bracket', '[admin', ['[admin']],
    ['an empty flattened array', '[ ]', []],
    ['no claim', undefined, []],
  ])('reads cognito:groups given as %s', (_form, groups, expected) => {
    const principal = principalOf(withClaims({ sub: 'user-1', ...(groups === undefined ? {} : { 'cognito:groups': groups }) }));
    expect(principal).toEqual({ userId: 'user-1', groups: expected, isAdmin: expected.includes('admin') });
  });

  it.each<[string, JwtClaims | undefined]>([
    ['no token', undefined],
    ['an empty sub', { sub: '' }],
    ['a sub that is not a string', { sub: 7 }],
    ['no sub', { 'cognito:groups': '[admin]' }],
  ])('counts %s as nobody signed in: 401 UNAUTHORIZED on a user route', (_what, claims) => {
    const event = withClaims(claims);
    expect(principalOf(event)).toBeUndefined();
    expect(() => authorize(event, 'user')).toThrow(UnauthorizedError);
    expect(authorize(event, 'public')).toBeUndefined();
  });

  it('lets admins and carriers (and only them) call carrier routes, and only admins call admin routes', () => {
    const as = (groups: string) => withClaims({ sub: 'user-1', 'cognito:groups': groups });
    expect(authorize(as('[carrier]'), 'carrier')).toMatchObject({ userId: 'user-1' });
    expect(authorize(as('[admin]'), 'carrier')).toMatchObject({ userId: 'user-1', isAdmin: true });
    expect(authorize(as('[admin]'), 'admin')).toMatchObject({ isAdmin: true });
    expect(() => authorize(as('[users]'), 'carrier')).toThrow(ForbiddenError);
    expect(() => authorize(as('[carrier]'), 'admin')).toThrow(ForbiddenError);
    expect(() => authorize(as('[administrators]'), 'admin')).toThrow(ForbiddenError);
    for (const [groups, access] of [['[users]', 'carrier'], ['[carrier]', 'admin']] as const) {
      expect(problemOf(captured(() => authorize(as(groups), access)))).toMatchObject({ status: 403, body: { code: 'FORBIDDEN', detail: expect.stringMatching(/\S/) } });
    }
    expect(authorize(as('[users]'), 'user')).toMatchObject({ userId: 'user-1', isAdmin: false });
  });
});

describe('reading a JSON body', () => {
  const schema = z.object({ text: z.string() });
  const bodyEvent = (body: string, headers: Record<string, string> = {}) => httpEvent({ routeKey: 'POST /things', body, headers });
  /** A JSON body of exactly `bytes` bytes. */
  const bodyOfSize = (bytes: number) => JSON.stringify({ text: 'x'.repeat(bytes - '{"text":""}'.length) });

  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes and answers 413 PAYLOAD_TOO_LARGE for one byte more`, () => {
    expect(parseJsonBody(bodyEvent(bodyOfSize(MAX_BODY_BYTES)), schema).text).toHaveLength(MAX_BODY_BYTES - 11);
    expect(problemOf(captured(() => parseJsonBody(bodyEvent(bodyOfSize(MAX_BODY_BYTES + 1)), schema)))).toMatchObject({
      status: 413,
      body: { code: 'PAYLOAD_TOO_LARGE', title: 'Content Too Large', type: 'urn:serverless-shop:problem:payload-too-large' },
    });
  });

  it('counts the bytes a base64-encoded body decodes to', () => {
    const event = { ...bodyEvent(Buffer.from(bodyOfSize(MAX_BODY_BYTES)).toString('base64')), isBase64Encoded: true };
    expect(parseJsonBody(event, schema).text).toHaveLength(MAX_BODY_BYTES - 11);
  });

  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/merge-patch+json', true],
    ['APPLICATION/JSON', true],
    ['text/plain', false],
    ['application/jsonp', false],
    ['text/json', false],
    ['x-application/json', false],
  ])('takes Content-Type %s as JSON: %s', (contentType, accepted) => {
    const act = () => parseJsonBody(bodyEvent('{"text":"a"}', { 'content-type': contentType }), schema);
    if (accepted) expect(act()).toEqual({ text: 'a' });
    else expect(problemOf(captured(act))).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE', title: 'Unsupported Media Type' } });
  });

  it('answers 400 MALFORMED_JSON for a body that is not JSON and 400 BODY_REQUIRED for none, saying so', () => {
    const notJson = captured(() => parseJsonBody(bodyEvent('{"text":'), schema));
    const json = { 'content-type': 'application/json' };
    // A direct invoke's JSON event may carry `"body": null`; API Gateway leaves the body out.
    const nullBody = JSON.parse(JSON.stringify({ ...bodyEvent('', json), body: null })) as HttpEvent;
    const noBody = [bodyEvent(''), httpEvent({ routeKey: 'POST /things', headers: json }), nullBody].map((event) => problemOf(captured(() => parseJsonBody(event, schema))));

    expect(problemOf(notJson)).toMatchObject({ status: 400, body: { code: 'MALFORMED_JSON', title: 'Bad Request', detail: expect.stringContaining('JSON') } });
    expect(notJson).toMatchObject({ cause: expect.any(SyntaxError) });
    expect(noBody).toEqual(Array.from({ length: 3 }, () => expect.objectContaining({ status: 400, body: expect.objectContaining({ code: 'BODY_REQUIRED', detail: expect.stringContaining('body') }) })));
  });

  it('answers 415 for a body sent without any header at all', () => {
    const { headers: _none, ...withoutHeaders } = bodyEvent('{"text":"a"}');
    const event = JSON.parse(JSON.stringify(withoutHeaders)) as HttpEvent;
    expect(problemOf(captured(() => parseJsonBody(event, schema)))).toMatchObject({ status: 415, body: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
  });

  it('says how large a body may be, and echoes at most 100 characters of a Content-Type it refuses', () => {
    const tooLarge = problemOf(captured(() => parseJsonBody(bodyEvent(bodyOfSize(MAX_BODY_BYTES + 1)), schema)));
    const contentType = `text/${'x'.repeat(300)}`;
    const refused = problemOf(captured(() => parseJsonBody(bodyEvent('{}', { 'content-type': contentType }), schema)));

    expect(tooLarge.body.detail).toContain(String(MAX_BODY_BYTES));
    expect(refused.body.detail).toContain(contentType.slice(0, 100));
    expect(refused.body.detail).not.toContain(contentType.slice(0, 101));
  });
});

/** The error a call throws. */
const captured = (act: () => unknown): unknown => {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
};

describe('problem+json answers', () => {
  it.each([
    ['UnauthorizedError', () => new UnauthorizedError(), 401, 'UNAUTHORIZED', 'Unauthorized', 'urn:serverless-shop:problem:unauthorized'],
    ['ForbiddenError', () => new ForbiddenError(), 403, 'FORBIDDEN', 'Forbidden', 'urn:serverless-shop:problem:forbidden'],
    ['NotFoundError', () => new NotFoundError('ORDER_NOT_FOUND', 'gone'), 404, 'ORDER_NOT_FOUND', 'Not Found', 'urn:serverless-shop:problem:order-not-found'],
    ['ValidationError', () => new ValidationError([{ path: 'a', message: 'bad' }]), 422, 'VALIDATION_FAILED', 'Unprocessable Content', 'urn:serverless-shop:problem:validation-failed'],
    ['DependencyUnavailableError', () => new DependencyUnavailableError('down', 7), 503, 'DEPENDENCY_UNAVAILABLE', 'Service Unavailable', 'urn:serverless-shop:problem:dependency-unavailable'],
  ])('answers a %s with its status, code, title and type, the request and its correlation id', (_name, make, status, code, title, type) => {
    // Built in the test, not while jest collects it: an error made then would make its constructor a static mutant for Stryker.
    const problem = problemOf(make());
    expect(problem).toMatchObject({ status, headers: { 'content-type': 'application/problem+json' }, body: { status, code, title, type, instance: '/things/1', correlationId: 'corr-1' } });
    expect(problem.body.detail).toEqual(expect.stringMatching(/\S/));
  });

  it('lists the offending fields of a 422 and tells a 503 caller when to retry', () => {
    expect(problemOf(new ValidationError([{ path: 'items.0', message: 'bad' }])).body.errors).toEqual([{ path: 'items.0', message: 'bad' }]);
    expect(problemOf(new DependencyUnavailableError('down', 7)).headers).toMatchObject({ 'retry-after': '7' });
    expect(problemOf(new DependencyUnavailableError('down')).headers).toMatchObject({ 'retry-after': '1' });
    expect(problemOf(new NotFoundError('X', 'gone')).headers).not.toHaveProperty('retry-after');
    expect(problemOf(new NotFoundError('X', 'gone')).body).not.toHaveProperty('errors');
  });

  it('answers anything else as a generic 500 INTERNAL_ERROR that does not leak the error', () => {
    const problem = problemOf(new Error('password=hunter2'));
    expect(problem).toMatchObject({ status: 500, body: { code: 'INTERNAL_ERROR', title: 'Internal Server Error', type: 'urn:serverless-shop:problem:internal-error' } });
    expect(JSON.stringify(problem.body)).not.toContain('hunter2');
    expect(problem.body).toMatchObject({ instance: '/things/1', correlationId: 'corr-1' });
    expect(problem.body.detail).toEqual(expect.stringMatching(/\S/));
  });
});
