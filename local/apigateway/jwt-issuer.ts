import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { UnsupportedFeatureError } from '../errors';
import { assertKnownProperties, LOCAL_REGION, type LocalResource } from '../resources';

/** The public half of the signing key, as a user pool publishes it in its `jwks.json`. */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly alg: 'RS256';
  readonly use: 'sig';
  readonly n: string;
  readonly e: string;
}

/** A JSON Web Key Set (RFC 7517 §5). */
export interface Jwks {
  readonly keys: readonly PublicJwk[];
}

/** Which Cognito token to mint: the ID token (`aud`) or the access token (`client_id`, `scope`). */
export type TokenUse = 'id' | 'access';

/** The decoded payload of a JWT. */
export type TokenClaims = Readonly<Record<string, unknown>>;

/** What {@link LocalJwtIssuer.mint} needs. */
export interface MintOptions {
  /** The user to sign in as; Cognito's username rules apply (1–128 characters, no whitespace). */
  readonly username: string;
  /** The user's groups, as `cognito:groups`. @default none: the claim is omitted, as Cognito omits it */
  readonly groups?: readonly string[];
  /** The app client the token is for (`aud` / `client_id`). @default the pool's first client */
  readonly clientId?: string;
  /** Lifetime of the token. @default the client's IdTokenValidity / AccessTokenValidity, else 3600 */
  readonly ttlSeconds?: number;
  /** @default 'id' */
  readonly tokenUse?: TokenUse;
  /** Scopes of an access token (its `scope` claim). @default ['aws.cognito.signin.user.admin'], what a password sign-in gets */
  readonly scopes?: readonly string[];
  /**
   * Claims to add, or to change among those the pool sets, as a pre token
   * generation trigger's `claimsToAddOrOverride` would. Those Cognito does
   * not let a trigger touch ({@link RESERVED_CLAIMS}) are refused.
   * @default none
   */
  readonly claims?: Readonly<Record<string, string>>;
}

/**
 * Claims a pre token generation trigger cannot add, change or suppress, as
 * Cognito lists them
 * (https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html),
 * and those the pool sets from the request here: `cognito:groups` (the
 * groups, checked against the pool's), `client_id`, `scope` and `username`
 * (the client, scopes and user).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'acr', 'amr', 'at_hash', 'aud', 'auth_time', 'azp', 'cognito:username', 'exp', 'iat', 'identities', 'iss', 'jti', 'nbf', 'nonce', 'origin_jti', 'sub', 'token_use',
  'cognito:groups', 'client_id', 'scope', 'username', 'event_id',
]);

/** A minted token and what a caller usually wants to print next to it. */
export interface IssuedToken {
  readonly token: string;
  /** The user's id (`sub`), stable for a username across restarts. */
  readonly sub: string;
  readonly expiresIn: number;
  readonly claims: TokenClaims;
}

/** What a verifier expects of a token: the authorizer's `JwtConfiguration`. */
export interface VerifyExpectations {
  readonly issuer: string;
  readonly audience: readonly string[];
}

/**
 * The outcome of {@link LocalJwtIssuer.verify}. `reason` is worded like the
 * `error_description` API Gateway puts in its `www-authenticate` header.
 */
export type TokenVerification = { readonly ok: true; readonly claims: TokenClaims } | { readonly ok: false; readonly reason: string };

/** A token request the user pool would refuse: unknown client or group, bad username or lifetime. */
export class TokenRequestError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** An app client of the local pool. */
export interface LocalPoolClient {
  readonly clientId: string;
  /** @default 3600 */
  readonly idTokenValiditySeconds?: number;
  /** @default 3600 */
  readonly accessTokenValiditySeconds?: number;
  /** The client's AllowedOAuthScopes; an access token may only carry these (and `aws.cognito.signin.user.admin`). @default any scope */
  readonly allowedScopes?: readonly string[];
  /** The client's ReadAttributes: `email` is left out of ID tokens when it is not among them. @default all attributes */
  readonly readAttributes?: readonly string[];
}

/** Options of {@link LocalJwtIssuer.create}. */
export interface LocalJwtIssuerOptions {
  /** The pool id the template's authorizer names in its issuer: what the local cloud gives as the pool's `Ref`. */
  readonly userPoolId: string;
  /** @default LOCAL_REGION */
  readonly region?: string;
  /** The pool's app clients; the first one is the default audience. */
  readonly clients: readonly LocalPoolClient[];
  /** The pool's groups; minting a token with another group is refused, as Cognito refuses to add a user to a group that does not exist. @default any group */
  readonly groups?: readonly string[];
  /**
   * The pool signs users in with their email (UsernameAttributes: email), so
   * Cognito's `cognito:username` is the generated id, equal to `sub`.
   * @default false: `cognito:username` is the username
   */
  readonly usernameIsSub?: boolean;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** Leeway on `exp`, `nbf` and `iat` when verifying. @default 5 */
  readonly clockSkewSeconds?: number;
}

