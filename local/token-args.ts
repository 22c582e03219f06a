/** The shortest and longest lifetime `npm run token` mints: the local issuer's bounds. */
export const MIN_TTL_SECONDS = 1;
export const MAX_TTL_SECONDS = 86_400;

/** What `npm run token` asks the control server's `POST /token` for. */
export interface TokenRequest {
  readonly username: string;
  readonly groups: readonly string[];
  /** @default the app client's token validity */
  readonly ttlSeconds?: number;
  /** @default none */
  readonly claims?: Readonly<Record<string, string>>;
}

/** What the command line asks for: a token, the usage, or nothing it can do. */
export type TokenArgs =
  | { readonly kind: 'mint'; readonly request: TokenRequest }
  | { readonly kind: 'help' }
  | { readonly kind: 'error'; readonly message: string };

export const TOKEN_USAGE = `usage: npm run -s token -- <username> [--admin] [--carrier] [--ttl <seconds>] [--claim <name>=<value>]...

Prints an ID token for <username>, signed by the running local cloud's issuer,
and nothing else: TOKEN=$(npm run -s token -- alice) works.

  --admin, --carrier       put the user in that group (cognito:groups)
  --ttl <seconds>          lifetime, ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS} (default: the app client's, 1 hour).
                           The local authorizer refuses it once expired, with 5 s of leeway:
                           --ttl 1 gives one that is refused from about 6 s on.
  --claim <name>=<value>   an extra claim, a string (repeatable), as a pre token generation
                           trigger would add it; the claims the pool sets itself (sub, iss,
                           aud, exp, iat, token_use, cognito:groups...) cannot be overridden
  --help                   this text
`;

/** Splits `--name=value` into its flag and value; other arguments are left whole. */
const split = (arg: string): [string, string | undefined] => {
  const at = arg.indexOf('=');
  return arg.startsWith('--') && at > 0 ? [arg.slice(0, at), arg.slice(at + 1)] : [arg, undefined];
};

/**
 * Reads `npm run token`'s arguments. `--ttl` and `--claim` take their value
 * as the next argument or after `=`; the claim's name is what comes before
 * its first `=`, so a value may hold `=`.
 */
export const parseTokenArgs = (argv: readonly string[]): TokenArgs => {
  let username: string | undefined;
  const groups: string[] = [];
  let ttlSeconds: number | undefined;
  const claims: Record<string, string> = {};
  const fail = (message: string): TokenArgs => ({ kind: 'error', message });
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = split(argv[i]);
    const value = (): string | undefined => {
      if (inline !== undefined) return inline;
      i += 1;
      return argv[i];
    };
    switch (flag) {
      case '--help':
      case '-h':
        return { kind: 'help' };
      case '--admin':
      case '--carrier':
        if (inline !== undefined) return fail(`${flag} takes no value.`);
        if (!groups.includes(flag.slice(2))) groups.push(flag.slice(2));
        break;
      case '--ttl': {
        const text = value();
        if (text === undefined) return fail('--ttl needs a number of seconds.');
        const seconds = /^\d+$/.test(text) ? Number(text) : Number.NaN;
        if (!Number.isSafeInteger(seconds) || seconds < MIN_TTL_SECONDS || seconds > MAX_TTL_SECONDS) {
          return fail(`--ttl must be a whole number of seconds from ${MIN_TTL_SECONDS} to ${MAX_TTL_SECONDS}, not '${text}'.`);
        }
        ttlSeconds = seconds;
        break;
      }
      case '--claim': {
        const text = value();
        const at = text === undefined ? -1 : text.indexOf('=');
        if (text === undefined || at < 1) return fail(`--claim needs <name>=<value>, not '${text ?? ''}'.`);
        const name = text.slice(0, at);
        if (Object.prototype.hasOwnProperty.call(claims, name)) return fail(`--claim ${name} is given twice.`);
        Object.defineProperty(claims, name, { value: text.slice(at + 1), enumerable: true, writable: true, configurable: true });
        break;
      }
      default:
        if (flag.startsWith('-')) return fail(`Unknown option '${flag}'.`);
        if (username !== undefined) return fail(`One username, not '${username}' and '${flag}'.`);
        username = flag;
    }
  }
  if (username === undefined) return fail('A username is needed.');
  return {
    kind: 'mint',
    request: {
      username,
      groups,
      ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
      ...(Object.keys(claims).length > 0 ? { claims } : {}),
    },
  };
};
