import { sagaTypeOf, type SagaType } from '../../../lib/config/saga-type';
import { startFreshLocalCloud } from '../../../local/fresh-local-cloud';
import { HopLog } from '../../../local/log';
import { claimsOf, E2eConfigurationError, signIn, type CognitoSignIn, type TokenClaims } from './cognito';

/** Someone the suite calls the API as: a label for messages and a bearer token. */
export interface Caller {
  readonly name: string;
  readonly token: string;
}

/** A running shop the scenarios talk to over HTTP, and nothing else. */
export interface ShopTarget {
  /** One line for the suite's output: which shop this is. */
  readonly description: string;
  /** Base URL of the HTTP API, without a trailing slash. */
  readonly apiUrl: string;
  /** A signed-in user, not admin. */
  readonly userA: Caller;
  /** Another signed-in user, not admin. */
  readonly userB: Caller;
  /** A member of the `admin` group. */
  readonly admin: Caller;
  /** A member of the `carrier` group, when the target has one (the local cloud mints one; a deployed stack's suite uses the admin). */
  readonly carrier?: Caller;
  /**
   * Distinct signed-in callers for the concurrency scenario: five fresh users
   * locally; on a deployed stack the three configured ones, taken in turn.
   */
  readonly shoppers: readonly Caller[];
  /** How long to wait for an order's outcome before failing. */
  readonly waitMs: number;
  /** What the shop did for a request (by its correlation id), for a failure message. */
  diagnostics(correlationId?: string): string;
  /** Stops whatever {@link startShopTarget} started. */
  stop(): Promise<void>;
}

/**
 * The saga type the local cloud is synthesized with (`-c saga=…`):
 * `SHOP_SAGA_TYPE`, which the suites under test/e2e/express set, or the
 * app's default when it is not set. A deployed stack has the type it was
 * deployed with.
 */
export const sagaTypeUnderTest = (): SagaType | undefined => {
  const raw = process.env.SHOP_SAGA_TYPE?.trim();
  try {
    return sagaTypeOf(raw || undefined, 'SHOP_SAGA_TYPE');
  } catch (error) {
    throw new E2eConfigurationError(error instanceof Error ? error.message : String(error));
  }
};

/** What {@link startFreshLocalCloud} synthesizes with for the saga type under test. */
export const sagaContext = (): { readonly context?: Readonly<Record<string, string>> } => {
  const type = sagaTypeUnderTest();
  return type ? { context: { saga: type } } : {};
};

/** True when the suite runs against a deployed stack (`SHOP_API_URL` is set). */
export const isRemoteTarget = (): boolean => (process.env.SHOP_API_URL ?? '').trim() !== '';


const waitMsFromEnv = (fallback: number): number => {
  const raw = process.env.SHOP_E2E_WAIT_MS;
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1000) throw new E2eConfigurationError(`SHOP_E2E_WAIT_MS must be a whole number of milliseconds >= 1000, not '${raw}'.`);
  return value;
};

/**
 * The shop under test: the local cloud started in this process from a fresh
 * synth by default, or the deployed stack at `SHOP_API_URL`. Scenarios see
 * only an API URL and tokens, so the same suite runs on both.
 */
export const startShopTarget = async (): Promise<ShopTarget> => (isRemoteTarget() ? remoteTarget() : localTarget());


const MAX_LOG_LINES = 5000;

/**
 * The local cloud's hop log, kept in memory so a failing scenario can show
 * what happened to its order (`SHOP_E2E_VERBOSE=1` also prints it live).
 */
export class CollectedLog {
  private readonly lines: string[] = [];

  public readonly log = new HopLog({
    verbose: false,
    color: false,
    write: (text) => {
      for (const line of text.split('\n')) if (line.trim() !== '') this.lines.push(line);
      if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
      if (process.env.SHOP_E2E_VERBOSE) process.stderr.write(text);
    },
  });

  /** How many kept lines match `pattern`. */
  public count(pattern: RegExp): number {
    return this.lines.filter((line) => pattern.test(line)).length;
  }

  public describe(correlationId?: string): string {
    const tag = correlationId ? `[${correlationId.slice(0, 36)}]` : undefined;
    const related = tag ? this.lines.filter((line) => line.includes(tag)) : [];
    const shown = related.length > 0 ? related : this.lines.slice(-60);
    const errors = this.lines.filter((line) => / (ERROR|DLQ) /.test(line) && !shown.includes(line)).slice(-20);
    return [
      related.length > 0 ? `Local cloud log for ${correlationId}:` : 'Local cloud log (last lines):',
      ...shown,
      ...(errors.length > 0 ? ['Other errors:', ...errors] : []),
    ].join('\n');
  }
}

