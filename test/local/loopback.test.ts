import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { startFreshLocalCloud, type FreshLocalCloud } from '../../local/fresh-local-cloud';
import { HopLog } from '../../local/log';
import { describeSocket, isLoopbackAddress, listeningSockets, processTree, type ListeningSocket } from '../support/listening-sockets';

/** Every listening socket of this process and all its descendants, Java included. */
const socketsOfThisProcessTree = async (): Promise<ListeningSocket[]> => listeningSockets(await processTree(process.pid));

/** The sockets a machine on the network could connect to, named for the failure message. */
const reachableBeyondLoopback = (sockets: readonly ListeningSocket[]): string[] =>
  sockets.filter((socket) => !isLoopbackAddress(socket.address)).map(describeSocket);

const listen = (server: Server, host: string): Promise<number> =>
  new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as AddressInfo).port)));

describe('listing the sockets of a process tree', () => {
  const servers: Server[] = [];
  let child: ChildProcess | undefined;

  afterEach(async () => {
    child?.kill();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('names servers reachable beyond loopback, in this process and in a child, and passes loopback ones', async () => {
    // Prepare: in this process one server on every interface on purpose, one on 127.0.0.1;
    // in a child, a server listening as Node does when given no host (every interface).
    servers.push(createServer(), createServer());
    const everyInterface = await listen(servers[0], '0.0.0.0');
    const loopbackOnly = await listen(servers[1], '127.0.0.1');
    const spawned = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen(0, () => console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = spawned;
    const childPort = await new Promise<number>((resolve) => spawned.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim()))));

    // Act
    const sockets = await socketsOfThisProcessTree();

    // Assess
    const flagged = reachableBeyondLoopback(sockets);
    expect(flagged).toContainEqual(expect.stringMatching(new RegExp(`^node \\(pid ${process.pid}\\) on 0\\.0\\.0\\.0:${everyInterface}$`)));
    expect(flagged).toContainEqual(expect.stringMatching(new RegExp(`^node \\(pid ${spawned.pid}\\) on .*:${childPort}$`)));
    expect(sockets).toContainEqual({ pid: process.pid, command: expect.any(String), address: '127.0.0.1', port: loopbackOnly });
    expect(flagged.filter((line) => line.endsWith(`:${loopbackOnly}`))).toEqual([]);
  });
});

describe('the local cloud', () => {
  let fresh: FreshLocalCloud | undefined;

  beforeAll(async () => {
    fresh = await startFreshLocalCloud({
      assemblyDir: process.env.SHOP_E2E_ASSEMBLY_DIR,
      log: new HopLog({ verbose: false, color: false, write: () => undefined }),
      consolePort: 0,
    });
  }, 240_000);
  afterAll(async () => {
    await fresh?.stop();
  });

  it('is reachable from this machine only: every server of every process it started listens on loopback', async () => {
    // Act: whatever listens, found by enumeration, not from a list of the cloud's servers.
    const sockets = await socketsOfThisProcessTree();

    // Assess
    expect(reachableBeyondLoopback(sockets)).toEqual([]);
    // The enumeration sees the cloud: every endpoint it publishes, and a server in a child process (DynamoDB Local's Java).
    const cloud = fresh?.cloud;
    const published = [cloud?.apiUrl, cloud?.awsEndpointUrl, cloud?.controlUrl, cloud?.consoleUrl, cloud?.dynamoDbEndpoint].map((url) => Number(new URL(url ?? 'http://none').port));
    expect(sockets.map((socket) => socket.port)).toEqual(expect.arrayContaining(published));
    expect(sockets.filter((socket) => socket.pid !== process.pid).map((socket) => socket.command)).toContain('java');
  });
});
