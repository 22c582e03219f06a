import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { LoopbackServer } from '../support/loopback';
import { TokenRequestError, type IssuedToken, type Jwks, type MintOptions } from './jwt-issuer';

/** The issuer as the control server uses it; `LocalJwtIssuer` is one. */
export interface TokenMinter {
  jwks(): Jwks;
  mint(options: MintOptions): IssuedToken;
}

/** Options of {@link ControlServer}. */
export interface ControlServerOptions {
  readonly issuer: TokenMinter;
}

/** The body of `POST /token`. */
const TokenRequest = z
  .object({
    username: z.string(),
    groups: z.array(z.string()).optional(),
    clientId: z.string().optional(),
    ttlSeconds: z.number().int().optional(),
    tokenUse: z.enum(['id', 'access']).optional(),
    scopes: z.array(z.string()).optional(),
    claims: z.record(z.string(), z.string()).optional(),
  })
  .strict();

const MAX_BODY_BYTES = 64 * 1024;

class BadRequest extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

const readJson = (request: IncomingMessage): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new BadRequest(`The body must be at most ${MAX_BODY_BYTES} bytes.`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        reject(new BadRequest('The body is not valid JSON.'));
      }
    });
    request.on('error', reject);
  });

const json = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
};

/**
 * The local cloud's control endpoint for developer tooling, on loopback and
 * apart from the API so it can never shadow a route: `GET /jwks` (the local
 * user pool's keys), `POST /token` `{username, groups?, clientId?, ttlSeconds?,
 * tokenUse?, scopes?, claims?}` → `{token, expiresIn, sub}` (what `npm run token --
 * alice` prints), and `GET /health`.
 */
export class ControlServer {
  private readonly server = new LoopbackServer('control server', (request, response) => this.handle(request, response));

  public constructor(private readonly options: ControlServerOptions) {}

  /** Listens on 127.0.0.1 (`port` 0: a free port) and returns the base URL. */
  public listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  /** Stops listening and drops open connections: its requests are instant, so there is nothing to drain. */
  public close(): Promise<void> {
    return this.server.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?', 1)[0];
    const allowed: Readonly<Record<string, string>> = { '/health': 'GET', '/jwks': 'GET', '/token': 'POST' };
    const method = allowed[path];
    try {
      if (method === undefined) return json(response, 404, { message: 'Not Found' });
      if (request.method !== method) return json(response, 405, { message: `Use ${method} ${path}.` }, { allow: method });
      if (path === '/health') {
        response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
        response.end('ok');
        return;
      }
      if (path === '/jwks') return json(response, 200, this.options.issuer.jwks());
      const parsed = TokenRequest.safeParse(await readJson(request));
      if (!parsed.success) {
        throw new BadRequest(parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || 'body'}: ${issue.message}`).join('; '));
      }
      const issued = this.options.issuer.mint(parsed.data);
      json(response, 200, { token: issued.token, expiresIn: issued.expiresIn, sub: issued.sub });
    } catch (error) {
      if (error instanceof BadRequest || error instanceof TokenRequestError) json(response, 400, { message: error.message });
      else json(response, 500, { message: error instanceof Error ? error.message : String(error) });
    }
  }
}
