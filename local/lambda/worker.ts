import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type { EnvironmentMessage, FunctionErrorPayload, InvokeMessage, WorkerData } from './protocol';

/**
 * One Lambda execution environment: loads the bundle once (the cold start),
 * then runs one invocation at a time, as Lambda does. It runs either in a
 * worker thread (its process.env is the function's own: worker_threads gives
 * each worker a private copy) or, when the function needs another Node major
 * than the one running the local cloud, as a child process of that Node,
 * talking over IPC. The messages are the same both ways (`./protocol`).
 *
 * Before the bundle loads, `console` is patched as Lambda's Node.js runtime
 * patches it (the runtime interface client's LogPatch): each call writes one
 * line (newlines become `\r`) to stdout, `<ISO time>\t<requestId>\t<LEVEL>\t<message>`
 * with the Text log format, `{"timestamp","level","requestId","message"}`
 * with `AWS_LAMBDA_LOG_FORMAT=JSON`, where the methods below
 * `AWS_LAMBDA_LOG_LEVEL` write nothing. Writes to `process.stdout` itself
 * (Powertools' Logger) pass unchanged.
 */
interface Channel {
  readonly data: WorkerData;
  send(message: EnvironmentMessage): void;
  onInvoke(listener: (message: InvokeMessage) => void): void;
}

const channel = ((): Channel => {
  const port = parentPort;
  if (port) {
    return { data: workerData as WorkerData, send: (message) => port.postMessage(message), onInvoke: (listener) => port.on('message', listener) };
  }
  const send = process.send?.bind(process);
  if (!send) throw new Error('worker.ts runs in a worker thread or as a child process with an IPC channel');
  // The local cloud is gone (killed, or it stopped without a word): an environment never outlives it.
  process.on('disconnect', () => process.exit(0));
  return {
    data: JSON.parse(process.argv[2] ?? '{}') as WorkerData,
    send: (message) => void send(message),
    onInvoke: (listener) => process.on('message', listener),
  };
})();
const { data } = channel;
// stdout and stderr are made on first use; made now, their handles are in every census, not new in the first that logs.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);

/** The request id `console` lines carry: the current invocation's (none before the first). */
let currentRequestId: string | undefined;

/** The Node.js runtime's log levels, and the level of each console method. */
const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
type Level = (typeof LEVELS)[number];

const jsonErrorReplacer = (_key: string, value: unknown): unknown =>
  value instanceof Error
    ? { errorType: value.constructor.name, errorMessage: value.message, stackTrace: typeof value.stack === 'string' ? value.stack.split('\n') : value.stack, ...value }
    : value;

const jsonLine = (level: Level, params: readonly unknown[]): string => {
  const base = { timestamp: new Date().toISOString(), level, requestId: currentRequestId };
  if (params.length === 1) {
    try {
      return JSON.stringify({ ...base, message: params[0] }, jsonErrorReplacer);
    } catch {
      return JSON.stringify({ ...base, message: format(params[0]) });
    }
  }
  const error = params.find((param): param is Error => param instanceof Error);
  return JSON.stringify({
    ...base,
    message: format(...params),
    ...(error ? { errorType: error.constructor.name, errorMessage: error.message, stackTrace: typeof error.stack === 'string' ? error.stack.split('\n') : [] } : {}),
  });
};

/** `console` as Lambda's Node.js runtime leaves it, for the function's log format and level. */
const patchConsole = (): void => {
  const json = process.env.AWS_LAMBDA_LOG_FORMAT?.toUpperCase() === 'JSON';
  const configured = LEVELS.find((level) => level === process.env.AWS_LAMBDA_LOG_LEVEL?.toUpperCase()) ?? 'TRACE';
  const write = (level: Level, params: readonly unknown[]): void => {
    const line = json ? jsonLine(level, params) : `${new Date().toISOString()}\t${String(currentRequestId)}\t${level}\t${format(...params)}`;
    process.stdout.write(`${line.replace(/\n/g, '\r')}\n`);
  };
  const method = (level: Level) => (LEVELS.indexOf(level) >= LEVELS.indexOf(configured) ? (...params: unknown[]) => write(level, params) : () => undefined);
  const target = console as unknown as Record<string, (...params: unknown[]) => void>;
  target.trace = method('TRACE');
  target.debug = method('DEBUG');
  target.info = method('INFO');
  target.log = target.info;
  target.warn = method('WARN');
  target.error = method('ERROR');
  target.fatal = (...params: unknown[]) => write('FATAL', params);
};
patchConsole();

type Handler = (event: unknown, context: unknown, callback?: (error: unknown, result?: unknown) => void) => unknown;

const [moduleName, exportName] = ((): [string, string] => {
  const dot = data.handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`Handler '${data.handler}' must be <file>.<export>`);
  return [data.handler.slice(0, dot), data.handler.slice(dot + 1)];
})();

