/**
 * Listening the way every server of the local cloud listens: on 127.0.0.1
 * only, so nothing it emulates is reachable from outside the laptop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * Starts `server` on 127.0.0.1 (`port` 0: a free port) and resolves with
 * its base URL once it listens.
 *
 * @throws the listen error (e.g. `EADDRINUSE`) when the port is taken.
 */
export async function listenOnLoopback(server: Server, port: number): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`The server is not listening on a TCP port (${String(address)}).`);
  return `http://127.0.0.1:${String(address.port)}`;
}

/**
 * A loopback HTTP server whose requests are short (AWS-protocol calls,
 * developer tooling), so stopping it drops open connections at once instead
 * of draining them.
 */
export class LoopbackServer {
  private server?: Server;

  /**
   * @param what names the server in the error a second `listen()` throws.
   * @param handle answers one request; it must not reject.
   */
  public constructor(
    private readonly what: string,
    private readonly handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  ) {}

  /** Listens on 127.0.0.1 (`port` 0: a free port) and returns the base URL. */
  public async listen(port = 0): Promise<string> {
    if (this.server) throw new Error(`The ${this.what} is already listening.`);
    const server = createServer((request, response) => void this.handle(request, response));
    const url = await listenOnLoopback(server, port);
    this.server = server;
    return url;
  }

  /** Stops listening and drops open connections (keep-alive ones included). */
  public async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
