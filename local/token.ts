import { readState } from './state-file';
import { parseTokenArgs, TOKEN_USAGE } from './token-args';

/**
 * `npm run token -- <username> [--admin] [--carrier] [--ttl <seconds>]
 * [--claim <name>=<value>]... [--help]`: prints an ID token for a user of the
 * running local cloud, signed by its local issuer. Only the token is printed,
 * so `TOKEN=$(npm run -s token -- alice)` works.
 */
const main = async (): Promise<void> => {
  const args = parseTokenArgs(process.argv.slice(2));
  if (args.kind === 'help') {
    process.stdout.write(TOKEN_USAGE);
    return;
  }
  if (args.kind === 'error') {
    process.stderr.write(`${args.message}\n${TOKEN_USAGE}`);
    process.exit(2);
  }
  const state = readState();
  if (!state) {
    process.stderr.write("No local cloud is running here: start it with 'npm start' in this folder.\n");
    process.exit(1);
  }
  let response: Response;
  try {
    response = await fetch(`${state.controlUrl}/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(args.request) });
  } catch {
    process.stderr.write(`The local cloud at ${state.controlUrl} does not answer (stopped?). Start it with 'npm start'.\n`);
    process.exit(1);
  }
  const body = (await response.json()) as { token?: string; message?: string };
  if (!response.ok || !body.token) {
    process.stderr.write(`Could not get a token: ${body.message ?? response.status}\n`);
    process.exit(1);
  }
  process.stdout.write(`${body.token}\n`);
};

void main();
