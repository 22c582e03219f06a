import { createPublicKey, verify } from 'node:crypto';
import { ControlServer } from '../../local/apigateway/control-server';
import { UnsupportedFeatureError } from '../../local/errors';
import { LocalJwtIssuer, RESERVED_CLAIMS, subjectFor, TokenRequestError, type TokenClaims } from '../../local/apigateway/jwt-issuer';
import { parseTokenArgs } from '../../local/token-args';
import type { LocalResource } from '../../local/resources';

const POOL_ID = 'us-east-1_LocalPool';
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL_ID}`;
const CLIENT = 'web-client';
const expected = { issuer: ISSUER, audience: [CLIENT] };

const decode = (token: string): { header: TokenClaims; claims: TokenClaims } => {
  const [header, claims] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as TokenClaims);
  return { header, claims };
};

/** A clock the test moves by hand. */
const manualClock = (start = Date.UTC(2030, 0, 1)) => {
  let now = start;
  return { now: () => now, advance: (seconds: number) => (now += seconds * 1000) };
};

const issuerWith = (clock = manualClock()) =>
  LocalJwtIssuer.create({ userPoolId: POOL_ID, clients: [{ clientId: CLIENT, idTokenValiditySeconds: 3600 }, { clientId: 'cli' }], groups: ['admin', 'carrier'], clock: clock.now });

describe('LocalJwtIssuer', () => {
  const clock = manualClock();
  const issuer = issuerWith(clock);

  it('mints an RS256 ID token with the claims of a Cognito ID token', () => {
    // Act
    const issued = issuer.mint({ username: 'alice', groups: ['admin', 'carrier'] });

    // Assess
    const { header, claims } = decode(issued.token);
    expect(header).toEqual({ kid: issuer.jwks().keys[0].kid, alg: 'RS256' });
    const now = clock.now() / 1000;
    expect(claims).toEqual({
      sub: issued.sub,
      'cognito:groups': ['admin', 'carrier'],
      email_verified: true,
      iss: ISSUER,
      'cognito:username': 'alice',
      origin_jti: expect.any(String),
      aud: CLIENT,
      event_id: expect.any(String),
      token_use: 'id',
      auth_time: now,
      exp: now + 3600,
      iat: now,
      jti: expect.any(String),
      email: 'alice@example.local',
    });
    expect(issued.expiresIn).toBe(3600);
    expect(issuer.verify(issued.token, expected)).toEqual({ ok: true, claims });
  });

  it('adds custom claims to ID and access tokens, and may change an attribute claim such as email', () => {
    // Act
    const id = decode(issuer.mint({ username: 'alice', claims: { tier: 'gold', email: 'a@shop.example' } }).token).claims;
    const access = decode(issuer.mint({ username: 'alice', tokenUse: 'access', claims: { tier: 'gold' } }).token).claims;

    // Assess
    expect(id).toMatchObject({ tier: 'gold', email: 'a@shop.example', sub: subjectFor('alice'), token_use: 'id' });
    expect(access).toMatchObject({ tier: 'gold', token_use: 'access' });
  });

  it.each([...RESERVED_CLAIMS])('refuses to override %s, a claim the pool sets', (name) => {
    expect(() => issuer.mint({ username: 'alice', claims: { [name]: 'x' } })).toThrow(new TokenRequestError(`Claim '${name}' is set by the user pool and cannot be overridden.`));
  });

  it('leaves cognito:groups out when the user has no group, as Cognito does', () => {
    const { claims } = decode(issuer.mint({ username: 'bob' }).token);
    expect(claims).not.toHaveProperty('cognito:groups');
  });

  it('gives a username the same sub across restarts (new keys), a UUID unique to the username', () => {
    const again = issuerWith();
    const sub = issuer.mint({ username: 'alice' }).sub;
    expect(again.mint({ username: 'alice' }).sub).toBe(sub);
    expect(sub).toBe(subjectFor('alice'));
    expect(sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(issuer.mint({ username: 'bob' }).sub).not.toBe(sub);
    expect(again.jwks().keys[0].kid).not.toBe(issuer.jwks().keys[0].kid);
  });

  it('publishes only the public key as a JWK that verifies its tokens', () => {
    // Prepare
    const { token } = issuer.mint({ username: 'alice' });
    const [jwk] = issuer.jwks().keys;

    // Act
    const [header, payload, signature] = token.split('.');
    const valid = verify('sha256', Buffer.from(`${header}.${payload}`), createPublicKey({ key: { ...jwk }, format: 'jwk' }), Buffer.from(signature, 'base64url'));

    // Assess
    expect(issuer.jwks().keys).toHaveLength(1);
    expect(jwk).toEqual({ kty: 'RSA', kid: expect.any(String), alg: 'RS256', use: 'sig', n: expect.any(String), e: 'AQAB' });
    expect(valid).toBe(true);
  });

  it('mints access tokens with client_id and scope instead of aud, which verify against the client id', () => {
    const issued = issuer.mint({ username: 'alice', tokenUse: 'access', scopes: ['shop/orders.write', 'openid'] });
    const { claims } = decode(issued.token);
    expect(claims).toMatchObject({ client_id: CLIENT, token_use: 'access', scope: 'shop/orders.write openid', username: 'alice' });
    expect(claims).not.toHaveProperty('aud');
    expect(issuer.verify(issued.token, expected).ok).toBe(true);
  });

  it('checks aud, not client_id, when a token has both (API Gateway evaluates aud)', () => {
    const now = clock.now() / 1000;
    const token = issuer.signClaims({ iss: ISSUER, aud: 'someone-else', client_id: CLIENT, token_use: 'id', exp: now + 60 });
    expect(issuer.verify(token, expected)).toEqual({ ok: false, reason: 'the token does not have a valid audience' });
  });

  it.each([
    ['a wrong issuer', { issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other', audience: [CLIENT] }, 'the token does not have a valid issuer'],
    ['another audience', { issuer: ISSUER, audience: ['another-client'] }, 'the token does not have a valid audience'],
  ])('refuses a token for %s', (_, expectations, reason) => {
    expect(issuer.verify(issuer.mint({ username: 'alice' }).token, expectations)).toEqual({ ok: false, reason });
  });

  it('refuses an expired token, after a small clock skew', () => {
    // Prepare
    const skewed = manualClock();
    const shortLived = issuerWith(skewed);
    const { token } = shortLived.mint({ username: 'alice', ttlSeconds: 60 });

    // Act
    skewed.advance(62);
    const withinSkew = shortLived.verify(token, expected);
    skewed.advance(10);
    const expired = shortLived.verify(token, expected);

    // Assess
    expect(withinSkew.ok).toBe(true);
    expect(expired).toEqual({ ok: false, reason: 'the token has expired' });
  });

  it('refuses a token that is not valid yet, was issued in the future, or has no expiry', () => {
    const now = clock.now() / 1000;
    const base = { iss: ISSUER, aud: CLIENT, token_use: 'id' };
    expect(issuer.verify(issuer.signClaims({ ...base, exp: now + 600, nbf: now + 300 }), expected)).toEqual({ ok: false, reason: 'the token is not valid yet' });
    expect(issuer.verify(issuer.signClaims({ ...base, exp: now + 600, iat: now + 300 }), expected)).toEqual({ ok: false, reason: 'the token was issued in the future' });
    expect(issuer.verify(issuer.signClaims(base), expected)).toEqual({ ok: false, reason: 'the token has no expiry (exp)' });
  });

  it('refuses a token without a Cognito token_use', () => {
    const token = issuer.signClaims({ iss: ISSUER, aud: CLIENT, exp: clock.now() / 1000 + 60 });
    expect(issuer.verify(token, expected)).toEqual({ ok: false, reason: 'the token has no Cognito token_use (id or access)' });
  });

  it('refuses a tampered payload, a token of another key, another algorithm and a token that is not a JWT', () => {
    // Prepare
    const { token } = issuer.mint({ username: 'alice' });
    const [header, payload, signature] = token.split('.');
    const claims = decode(token).claims;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, 'cognito:groups': ['admin'] })).toString('base64url')}.${signature}`;
    const foreign = issuerWith().mint({ username: 'alice' }).token;
    const hs256 = `${Buffer.from(JSON.stringify({ alg: 'HS256', kid: issuer.jwks().keys[0].kid })).toString('base64url')}.${payload}.${signature}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;

    // Act & Assess
    expect(issuer.verify(tampered, expected)).toEqual({ ok: false, reason: 'the token signature is invalid' });
    expect(issuer.verify(foreign, expected)).toEqual({ ok: false, reason: 'the token was not signed by a key of the issuer (unknown kid)' });
    expect(issuer.verify(hs256, expected)).toEqual({ ok: false, reason: 'signing method HS256 is invalid' });
    expect(issuer.verify(none, expected)).toEqual({ ok: false, reason: 'signing method none is invalid' });
    expect(issuer.verify('not-a-jwt', expected).ok).toBe(false);
  });

  it.each([
    ['an unknown group', { username: 'alice', groups: ['admins'] }, /Group 'admins' does not exist/],
    ['a username with whitespace', { username: 'alice smith' }, /username must be/],
    ['an unknown client', { username: 'alice', clientId: 'nope' }, /Client 'nope' does not exist/],
    ['a lifetime over a day', { username: 'alice', ttlSeconds: 86_401 }, /ttlSeconds/],
    ['scopes on an ID token', { username: 'alice', scopes: ['openid'] }, /Only access tokens/],
  ])('refuses to mint a token for %s', (_, options, message) => {
    expect(() => issuer.mint(options)).toThrow(TokenRequestError);
    expect(() => issuer.mint(options)).toThrow(message);
  });
});

describe('LocalJwtIssuer.fromResources', () => {
  const pool: LocalResource = {
    logicalId: 'ApiUsers',
    type: 'AWS::Cognito::UserPool',
    ref: POOL_ID,
    properties: { UsernameAttributes: ['email'], Policies: { PasswordPolicy: { MinimumLength: 12 } }, AutoVerifiedAttributes: ['email'] },
  };
  const client: LocalResource = {
    logicalId: 'ApiUsersWebClient',
    type: 'AWS::Cognito::UserPoolClient',
    ref: CLIENT,
    properties: {
      UserPoolId: POOL_ID,
      IdTokenValidity: 60,
      AccessTokenValidity: 30,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes' },
      AllowedOAuthScopes: ['openid', 'email'],
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH'],
    },
  };
  const group = (name: string, extra: Record<string, unknown> = {}): LocalResource => ({
    logicalId: `${name}Group`,
    type: 'AWS::Cognito::UserPoolGroup',
    ref: name,
    properties: { UserPoolId: POOL_ID, GroupName: name, Description: name, ...extra },
  });

  it("stands in for the template's pool: its issuer, client, token lifetimes and groups", () => {
    // Act
    const issuer = LocalJwtIssuer.fromResources([pool, client, group('admin'), group('carrier')]);
    const id = issuer.mint({ username: 'alice', groups: ['admin'] });
    const access = issuer.mint({ username: 'alice', tokenUse: 'access', scopes: ['openid'] });

    // Assess
    expect(issuer.issuer).toBe(ISSUER);
    expect(issuer.clientIds).toEqual([CLIENT]);
    expect(id.expiresIn).toBe(3600);
    expect(access.expiresIn).toBe(1800);
    expect(decode(id.token).claims).toMatchObject({ aud: CLIENT, 'cognito:username': id.sub, email: 'alice@example.local' });
    expect(() => issuer.mint({ username: 'alice', groups: ['ops'] })).toThrow(TokenRequestError);
    expect(() => issuer.mint({ username: 'alice', tokenUse: 'access', scopes: ['shop/admin'] })).toThrow(/AllowedOAuthScopes/);
  });

  it.each([
    ['a Lambda trigger on the pool', [{ ...pool, properties: { ...pool.properties, LambdaConfig: { PreTokenGeneration: 'arn' } } }, client], 'LambdaConfig'],
    ['a group with an IAM role', [pool, client, group('admin', { RoleArn: 'arn:aws:iam::000000000000:role/x' })], 'RoleArn'],
    ['an unknown client property', [pool, { ...client, properties: { ...client.properties, Frobnicate: true } }], 'Frobnicate'],
    ['a client of another pool', [pool, { ...client, properties: { ...client.properties, UserPoolId: 'us-east-1_Other' } }], 'UserPoolId'],
  ])('refuses %s, naming the property', (_, resources, property) => {
    let thrown: unknown;
    try {
      LocalJwtIssuer.fromResources(resources);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(UnsupportedFeatureError);
    expect(thrown).toMatchObject({ property });
  });
});

describe('ControlServer', () => {
  const issuer = LocalJwtIssuer.create({ userPoolId: POOL_ID, clients: [{ clientId: CLIENT }], groups: ['admin', 'carrier'] });
  const control = new ControlServer({ issuer });
  let url = '';

  beforeAll(async () => {
    url = await control.listen(0);
  });
  afterAll(() => control.close());

  const postToken = (body: string) => fetch(`${url}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

  it('listens on loopback only and answers GET /health', async () => {
    expect(new URL(url).hostname).toBe('127.0.0.1');
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });

  it("serves the issuer's JWKS at GET /jwks", async () => {
    expect(await (await fetch(`${url}/jwks`)).json()).toEqual(issuer.jwks());
  });

  it('mints a token for POST /token {username, groups}', async () => {
    // Act
    const response = await postToken(JSON.stringify({ username: 'alice', groups: ['admin'] }));

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; expiresIn: number; sub: string };
    expect(body).toEqual({ token: expect.any(String), expiresIn: 3600, sub: subjectFor('alice') });
    const verified = issuer.verify(body.token, expected);
    expect(verified).toMatchObject({ ok: true, claims: { sub: subjectFor('alice'), 'cognito:groups': ['admin'], aud: CLIENT } });
  });

  it('mints what npm run token asks for: a short lifetime and custom claims, carried in a token that verifies', async () => {
    // Prepare
    const request = parseTokenArgs(['alice', '--carrier', '--ttl', '60', '--claim', 'tier=gold', '--claim=note=a=b']);
    if (request.kind !== 'mint') throw new Error(`not a token request: ${JSON.stringify(request)}`);

    // Act
    const response = await postToken(JSON.stringify(request.request));

    // Assess
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; expiresIn: number };
    expect(body.expiresIn).toBe(60);
    const verified = issuer.verify(body.token, expected);
    expect(verified).toMatchObject({ ok: true, claims: { sub: subjectFor('alice'), 'cognito:groups': ['carrier'], tier: 'gold', note: 'a=b' } });
    const { claims } = decode(body.token);
    expect(Number(claims.exp) - Number(claims.iat)).toBe(60);
  });

  it.each([
    ['no username', JSON.stringify({ groups: ['admin'] }), /username/],
    ['a claim the pool sets (sub)', JSON.stringify({ username: 'alice', claims: { sub: 'someone-else' } }), /Claim 'sub' is set by the user pool/],
    ['a claim that is not a string', JSON.stringify({ username: 'alice', claims: { tier: 3 } }), /claims/],
    ['a group the pool does not have', JSON.stringify({ username: 'alice', groups: ['root'] }), /Group 'root' does not exist/],
    ['an unknown field', JSON.stringify({ username: 'alice', admin: true }), /admin/],
    ['a body that is not JSON', '{username', /not valid JSON/],
  ])('answers 400 to a token request with %s', async (_, body, message) => {
    const response = await postToken(body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toMatch(message);
  });

  it('answers 405 to the wrong method and 404 to an unknown path', async () => {
    const wrongMethod = await fetch(`${url}/token`);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expect((await fetch(`${url}/.well-known/jwks.json`)).status).toBe(404);
  });
});
