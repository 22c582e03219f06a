/**
 * Who makes a call in the local cloud, and the credentials that say so. Each
 * function, state machine, pipe and rule target acts as a session of its own
 * role (as on AWS, where the service assumes the role for it); services act
 * for themselves (`events.amazonaws.com` invoking a Lambda target); anything
 * else — the AWS CLI or a test pointed at the local endpoints — is the
 * account's administrator.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT } from '../resources';
import type { ModelRole } from './policy-model';

/** A principal of the local cloud. */
export type IamPrincipal =
  | {
      readonly kind: 'role';
      readonly role: ModelRole;
      /** The role session's name: the function's name, the state machine's, the pipe's. */
      readonly sessionName: string;
      /** What acts, for people: `OrdersApiA821092D (function)`. */
      readonly label: string;
    }
  | { readonly kind: 'service'; readonly service: string; readonly label: string }
  | { readonly kind: 'administrator'; readonly label: string };

/** The caller of everything not signed with credentials the local cloud minted. */
export const ADMINISTRATOR: IamPrincipal = { kind: 'administrator', label: 'the account administrator (credentials the local cloud did not mint)' };

/** A role session acting for a resource. */
export const roleSession = (role: ModelRole, sessionName: string, what: string): IamPrincipal => ({
  kind: 'role',
  role,
  sessionName,
  label: `${sessionName} (${what}, role ${role.name})`,
});

/** An AWS service acting for itself (it evaluates the target's resource policy). */
export const servicePrincipal = (service: string): IamPrincipal => ({ kind: 'service', service, label: service });

/** The ARN IAM names the principal by in a request (`User: <this> is not authorized…`). */
export const principalArn = (principal: IamPrincipal): string => {
  switch (principal.kind) {
    case 'role':
      return `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${principal.role.name}/${principal.sessionName}`;
    case 'service':
      return principal.service;
    case 'administrator':
      return `arn:aws:iam::${LOCAL_ACCOUNT}:root`;
  }
};

/** Temporary credentials, as Lambda puts them in a function's environment. */
export interface MintedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A temporary access key id (`ASIA…`, 20 characters) derived from a name, so it is stable across runs. */
const accessKeyIdFor = (name: string): string => {
  const digest = createHash('sha256').update(name).digest();
  let id = 'ASIA';
  for (let i = 0; id.length < 20; i += 1) id += BASE32[(digest[i] ?? 0) % 32];
  return id;
};

/** `Credential=<access key id>/…` of a SigV4 `Authorization` header. */
const CREDENTIAL = /Credential=([A-Z0-9]+)\//;

/**
 * The credentials the local cloud hands out, one set per principal, and the
 * way back from a signed request to the principal that signed it. Signatures
 * are not verified: on one laptop the access key id is what tells callers apart.
 */
export class CredentialRegistry {
  private readonly byAccessKey = new Map<string, IamPrincipal>();
  private readonly byLabel = new Map<string, MintedCredentials>();
  private readonly secret = randomBytes(30).toString('base64');

  /** Credentials for a principal (the same ones each time it is asked). */
  public mint(principal: IamPrincipal): MintedCredentials {
    const existing = this.byLabel.get(principal.label);
    if (existing) return existing;
    const accessKeyId = accessKeyIdFor(principal.label);
    const credentials = { accessKeyId, secretAccessKey: this.secret, sessionToken: `local-session-${accessKeyId}` };
    this.byAccessKey.set(accessKeyId, principal);
    this.byLabel.set(principal.label, credentials);
    return credentials;
  }

  /** Who signed a request: the principal whose credentials it carries, else the administrator. */
  public principalOf(authorization: string | readonly string[] | undefined): IamPrincipal {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const accessKeyId = typeof header === 'string' ? CREDENTIAL.exec(header)?.[1] : undefined;
    return (accessKeyId && this.byAccessKey.get(accessKeyId)) || ADMINISTRATOR;
  }
}
