import { z } from 'zod';

/** A deployed stack's callers could not be signed in, or their tokens do not fit the suite. */
export class E2eConfigurationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'E2eConfigurationError';
  }
}

/** Where and how to sign users in to the stack's Cognito user pool. */
export interface CognitoSignIn {
  /** The user pool app client (the stack's `UserPoolClientId` output); it allows USER_PASSWORD_AUTH. */
  readonly clientId: string;
  /** `https://cognito-idp.<region>.amazonaws.com/`, or LocalStack's endpoint. */
  readonly endpoint: string;
}

const authenticationResultSchema = z.object({
  AuthenticationResult: z.object({ IdToken: z.string().min(1) }).optional(),
  ChallengeName: z.string().optional(),
});

const cognitoErrorSchema = z.object({ __type: z.string().optional(), message: z.string().optional(), Message: z.string().optional() });

/**
 * Signs a user in with InitiateAuth USER_PASSWORD_AUTH and returns the ID
 * token (the one the README's curl lines use: it carries `cognito:groups`
 * and its `aud` is the app client the API's authorizer accepts). This call
 * is unauthenticated, so plain fetch does and no AWS credentials are needed.
 */
export const signIn = async (cognito: CognitoSignIn, variable: string, username: string, password: string): Promise<string> => {
  let response: Response;
  try {
    response = await fetch(cognito.endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.InitiateAuth',
      },
      body: JSON.stringify({
        AuthFlow: 'USER_PASSWORD_AUTH',
        ClientId: cognito.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch (error) {
    throw new E2eConfigurationError(`${variable}: cannot reach Cognito at ${cognito.endpoint}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const failure = cognitoErrorSchema.safeParse(json);
    const reason = failure.success
      ? `${(failure.data.__type ?? '').split('#').pop() ?? ''}: ${failure.data.message ?? failure.data.Message ?? ''}`
      : `HTTP ${response.status} ${text.slice(0, 200)}`;
    throw new E2eConfigurationError(`${variable}: Cognito InitiateAuth for '${username}' failed (${reason}).`);
  }
  const result = authenticationResultSchema.safeParse(json);
  if (!result.success || !result.data.AuthenticationResult) {
    const challenge = result.success ? result.data.ChallengeName : undefined;
    throw new E2eConfigurationError(
      `${variable}: Cognito answered ${challenge ? `the challenge ${challenge}` : 'without tokens'} for '${username}'. ` +
        'Give the user a permanent password (aws cognito-idp admin-set-user-password --permanent) or pass a token instead.',
    );
  }
  return result.data.AuthenticationResult.IdToken;
};

const claimsSchema = z.object({
  sub: z.string().min(1),
  exp: z.number(),
  'cognito:groups': z.array(z.string()).optional(),
});

/** The claims of a token the suite relies on: who it is, its groups, when it expires. */
export type TokenClaims = z.infer<typeof claimsSchema>;

/**
 * Reads a JWT's payload without verifying it (the API does that): only to
 * check before the first scenario that each caller is who the suite needs.
 */
export const claimsOf = (variable: string, token: string): TokenClaims => {
  const payload = token.split('.')[1];
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  } catch {
    json = undefined;
  }
  const claims = claimsSchema.safeParse(json);
  if (!claims.success) throw new E2eConfigurationError(`${variable}: not a Cognito JWT (header.payload.signature with sub and exp).`);
  return claims.data;
};