const moduleFile = ['.mjs', '.js', '.cjs']
  .map((ext) => path.join(data.codeDir, `${moduleName}${ext}`))
  .find((file) => existsSync(file));

const loaded: Promise<Handler> = (async () => {
  if (!moduleFile) throw Object.assign(new Error(`Cannot find module '${moduleName}' in ${data.codeDir}`), { name: 'Runtime.ImportModuleError' });
  const mod = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
  const handler = mod[exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[exportName];
  if (typeof handler !== 'function') {
    throw Object.assign(new Error(`${moduleName}.${exportName} is undefined or not exported`), { name: 'Runtime.HandlerNotFound' });
  }
  return handler as Handler;
})();

const toError = (error: unknown): FunctionErrorPayload => {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error), trace: [] };
};

const invoke = (handler: Handler, message: InvokeMessage): Promise<unknown> => {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${data.functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? `local/${data.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  return new Promise((resolve, reject) => {
    const event: unknown = JSON.parse(message.eventJson);
    const result = handler(event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(resolve, reject);
    else if (handler.length < 3) resolve(result);
  });
};

/** Exit status of an injected crash (a process killed by SIGKILL reports 137). */
const INJECTED_CRASH_EXIT_CODE = 137;

/**
 * Injected crash: the environment dies mid-invocation. The handler has
 * started; the environment exits after `afterMs`, or when the handler settles
 * if that is sooner (its side effects done, its answer lost), never answering.
 */
const crashDuring = (answer: Promise<unknown>, afterMs: number): void => {
  const exit = (): never => process.exit(INJECTED_CRASH_EXIT_CODE);
  setTimeout(exit, afterMs);
  answer.then(exit, exit);
};

/**
 * What is keeping the event loop alive, by kind (`Timeout`,
 * `TCPSocketWrap`...). Node lists only referenced resources, so an SDK's
 * idle keep-alive socket (unreferenced by its agent while in the pool) and
 * `unref()`ed timers do not count: they would not keep a process running
 * either.
 */
const census = (): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
};

/**
 * What `after` has more of than `before`, less the environment's own
 * plumbing: while what the function logged is on its way to the local cloud,
 * a worker's stdio port is referenced (one `MessagePort`) and a process's
 * stdout may have writes queued (`WriteWrap`, `SimpleWriteWrap`). On AWS logs go out the same
 * way whatever is frozen, so they are not work left behind.
 */
const leftOver = (before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>): Record<string, number> => {
  const logging = process.stdout.writableLength > 0 || process.stderr.writableLength > 0;
  const extra: Record<string, number> = {};
  for (const [kind, count] of after) {
    const plumbing = logging && kind === 'MessagePort' ? 1 : logging && /WriteWrap$/.test(kind) ? count : 0;
    const more = count - (before.get(kind) ?? 0) - plumbing;
    if (more > 0) extra[kind] = more;
  }
  return extra;
};

channel.onInvoke((message: InvokeMessage) => {
  // Lambda sets the trace header per invocation, in the environment the SDK and X-Ray read.
  process.env._X_AMZN_TRACE_ID = message.traceId;
  currentRequestId = message.requestId;
  void loaded.then(
    (handler) => {
      const before = census();
      let answer: Promise<unknown>;
      try {
        answer = invoke(handler, message);
      } catch (error) {
        answer = Promise.reject(error);
      }
      if (message.crashAfterMs !== undefined) {
        crashDuring(answer, message.crashAfterMs);
        return;
      }
      const settle = (reply: () => void) =>
        // One turn of the event loop first: a socket the handler awaited goes back to its agent's pool (unreferenced) by then.
        setImmediate(() => {
          const resources = leftOver(before, census());
          reply();
          if (Object.keys(resources).length > 0) channel.send({ pendingWork: { requestId: message.requestId, resources } });
        });
      answer.then(
        (value) =>
          settle(() => {
            let payloadJson: string;
            try {
              payloadJson = JSON.stringify(value === undefined ? null : value) ?? 'null';
            } catch (error) {
              channel.send({ requestId: message.requestId, ok: false, error: toError(error) });
              return;
            }
            channel.send({ requestId: message.requestId, ok: true, payloadJson });
          }),
        (error: unknown) => {
          // Lambda's Node.js runtime logs a handler's error itself, at ERROR ("Invoke Error", with its type and stack).
          console.error('Invoke Error', error);
          settle(() => channel.send({ requestId: message.requestId, ok: false, error: toError(error) }));
        },
      );
    },
    (error: unknown) => channel.send({ requestId: message.requestId, ok: false, error: toError(error) }),
  );
});

void loaded.then(
  () => channel.send({ ready: true }),
  (error: unknown) => channel.send({ ready: false, error: toError(error) }),
);
