import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer, type AddressInfo } from 'node:net';
import * as path from 'node:path';
import { dynamoDbLocalHome, JavaMissingError, LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb/dynamodb-local';
import { listeningSockets, processTree } from '../support/listening-sockets';

const root = path.join(__dirname, '..', '..');

/** 'connected', or why not (`ECONNREFUSED`, `timeout`, ...). */
const tryConnect = (port: number, host: string): Promise<string> =>
  new Promise((resolve) => {
    const socket = connect({ port, host, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });

const portOpen = async (port: number): Promise<boolean> => (await tryConnect(port, '127.0.0.1')) === 'connected';

/**
 * 127.0.0.2 when it reaches this machine's servers that listen on every
 * interface (Linux routes all of 127.0.0.0/8 to loopback; macOS has only
 * 127.0.0.1 unless configured), shown with such a server; else undefined.
 * Not a LAN address: tests send traffic to loopback addresses only.
 */
const secondLocalAddress = async (): Promise<string | undefined> => {
  const wildcard = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => wildcard.listen(0, '0.0.0.0', resolve));
  try {
    return (await tryConnect((wildcard.address() as AddressInfo).port, '127.0.0.2')) === 'connected' ? '127.0.0.2' : undefined;
  } finally {
    await new Promise((resolve) => wildcard.close(resolve));
  }
};

describe('DynamoDB Local process', () => {
  it('does not outlive a parent that is killed outright (SIGKILL)', async () => {
    // Prepare: a separate Node process starts DynamoDB Local and reports its port.
    // node itself with the tsx loader (the tsx CLI would put a wrapper process in between).
    const parent = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'test', 'support', 'dynamodb-local-parent.ts')], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let output = '';
      parent.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /PORT (\d+)/.exec(output);
        if (match) resolve(Number(match[1]));
      });
      parent.once('exit', () => reject(new Error(`parent exited early: ${output}`)));
    });
    expect(await portOpen(port)).toBe(true);

    // Act
    parent.kill('SIGKILL');

    // Assess: the watchdog stops Java once the parent's pipe closes.
    const deadline = Date.now() + 10_000;
    while ((await portOpen(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await portOpen(port)).toBe(false);
  }, 40_000);
});

describe('DynamoDB Local on the network', () => {
  // With telemetry on, DynamoDB Local writes its installation id here (its working directory) at start-up.
  const telemetryMetadata = path.join(dynamoDbLocalHome(), 'dynamodb-local-metadata.json');
  let instance: DynamoDbLocal | undefined;
  const started = (): DynamoDbLocal => {
    if (!instance) throw new Error('DynamoDB Local did not start');
    return instance;
  };

  beforeAll(async () => {
    rmSync(telemetryMetadata, { force: true });
    instance = await startDynamoDbLocal();
  }, 60_000);
  afterAll(async () => {
    await instance?.stop();
  });

  it('listens on 127.0.0.1 only', async () => {
    // Act: every listening socket of its process tree (the watchdog shell and Java).
    const sockets = await listeningSockets(await processTree(started().process.pid));

    // Assess
    expect(sockets.map((socket) => `${socket.command} ${socket.address}:${socket.port}`)).toEqual([`java 127.0.0.1:${started().port}`]);
  });

  it('refuses a connection on an address of this machine other than 127.0.0.1', async () => {
    // Prepare
    const other = await secondLocalAddress();

    // Act
    const atLoopback = await tryConnect(started().port, '127.0.0.1');
    const atOther = other === undefined ? undefined : await tryConnect(started().port, other);

    // Assess: where no second address reaches this machine, the listing above is the check.
    expect(atLoopback).toBe('connected');
    if (process.platform === 'linux') expect(other).toBe('127.0.0.2');
    if (other !== undefined) expect(atOther).toBe('ECONNREFUSED');
  });

  it('sends no usage telemetry', async () => {
    // Prepare
    const client = new DynamoDBClient({ endpoint: started().endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });

    // Act
    await client.send(new ListTablesCommand({}));
    client.destroy();

    // Assess: telemetry off, DynamoDB Local never set it up.
    expect(existsSync(telemetryMetadata)).toBe(false);
  });
});

describe('Java for DynamoDB Local', () => {
  const originalPath = process.env.PATH;
  let scratch = '';

  /** A `java` first on PATH that describes itself as `properties` say (a JDK's `java -XshowSettings:properties -version`). */
  const fakeJava = (properties: Readonly<Record<string, string>>): void => {
    const bin = path.join(scratch, 'bin');
    mkdirSync(bin, { recursive: true });
    const lines = Object.entries(properties).map(([name, value]) => `    ${name} = ${value}`);
    writeFileSync(path.join(bin, 'java'), `#!/bin/sh\ncat >&2 <<'EOF'\nProperty settings:\n${lines.join('\n')}\n\nEOF\n`);
    chmodSync(path.join(bin, 'java'), 0o755);
    process.env.PATH = `${bin}${path.delimiter}${originalPath}`;
  };

  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'fake-java-'));
  });
  afterEach(() => {
    process.env.PATH = originalPath;
    rmSync(scratch, { recursive: true, force: true });
  });

  it('names the JDK to install when java is a runtime without javac', async () => {
    // Prepare: a Java 17 whose java.home has no bin/javac, as openjdk-17-jre-headless alone installs.
    fakeJava({ 'java.home': scratch, 'java.specification.version': '17', 'java.version': '17.0.99' });

    // Act
    const failure = startDynamoDbLocal();

    // Assess
    await expect(failure).rejects.toThrow(JavaMissingError);
    await expect(failure).rejects.toThrow(`found Java 17.0.99 at ${scratch}, a runtime without the compiler 'javac'`);
    await expect(failure).rejects.toThrow('openjdk-17-jdk-headless');
  });

  it('names the JDK to install when java is older than 17', async () => {
    // Prepare
    fakeJava({ 'java.home': scratch, 'java.specification.version': '1.8', 'java.version': '1.8.0_402' });

    // Act
    const failure = startDynamoDbLocal();

    // Assess
    await expect(failure).rejects.toThrow('DynamoDB Local needs a Java 17 or newer JDK (found Java 8)');
    await expect(failure).rejects.toThrow("'brew install openjdk@17' on macOS");
  });

  it('names the JDK to install when there is no java on PATH', async () => {
    // Prepare: a PATH of one empty directory.
    process.env.PATH = scratch;

    // Act
    const failure = startDynamoDbLocal();

    // Assess
    await expect(failure).rejects.toThrow("DynamoDB Local needs a Java 17 or newer JDK (no 'java' on PATH)");
  });
});