/** Options of {@link LocalJwtIssuer.fromResources} that the template does not give. */
export type LocalJwtIssuerOverrides = Pick<LocalJwtIssuerOptions, 'clock' | 'clockSkewSeconds'>;

/** The resource types {@link LocalJwtIssuer.fromResources} reads. */
export const COGNITO_RESOURCE_TYPES = ['AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient', 'AWS::Cognito::UserPoolGroup'] as const;

const DEFAULT_SCOPE = 'aws.cognito.signin.user.admin';
const DEFAULT_TTL_SECONDS = 3600;
const MAX_TTL_SECONDS = 86_400;
const USERNAME = /^[\p{L}\p{M}\p{S}\p{N}\p{P}]{1,128}$/u;
/** Namespace of the name-based user ids, so they cannot collide with other name-based UUIDs. */
const SUB_NAMESPACE = 'serverless-shop/local-user-pool';

/**
 * Sign-in and messaging settings of a pool. Local tokens are minted for any
 * username without a sign-in, so these have nothing to act on; they are
 * accepted, not enforced, like IAM permissions.
 */
const POOL_SIGN_IN_SETTINGS = [
  'AccountRecoverySetting',
  'AdminCreateUserConfig',
  'AliasAttributes',
  'AutoVerifiedAttributes',
  'DeletionProtection',
  'DeviceConfiguration',
  'EmailAuthenticationMessage',
  'EmailAuthenticationSubject',
  'EmailConfiguration',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'EnabledMfas',
  'MfaConfiguration',
  'Policies',
  'Schema',
  'SmsAuthenticationMessage',
  'SmsConfiguration',
  'SmsVerificationMessage',
  'UserAttributeUpdateSettings',
  'UserPoolAddOns',
  'UserPoolName',
  'UserPoolTags',
  'UserPoolTier',
  'UsernameConfiguration',
  'VerificationMessageTemplate',
  'WebAuthnRelyingPartyID',
  'WebAuthnUserVerification',
];
const POOL_KNOWN = [...POOL_SIGN_IN_SETTINGS, 'UsernameAttributes'];

