import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InvokeMessage, WorkerData, WorkerReply } from './protocol';

/**
 * One Lambda execution environment: loads the bundle once (the cold start),
 * then runs one invocation at a time, as Lambda does. Its process.env is the
 * function's own (worker_threads gives each worker a private copy).
 */
const data = workerData as WorkerData;

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

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

const toError = (error: unknown): WorkerReply['error'] => {
  if (error instanceof Error) {
    return { errorType: error.name || 'Error', errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return { errorType: 'Error', errorMessage: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error), trace: [] };
};

const invoke = (handler: Handler, message: InvokeMessage): Promise<unknown> => {
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: `local/${data.functionName}`,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  return new Promise((resolve, reject) => {
    const result = handler(message.event, context, (error, value) => (error ? reject(error) : resolve(value)));
    if (result && typeof (result as Promise<unknown>).then === 'function') (result as Promise<unknown>).then(resolve, reject);
    else if (handler.length < 3) resolve(result);
  });
};

/** Exit status of an injected crash (a process killed by SIGKILL reports 137). */
const INJECTED_CRASH_EXIT_CODE = 137;

/**
 * Injected crash: the environment dies mid-invocation. The handler has
 * started; the worker exits after `afterMs`, or when the handler settles if
 * that is sooner (its side effects done, its answer lost), never answering.
 */
const crashDuring = (answer: Promise<unknown>, afterMs: number): void => {
  const exit = (): never => process.exit(INJECTED_CRASH_EXIT_CODE);
  setTimeout(exit, afterMs);
  answer.then(exit, exit);
};

port.on('message', (message: InvokeMessage) => {
  const reply = (answer: Promise<unknown>) =>
    answer.then(
      (value) => port.postMessage({ requestId: message.requestId, ok: true, value: value === undefined ? null : value } satisfies WorkerReply),
      (error: unknown) => port.postMessage({ requestId: message.requestId, ok: false, error: toError(error) } satisfies WorkerReply),
    );
  void loaded.then(
    (handler) => {
      const answer = invoke(handler, message);
      if (message.crashAfterMs === undefined) void reply(answer);
      else crashDuring(answer, message.crashAfterMs);
    },
    (error: unknown) => void reply(Promise.reject(error)),
  );
});

void loaded.then(
  () => port.postMessage({ ready: true }),
  (error: unknown) => port.postMessage({ ready: false, error: toError(error) }),
);
