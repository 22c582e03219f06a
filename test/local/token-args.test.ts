import { MAX_TTL_SECONDS, parseTokenArgs, TOKEN_USAGE } from '../../local/token-args';

describe('npm run token arguments', () => {
  it('asks for a token with the user, groups, lifetime and claims given', () => {
    expect(parseTokenArgs(['alice', '--admin', '--ttl', '300', '--claim', 'tier=gold', '--claim', 'note=a=b', '--carrier'])).toEqual({
      kind: 'mint',
      request: { username: 'alice', groups: ['admin', 'carrier'], ttlSeconds: 300, claims: { tier: 'gold', note: 'a=b' } },
    });
  });

  it('takes --ttl=<n> and --claim=<name>=<value> too, and an empty claim value', () => {
    expect(parseTokenArgs(['--ttl=1', '--claim=tier=', 'bob'])).toEqual({ kind: 'mint', request: { username: 'bob', groups: [], ttlSeconds: 1, claims: { tier: '' } } });
  });

  it('leaves lifetime and claims to the pool when not given, as before', () => {
    expect(parseTokenArgs(['alice'])).toEqual({ kind: 'mint', request: { username: 'alice', groups: [] } });
  });

  it('keeps a claim named __proto__ as a claim', () => {
    const args = parseTokenArgs(['alice', '--claim', '__proto__=x']);
    expect(args.kind === 'mint' && JSON.stringify(args.request.claims)).toBe('{"__proto__":"x"}');
  });

  it.each([
    ['--help', ['--help']],
    ['-h after other arguments', ['alice', '--ttl', '60', '-h']],
  ])('answers %s with the usage', (_, argv) => {
    expect(parseTokenArgs(argv)).toEqual({ kind: 'help' });
    expect(TOKEN_USAGE).toMatch(/--ttl <seconds>[\s\S]*--claim <name>=<value>/);
  });

  it.each([
    ['no username', [], /A username is needed/],
    ['two usernames', ['alice', 'bob'], /One username/],
    ['an unknown option', ['alice', '--root'], /Unknown option '--root'/],
    ['--ttl without a value', ['alice', '--ttl'], /--ttl needs a number/],
    ['--ttl 0 (Cognito never issues an expired token)', ['alice', '--ttl', '0'], /from 1 to 86400, not '0'/],
    ['--ttl over a day', ['alice', '--ttl', String(MAX_TTL_SECONDS + 1)], /from 1 to 86400/],
    ['a fractional --ttl', ['alice', '--ttl', '1.5'], /not '1.5'/],
    ['a negative --ttl', ['alice', '--ttl=-5'], /not '-5'/],
    ['a --claim without =', ['alice', '--claim', 'tier'], /--claim needs <name>=<value>, not 'tier'/],
    ['a --claim without a name', ['alice', '--claim', '=gold'], /--claim needs <name>=<value>/],
    ['a --claim given twice', ['alice', '--claim', 'a=1', '--claim', 'a=2'], /--claim a is given twice/],
    ['a value on --admin', ['alice', '--admin=yes'], /--admin takes no value/],
  ])('refuses %s', (_, argv, message) => {
    const args = parseTokenArgs(argv);
    expect(args).toEqual({ kind: 'error', message: expect.stringMatching(message) });
  });
});
