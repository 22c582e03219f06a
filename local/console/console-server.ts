/**
 * The local console: a page in the browser that shows what the local cloud
 * did (sagas as graphs, dead letters with a redrive button, functions with
 * their log lines, events with their deliveries, tables, faults and cost),
 * served on 127.0.0.1 beside the emulators. Static HTML, JS and CSS from ./static, the
 * graph layout library straight from node_modules, and a small JSON API over
 * the emulators' own state; nothing to build. See README "Console".
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as path from 'node:path';
import type { QueueMessage, SqsQueues } from '../sqs/queues';
import type { ExecutionView } from '../stepfunctions/engine';
import { EXPRESS_EXECUTIONS_KEPT, executionLogRecordsOf, type StateMachineSummary, type StepFunctionsEmulator } from '../stepfunctions/state-machines';
import { LoopbackServer } from '../support/loopback';
import { detailOf, redact, summaryOf, toJson } from './console-data';
import type { ActivityRecorder } from './activity';
import { answerActivity } from './activity-api';
import { DATA_ROUTES, dataRoute, type DataSources } from './data-routes';
import type { DeadLetterRedrive, RedrivePreview } from './redrive-api';
import { ConsoleRequestError } from './request-error';
import type { JsonValue } from '../cloudformation/intrinsics';

/** What the console reads and the one thing it changes (a redrive). */
export interface ConsoleSources {
  readonly stepFunctions: StepFunctionsEmulator;
  readonly queues: SqsQueues;
  /** The ARNs of the queues the template uses as dead-letter queues. */
  readonly deadLetterQueueArns: ReadonlySet<string>;
  /** What the Functions and Events views show: invocations, log lines, events and their deliveries. */
  readonly activity: ActivityRecorder;
  /** Sends a dead letter back (the redrive button). @default no redrive: the button answers 404 */
  readonly redrive?: DeadLetterRedrive;
  /** The Tables and the Faults-and-cost views' sources (see ./data-routes). @default those views answer 404 */
  readonly data?: DataSources;
}

/** The most executions one list answer carries: the page stays fast with thousands. @default 200 */
export const MAX_LISTED_EXECUTIONS = 200;
/** The largest request body the console accepts (a redrive names a queue and a message). */
const MAX_BODY_BYTES = 16 * 1024;

const STATIC_DIR = path.join(__dirname, 'static');
const DAGRE_FILE = path.join(path.dirname(require.resolve('@dagrejs/dagre')), 'dagre.min.js');

const STATIC: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/': { file: path.join(STATIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  '/console.js': { file: path.join(STATIC_DIR, 'console.js'), type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: path.join(STATIC_DIR, 'console.css'), type: 'text/css; charset=utf-8' },
  '/activity-views.js': { file: path.join(STATIC_DIR, 'activity-views.js'), type: 'text/javascript; charset=utf-8' },
  '/functions.js': { file: path.join(STATIC_DIR, 'functions.js'), type: 'text/javascript; charset=utf-8' },
  '/events.js': { file: path.join(STATIC_DIR, 'events.js'), type: 'text/javascript; charset=utf-8' },
  '/tables.js': { file: path.join(STATIC_DIR, 'tables.js'), type: 'text/javascript; charset=utf-8' },
  '/ops.js': { file: path.join(STATIC_DIR, 'ops.js'), type: 'text/javascript; charset=utf-8' },
  '/vendor/dagre.min.js': { file: DAGRE_FILE, type: 'text/javascript; charset=utf-8' },
};

/** The console's HTTP server. */
export class ConsoleServer {
  private readonly server: LoopbackServer;

  public constructor(private readonly sources: ConsoleSources) {
    this.server = new LoopbackServer('console', (request, response) => this.handle(request, response));
  }

  /** Listens on 127.0.0.1 (`port` 0: a free port) and returns the console's URL. */
  public listen(port = 0): Promise<string> {
    return this.server.listen(port);
  }