/** Client settings that shape sign-in flows, not the tokens; accepted, not enforced. */
const CLIENT_SIGN_IN_SETTINGS = [
  'AllowedOAuthFlows',
  'AllowedOAuthFlowsUserPoolClient',
  'AnalyticsConfiguration',
  'AuthSessionValidity',
  'CallbackURLs',
  'ClientName',
  'DefaultRedirectURI',
  'EnablePropagateAdditionalUserContextData',
  'EnableTokenRevocation',
  'ExplicitAuthFlows',
  'GenerateSecret',
  'LogoutURLs',
  'PreventUserExistenceErrors',
  'RefreshTokenRotation',
  'RefreshTokenValidity',
  'SupportedIdentityProviders',
  'WriteAttributes',
];
const CLIENT_KNOWN = [
  ...CLIENT_SIGN_IN_SETTINGS,
  'UserPoolId',
  'IdTokenValidity',
  'AccessTokenValidity',
  'TokenValidityUnits',
  'AllowedOAuthScopes',
  'ReadAttributes',
];
const GROUP_KNOWN = ['UserPoolId', 'GroupName', 'Description', 'Precedence'];

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const parseSegment = (segment: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** RFC 7638 thumbprint, so the key id changes exactly when the key does. */
const thumbprint = (n: string, e: string): string => base64url(createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest());

/**
 * A stable user id for a username: a name-based UUID (version 8, from
 * SHA-256, as RFC 9562 suggests), so alice is the same user after a restart.
 */
export const subjectFor = (username: string): string => {
  const bytes = createHash('sha256').update(`${SUB_NAMESPACE}\0${username}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x80;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/** The issuer URL of a Cognito user pool, as its tokens' `iss` and JWT authorizers name it. */
export const cognitoIssuer = (userPoolId: string, region: string = LOCAL_REGION): string => `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;

/**
 * The local stand-in for a Cognito user pool: it signs tokens shaped like
 * the pool's (RS256, `iss` of the pool, `aud` of the app client, `sub`,
 * `cognito:username`, `cognito:groups`, `token_use`...) with a key pair made
 * at start, publishes the public key as a JWKS, and verifies tokens the way
 * an HTTP API JWT authorizer does. There is no sign-in: each username gets a
 * token, which is the point on a laptop.
 */
export class LocalJwtIssuer {
  /** The `iss` of every token, `https://cognito-idp.<region>.amazonaws.com/<userPoolId>`. */
  public readonly issuer: string;
  /** The pool this issuer stands in for (the template's `Ref` of it). */
  public readonly userPoolId: string;
  private readonly clients: readonly LocalPoolClient[];
  private readonly groups?: ReadonlySet<string>;
  private readonly usernameIsSub: boolean;
  private readonly clock: () => number;
  private readonly skewSeconds: number;
  private readonly privateKey: KeyObject;
  private readonly publicJwk: PublicJwk;
  private readonly publicKey: KeyObject;

  private constructor(options: LocalJwtIssuerOptions) {
    if (options.clients.length === 0) throw new TokenRequestError('A local user pool needs at least one app client.');
    this.userPoolId = options.userPoolId;
    this.issuer = cognitoIssuer(options.userPoolId, options.region ?? LOCAL_REGION);
    this.clients = options.clients;
    this.groups = options.groups ? new Set(options.groups) : undefined;
    this.usernameIsSub = options.usernameIsSub ?? false;
    this.clock = options.clock ?? Date.now;
    this.skewSeconds = options.clockSkewSeconds ?? 5;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    const jwk = publicKey.export({ format: 'jwk' });
    if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') throw new Error('node:crypto exported an RSA key without n/e');
    this.publicJwk = { kty: 'RSA', kid: thumbprint(jwk.n, jwk.e), alg: 'RS256', use: 'sig', n: jwk.n, e: jwk.e };
  }

  /** An issuer with a fresh key pair. */
  public static create(options: LocalJwtIssuerOptions): LocalJwtIssuer {
    return new LocalJwtIssuer(options);
  }

  /**
   * The issuer for the template's user pool: its `Ref` is the pool id, its
   * clients give the audiences and token lifetimes, its groups the groups a
   * token may carry. Anything that would change the tokens and is not
   * emulated (Lambda triggers, group IAM roles) stops start-up.
   */
  public static fromResources(resources: readonly LocalResource[], overrides: LocalJwtIssuerOverrides = {}): LocalJwtIssuer {
    const pools = resources.filter((r) => r.type === 'AWS::Cognito::UserPool');
    const [pool] = pools;
    if (!pool) throw new Error('No AWS::Cognito::UserPool among the resources: there is no user pool to stand in for.');
    if (pools.length > 1) {
      throw new UnsupportedFeatureError(pools[1].logicalId, pools[1].type, 'Type', `a second user pool (the local cloud issues tokens for one pool, ${pool.logicalId})`);
    }
    const fail = (resource: LocalResource, property: string, detail = 'not supported locally') =>
      new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);

    assertKnownProperties(pool, POOL_KNOWN, (p) =>
      p === 'LambdaConfig'
        ? fail(pool, p, 'Cognito triggers (pre token generation, custom auth...) are not emulated, so local tokens would differ from the pool\'s')
        : fail(pool, p),
    );
    const usernameAttributes = pool.properties.UsernameAttributes;
    const usernameIsSub = Array.isArray(usernameAttributes) && usernameAttributes.length > 0;

    const clients: LocalPoolClient[] = [];
    const groups: string[] = [];
    for (const resource of resources) {
      if (resource === pool) continue;
      if (resource.type !== 'AWS::Cognito::UserPoolClient' && resource.type !== 'AWS::Cognito::UserPoolGroup') {
        throw fail(resource, 'Type', 'not a Cognito resource the local user pool reads');
      }
      if (resource.properties.UserPoolId !== pool.ref) throw fail(resource, 'UserPoolId', `names a pool other than ${pool.logicalId}`);
      if (resource.type === 'AWS::Cognito::UserPoolGroup') {
        assertKnownProperties(resource, GROUP_KNOWN, (p) =>
          p === 'RoleArn' ? fail(resource, p, 'group IAM roles (cognito:roles, cognito:preferred_role claims) are not emulated') : fail(resource, p),
        );
        const name = resource.properties.GroupName;
        groups.push(typeof name === 'string' ? name : resource.ref);
      } else {
        assertKnownProperties(resource, CLIENT_KNOWN, (p) => fail(resource, p));
        clients.push(clientOf(resource, fail));
      }
    }
    if (clients.length === 0) throw fail(pool, 'Type', 'a user pool without an AWS::Cognito::UserPoolClient has no audience to issue tokens for');
    return new LocalJwtIssuer({ userPoolId: pool.ref, region: LOCAL_REGION, clients, groups, usernameIsSub, ...overrides });
  }

  /** The app client ids, the default audience first. */
  public get clientIds(): readonly string[] {
    return this.clients.map((c) => c.clientId);
  }

  /** The key set API Gateway would fetch from the pool's `jwks_uri`. */
  public jwks(): Jwks {
    return { keys: [this.publicJwk] };
  }

  /** Signs a token for a user, with the claims Cognito puts in an ID (or access) token. */
  public mint(options: MintOptions): IssuedToken {
    const client = this.clientFor(options.clientId);
    const tokenUse = options.tokenUse ?? 'id';
    if (typeof options.username !== 'string' || !USERNAME.test(options.username)) {
      throw new TokenRequestError('username must be 1 to 128 characters: letters, digits, symbols or punctuation, no whitespace.');
    }
    const groups = [...new Set(options.groups ?? [])];
    for (const group of groups) {
      if (typeof group !== 'string' || group === '') throw new TokenRequestError('groups must be non-empty strings.');
      if (this.groups && !this.groups.has(group)) {
        throw new TokenRequestError(`Group '${group}' does not exist in user pool ${this.userPoolId} (it has: ${[...this.groups].join(', ') || 'none'}).`);
      }
    }
    const ttl = options.ttlSeconds ?? (tokenUse === 'id' ? client.idTokenValiditySeconds : client.accessTokenValiditySeconds) ?? DEFAULT_TTL_SECONDS;
    if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) throw new TokenRequestError(`ttlSeconds must be a whole number from 1 to ${MAX_TTL_SECONDS}.`);
    if (tokenUse !== 'access' && options.scopes !== undefined) throw new TokenRequestError('Only access tokens carry scopes.');
    const scopes = options.scopes ?? [DEFAULT_SCOPE];
    for (const scope of scopes) {
      if (typeof scope !== 'string' || !/^\S+$/.test(scope)) throw new TokenRequestError('scopes must be strings without whitespace.');
      if (scope !== DEFAULT_SCOPE && client.allowedScopes && !client.allowedScopes.includes(scope)) {
        throw new TokenRequestError(`Scope '${scope}' is not among the AllowedOAuthScopes of client ${client.clientId}.`);
      }
    }

    const extra = options.claims ?? {};
    for (const [name, value] of Object.entries(extra)) {
      if (name === '' || typeof value !== 'string') throw new TokenRequestError('claims must map non-empty names to strings.');
      if (RESERVED_CLAIMS.has(name)) throw new TokenRequestError(`Claim '${name}' is set by the user pool and cannot be overridden.`);
    }

    const sub = subjectFor(options.username);
    const now = Math.floor(this.clock() / 1000);
    const originJti = randomUUID();
    const common = {
      sub,
      ...(groups.length > 0 ? { 'cognito:groups': groups } : {}),
    };
    const timing = { auth_time: now, exp: now + ttl, iat: now, jti: randomUUID() };
    const username = this.usernameIsSub ? sub : options.username;
    const withEmail = !client.readAttributes || client.readAttributes.includes('email');
    const email = options.username.includes('@') ? options.username : `${options.username}@example.local`;
    const claims: TokenClaims =
      tokenUse === 'id'
        ? {
            ...common,
            ...(withEmail ? { email_verified: true } : {}),
            iss: this.issuer,
            'cognito:username': username,
            origin_jti: originJti,
            aud: client.clientId,
            event_id: randomUUID(),
            token_use: 'id',
            ...timing,
            ...(withEmail ? { email } : {}),
            ...extra,
          }
        : {
            ...common,
            iss: this.issuer,
            client_id: client.clientId,
            origin_jti: originJti,
            event_id: randomUUID(),
            token_use: 'access',
            scope: scopes.join(' '),
            ...timing,
            username,
            ...extra,
          };
    return { token: this.signClaims(claims), sub, expiresIn: ttl, claims };
  }

  /**
   * Signs arbitrary claims with the pool's key, header `{kid, alg: RS256}`.
   * For tests and tooling that need a token the pool would never issue
   * (expired, for another audience, without `token_use`...).
   */
  public signClaims(claims: TokenClaims): string {
    const input = `${base64url(JSON.stringify({ kid: this.publicJwk.kid, alg: 'RS256' }))}.${base64url(JSON.stringify(claims))}`;
    return `${input}.${base64url(sign('sha256', Buffer.from(input), this.privateKey))}`;
  }

  /**
   * Verifies a token as an HTTP API JWT authorizer does: RS256 signature by a
   * key of the JWKS (by `kid`), `iss`, `aud` (or `client_id` when the token
   * has no `aud`), `exp`, `nbf` and `iat` with {@link LocalJwtIssuerOptions.clockSkewSeconds}
   * of leeway, and a Cognito `token_use` (`id` or `access`).
   */
  public verify(token: string, expected: VerifyExpectations): TokenVerification {
    const fail = (reason: string): TokenVerification => ({ ok: false, reason });
    const parts = token.split('.');
    if (parts.length !== 3) return fail('the token is not a JWT (header.payload.signature)');
    const [encodedHeader, encodedPayload, signature] = parts;
    const header = parseSegment(encodedHeader);
    if (!header) return fail('the token header is not base64url-encoded JSON');
    if (header.alg !== 'RS256') return fail(`signing method ${String(header.alg)} is invalid`);
    if (header.kid !== this.publicJwk.kid) return fail('the token was not signed by a key of the issuer (unknown kid)');
    if (!this.signatureMatches(`${encodedHeader}.${encodedPayload}`, signature)) return fail('the token signature is invalid');
    const claims = parseSegment(encodedPayload);
    if (!claims) return fail('the token payload is not base64url-encoded JSON');

    if (claims.iss !== expected.issuer) return fail('the token does not have a valid issuer');
    const audiences = claims.aud !== undefined ? (Array.isArray(claims.aud) ? claims.aud : [claims.aud]) : [claims.client_id];
    if (!audiences.some((aud) => typeof aud === 'string' && expected.audience.includes(aud))) return fail('the token does not have a valid audience');
    const now = this.clock() / 1000;
    if (typeof claims.exp !== 'number') return fail('the token has no expiry (exp)');
    if (now >= claims.exp + this.skewSeconds) return fail('the token has expired');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || now + this.skewSeconds < claims.nbf)) return fail('the token is not valid yet');
    if (claims.iat !== undefined && (typeof claims.iat !== 'number' || now + this.skewSeconds < claims.iat)) return fail('the token was issued in the future');
    if (claims.token_use !== 'id' && claims.token_use !== 'access') return fail('the token has no Cognito token_use (id or access)');
    return { ok: true, claims };
  }

  private signatureMatches(input: string, signature: string): boolean {
    try {
      return verify('sha256', Buffer.from(input), this.publicKey, Buffer.from(signature, 'base64url'));
    } catch {
      return false;
    }
  }

  private clientFor(clientId: string | undefined): LocalPoolClient {
    if (clientId === undefined) return this.clients[0];
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client) throw new TokenRequestError(`Client '${clientId}' does not exist in user pool ${this.userPoolId} (it has: ${this.clientIds.join(', ')}).`);
    return client;
  }
}

