import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { randomUUID } from 'node:crypto';
import type { ProbeAction } from '../../functions/probe/entries/behave';
import { PROBE_ERROR, PROBE_EVENTS } from '../../lib/probe/fidelity-probe-stack';
import { keysOf, Normalizer, parseJson, type Json } from './support/normalize';
import type { FidelityTarget, QueueMessage } from './support/target';

/**
 * One documented AWS behaviour, driven through the probe: `run` makes it
 * happen on a target and returns the NORMALIZED observation that is compared
 * with `goldens/<name>.json`. A scenario keeps only what the documentation
 * pins; everything else (request ids, times, generated names) is normalized
 * away or left out.
 */
export interface Scenario {
  readonly name: string;
  /** What is observed, for the test's title. */
  readonly title: string;
  run(target: FidelityTarget, normalize: Normalizer): Promise<Json>;
}

/** Something a scenario waited for did not happen in time. */
export class ScenarioTimeoutError extends Error {
  public constructor(what: string, waitedMs: number) {
    super(`${what}: not seen within ${waitedMs} ms`);
    this.name = 'ScenarioTimeoutError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const decoder = new TextDecoder();

/** What a synchronous Invoke answered: the function's result or error, or Lambda's refusal. */
type InvokeOutcome =
  | { readonly kind: 'answered'; readonly statusCode: number; readonly functionError: string | null; readonly payload: unknown }
  | { readonly kind: 'refused'; readonly httpStatus: number | null; readonly name: string; readonly reason: string | null };

const invoke = async (target: FidelityTarget, functionName: string, payload: unknown): Promise<InvokeOutcome> => {
  try {
    const answer = await target.lambda.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
    const text = answer.Payload ? decoder.decode(answer.Payload) : '';
    return { kind: 'answered', statusCode: answer.StatusCode ?? 0, functionError: answer.FunctionError ?? null, payload: parseJson(text) ?? text };
  } catch (error) {
    const failure = error as { readonly name?: string; readonly Reason?: string; readonly $metadata?: { readonly httpStatusCode?: number } };
    return { kind: 'refused', httpStatus: failure.$metadata?.httpStatusCode ?? null, name: failure.name ?? 'Error', reason: failure.Reason ?? null };
  }
};

/** An Invoke outcome as JSON, asserting the kind a scenario expects (an unexpected kind is its own observation). */
const outcomeJson = (outcome: InvokeOutcome): Json =>
  outcome.kind === 'answered'
    ? { statusCode: outcome.statusCode, functionError: outcome.functionError, payload: (outcome.payload ?? null) as Json }
    : { httpStatus: outcome.httpStatus, name: outcome.name, reason: outcome.reason };

const record = (value: unknown): Record<string, unknown> => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** Reads a queue until a message satisfies `match` (earlier runs' leftovers are skipped). */
const waitForMessage = async (target: FidelityTarget, queueUrl: string, match: (message: QueueMessage) => boolean, what: string): Promise<QueueMessage> => {
  const deadline = Date.now() + target.waitMs;
  for (;;) {
    const found = (await target.receive(queueUrl)).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new ScenarioTimeoutError(what, target.waitMs);
    await sleep(target.kind === 'aws' ? 0 : 100);
  }
};

/** True for a message whose body is an event (or an event detail) carrying this run's marker. */
const carriesRun =
  (run: string) =>
  (message: QueueMessage): boolean => {
    const body = record(parseJson(message.body));
    return body.run === run || record(body.detail).run === run;
  };

const putEvent = async (target: FidelityTarget, detailType: string, detail: Record<string, unknown>): Promise<void> => {
  const answer = await target.events.send(
    new PutEventsCommand({ Entries: [{ EventBusName: target.outputs.EventBusName, Source: PROBE_EVENTS.source, DetailType: detailType, Detail: JSON.stringify(detail) }] }),
  );
  if ((answer.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents refused the ${detailType} event: ${JSON.stringify(answer.Entries)}`);
};

/** Runs a state machine with `{}` and waits for its end; returns its description and its history. */
const execute = async (target: FidelityTarget, stateMachineArn: string): Promise<{ status: string; error?: string; cause?: string; output?: string; events: HistoryEvent[] }> => {
  const started = await target.sfn.send(new StartExecutionCommand({ stateMachineArn, input: '{}' }));
  const executionArn = started.executionArn ?? '';
  const deadline = Date.now() + target.waitMs;
  for (;;) {
    const described = await target.sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (described.status !== 'RUNNING' && described.status !== undefined) {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      do {
        const page = await target.sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, includeExecutionData: false }));
        events.push(...(page.events ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return {
        status: described.status,
        ...(described.error === undefined ? {} : { error: described.error }),
        ...(described.cause === undefined ? {} : { cause: described.cause }),
        ...(described.output === undefined ? {} : { output: described.output }),
        events,
      };
    }
    if (Date.now() > deadline) throw new ScenarioTimeoutError(`execution ${executionArn} ending`, target.waitMs);
    await sleep(target.kind === 'aws' ? 1000 : 100);
  }
};

/** A failed execution as the terminal-error scenarios observe it: its status and error name (causes are not pinned). */
const failedExecution = async (target: FidelityTarget, stateMachineArn: string): Promise<Json> => {
  const execution = await execute(target, stateMachineArn);
  return { status: execution.status, error: execution.error ?? null };
};

const http = async (target: FidelityTarget, route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json; headers: Headers }> => {
  const response = await fetch(`${target.outputs.ApiUrl.replace(/\/+$/, '')}${route}`, { headers, signal: AbortSignal.timeout(target.waitMs) });
  const text = await response.text();
  return { status: response.status, body: (parseJson(text) ?? text) as Json, headers: response.headers };
};

/** The `error` parameter of a `www-authenticate: Bearer ... error="..."` header (RFC 6750 §3). */
const bearerChallenge = (header: string | null): Json => {
  if (header === null) return null;
  const scheme = header.split(' ')[0] ?? '';
  const error = /\berror="([^"]*)"/.exec(header)?.[1] ?? null;
  return { scheme, error };
};

/** A JWT-shaped token signed by nobody the authorizer trusts. */
const forgedToken = (): string => {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${part({ alg: 'RS256', kid: 'fidelity-forged', typ: 'JWT' })}.${part({ sub: randomUUID(), iat: now, exp: now + 600, token_use: 'id' })}.${Buffer.from('not a signature').toString('base64url')}`;
};

/**
 * The variables the Lambda guide lists as set by the runtime for a Node.js
 * function with active tracing ("Defined runtime environment variables").
 * Left out: AWS_LAMBDA_RUNTIME_API (listed for custom runtimes),
 * PYTHONPATH / GEM_PATH / AWS_LAMBDA_DOTNET_PREJIT (other languages).
 */
export const DOCUMENTED_RUNTIME_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'LANG',
  'PATH',
  'LD_LIBRARY_PATH',
  'NODE_PATH',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
  'TZ',
];

/** The fields of a DynamoDB stream record, and of its `dynamodb` part, that the Pipes guide's sample event shows. */
const PIPE_RECORD_FIELDS = ['awsRegion', 'dynamodb', 'eventID', 'eventName', 'eventSource', 'eventSourceARN', 'eventVersion'];
const PIPE_DYNAMODB_FIELDS = ['Keys', 'NewImage', 'SequenceNumber', 'SizeBytes', 'StreamViewType'];

const present = (value: unknown, fields: readonly string[]): string[] => fields.filter((field) => Object.hasOwn(record(value), field)).sort();

/**
 * Every scenario of the suite, in the order they run. Each has a golden
 * `goldens/<name>.json`; known-drift.json may accept differences of the local
 * cloud from it, path by path.
 */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'lambda-function-error',
    title: 'Invoke of a function that throws: 200, FunctionError Unhandled, the Node.js error document',
    run: async (target, normalize) => {
      const outcome = await invoke(target, target.outputs.BehaveFunctionName, { action: 'throw', ...PROBE_ERROR } satisfies ProbeAction);
      if (outcome.kind !== 'answered') return normalize.json(outcomeJson(outcome));
      const payload = record(outcome.payload);
      return normalize.json({
        statusCode: outcome.statusCode,
        functionError: outcome.functionError,
        payloadKeys: keysOf(payload),
        errorType: (payload.errorType ?? null) as Json,
        errorMessage: (payload.errorMessage ?? null) as Json,
        traceIsList: Array.isArray(payload.trace),
      });
    },
  },
  {
    name: 'lambda-timeout',
    title: 'Invoke of a function that outlives its 1 s timeout: a function error saying "Task timed out after 1.00 seconds"',
    run: async (target, normalize) => {
      const outcome = await invoke(target, target.outputs.TwinFunctionName, { action: 'sleep', ms: 3000 } satisfies ProbeAction);
      if (outcome.kind !== 'answered') return normalize.json(outcomeJson(outcome));
      const message = String(record(outcome.payload).errorMessage ?? '');
      const at = message.indexOf('Task timed out');
      return normalize.json({ statusCode: outcome.statusCode, hasFunctionError: outcome.functionError !== null, messageTail: at < 0 ? message : message.slice(at) });
    },
  },
  {
    name: 'lambda-throttle',
    title: 'A second Invoke while the only reserved execution is busy: 429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded',
    run: async (target, normalize) => {
      const twin = target.outputs.TwinFunctionName;
      await invoke(target, twin, { action: 'return', value: 'warm' } satisfies ProbeAction);
      const first = invoke(target, twin, { action: 'sleep', ms: 800, value: 'first' } satisfies ProbeAction);
      await sleep(250);
      const second = await invoke(target, twin, { action: 'return', value: 'second' } satisfies ProbeAction);
      const firstOutcome = await first;
      return normalize.json({
        busy: firstOutcome.kind === 'answered' ? { statusCode: firstOutcome.statusCode, functionError: firstOutcome.functionError } : outcomeJson(firstOutcome),
        throttled: outcomeJson(second),
      });
    },
  },
  {
    name: 'lambda-payload-limit',
    title: 'Invoke with a request over 6 MB: 413, refused before the function runs',
    run: async (target, normalize) => {
      const outcome = await invoke(target, target.outputs.BehaveFunctionName, { action: 'return', value: 'x'.repeat(6_400_000) } satisfies ProbeAction);
      return normalize.json(outcome.kind === 'refused' ? { httpStatus: outcome.httpStatus, name: outcome.name } : outcomeJson(outcome));
    },
  },
  {
    name: 'lambda-runtime-env',
    title: "The runtime environment variables the Lambda guide documents are set (names only)",
    run: async (target, normalize) => {
      const outcome = await invoke(target, target.outputs.BehaveFunctionName, { action: 'env', names: DOCUMENTED_RUNTIME_VARIABLES } satisfies ProbeAction);
      if (outcome.kind !== 'answered' || outcome.functionError !== null) return normalize.json(outcomeJson(outcome));
      const set = new Set((record(outcome.payload).present as string[] | undefined) ?? []);
      return normalize.json({ missing: DOCUMENTED_RUNTIME_VARIABLES.filter((name) => !set.has(name)).sort() });
    },
  },
  {
    name: 'iam-missing-grant',
    title: "GetItem on a table the function's role has no grant for: AccessDeniedException (400) naming the role session, the action and the table",
    run: async (target, normalize) => {
      const outcome = await invoke(target, target.outputs.BehaveFunctionName, { action: 'getItem', table: target.outputs.TableName } satisfies ProbeAction);
      if (outcome.kind !== 'answered') return normalize.json(outcomeJson(outcome));
      const payload = record(outcome.payload);
      // The session name is the service's choice (not documented): it is normalized away.
      const message = normalize.text(String(payload.message ?? '')).replace(/(assumed-role\/<BehaveRole>\/)\S+/, '$1<session>');
      return normalize.json({ allowed: (payload.allowed ?? null) as Json, name: (payload.name ?? null) as Json, httpStatusCode: (payload.httpStatusCode ?? null) as Json, message });
    },
  },
  {
    name: 'http-api-no-token',
    title: 'A JWT route called without a token: 401 {"message":"Unauthorized"}',
    run: async (target, normalize) => {
      const answer = await http(target, '/jwt');
      return normalize.json({ status: answer.status, body: answer.body });
    },
  },
  {
    name: 'http-api-bad-token',
    title: 'A JWT route called with a token no issuer signed: 401 {"message":"Unauthorized"}, www-authenticate Bearer error="invalid_token"',
    run: async (target, normalize) => {
      const answer = await http(target, '/jwt', { authorization: `Bearer ${forgedToken()}` });
      return normalize.json({ status: answer.status, body: answer.body, challenge: bearerChallenge(answer.headers.get('www-authenticate')) });
    },
  },
  {
    name: 'http-api-valid-token',
    title: "A JWT route called with a user pool token: the function's 200 (the route key reaches it)",
    run: async (target, normalize) => {
      const answer = await http(target, '/jwt', { authorization: `Bearer ${await target.idToken()}` });
      return normalize.json({ status: answer.status, body: answer.body });
    },
  },
  {
    name: 'http-api-unknown-route',
    title: 'A path no route matches: 404 {"message":"Not Found"}',
    run: async (target, normalize) => {
      const answer = await http(target, '/no-such-route');
      return normalize.json({ status: answer.status, body: answer.body });
    },
  },
  {
    name: 'http-api-function-error',
    title: 'A route whose function throws: 500 {"message":"Internal Server Error"}',
    run: async (target, normalize) => {
      const answer = await http(target, '/throws');
      return normalize.json({ status: answer.status, body: answer.body });
    },
  },
  {
    name: 'http-api-missing-permission',
    title: 'A route whose function grants API Gateway nothing: 500 {"message":"Internal Server Error"}',
    run: async (target, normalize) => {
      const answer = await http(target, '/no-permission');
      return normalize.json({ status: answer.status, body: answer.body });
    },
  },
  {
    name: 'eventbridge-envelope',
    title: 'The event an SQS target receives: the EventBridge envelope around the detail',
    run: async (target, normalize) => {
      const run = randomUUID();
      await putEvent(target, PROBE_EVENTS.envelope, { run, probe: 'envelope' });
      const message = await waitForMessage(target, target.outputs.EnvelopeQueueUrl, carriesRun(run), 'the envelope event in the envelope queue');
      return normalize.json(parseJson(message.body) as Json);
    },
  },
  {
    name: 'eventbridge-dlq-no-permissions',
    title: "A Lambda target that grants the rule nothing: the event goes to the target's dead-letter queue with ERROR_CODE NO_PERMISSIONS",
    run: async (target, normalize) => {
      const run = randomUUID();
      await putEvent(target, PROBE_EVENTS.noPermission, { run, action: 'return' });
      const message = await waitForMessage(target, target.outputs.NoPermissionDeadLettersUrl, carriesRun(run), 'the NoPermission event in its dead-letter queue');
      const value = (name: string): Json => message.attributes[name]?.stringValue ?? null;
      const body = record(parseJson(message.body));
      return normalize.json({
        attributeNames: Object.keys(message.attributes).sort(),
        RULE_ARN: value('RULE_ARN'),
        TARGET_ARN: value('TARGET_ARN'),
        ERROR_CODE: value('ERROR_CODE'),
        bodyKeys: keysOf(body),
        bodyDetailType: (body['detail-type'] ?? null) as Json,
      });
    },
  },
  {
    name: 'eventbridge-lambda-async-failure',
    title: "A Lambda target that throws (rule retries 0, async retries 0): Lambda accepted the event, so it lands in the function's dead-letter queue, not the rule's",
    run: async (target, normalize) => {
      const run = randomUUID();
      await putEvent(target, PROBE_EVENTS.alwaysThrows, { run, action: 'throw', ...PROBE_ERROR });
      const message = await waitForMessage(target, target.outputs.BehaveDeadLettersUrl, carriesRun(run), "the failed event in the function's dead-letter queue");
      await sleep(target.quietMs);
      const ruleDeadLetters = (await target.receive(target.outputs.AlwaysThrowsDeadLettersUrl)).filter(carriesRun(run)).length;
      return normalize.json({
        functionDeadLetter: {
          body: parseJson(message.body) as Json,
          attributes: Object.fromEntries(Object.entries(message.attributes).map(([name, attribute]) => [name, attribute.dataType])),
        },
        ruleDeadLetters,
      });
    },
  },
  {
    name: 'pipe-envelope',
    title: "A table write through the pipe (no enrichment) to the bus: the stream record as the event's detail, the pipe's source and detail type",
    run: async (target, normalize) => {
      const pk = `fidelity-${randomUUID()}`;
      await target.dynamoDb.send(new PutItemCommand({ TableName: target.outputs.TableName, Item: { pk: { S: pk }, note: { S: 'pipe' } } }));
      const message = await waitForMessage(
        target,
        target.outputs.PipeQueueUrl,
        (candidate) => JSON.stringify(record(record(record(record(parseJson(candidate.body)).detail).dynamodb).Keys)) === JSON.stringify({ pk: { S: pk } }),
        'the stream record of the probe write in the pipe queue',
      );
      const event = record(parseJson(message.body));
      const detail = record(event.detail);
      const dynamodb = record(detail.dynamodb);
      return normalize.json({
        source: (event.source ?? null) as Json,
        detailType: (event['detail-type'] ?? null) as Json,
        envelopeKeys: keysOf(event),
        detail: {
          documentedFields: present(detail, PIPE_RECORD_FIELDS),
          eventName: (detail.eventName ?? null) as Json,
          eventSource: (detail.eventSource ?? null) as Json,
          awsRegion: (detail.awsRegion ?? null) as Json,
          dynamodb: {
            documentedFields: present(dynamodb, PIPE_DYNAMODB_FIELDS),
            Keys: (dynamodb.Keys ?? null) as Json,
            NewImage: (dynamodb.NewImage ?? null) as Json,
            StreamViewType: (dynamodb.StreamViewType ?? null) as Json,
          },
        },
      });
    },
  },
  {
    name: 'sfn-caught-error',
    title: "A task error a Catch handles: the execution succeeds, the history's event types in order, the error output's Error",
    run: async (target, normalize) => {
      const execution = await execute(target, target.outputs.CaughtErrorStateMachineArn);
      const output = record(parseJson(execution.output ?? 'null'));
      const errorOutput = record(output.error);
      return normalize.json({
        status: execution.status,
        // Whether a state a Catch leaves also logs a StateExited event is not documented: exits are left out.
        eventTypes: execution.events.map((event) => event.type ?? '').filter((type) => !type.endsWith('StateExited')),
        errorOutput: { Error: (errorOutput.Error ?? null) as Json, causeType: typeof errorOutput.Cause },
      });
    },
  },
  {
    name: 'sfn-uncaught-error',
    title: "A task error nothing catches: the execution fails with the function's error name",
    run: async (target, normalize) => {
      const execution = await execute(target, target.outputs.UncaughtErrorStateMachineArn);
      return normalize.json({ status: execution.status, error: execution.error ?? null, causeType: typeof execution.cause });
    },
  },
  {
    name: 'sfn-data-limit',
    title: 'A task result over 256 KiB with Catch States.ALL: States.DataLimitExceeded is terminal, the execution fails',
    run: async (target, normalize) => normalize.json(await failedExecution(target, target.outputs.DataLimitStateMachineArn)),
  },
  {
    name: 'sfn-runtime-error',
    title: 'An InputPath to a missing field with Catch States.ALL: States.Runtime is terminal, the execution fails',
    run: async (target, normalize) => normalize.json(await failedExecution(target, target.outputs.RuntimeErrorStateMachineArn)),
  },
  {
    name: 'sfn-task-timeout',
    title: 'A task that outlives its TimeoutSeconds: States.Timeout',
    run: async (target, normalize) => normalize.json(await failedExecution(target, target.outputs.TaskTimeoutStateMachineArn)),
  },
];