  public close(): Promise<void> {
    this.sources.redrive?.close();
    return this.server.close();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://console.local');
      const asset = STATIC[url.pathname];
      if (asset) {
        if (request.method !== 'GET' && request.method !== 'HEAD') throw new ConsoleRequestError(405, `${url.pathname} answers GET only`);
        const body = await readFile(asset.file);
        response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
        response.end(request.method === 'HEAD' ? undefined : body);
        return;
      }
      const answer = await this.api(request, url);
      send(response, 200, answer);
    } catch (error) {
      if (error instanceof ConsoleRequestError) send(response, error.status, { error: error.message });
      else send(response, 500, { error: `The console failed: ${error instanceof Error ? error.message : String(error)}` });
    }
  }

  private async api(request: IncomingMessage, url: URL): Promise<JsonValue> {
    const activity = answerActivity(this.sources.activity, request.method ?? 'GET', url);
    if (activity !== undefined) return activity;
    const route = `${request.method ?? 'GET'} ${url.pathname}`;
    switch (route) {
      case 'GET /api/executions':
        return this.executions(url.searchParams.get('limit'));
      case 'GET /api/execution':
        return this.execution(url.searchParams.get('arn'));
      case 'GET /api/dead-letters':
        return this.deadLetters();
      case 'POST /api/dead-letters/redrive':
        return this.redrive(await readJson(request));
      default:
        if (request.method === 'GET' && DATA_ROUTES.includes(url.pathname)) return dataRoute(this.sources.data, url);
        if (['/api/executions', '/api/execution', '/api/dead-letters', '/api/dead-letters/redrive', ...DATA_ROUTES].includes(url.pathname)) {
          throw new ConsoleRequestError(405, `${url.pathname} does not answer ${request.method ?? ''}`);
        }
        throw new ConsoleRequestError(404, `Nothing at ${url.pathname}`);
    }
  }

  /** Every state machine with its newest executions (at most `limit` each). */
  private executions(limitParam: string | null): JsonValue {
    const limit = limitParam === null ? MAX_LISTED_EXECUTIONS : Number(limitParam);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LISTED_EXECUTIONS) throw new ConsoleRequestError(400, `limit must be a whole number from 1 to ${MAX_LISTED_EXECUTIONS}`);
    const { stepFunctions } = this.sources;
    return stepFunctions.stateMachines().map((machine) => {
      const { total, executions } = stepFunctions.executions(machine.arn, limit);
      return { name: machine.name, arn: machine.arn, type: machine.type, total, executions: executions.map((execution) => toJson(summaryOf(execution))) };
    });
  }

  private execution(arn: string | null): JsonValue {
    if (!arn) throw new ConsoleRequestError(400, 'arn is required');
    const { stepFunctions } = this.sources;
    const execution = stepFunctions.execution(arn) ?? stepFunctions.expressExecution(arn);
    if (!execution) throw new ConsoleRequestError(404, `No execution ${arn}`);
    const definition = stepFunctions.definition(execution.stateMachineArn);
    if (definition === undefined) throw new ConsoleRequestError(404, `No state machine ${execution.stateMachineArn}`);
    const machine = stepFunctions.stateMachines().find((candidate) => candidate.arn === execution.stateMachineArn);
    return toJson({ ...detailOf(execution, definition), ...(machine?.type === 'EXPRESS' ? { express: expressRecordOf(machine, execution) } : {}) });
  }

  /** Each dead-letter queue with its visible messages, redacted. */
  private deadLetters(): JsonValue {
    const { queues, deadLetterQueueArns } = this.sources;
    return queues
      .list()
      .filter((queue) => deadLetterQueueArns.has(queue.arn))
      .map((queue) => ({
        name: queue.name,
        arn: queue.arn,
        logicalId: queue.logicalId,
        messages: queues.receiveAll(queue.arn).map((message) => messageJson(message, queues, this.sources.redrive?.preview(message))),
      }));
  }

  /** Sends one dead letter back where it was going (see ./redrive-api), or says why not. */
  private async redrive(body: unknown): Promise<JsonValue> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConsoleRequestError(400, 'The body must be a JSON object {"queue": ..., "messageId": ...}');
    const { queue, messageId } = body as { queue?: unknown; messageId?: unknown };
    if (typeof queue !== 'string' || typeof messageId !== 'string') throw new ConsoleRequestError(400, 'queue and messageId must be strings');
    const { queues, deadLetterQueueArns, redrive } = this.sources;
    const settings = queues.resolve(queue);
    if (!settings || !deadLetterQueueArns.has(settings.arn)) throw new ConsoleRequestError(404, `${queue} is not a dead-letter queue of this template`);
    if (!redrive) throw new ConsoleRequestError(404, 'This console redrives nothing: npm run redrive sends dead letters back');
    return toJson(await redrive.redrive(settings.arn, messageId));
  }
}

/**
 * What AWS keeps of an Express execution: nothing but its execution logs, at
 * its state machine's level; the console's own record is the newest few.
 */
const expressRecordOf = (machine: StateMachineSummary, execution: ExecutionView): JsonValue => ({
  kept: EXPRESS_EXECUTIONS_KEPT,
  logLevel: machine.logLevel,
  includeExecutionData: machine.includeExecutionData,
  logRecords: machine.logLevel === 'OFF' ? 0 : executionLogRecordsOf(execution, machine.logLevel, machine.includeExecutionData).length,
});

const messageJson = (message: QueueMessage, queues: SqsQueues, preview: RedrivePreview | undefined): JsonValue => {
  let body: JsonValue;
  try {
    body = redact(JSON.parse(message.body) as JsonValue);
  } catch {
    body = redact(message.body);
  }
  const source = message.deadLetterSourceArn === undefined ? undefined : queues.resolve(message.deadLetterSourceArn);
  return {
    messageId: message.messageId,
    sentAt: message.sentAt,
    body,
    attributes: Object.fromEntries(Object.entries(message.attributes).map(([key, value]) => [key, value.stringValue])),
    ...(source ? { sourceQueue: source.name } : {}),
    redrivable: preview?.redrivable ?? false,
    ...(preview?.to !== undefined ? { redriveTo: preview.to } : {}),
    ...(preview?.why !== undefined ? { notRedrivable: preview.why } : {}),
  };
};


const send = (response: ServerResponse, status: number, body: JsonValue): void => {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(text);
};

const readJson = async (request: IncomingMessage): Promise<unknown> => {
  const type = request.headers['content-type'] ?? '';
  if (!type.startsWith('application/json')) throw new ConsoleRequestError(415, 'Send JSON (content-type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) throw new ConsoleRequestError(413, `The body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ConsoleRequestError(400, 'The body is not JSON');
  }
};
