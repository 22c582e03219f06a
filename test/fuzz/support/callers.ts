import { createHmac } from 'node:crypto';
import type { LocalJwtIssuer, TokenClaims } from '../../../local/apigateway/jwt-issuer';

/**
 * Who a request claims to be, as far as the API can tell:
 * - `refused`: no token, or one the JWT authorizer refuses (API Gateway's 401);
 * - `no-sub`: a token the authorizer accepts but that names nobody (no or an empty `sub`): the handler's 401;
 * - `user`, `carrier`, `admin`: a signed-in caller of that standing.
 */
export type Standing = 'refused' | 'no-sub' | 'user' | 'carrier' | 'admin';

/** One way of sending (or not sending) credentials. */
export interface CallerVariant {
  readonly what: string;
  readonly standing: Standing;
  /** The `authorization` header's value; undefined sends none. */
  readonly authorization?: string;
  /** The `sub` the functions will see, for signed-in callers. */
  readonly sub?: string;
}

const base64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

const segments = (token: string): [string, string, string] => {
  const [header = '', payload = '', signature = ''] = token.split('.');
  return [header, payload, signature];
};

/**
 * Every caller the fuzzer uses, minted by the local user pool. The refused
 * ones cover what a JWT authorizer must turn away: no token, an empty or
 * foreign scheme, garbage, `alg: none`, an HMAC signature, an unknown key,
 * a tampered payload or signature, and tokens signed by the pool itself
 * that are expired, not yet valid, issued in the future, for another
 * audience or issuer, or without a Cognito `token_use`.
 */
