/**
 * Lists the TCP sockets in LISTEN state that a tree of processes holds, so a
 * test can prove the local cloud is reachable from loopback only without
 * knowing which servers it runs: Linux reads /proc, macOS asks `lsof`.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

/** A TCP socket in LISTEN state and the process that holds it. */
export interface ListeningSocket {
  readonly pid: number;
  /** The process's command name (`node`, `java`, ...). */
  readonly command: string;
  /** The bound address: `127.0.0.1`, `0.0.0.0`, `::`, `::ffff:127.0.0.1`, ... (`*` from lsof: every interface). */
  readonly address: string;
  readonly port: number;
}

/** Thrown on a platform whose sockets this helper cannot list. */
export class SocketListingUnsupportedError extends Error {
  public constructor(platform: string) {
    super(`Listing listening sockets is implemented for Linux (/proc) and macOS (lsof), not for '${platform}'.`);
    this.name = 'SocketListingUnsupportedError';
  }
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z); false for wildcards and every other address. */
export const isLoopbackAddress = (address: string): boolean => {
  if (isIPv4(address)) return loopback.check(address, 'ipv4');
  if (isIPv6(address)) return loopback.check(address, 'ipv6');
  return false;
};

/** `java (pid 123) on 0.0.0.0:8000`: names a socket in a failure message. */
export const describeSocket = (socket: ListeningSocket): string =>
  `${socket.command} (pid ${socket.pid}) on ${socket.address.includes(':') ? `[${socket.address}]` : socket.address}:${socket.port}`;

const run = (file: string, args: readonly string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve, reject) => {
    execFile(file, args, { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ code: error ? Number(error.code) : 0, stdout });
    });
  });

const ignoreGone = async <T>(read: () => Promise<T>, fallback: T): Promise<T> => {
  try {
    return await read();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES') return fallback; // the process ended meanwhile, or is not ours
    throw error;
  }
};

/** `root` and every process descended from it (children, their children, ...). */
export const processTree = async (root: number = process.pid): Promise<number[]> => {
  const parentOf = new Map<number, number>();
  if (process.platform === 'linux') {
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = await ignoreGone(() => readFile(`/proc/${entry}/stat`, 'utf8'), '');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (stat !== '' && Number.isInteger(ppid)) parentOf.set(Number(entry), ppid);
    }
  } else if (process.platform === 'darwin') {
    const { stdout } = await run('ps', ['-A', '-o', 'pid=', '-o', 'ppid=']);
    for (const line of stdout.split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (Number.isInteger(pid) && Number.isInteger(ppid)) parentOf.set(pid, ppid);
    }
  } else {
    throw new SocketListingUnsupportedError(process.platform);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i += 1) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  }
  return tree;
};

/** An address as /proc/net/tcp{,6} prints it: 32-bit words in hex, each in host byte order. */
const procAddress = (hex: string): string => {
  const bytes = Buffer.alloc(hex.length / 2);
  for (let word = 0; word < hex.length / 8; word += 1) {
    const value = parseInt(hex.slice(word * 8, word * 8 + 8), 16);
    if (endianness() === 'LE') bytes.writeUInt32LE(value, word * 4);
    else bytes.writeUInt32BE(value, word * 4);
  }
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1); // canonical (compressed) form
};

const TCP_LISTEN = '0A';

/** Listening sockets by inode, from one /proc/<pid>/net/tcp or tcp6 table. */
const procListeners = (table: string): Map<string, { address: string; port: number }> => {
  const byInode = new Map<string, { address: string; port: number }>();
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10 || fields[3] !== TCP_LISTEN) continue;
    const [hexAddress, hexPort] = fields[1].split(':');
    byInode.set(fields[9], { address: procAddress(hexAddress), port: parseInt(hexPort, 16) });
  }
  return byInode;
};

const linuxSockets = async (pids: readonly number[]): Promise<ListeningSocket[]> => {
  const sockets: ListeningSocket[] = [];
  for (const pid of pids) {
    const fds = await ignoreGone(() => readdir(`/proc/${pid}/fd`), []);
    const inodes = new Set<string>();
    for (const fd of fds) {
      const target = await ignoreGone(() => readlink(`/proc/${pid}/fd/${fd}`), '');
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match) inodes.add(match[1]);
    }
    if (inodes.size === 0) continue;
    // The executable's name: /proc/<pid>/comm is the main thread's name, which Node 24 sets to "MainThread".
    const executable = await ignoreGone(() => readlink(`/proc/${pid}/exe`), '');
    const command = executable ? path.basename(executable.replace(/ \(deleted\)$/, '')) : (await ignoreGone(() => readFile(`/proc/${pid}/comm`, 'utf8'), '?')).trim();
    for (const table of ['tcp', 'tcp6']) {
      // Per process: each reads the table of its own network namespace.
      const listeners = procListeners(await ignoreGone(() => readFile(`/proc/${pid}/net/${table}`, 'utf8'), ''));
      for (const inode of inodes) {
        const listener = listeners.get(inode);
        if (listener) sockets.push({ pid, command, ...listener });
      }
    }
  }
  return sockets;
};

const macSockets = async (pids: readonly number[]): Promise<ListeningSocket[]> => {
  // -a: all conditions at once; -F pcn: one field a line (p pid, c command, n name).
  const { code, stdout } = await run('lsof', ['-a', '-p', pids.join(','), '-iTCP', '-sTCP:LISTEN', '-P', '-n', '-F', 'pcn']);
  if (code !== 0 && stdout.trim() !== '') throw new Error(`lsof exited with ${code}:\n${stdout}`); // 1 with no output: nothing listens
  const sockets: ListeningSocket[] = [];
  let pid = 0;
  let command = '?';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('p')) pid = Number(line.slice(1));
    else if (line.startsWith('c')) command = line.slice(1);
    else if (line.startsWith('n')) {
      const name = line.slice(1);
      const colon = name.lastIndexOf(':');
      sockets.push({ pid, command, address: name.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(name.slice(colon + 1)) });
    }
  }
  return sockets;
};

/** Every TCP socket, IPv4 and IPv6, in LISTEN state held by one of `pids`. */
export const listeningSockets = async (pids: readonly number[]): Promise<ListeningSocket[]> => {
  if (process.platform === 'linux') return linuxSockets(pids);
  if (process.platform === 'darwin') return macSockets(pids);
  throw new SocketListingUnsupportedError(process.platform);
};