const UNIT_SECONDS: Readonly<Record<string, number>> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

/** A client's token validity in seconds; CloudFormation's default unit for ID and access tokens is hours. */
const validity = (
  resource: LocalResource,
  property: 'IdTokenValidity' | 'AccessTokenValidity',
  unitKey: 'IdToken' | 'AccessToken',
  fail: (resource: LocalResource, property: string, detail?: string) => Error,
): number | undefined => {
  const value = resource.properties[property];
  if (value === undefined) return undefined;
  const units = resource.properties.TokenValidityUnits;
  const unit = isRecord(units) && typeof units[unitKey] === 'string' ? units[unitKey] : 'hours';
  const factor = UNIT_SECONDS[unit];
  if (typeof value !== 'number' || factor === undefined) throw fail(resource, property, `expected a number of ${unit}`);
  return value * factor;
};

const stringList = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;

const clientOf = (resource: LocalResource, fail: (resource: LocalResource, property: string, detail?: string) => Error): LocalPoolClient => ({
  clientId: resource.ref,
  idTokenValiditySeconds: validity(resource, 'IdTokenValidity', 'IdToken', fail),
  accessTokenValiditySeconds: validity(resource, 'AccessTokenValidity', 'AccessToken', fail),
  allowedScopes: stringList(resource.properties.AllowedOAuthScopes),
  readAttributes: stringList(resource.properties.ReadAttributes),
});