export const mintCallers = (issuer: LocalJwtIssuer): readonly CallerVariant[] => {
  const user = issuer.mint({ username: 'fuzz-alice@example.com' });
  const userAccess = issuer.mint({ username: 'fuzz-alice@example.com', tokenUse: 'access' });
  const carrier = issuer.mint({ username: 'fuzz-carrier@example.com', groups: ['carrier'] });
  const admin = issuer.mint({ username: 'fuzz-admin@example.com', groups: ['admin'] });
  const adminAccess = issuer.mint({ username: 'fuzz-admin@example.com', groups: ['admin'], tokenUse: 'access' });
  const now = Math.floor(Date.now() / 1000);
  const audience = issuer.clientIds[0];
  const claims = (overrides: Record<string, unknown>): TokenClaims => ({
    sub: 'b6c1f2a4-0000-4000-8000-00000000f022',
    iss: issuer.issuer,
    aud: audience,
    token_use: 'id',
    iat: now,
    exp: now + 3600,
    ...overrides,
  });
  const signed = (overrides: Record<string, unknown>) => issuer.signClaims(claims(overrides));
  const without = (name: string): TokenClaims => Object.fromEntries(Object.entries(claims({})).filter(([key]) => key !== name));
  const [userHeader, userPayload, userSignature] = segments(user.token);
  const [, adminPayload] = segments(admin.token);
  const kid = issuer.jwks().keys[0].kid;
  const unsigned = `${base64url(JSON.stringify({ kid, alg: 'none' }))}.${userPayload}`;
  const hmacInput = `${base64url(JSON.stringify({ kid, alg: 'HS256' }))}.${userPayload}`;
  const hmac = createHmac('sha256', JSON.stringify(issuer.jwks().keys[0])).update(hmacInput).digest('base64url');
  const foreignKid = `${base64url(JSON.stringify({ kid: 'not-the-pool-key', alg: 'RS256' }))}.${userPayload}.${userSignature}`;
  const flipped = `${userSignature.slice(0, 20)}${userSignature[20] === 'A' ? 'B' : 'A'}${userSignature.slice(21)}`;

  const refused = (what: string, authorization?: string): CallerVariant => ({ what, standing: 'refused', ...(authorization === undefined ? {} : { authorization }) });
  const as = (what: string, standing: Standing, authorization: string, sub: string): CallerVariant => ({ what, standing, authorization, sub });

  return [
    refused('no authorization header'),
    refused('an empty authorization header', ''),
    refused("'Bearer' and no token", 'Bearer'),
    refused("'Bearer ' and blanks", 'Bearer    '),
    refused('Basic credentials', `Basic ${Buffer.from('alice:Correct-Horse-9!').toString('base64')}`),
    refused("a valid token behind another scheme ('Token ...')", `Token ${user.token}`),
    refused('a valid token with trailing junk', `Bearer ${user.token} junk`),
    refused('two tokens in one header', `Bearer ${user.token}, Bearer ${admin.token}`),
    refused('three dots', 'Bearer ...'),
    refused("'a.b.c'", 'Bearer a.b.c'),
    refused('alg none (unsigned)', `Bearer ${unsigned}.`),
    refused('alg HS256 signed with the public key as secret', `Bearer ${hmacInput}.${hmac}`),
    refused('an unknown key id', `Bearer ${foreignKid}`),
    refused("an admin's payload under a user's signature", `Bearer ${userHeader}.${adminPayload}.${userSignature}`),
    refused('a flipped signature', `Bearer ${userHeader}.${userPayload}.${flipped}`),
    refused('a truncated signature', `Bearer ${userHeader}.${userPayload}.${userSignature.slice(0, 40)}`),
    refused('no signature', `Bearer ${userHeader}.${userPayload}.`),
    refused('expired an hour ago (signed by the pool)', `Bearer ${signed({ iat: now - 7200, exp: now - 3600 })}`),
    refused('not valid for an hour (nbf)', `Bearer ${signed({ nbf: now + 3600 })}`),
    refused('issued in an hour (iat)', `Bearer ${signed({ iat: now + 3600 })}`),
    refused('for another audience', `Bearer ${signed({ aud: 'someone-elses-client' })}`),
    refused('from another issuer', `Bearer ${signed({ iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_evil' })}`),
    refused('without token_use', `Bearer ${issuer.signClaims(without('token_use'))}`),
    refused("token_use 'refresh'", `Bearer ${signed({ token_use: 'refresh' })}`),
    refused('without exp', `Bearer ${issuer.signClaims(without('exp'))}`),
    refused('exp as a string', `Bearer ${signed({ exp: String(now + 3600) })}`),
    refused('4 KB of base64url junk', `Bearer ${'eyJ'.padEnd(4000, 'QUFB')}`),
    refused('JSON instead of a token', 'Bearer {"sub":"admin","cognito:groups":["admin"]}'),
    refused('latin-1 junk', 'Bearer \u00ff\u00fe\u00e9t\u00e9.\u00e0.\u00e7'),
    as('a token without sub', 'no-sub', `Bearer ${issuer.signClaims(without('sub'))}`, ''),
    as("a token whose sub is ''", 'no-sub', `Bearer ${signed({ sub: '' })}`, ''),
    as('user alice', 'user', `Bearer ${user.token}`, user.sub),
    as("user alice, scheme in lower case ('bearer')", 'user', `bearer ${user.token}`, user.sub),
    as("user alice, the bare token (no 'Bearer')", 'user', user.token, user.sub),
    as("user alice's access token", 'user', `Bearer ${userAccess.token}`, userAccess.sub),
    as("a user in group 'Admin' (groups are case-sensitive)", 'user', `Bearer ${signed({ sub: 'b6c1f2a4-0000-4000-8000-00000000adad', 'cognito:groups': ['Admin'] })}`, 'b6c1f2a4-0000-4000-8000-00000000adad'),
    as("a user whose groups claim is '[administrators]'", 'user', `Bearer ${signed({ sub: 'b6c1f2a4-0000-4000-8000-0000000000a1', 'cognito:groups': '[administrators]' })}`, 'b6c1f2a4-0000-4000-8000-0000000000a1'),
    as('carrier', 'carrier', `Bearer ${carrier.token}`, carrier.sub),
    as('admin', 'admin', `Bearer ${admin.token}`, admin.sub),
    as("admin's access token", 'admin', `Bearer ${adminAccess.token}`, adminAccess.sub),
  ];
};

/** The seeding admin, for `ShopClient`. */
export const seedingAdmin = (issuer: LocalJwtIssuer): { readonly name: string; readonly token: string } => ({
  name: 'fuzz seeding admin',
  token: issuer.mint({ username: 'fuzz-seeder@example.com', groups: ['admin'] }).token,
});
