import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import * as path from 'node:path';

const root = path.join(__dirname, '..', '..');

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

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