const localTarget = async (): Promise<ShopTarget> => {
  const givenAssembly = process.env.SHOP_E2E_ASSEMBLY_DIR;
  const collected = new CollectedLog();
  const type = sagaTypeUnderTest();
  if (givenAssembly && type) throw new E2eConfigurationError('SHOP_E2E_ASSEMBLY_DIR and SHOP_SAGA_TYPE exclude each other: an assembly has the saga type it was synthesized with.');
  const fresh = await startFreshLocalCloud({ ...(givenAssembly ? { assemblyDir: givenAssembly } : sagaContext()), log: collected.log, retryDelayScale: 0.01 });
  const { cloud, assemblyDir } = fresh;
  const caller = (name: string, groups: readonly string[] = []): Caller => ({
    name,
    token: cloud.issuer.mint({ username: `${name}@example.com`, groups }).token,
  });
  return {
    description: `the local cloud at ${cloud.apiUrl} (${givenAssembly ? `assembly ${assemblyDir}` : `fresh synth, ${type ?? 'default'} saga`})`,
    apiUrl: cloud.apiUrl,
    userA: caller('alice'),
    userB: caller('bob'),
    admin: caller('admin', ['admin']),
    carrier: caller('carrier', ['carrier']),
    shoppers: ['carol', 'dave', 'erin', 'frank', 'grace'].map((name) => caller(name)),
    waitMs: waitMsFromEnv(20_000),
    diagnostics: (correlationId) => collected.describe(correlationId),
    stop: () => fresh.stop(),
  };
};

const required = (name: string): string => {
  const value = process.env[name]?.trim();
  if (!value) throw new E2eConfigurationError(`${name} is required when SHOP_API_URL is set. See "End-to-end tests" in README.md.`);
  return value;
};

/** The Cognito endpoint to sign in at, from the environment; asked for only when a password is given. */
const cognitoFromEnv = (): CognitoSignIn => {
  const clientId = required('SHOP_USER_POOL_CLIENT_ID');
  const endpoint = process.env.SHOP_COGNITO_ENDPOINT?.trim();
  return { clientId, endpoint: endpoint || `https://cognito-idp.${required('SHOP_COGNITO_REGION')}.amazonaws.com/` };
};

/** A caller from `<VAR>_TOKEN`, or from `<VAR>=username:password` signed in through Cognito. */
const remoteCaller = async (name: string, variable: string, cognito: () => CognitoSignIn): Promise<{ caller: Caller; claims: TokenClaims }> => {
  const tokenVariable = `${variable}_TOKEN`;
  const ready = process.env[tokenVariable]?.trim();
  if (ready) return { caller: { name, token: ready }, claims: claimsOf(tokenVariable, ready) };
  const credentials = process.env[variable]?.trim();
  if (!credentials) throw new E2eConfigurationError(`Set ${tokenVariable} (an ID token) or ${variable} (username:password) when SHOP_API_URL is set. See "End-to-end tests" in README.md.`);
  const colon = credentials.indexOf(':');
  if (colon <= 0 || colon === credentials.length - 1) throw new E2eConfigurationError(`${variable} must be username:password.`);
  const token = await signIn(cognito(), variable, credentials.slice(0, colon), credentials.slice(colon + 1));
  return { caller: { name, token }, claims: claimsOf(variable, token) };
};

const ADMIN_GROUP = 'admin';
const PRIVILEGED_GROUPS = [ADMIN_GROUP, 'carrier'];
/** Tokens must outlive the suite. */
const MIN_TOKEN_LIFETIME_SECONDS = 300;

const remoteTarget = async (): Promise<ShopTarget> => {
  const apiUrl = required('SHOP_API_URL').replace(/\/+$/, '');
  let cognito: CognitoSignIn | undefined;
  const lazyCognito = () => (cognito ??= cognitoFromEnv());
  const a = await remoteCaller('user A', 'SHOP_E2E_USER_A', lazyCognito);
  const b = await remoteCaller('user B', 'SHOP_E2E_USER_B', lazyCognito);
  const admin = await remoteCaller('admin', 'SHOP_E2E_ADMIN', lazyCognito);

  const problems: string[] = [];
  const groupsOf = (claims: TokenClaims) => claims['cognito:groups'] ?? [];
  for (const [variable, { claims }] of [['SHOP_E2E_USER_A', a], ['SHOP_E2E_USER_B', b]] as const) {
    const privileged = groupsOf(claims).filter((g) => PRIVILEGED_GROUPS.includes(g));
    if (privileged.length > 0) problems.push(`${variable} must be a plain user, but is in ${privileged.join(', ')} (the suite checks that non-admins are refused).`);
  }
  if (!groupsOf(admin.claims).includes(ADMIN_GROUP)) problems.push(`SHOP_E2E_ADMIN must be in the '${ADMIN_GROUP}' group.`);
  if (new Set([a.claims.sub, b.claims.sub, admin.claims.sub]).size !== 3) problems.push('SHOP_E2E_USER_A, SHOP_E2E_USER_B and SHOP_E2E_ADMIN must be three different users.');
  const now = Date.now() / 1000;
  for (const [variable, { claims }] of [['SHOP_E2E_USER_A', a], ['SHOP_E2E_USER_B', b], ['SHOP_E2E_ADMIN', admin]] as const) {
    if (claims.exp < now + MIN_TOKEN_LIFETIME_SECONDS) problems.push(`The token of ${variable} expires in less than ${MIN_TOKEN_LIFETIME_SECONDS} s.`);
  }
  if (problems.length > 0) throw new E2eConfigurationError(`The e2e callers do not fit the suite:\n- ${problems.join('\n- ')}`);

  return {
    description: `the deployed stack at ${apiUrl}`,
    apiUrl,
    userA: a.caller,
    userB: b.caller,
    admin: admin.caller,
    shoppers: [a.caller, b.caller, admin.caller],
    waitMs: waitMsFromEnv(60_000),
    diagnostics: (correlationId) =>
      `Deployed stack: look for correlation id ${correlationId ?? '(none)'} in the functions' CloudWatch logs and the saga's executions.`,
    stop: async () => undefined,
  };
};
