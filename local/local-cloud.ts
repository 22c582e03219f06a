import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import * as path from 'node:path';
import { CloudWatchLogs, type LogEventQuery, type StoredLogEvent } from './cloudwatch/logs';
import { CostMeter, type FunctionProfile } from './cost/meter';
import { registerApiDescription } from './api-description';
import { ControlServer } from './apigateway/control-server';
import { HTTP_API_RESOURCE_TYPES, HttpApiEmulator, type HttpApiHop } from './apigateway/http-api';
import { COGNITO_RESOURCE_TYPES, LocalJwtIssuer } from './apigateway/jwt-issuer';
import { CloudAssemblyError, readCloudAssembly } from './assembly/cloud-assembly';
import { combineStacks } from './assembly/combined-stacks';
import { AwsEndpoint, AwsServiceError } from './aws-endpoint';
import { UnsupportedFeatureError } from './errors';
import { IAM_RESOURCE_TYPES } from './iam/policy-model';
import { freePort, LOCAL_CREDENTIALS, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb/dynamodb-local';
import { StreamPoller, type StreamConsumer } from './dynamodb/stream-poller';
import { createTables, isTable, validateTables } from './dynamodb/tables';
import { DynamoDbFaultPlan, type InjectedDynamoDbFault } from './dynamodb/dynamodb-faults';
import { DynamoDbProxy } from './dynamodb/dynamodb-proxy';
import type { IamDenial, IamMode } from './iam/authorizer';
import { runDeployChecks } from './iam/deploy-checks';
import { LocalIam } from './iam/local-iam';
import { roleSession, type IamPrincipal } from './iam/principals';
import { EventBridgeEmulator, type BusEvent, type EventBridgeHop, type ScheduledRuleSummary } from './eventbridge/event-bus';
import { FaultConfigError, FaultInjector, parseFaultConfig } from './fault-injection';
import type { FaultConfig } from './faults';
import { LambdaAsyncInvoker, type LambdaAsyncHop } from './lambda/async-invoke';
import { drainAll, type Drainable } from './support/pending-work';
import { localFunctions } from './lambda/functions';
import { keepsApplicationLine, lambdaLoggingOf, platformOutcomeOf, tracingModeOf, writesSystemEvents, type LambdaLogging } from './lambda/log-controls';
import { registerInvokeApi } from './lambda/invoke-api';
import { describePendingWork, LambdaRuntime, type InjectedFault } from './lambda/lambda-runtime';
import { DEFAULT_ACCOUNT_CONCURRENCY, LambdaThrottledError } from './lambda/limits';
import { planLambdaNodes, type LambdaNodePlan } from './lambda/node-binary';
import type { HopLog } from './log';
import { PipesEmulator, type PipeHop } from './pipes/pipes';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from './resources';
import { SqsQueues, type QueueMessage } from './sqs/queues';
import { SqsApi, type SqsApiHop } from './sqs/sqs-api';
import { EVENT_SOURCE_MAPPING_TYPE, EventSourceMappings, type EventSourceMappingHop } from './sqs/event-source-mapping';
import { randomSeed } from './support/random';
import { StepFunctionsEmulator, type ExecutionLogRecord, type StepFunctionsHop } from './stepfunctions/state-machines';
import { buildTemplateModel } from './template-model';
import { ConsoleServer } from './console/console-server';
import { ActivityRecorder } from './console/activity';
import { DeadLetterRedrive } from './console/redrive-api';
import { TableBrowser } from './console/tables-api';
import { SHOP_ENTRY_METADATA } from '../lib/constructs/entry-metadata';
import { SAMPLING_RULE_TYPE, samplingRulesOf, type SamplingRule } from './xray/sampling-rules';

/** Options of {@link LocalCloud.start}. */
export interface LocalCloudOptions {
  /** The synthesized cloud assembly. @default `cdk.out` */
  readonly assemblyDir?: string;
  /** Port of the HTTP API; 0 picks a free one. @default 3000 */
  readonly apiPort?: number;
  /** Keep DynamoDB data, stream checkpoints and Step Functions executions here across restarts. @default in memory */
  readonly persistDir?: string;
  readonly log: HopLog;
  /** Called as each start-up step begins, for a progress display. */
  readonly progress?: (step: string) => void;
  /** An already starting DynamoDB Local (the CLI starts it while synthesizing). */
  readonly dynamoDb?: Promise<DynamoDbLocal>;
  /**
   * Scales every retry delay (EventBridge targets, Lambda async retries,
   * pipes). 1 keeps AWS-like delays; tests use less. @default 0.05
   */
  readonly retryDelayScale?: number;
  /**
   * Scales the period of scheduled rules' `rate(...)` expressions, as
   * `retryDelayScale` scales retries: at 0.05, `rate(5 minutes)` fires every
   * 15 s. Cron schedules stay on the wall clock (UTC). 0 stops scheduled
   * rules firing on their own: only {@link LocalCloud.fireSchedule} fires them.
   * @default 0.05
   */
  readonly scheduleScale?: number;
  /**
   * The account's concurrent Lambda executions, which reserved concurrency
   * carves from; invocations beyond the limits are throttled, as on AWS.
   * @default 1000
   */
  readonly accountConcurrency?: number;
  /**
   * What to break on purpose (checked at start-up; a function pattern that
   * governs no function stops start-up). See "Fault injection" in the README.
   * @default no faults, a random seed
   */
  readonly faults?: FaultConfig;
  /** The file `faults` was read from, as `npm start --faults` was given it; the console shows it. @default none named */
  readonly faultsFile?: string;
  /**
   * IAM: `strict` denies what AWS would deny (every call and hop is
   * evaluated against the template's policies), `soft` only reports "AWS
   * would deny …", `off` evaluates nothing. @default 'strict'
   */
  readonly iam?: IamMode;
  /**
   * An OpenAPI document (a file) the AWS endpoint serves at `/openapi.json`
   * (see ./api-description). @default none served
   */
  readonly apiDescription?: string;
  /**
   * Serve the console (a page that shows the sagas and dead letters, see
   * ./console) on 127.0.0.1, on this port (0: a free one). With it, the
   * local cloud records what its Functions and Events views show (in
   * memory, bounded); without it, nothing is recorded.
   * @default no console
   */
  readonly consolePort?: number;
}

/** Why a type the local cloud accepts is not enforced, for the start-up banner. */
const NOT_ENFORCED_WHY: Readonly<Record<string, string>> = {
  [SAMPLING_RULE_TYPE]: 'no X-Ray daemon samples anything; the cost meter prices traced executions at the matching rule',
  'AWS::CloudWatch::Dashboard': 'no metrics are kept locally, so it has nothing to draw',
};

const stop = async (what: string, action: () => Promise<unknown>, onError: (what: string, error: unknown) => void): Promise<void> => {
  try {
    await action();
  } catch (error) {
    onError(what, error);
  }
};

/**
 * The whole synthesized app, running on this machine: every piece built from
 * the cloud assembly, the template validated in full before anything starts.
 */
export class LocalCloud {
  private constructor(
    public readonly apiUrl: string,
    public readonly awsEndpointUrl: string,
    public readonly controlUrl: string,
    public readonly outputs: Readonly<Record<string, unknown>>,
    /** What the template has that runs but is not enforced locally. */
    public readonly notEnforced: readonly string[],
    /** Which Node runs each Lambda runtime of the template, and loud warnings when one is not the template's major. */
    public readonly lambdaNodes: Pick<LambdaNodePlan, 'lines' | 'warnings'>,
    public readonly issuer: LocalJwtIssuer,
    public readonly runtime: LambdaRuntime,
    /** The template's IAM as the local cloud enforces it: its mode, every denial, and which statement allowed each call. */
    public readonly iam: LocalIam,
    /** What AWS would bill for what this cloud did so far (see `./cost/meter`). */
    public readonly meter: CostMeter,
    private readonly injection: {
      readonly injector: FaultInjector;
      /** The active faults, one line each (empty when nothing is broken). */
      readonly lines: readonly string[];
      readonly eventBus: EventBridgeEmulator;
      readonly pipes: PipesEmulator;
      readonly mappings: EventSourceMappings;
      readonly stepFunctions: StepFunctionsEmulator;
    },
    private readonly parts: {
      readonly dynamoDb: DynamoDbLocal;
      readonly queues: SqsQueues;
      readonly logs: CloudWatchLogs;
      readonly tables: ReadonlyMap<string, string>;
      readonly functionEntries: ReadonlyMap<string, string>;
      readonly endpoint: AwsEndpoint;
      readonly http: HttpApiEmulator;
      readonly control: ControlServer;
      readonly console?: { readonly server: ConsoleServer; readonly url: string };
      readonly poller: StreamPoller;
      readonly drainables: readonly Drainable[];
      readonly clients: ReadonlyArray<{ destroy(): void }>;
      readonly closables: ReadonlyArray<{ close(): Promise<void> | void }>;
    },
    private readonly log: HopLog,
  ) {}

  /** The console's URL, when it was asked for ({@link LocalCloudOptions.consolePort}). */
  public get consoleUrl(): string | undefined {
    return this.parts.console?.url;
  }

  /** The seed of this run's random draws (faults, and the retry jitter of the bus and the pipes): give it back as `faults.seed` to repeat a run. */
  public get faultSeed(): number {
    return this.injection.injector.seed;
  }

  /** The active faults, one line each, for a banner (empty when nothing is broken on purpose). */
  public get activeFaults(): readonly string[] {
    return this.injection.lines;
  }

  /**
   * Runs `work` with every fault off (function faults, duplicate deliveries
   * and duplicate Express starts), e.g. start-up's own seeding through the API.
   */
  public async withoutFaults<T>(work: () => Promise<T>): Promise<T> {
    const { injector, eventBus, pipes, stepFunctions } = this.injection;
    const busRate = eventBus.duplicateRate;
    const pipeRate = pipes.duplicateRate;
    const expressRate = stepFunctions.duplicateExpressStartRate;
    eventBus.duplicateRate = 0;
    pipes.duplicateRate = 0;
    stepFunctions.duplicateExpressStartRate = 0;
    try {
      return await injector.paused(work);
    } finally {
      eventBus.duplicateRate = busRate;
      pipes.duplicateRate = pipeRate;
      stepFunctions.duplicateExpressStartRate = expressRate;
    }
  }

  /**
   * The events of a log group of the template (the execution logs of its
   * state machines), oldest first, as `FilterLogEvents` would list them.
   *
   * @throws {Error} for a log group that is not the template's.
   */
  public logEvents(logGroupName: string, query: LogEventQuery = {}): StoredLogEvent[] {
    return this.parts.logs.events(logGroupName, query);
  }

  /**
   * A state machine's execution log records (by logical id, name or ARN),
   * parsed, oldest first: for Express workflows, the only record of what
   * their executions did.
   *
   * @throws {Error} for a state machine that is not the template's, or writes no execution logs.
   */
  public executionLogRecords(stateMachine: string): ExecutionLogRecord[] {
    const { stepFunctions } = this.injection;
    const found = stepFunctions.stateMachines().find((machine) => machine.logicalId === stateMachine || machine.name === stateMachine || machine.arn === stateMachine);
    if (!found) throw new Error(`No state machine ${stateMachine} in the template`);
    return stepFunctions.executionLogRecords(found.arn);
  }

  public static async start(options: LocalCloudOptions): Promise<LocalCloud> {
    const { log } = options;
    const faults = parseFaultConfig(options.faults ?? {}, 'faults option');
    const injector = new FaultInjector(faults, faults.seed ?? randomSeed());
    const progress = options.progress ?? (() => undefined);
    const scale = options.retryDelayScale ?? 0.05;
    const assemblyDir = options.assemblyDir ?? path.join(process.cwd(), 'cdk.out');
    const dynamoDbStarting = options.dynamoDb ?? startDynamoDbLocal(options.persistDir ? { dataDir: options.persistDir } : {});
    let dynamoDb: DynamoDbLocal | undefined;
    /** What to undo when start-up fails half-way (servers already listening, workers already started). */
    const cleanups: Array<() => Promise<void>> = [];
    try {
      progress('reading the cloud assembly');
      // Every stack of the assembly, as deploying them all in order would leave the account.
      const stack = combineStacks(readCloudAssembly(assemblyDir));
      const requestedPort = options.apiPort ?? 3000;
      const chosenApiPort = requestedPort === 0 ? await freePort() : requestedPort;
      const apiUrl = `http://127.0.0.1:${chosenApiPort}`;
      // Queue URLs name the AWS endpoint, so its port is chosen before the template is resolved.
      const awsEndpointPort = await freePort();
      const model = buildTemplateModel(stack.name, stack.template, { apiUrl, awsEndpointUrl: `http://127.0.0.1:${awsEndpointPort}` });
      const resources = model.resources;

      progress('checking the template');
      validateTables(resources);
      const functionNames = resources.filter((r) => r.type === 'AWS::Lambda::Function').map((r) => r.ref);
      const unused = injector.unusedPatterns(functionNames);
      if (unused.length > 0) {
        throw new FaultConfigError(
          `Fault patterns that govern no function (they match none, or only functions an earlier pattern claims): ${unused.map((p) => `"${p}"`).join(', ')}. Functions: ${functionNames.join(', ')}.`,
        );
      }
      const samplingRules = samplingRulesOf(resources);
      const meter = costMeterFor(resources, samplingRules);
      const iam = LocalIam.create(resources, { mode: options.iam ?? 'strict', onDenied: (denial) => LocalCloud.logDenial(log, denial) });
      const principals = rolePrincipals(resources, iam);
      const endpoint = new AwsEndpoint();
      if (iam.mode !== 'off') endpoint.useIam({ principalOf: (authorization) => iam.credentials.principalOf(authorization), check: (request) => iam.check(request) });
      if (options.apiDescription !== undefined) registerApiDescription(endpoint, options.apiDescription);
      const awsEndpointUrl = await endpoint.listen(awsEndpointPort);
      cleanups.push(() => endpoint.close());
      const keySchemas = new Map(resources.filter((r) => isTable(r)).map((r) => [r.ref, keyAttributesOf(r)]));
      const dynamoDbFaults = new DynamoDbFaultPlan({
        faults: () => injector.dynamoDbFaults(),
        random: injector.random('dynamodb'),
        keyOf: (table) => keySchemas.get(table) ?? [],
        onFault: (fault) => log.hop({ kind: 'fault', text: describeDynamoDbFault(fault) }),
      });
      /** Tells the stream poller a table was written; set once the poller exists. */
      let streamsWritten: (table: string) => void = () => undefined;
      const dynamoDbProxy = new DynamoDbProxy({
        target: async () => (await dynamoDbStarting).endpoint,
        ...(iam.mode === 'off' ? {} : { iam: { principalOf: (authorization) => iam.credentials.principalOf(authorization), check: (request) => iam.check(request) } }),
        hashKeyOf: (table) => keySchemas.get(table)?.[0],
        intercept: (call) => dynamoDbFaults.intercept(call),
        transform: (call, output) => dynamoDbFaults.transform(call, output),
        onConsumedCapacity: (kind, consumed) => meter.dynamoDbConsumed(kind, consumed),
        // A write is what puts records on a table's stream: the poller reads it then, not on a timer.
        onWritten: (written) => {
          for (const table of written) streamsWritten(table);
        },
      });
      const dynamoDbProxyUrl = await dynamoDbProxy.listen(0);
      cleanups.push(() => dynamoDbProxy.close());
      const accountConcurrency = options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
      /** What the console's Functions and Events views show; recorded only while there is a console to show it. */
      const activity = options.consolePort !== undefined ? new ActivityRecorder({ functions: functionNames }) : undefined;
      const runtime = new LambdaRuntime({
        accountConcurrency,
        onRefused: (fn, error) => {
          activity?.refused(fn, error);
          log.hop({ kind: 'error', text: `${fn} ${error instanceof LambdaThrottledError ? `throttled: ${error.name} (${error.reason})` : `refused: ${error.name}: ${error.message}`}` });
        },
        onPendingWork: (fn, requestId, resources) =>
          log.hop({ kind: 'info', text: `${fn} returned with work still pending (${describePendingWork(resources)}): on AWS it is frozen until the next invocation [request ${requestId.slice(0, 8)}]` }),
        faults: (fn) => injector.planInvocation(fn),
        onFault: (fn, requestId, fault) => log.hop({ kind: 'fault', text: `${describeInjectedFault(fn, fault)} [request ${requestId.slice(0, 8)}]` }),
        onLog: (fn, line) => {
          meter.lambdaLogLine(fn, line);
          void logDelivery.deliver(fn, line);
        },
        onInvoked: (fn, requestId, result, eventJson) => {
          activity?.invoked(fn, requestId, result, eventJson);
          meter.lambdaInvoked(fn, result.durationMs, result.coldStartMs, platformOutcomeOf(result.ok ? undefined : result.error.errorType));
          void logDelivery.invoked(fn);
          const cold = result.coldStartMs !== undefined ? `, cold start ${result.coldStartMs} ms` : '';
          if (result.ok) log.hop({ kind: 'fn', text: `${fn} ${result.durationMs} ms${cold}` });
          else log.hop({ kind: 'error', text: `${fn} failed: ${result.error.errorType}: ${result.error.errorMessage} (${result.durationMs} ms${cold})` });
        },
      });
      cleanups.push(() => runtime.stop(0));
      // Queues event source mappings read are work queues, not dead-letter queues: a send to one is not a red line.
      const mappingSources = new Set(resources.filter((r) => r.type === EVENT_SOURCE_MAPPING_TYPE).map((r) => r.properties.EventSourceArn));
      const queues = SqsQueues.create(resources, {
        onSend: (queue, message) => {
          meter.sqsRequests(1);
          return mappingSources.has(queue.arn) ? log.hop({ kind: 'info', correlationId: bodyCorrelationId(message.body), text: `SQS ${queue.name}: message sent` }) : log.hop({ kind: 'dlq', text: `message sent to ${queue.name}` });
        },
        onMove: (from, to, message, receiveCount) => {
          activity?.queueMove(from, to, message, receiveCount);
          log.hop({ kind: 'dlq', correlationId: bodyCorrelationId(message.body), text: `SQS ${from.name} → ${to.name} after ${String(receiveCount)} receives` });
        },
      });
      const sqsApi = new SqsApi(queues, { onHop: (hop) => LocalCloud.logSqs(log, hop) });
      sqsApi.registerOn(endpoint);
      const logDelivery = new LogDelivery(resources, iam, principals, (fn, line) => {
        activity?.logLine(fn, line);
        log.functionLine(fn, line);
      });
      const lambdaAsync = LambdaAsyncInvoker.create(resources, {
        invoke: (arn, payload) => runtime.invoke(arn, payload),
        queues,
        iam,
        retryDelayMs: 60_000 * scale,
        throttleRetryBaseMs: 1000 * scale,
        throttleRetryMaxMs: 300_000 * scale,
        onHop: (hop) => {
          activity?.asyncHop(hop);
          LocalCloud.logAsync(log, hop);
        },
      });
      const backoff = { baseDelayMs: 1000 * scale, maxDelayMs: 60_000 * scale, jitter: true };
      // The saga and the bus start each other (rule → execution → putEvents), so the bus is late-bound.
      let eventBusRef: EventBridgeEmulator | undefined;
      // Each state machine signs its DynamoDB tasks with its own role's credentials, through the proxy.
      const taskClients = new Map<string, DynamoDBClient>();
      const dynamoForTasks = (stateMachineArn: string): DynamoDBClient => {
        let client = taskClients.get(stateMachineArn);
        if (!client) {
          const principal = principals.get(stateMachineArn);
          client = new DynamoDBClient({ region: LOCAL_REGION, endpoint: dynamoDbProxyUrl, credentials: principal ? iam.credentialsFor(principal) : LOCAL_CREDENTIALS });
          taskClients.set(stateMachineArn, client);
        }
        return client;
      };
      /** A state machine's call with its role, failing as the service's AccessDeniedException when IAM denies it. */
      const asStateMachine = async (stateMachineArn: string, action: string, resource: string, what: string): Promise<void> => {
        const principal = principals.get(stateMachineArn);
        if (!principal) return;
        const denial = await iam.check({ principal, action, resource, hop: `${principal.label} → ${what}` });
        if (denial) throw new AwsServiceError('AccessDeniedException', denial.message, action.startsWith('lambda:') ? 403 : 400);
      };
      const logs = CloudWatchLogs.create(resources, options.persistDir ? { persistDir: options.persistDir } : {});
      logs.registerOn(endpoint);
      const stepFunctions = StepFunctionsEmulator.create(
        resources,
        {
          ...(iam.mode === 'off' ? {} : { iam }),
          invokeFunction: async (arn, payload, call) => {
            const functionArn = runtime.resolve(arn)?.arn ?? arn;
            await asStateMachine(call.stateMachineArn, 'lambda:InvokeFunction', functionArn, `Lambda ${arn.split(':').pop() ?? arn}`);
            void traceInside(call.stateMachineArn, functionArn);
            return runtime.invoke(arn, payload);
          },
          putEvents: async (entries, call) => {
            if (!eventBusRef) throw new CloudAssemblyError('The event bus is not ready');
            for (const entry of entries) {
              await asStateMachine(call.stateMachineArn, 'events:PutEvents', eventBusRef.busArn(entry.EventBusName ?? 'default'), `EventBridge PutEvents (${entry.DetailType ?? ''})`);
            }
            return eventBusRef.putEvents(entries);
          },
          dynamoDb: dynamoForTasks,
        },
        {
          retryIntervalScale: scale,
          onHop: (hop) => {
            meterSaga(meter, hop);
            if (hop.kind === 'execution-started') void traceExecution(hop.stateMachineArn);
            LocalCloud.logSaga(log, hop);
          },
          logs,
          onExecutionLog: (stateMachine, message) => meter.stateMachineLogLine(stateMachine, message),
          duplicateExpressStartRate: faults.stepFunctions?.duplicateExpressStartRate ?? 0,
          random: injector.random('stepFunctions'),
          ...(options.persistDir ? { persistDir: options.persistDir } : {}),
        },
      );
      /** X-Ray: a traced state machine samples and sends its segments with its role (a denial loses the trace, silently on AWS). */
      const tracedMachines = new Set(resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine' && isTraced(r)).map((r) => r.arn ?? ''));
      const traceExecution = async (stateMachineArn: string): Promise<void> => {
        const principal = principals.get(stateMachineArn);
        if (!principal || !tracedMachines.has(stateMachineArn)) return;
        for (const action of ['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
          await iam.check({ principal, action, resource: '*', hop: `${principal.label} → X-Ray (traces of its executions)` });
        }
      };
      /**
       * X-Ray, inside a traced execution: a function in PassThrough mode invoked by a traced state machine runs in
       * the execution's trace, and its tracer sends its subsegments with its own role (a denial loses them, silently
       * on AWS). Only functions that ask for it (a `TracingConfig` of `PassThrough`) are checked: one without
       * any is traced by Lambda alone, and sends nothing itself.
       */
      const passThroughFunctions = new Set(
        resources.filter((r) => r.type === 'AWS::Lambda::Function' && r.properties.TracingConfig !== undefined && tracingModeOf(r) === 'PassThrough').map((r) => r.arn ?? ''),
      );
      const traceInside = async (stateMachineArn: string, functionArn: string): Promise<void> => {
        const principal = principals.get(functionArn);
        if (!principal || !tracedMachines.has(stateMachineArn) || !passThroughFunctions.has(functionArn)) return;
        for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
          await iam.check({ principal, action, resource: '*', hop: `${principal.label} → X-Ray (its part of a traced execution)` });
        }
      };
      stepFunctions.registerOn(endpoint);
      const eventBus = EventBridgeEmulator.create(resources, {
        queues,
        iam,
        invokeAsync: lambdaAsync.invokeAsync,
        startExecution: async (stateMachineArn, input) => stepFunctions.startExecution({ stateMachineArn, input }),
        backoff,
        duplicateRate: faults.eventBridge?.duplicateRate ?? 0,
        random: injector.random('eventBridge'),
        scheduleScale: options.scheduleScale ?? 0.05,
        onHop: (hop) => {
          if (hop.kind === 'event') meter.eventPut(hop.bytes, hop.archived);
          if (hop.kind === 'target' && hop.targetArn.includes(':function:')) meter.traceRoot(functionNameOf(hop.targetArn));
          activity?.eventHop(hop);
          LocalCloud.logEvent(log, hop);
        },
      });
      eventBus.registerOn(endpoint);
      eventBusRef = eventBus;
      activity?.describeBuses(eventBus.listBuses().map((bus) => bus.name), eventBus.listRuleSummaries());
      const pipes = PipesEmulator.create(resources, {
        invokeFunction: (arn, payload) => runtime.invoke(arn, payload),
        eventBus,
        queues,
        iam,
        backoff,
        duplicateRate: faults.pipes?.duplicateRate ?? 0,
        random: injector.random('pipes'),
        onHop: (hop) => {
          if (hop.kind === 'batch') meter.pipeEvents(hop.matched, pipeEnrichments.get(hop.pipe));
          LocalCloud.logPipe(log, hop);
        },
      });
      /** Each pipe's enrichment function, by pipe name: its invocation is the pipe batch's trace root if its tracing is Active. */
      const pipeEnrichments = new Map(pipes.list().flatMap((pipe) => (pipe.enrichmentArn === undefined ? [] : [[pipe.name, functionNameOf(pipe.enrichmentArn)] as const])));
      const mappings = EventSourceMappings.create(resources, {
        queues,
        invoke: (arn, payload) => runtime.invoke(arn, payload),
        retryDelayScale: scale,
        unreservedConcurrency: () => runtime.unreservedConcurrency,
        iam,
        principalOf: (functionArn) => principals.get(functionArn),
        onHop: (hop) => {
          // The mapping's receive and its delete of the batch; its empty long polls are a fixed cost, not an order's.
          if (hop.kind === 'batch') {
            meter.sqsRequests(2);
            meter.traceRoot(hop.functionName);
          }
          LocalCloud.logMapping(log, hop);
        },
      });
      progress('starting DynamoDB Local');
      dynamoDb = await dynamoDbStarting;
      const dynamo = new DynamoDBClient({ endpoint: dynamoDb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      const streams = new DynamoDBStreamsClient({ endpoint: dynamoDb.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
      progress('creating tables');
      const tables = await createTables(dynamo, resources);

      progress('loading functions');
      const credentialsFor = (fn: { readonly arn?: string; readonly ref: string }) => {
        const principal = principals.get(fn.arn ?? fn.ref);
        return principal ? iam.credentialsFor(principal) : LOCAL_CREDENTIALS_FOR_FUNCTIONS;
      };
      const functions = localFunctions(resources, stack.assetPath, { region: LOCAL_REGION, dynamoDbEndpoint: dynamoDbProxyUrl, awsEndpoint: awsEndpointUrl, credentialsFor }, accountConcurrency);
      const lambdaNodes = planLambdaNodes(functions.map((fn) => fn.runtime));
      for (const fn of functions) {
        const nodeExecutable = lambdaNodes.executableFor(fn.runtime);
        runtime.register(nodeExecutable ? { ...fn.spec, nodeExecutable } : fn.spec);
      }
      registerInvokeApi(endpoint, runtime, lambdaAsync);
      const ofTypes = (types: readonly string[]) => resources.filter((r) => types.includes(r.type));
      const issuer = LocalJwtIssuer.fromResources(ofTypes(COGNITO_RESOURCE_TYPES));
      const http = HttpApiEmulator.create(ofTypes(HTTP_API_RESOURCE_TYPES), {
        invoker: runtime,
        issuer,
        iam,
        onHop: (hop) => {
          activity?.httpRequest(hop);
          meter.apiRequest(hop.functionName);
          LocalCloud.logHttp(log, hop);
        },
        onAccessLog: (record) => meter.accessLogLine(record.line),
      });
      progress('checking permissions as AWS would at deploy time');
      await runDeployChecks(resources, iam);
      const control = new ControlServer({ issuer });


      const poller = new StreamPoller(dynamo, streams, {
        region: LOCAL_REGION,
        ...(options.persistDir ? { checkpointFile: path.join(options.persistDir, 'stream-checkpoints.json') } : {}),
        onError: (table, error) => log.hop({ kind: 'error', text: `stream of ${table}: ${error instanceof Error ? error.message : String(error)}` }),
      });
      for (const table of tables.filter((t) => t.streamViewType)) {
        const tableArnPrefix = `:table/${table.tableName}/stream/`;
        for (const pipe of pipes.list().filter((p) => p.sourceArn.includes(tableArnPrefix))) {
          poller.watch(table.tableName, async (records) => void (await pipe.deliver(records)), pipe.startingPosition);
        }
      }

      progress('opening the HTTP API');
      await http.listen(chosenApiPort);
      const controlUrl = await control.listen(0);
      let consoleServer: { readonly server: ConsoleServer; readonly url: string } | undefined;
      if (options.consolePort !== undefined && activity) {
        const server = new ConsoleServer({
          stepFunctions,
          queues,
          deadLetterQueueArns: deadLetterQueueArnsOf(resources, queues),
          activity,
          redrive: DeadLetterRedrive.forEndpoint(awsEndpointUrl, queues),
          data: {
            tables: new TableBrowser(dynamo, new Map(tables.map((table) => [table.logicalId, table.tableName]))),
            faults: {
              injector,
              functionNames,
              deliveryRates: () => ({ eventBridge: eventBus.duplicateRate, pipes: pipes.duplicateRate, expressStarts: stepFunctions.duplicateExpressStartRate }),
              ...(options.faultsFile !== undefined ? { file: options.faultsFile } : {}),
            },
            cost: meter,
          },
        });
        consoleServer = { server, url: await server.listen(options.consolePort) };
        cleanups.push(() => server.close());
      }
      streamsWritten = (table) => poller.notify(table);
      poller.start();
      mappings.start();
      eventBus.startSchedules();
      for (const schedule of eventBus.scheduledRules()) log.hop({ kind: 'info', text: describeSchedule(schedule) });

      return new LocalCloud(
        apiUrl,
        awsEndpointUrl,
        controlUrl,
        model.outputs,
        [
          ...Object.entries(model.notEnforced).map(([type, count]) => `${type} ×${count}${NOT_ENFORCED_WHY[type] ? ` (${NOT_ENFORCED_WHY[type]})` : ''}`),
          ...(iam.mode === 'off' ? [`IAM (--iam off): ${[...IAM_RESOURCE_TYPES].join(', ')}`] : []),
          ...stepFunctions.notEnforced,
          'X-Ray traces (no daemon, POWERTOOLS_TRACE_ENABLED=false; the permission to send them is checked; the cost meter counts the traces X-Ray would record)',
        ],
        lambdaNodes,
        issuer,
        runtime,
        iam,
        meter,
        { injector, lines: injector.active ? injector.describe(functionNames) : [], eventBus, pipes, mappings, stepFunctions },
        {
          dynamoDb,
          queues,
          logs,
          tables: new Map(tables.map((table) => [table.logicalId, table.tableName])),
          functionEntries: new Map(
            functions.flatMap(({ spec }) => {
              const logicalId = resources.find((r) => r.ref === spec.name)?.logicalId ?? spec.name;
              const entry = stack.template.Resources[logicalId]?.Metadata?.[SHOP_ENTRY_METADATA];
              return typeof entry === 'string' ? [[spec.name, entry] as const] : [];
            }),
          ),
          endpoint,
          http,
          control,
          ...(consoleServer ? { console: consoleServer } : {}),
          poller,
          drainables: [eventBus, lambdaAsync, pipes, mappings, { drain: async () => void (await stepFunctions.drain()), get idle() { return stepFunctions.idle; } }],
          clients: [dynamo, streams, { destroy: () => taskClients.forEach((client) => client.destroy()) }],
          closables: [eventBus, pipes, mappings, stepFunctions, dynamoDbProxy, sqsApi],
        },
        log,
      );
    } catch (error) {
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
      await (dynamoDb ?? (await dynamoDbStarting.catch(() => undefined)))?.stop();
      throw error;
    }
  }

  /**
   * Runs `work` with these function faults instead of the configured ones,
   * e.g. a test breaking one function for one scenario.
   *
   * @throws {FaultConfigError} for an invalid configuration or a pattern that matches no function.
   */
  public async withFaults<T>(faults: FaultConfig, work: () => Promise<T>): Promise<T> {
    const config = parseFaultConfig(faults, 'withFaults');
    const functionNames = this.runtime.functions().map((fn) => fn.name);
    const unused = new FaultInjector(config, 0).unusedPatterns(functionNames);
    if (unused.length > 0) throw new FaultConfigError(`withFaults: patterns that govern no function: ${unused.join(', ')}`);
    return this.injection.injector.overridden(config, work);
  }

  /**
   * Fires a scheduled rule now, as its schedule would (the `Scheduled Event`
   * goes to its targets, asynchronously); its own schedule carries on.
   *
   * @param rule the rule's logical id, name or ARN.
   * @returns the event delivered.
   * @throws {Error} for a rule that is not scheduled, or is DISABLED.
   */
  public fireSchedule(rule: string): BusEvent {
    return this.injection.eventBus.fireSchedule(rule);
  }

  /** The logical ids of the template's scheduled rules, for {@link LocalCloud.fireSchedule}. */
  public scheduledRuleLogicalIds(): readonly string[] {
    return this.injection.eventBus.scheduledRuleLogicalIds();
  }

  /** The logical ids of the template's queues. */
  public queueLogicalIds(): readonly string[] {
    return this.parts.queues.list().map((queue) => queue.logicalId);
  }

  /** The messages waiting in a queue (a dead-letter queue, by logical id, name or ARN), oldest first, left in place. */
  public queueMessages(queue: string): readonly QueueMessage[] {
    const settings = this.parts.queues.list().find((q) => q.logicalId === queue) ?? this.parts.queues.resolve(queue);
    if (!settings) throw new Error(`No queue ${queue} in the template`);
    return this.parts.queues.receiveAll(settings.arn);
  }

  /** DynamoDB Local's endpoint, for tools that read the tables directly (the chaos soak's invariant checks). */
  public get dynamoDbEndpoint(): string {
    return this.parts.dynamoDb.endpoint;
  }

  /** The name of each table the template declares, by logical id. */
  public get tables(): ReadonlyMap<string, string> {
    return this.parts.tables;
  }

  /**
   * Hands `consumer` the records of a table's stream (the table named as
   * DynamoDB names it) written from now on, as every stream consumer gets
   * them: what a benchmark waits on instead of polling the table. The table
   * must have a stream.
   */
  public watchStream(tableName: string, consumer: StreamConsumer): void {
    this.parts.poller.watch(tableName, consumer, 'LATEST');
  }

  /**
   * The source entry of each function whose Lambda resource names one (the
   * `shop:entry` Metadata the shop's functions carry), relative to the
   * functions' sources, by function name: what `npm start -- --watch` rebuilds.
   */
  public get functionEntries(): ReadonlyMap<string, string> {
    return this.parts.functionEntries;
  }

  /**
   * Stops in order: no new requests; in-flight requests, events, pipes and
   * executions finish (bounded by `graceMs`); then every worker and DynamoDB
   * Local stop. Nothing is left running.
   */
  public async stop(graceMs = 10_000): Promise<void> {
    const onError = (what: string, error: unknown) => this.log.hop({ kind: 'error', text: `stopping ${what}: ${error instanceof Error ? error.message : String(error)}` });
    const deadline = Date.now() + graceMs;
    const remaining = () => Math.max(0, deadline - Date.now());
    this.injection.eventBus.stopSchedules();
    // Mappings take no new batch; the batches under way finish with the rest of the in-flight work.
    this.injection.mappings.stopPolling();
    await stop('the HTTP API', () => this.parts.http.close(remaining()), onError);
    await stop('the stream poller', () => this.parts.poller.stop(), onError);
    await stop('in-flight work', async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([drainAll(this.parts.drainables), new Promise((resolve) => (timer = setTimeout(resolve, remaining())))]);
      } finally {
        clearTimeout(timer);
      }
    }, onError);
    for (const part of this.parts.closables) await stop('an emulator', async () => part.close(), onError);
    await stop('functions', () => this.runtime.stop(remaining()), onError);
    await stop('the AWS endpoint', () => this.parts.endpoint.close(), onError);
    await stop('the control server', () => this.parts.control.close(), onError);
    const consoleServer = this.parts.console?.server;
    if (consoleServer) await stop('the console', () => consoleServer.close(), onError);
    for (const client of this.parts.clients) client.destroy();
    await stop('DynamoDB Local', () => this.parts.dynamoDb.stop(), onError);
  }

  private static logDenial(log: HopLog, denial: IamDenial): void {
    const verdict = denial.enforced ? 'AccessDenied' : 'AWS would deny (--iam soft: let through)';
    log.hop({ kind: 'deny', text: `${verdict}: ${denial.hop ?? denial.principalLabel} — ${denial.message}` });
  }

  private static logHttp(log: HopLog, hop: HttpApiHop): void {
    const fn = hop.functionName ? ` → ${hop.functionName}` : '';
    const note = hop.note ? ` (${hop.note})` : '';
    log.hop({ kind: 'http', correlationId: hop.correlationId, text: `${hop.method} ${hop.path}${fn} ${hop.status} ${hop.latencyMs} ms${note}` });
  }

  private static logEvent(log: HopLog, hop: EventBridgeHop): void {
    const base = { correlationId: hop.correlationId };
    switch (hop.kind) {
      case 'event':
        return log.hop({ ...base, kind: 'event', text: `${hop.detailType} from ${hop.source} on ${hop.bus}` });
      case 'rule':
        return log.hop({ ...base, kind: 'rule', text: `${hop.detailType} matched rule ${hop.rule}` });
      case 'target':
        return log.hop({
          ...base,
          kind: hop.duplicate ? 'fault' : 'rule',
          text: `${hop.detailType} → ${shortArn(hop.targetArn)}${hop.attempt > 1 ? ` (attempt ${hop.attempt})` : ''}${hop.duplicate ? ' (injected duplicate delivery)' : ''}`,
        });
      case 'retry':
        return log.hop({ ...base, kind: 'retry', text: `${hop.detailType} → ${shortArn(hop.targetArn)} failed (${hop.errorCode}: ${hop.errorMessage}); retry in ${hop.delayMs} ms` });
      case 'dlq':
        return log.hop({ ...base, kind: 'dlq', text: `${hop.detailType} for ${shortArn(hop.targetArn)} → dead-letter queue ${shortArn(hop.deadLetterArn)} (${hop.errorCode})` });
      case 'dropped':
        return log.hop({ ...base, kind: 'dlq', text: `${hop.detailType} dropped: ${hop.reason}` });
      case 'schedule':
        return log.hop({ ...base, kind: 'rule', text: `Scheduled Event from rule ${hop.rule} (${hop.manual ? 'fired by fireSchedule' : hop.expression})` });
    }
  }

  private static logSqs(log: HopLog, hop: SqsApiHop): void {
    switch (hop.kind) {
      case 'received':
        return log.hop({ kind: 'info', text: `SQS ${hop.queue}: ${String(hop.count)} message(s) received${hop.waitedMs >= 1000 ? ` after a ${String(Math.round(hop.waitedMs / 1000))} s long poll` : ''}` });
      case 'deleted':
        return log.hop({ kind: 'info', text: `SQS ${hop.queue}: ${String(hop.count)} message(s) deleted` });
      case 'stale-delete':
        return log.hop({
          kind: 'info',
          text: `SQS ${hop.queue}: DeleteMessage with an older receipt handle of ${hop.messageId} (received again since): SQS answers success and may keep the message; kept`,
        });
      case 'purged':
        return log.hop({ kind: 'info', text: `SQS ${hop.queue}: purged (${String(hop.count)} message(s))` });
    }
  }

  private static logMapping(log: HopLog, hop: EventSourceMappingHop): void {
    const route = `${hop.queue} → ${hop.functionName}`;
    const back = (ms: number): string => `back in ${(ms / 1000).toFixed(ms < 1_000 ? 2 : ms < 10_000 ? 1 : 0)} s`;
    const lines = (kind: 'esm' | 'retry' | 'deny' | 'info', text: string): void => {
      for (const correlationId of hop.correlationIds.length > 0 ? hop.correlationIds : [undefined]) log.hop({ kind, correlationId, text });
    };
    switch (hop.kind) {
      case 'batch':
        return lines('esm', `${route} ${String(hop.count)} message${hop.count === 1 ? '' : 's'}`);
      case 'failed':
        return lines('retry', `${route} batch failed: ${hop.errorType}; ${back(hop.retryInMs)}`);
      case 'partial':
        return lines('retry', `${route} ${String(hop.failed)} of ${String(hop.count)} messages failed (batchItemFailures); ${back(hop.retryInMs)}`);
      case 'filtered':
        return lines('info', `${route} ${String(hop.count)} message${hop.count === 1 ? '' : 's'} matched no filter: deleted`);
      case 'problem':
        return lines('deny', `${route} mapping ${hop.mapping}: PROBLEM: ${hop.reason}`);
    }
  }

  private static logAsync(log: HopLog, hop: LambdaAsyncHop): void {
    if (hop.kind === 'retry') log.hop({ kind: 'retry', text: `${shortArn(hop.functionArn)} failed (${hop.errorType}); async retry ${hop.attempt} in ${hop.delayMs} ms` });
    else if (hop.kind === 'throttled') log.hop({ kind: 'retry', text: `${shortArn(hop.functionArn)} throttled (${hop.reason}); event back in Lambda's queue for ${hop.delayMs} ms` });
    else if (hop.kind === 'dlq') log.hop({ kind: 'dlq', text: `${shortArn(hop.functionArn)} gave up (${hop.errorType}) → ${shortArn(hop.deadLetterArn)}` });
    else if (hop.kind === 'dropped') log.hop({ kind: 'dlq', text: `${shortArn(hop.functionArn)} event dropped: ${hop.reason}` });
  }

  private static logSaga(log: HopLog, hop: StepFunctionsHop): void {
    if (hop.kind === 'state-entered' && !log.verbose) return;
    if (hop.duplicate === true && hop.kind === 'execution-started') {
      log.hop({ kind: 'fault', correlationId: hop.correlationId, text: `${describeSagaHop(hop)} again (injected duplicate Express start)` });
      return;
    }
    const kind = hop.compensating ? 'comp' : 'saga';
    log.hop({ kind, correlationId: hop.correlationId, text: describeSagaHop(hop) });
  }

  private static logPipe(log: HopLog, hop: PipeHop): void {
    if (hop.kind === 'target') {
      for (const correlationId of hop.correlationIds.length ? hop.correlationIds : [undefined]) {
        log.hop({ kind: 'pipe', correlationId, text: `stream → ${hop.detailType} on ${shortArn(hop.targetArn)}` });
      }
    } else if (hop.kind === 'duplicate') {
      for (const correlationId of hop.correlationIds.length ? hop.correlationIds : [undefined]) {
        log.hop({ kind: 'fault', correlationId, text: `stream → ${hop.detailType} on ${shortArn(hop.targetArn)} again (injected duplicate delivery)` });
      }
    } else if (hop.kind === 'retry') {
      log.hop({ kind: 'retry', text: `pipe batch failed (${hop.error}); retry ${hop.attempt} in ${hop.delayMs} ms` });
    }
  }
}

/** One saga line: `ChargePayment ✓ 35 ms`, `ChargePayment ✗ PaymentDeclinedError → PaymentDeclined`. */
const describeSagaHop = (hop: StepFunctionsHop): string => {
  const machine = hop.stateMachine.split(':').pop() ?? hop.stateMachine;
  switch (hop.kind) {
    case 'execution-started':
      return `${machine} started (${hop.executionName})`;
    case 'execution-succeeded':
      return `${machine} succeeded in ${hop.durationMs ?? 0} ms`;
    case 'execution-failed':
    case 'execution-aborted':
    case 'execution-timed-out':
      return `${machine} ${hop.kind.slice('execution-'.length)}: ${hop.error ?? ''} ${hop.cause ? `(${hop.cause.slice(0, 200)})` : ''}`.trim();
    case 'state-entered':
      return `${hop.state} …`;
    case 'state-succeeded':
      return `${hop.state} ✓ ${hop.durationMs ?? 0} ms`;
    case 'state-failed':
      return `${hop.state} ✗ ${hop.error ?? ''}`;
    case 'state-retried':
      return `${hop.state} retry ${hop.retryCount ?? ''} after ${hop.error ?? 'error'}`;
    case 'state-caught':
      return `${hop.state} ✗ ${hop.error ?? ''} → ${hop.next ?? ''}`;
  }
};

/** One fault line: `PaymentsCharge: injected crash 37 ms into the handler`. */
const describeInjectedFault = (functionName: string, fault: InjectedFault): string => {
  switch (fault.kind) {
    case 'error':
      return fault.outage ? `${functionName}: injected outage (InjectedFault; the function is down)` : `${functionName}: injected error (InjectedFault; the handler does not run)`;
    case 'latency':
      return `${functionName}: injected latency +${fault.delayMs} ms`;
    case 'timeout':
      return `${functionName}: injected timeout (the handler runs; its answer is withheld until the ${fault.timeoutSeconds} s timeout)`;
    case 'crash':
      return `${functionName}: injected crash ${fault.afterMs} ms into the handler (or when it finishes, if sooner)`;
  }
};

/** One start-up line per scheduled rule: what it is and when it fires locally. */
const describeSchedule = (schedule: ScheduledRuleSummary): string => {
  const what = `schedule ${schedule.name}: ${schedule.expression}`;
  if (schedule.state === 'DISABLED') return `${what} is DISABLED: it never fires`;
  if (schedule.nextFireAt === undefined) return `${what} fires only through fireSchedule (scheduleScale 0, or no time left that it names)`;
  const next = new Date(schedule.nextFireAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
  if (schedule.localPeriodMs === undefined) return `${what} runs on the wall clock (UTC); next at ${next}`;
  return `${what} fires every ${String(schedule.localPeriodMs / 1000)} s locally (scheduleScale); next at ${next}`;
};

/** `detail.metadata.correlationId` of a message body that is an EventBridge event carrying one. */
const bodyCorrelationId = (body: string): string | undefined => {
  try {
    const id: unknown = (JSON.parse(body) as { detail?: { metadata?: { correlationId?: unknown } } } | null)?.detail?.metadata?.correlationId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The queues the template uses as dead-letter queues: each queue a property
 * under a `DeadLetter…` or `RedrivePolicy` key names (a rule target's, a
 * function's, a pipe's, another queue's).
 */
const deadLetterQueueArnsOf = (resources: readonly LocalResource[], queues: SqsQueues): ReadonlySet<string> => {
  const found = new Set<string>();
  const collect = (value: unknown, underDeadLetter: boolean): void => {
    if (typeof value === 'string') {
      const queue = underDeadLetter ? queues.resolve(value) : undefined;
      if (queue) found.add(queue.arn);
    } else if (Array.isArray(value)) for (const item of value) collect(item, underDeadLetter);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) collect(inner, underDeadLetter || /dead.?letter|redrivepolicy/i.test(key));
    }
  };
  for (const resource of resources) collect(resource.properties, false);
  return found;
};

/** The function an ARN names (`arn:aws:lambda:…:function:OrdersApi:$LATEST` → `OrdersApi`). */
const functionNameOf = (arn: string): string => /:function:([^:]+)/.exec(arn)?.[1] ?? arn;

/** The readable tail of an ARN (`function:OrdersApi` → `OrdersApi`). */
const shortArn = (arn: string): string => arn.split(/[:/]/).pop() ?? arn;

/** Credentials for a function whose role the local IAM does not model (IAM off): nobody's, so the administrator's. */
const LOCAL_CREDENTIALS_FOR_FUNCTIONS = { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' } as const;

/**
 * The principal each acting resource has, by its ARN (and name): a function
 * acts as a session of its execution role named after it, a state machine
 * and a pipe as sessions of theirs.
 */
const rolePrincipals = (resources: readonly LocalResource[], iam: LocalIam): ReadonlyMap<string, IamPrincipal> => {
  const principals = new Map<string, IamPrincipal>();
  for (const resource of resources) {
    const [property, what] =
      resource.type === 'AWS::Lambda::Function' ? ['Role', 'function'] : resource.type === 'AWS::StepFunctions::StateMachine' ? ['RoleArn', 'state machine'] : resource.type === 'AWS::Pipes::Pipe' ? ['RoleArn', 'pipe'] : [];
    const roleArn = property ? resource.properties[property] : undefined;
    if (typeof roleArn !== 'string' || !what || !property) continue;
    const role = iam.model.role(roleArn);
    if (!role) {
      if (iam.mode === 'off') continue;
      throw new UnsupportedFeatureError(resource.logicalId, resource.type, property, `${roleArn} is not a role of this template, so the local IAM cannot know its policies`);
    }
    const principal = roleSession(role, resource.ref, what);
    principals.set(resource.ref, principal);
    if (resource.arn) principals.set(resource.arn, principal);
  }
  return principals;
};

/** The key attributes of a table resource: its partition key, then its sort key if it has one. */
const keyAttributesOf = (table: LocalResource): string[] => {
  const schema = Array.isArray(table.properties.KeySchema) ? (table.properties.KeySchema as Array<{ AttributeName?: unknown; KeyType?: unknown }>) : [];
  return ['HASH', 'RANGE'].flatMap((type) => {
    const name = schema.find((key) => key.KeyType === type)?.AttributeName;
    return typeof name === 'string' ? [name] : [];
  });
};

/** One line for an injected DynamoDB fault. */
const describeDynamoDbFault = (fault: InjectedDynamoDbFault): string => {
  const who = fault.caller.split(' ')[0] ?? fault.caller;
  switch (fault.kind) {
    case 'transaction-conflict':
      return `DynamoDB ${fault.operation} by ${who}: injected TransactionConflict on ${fault.table} (TransactionCanceledException, nothing written)`;
    case 'throttling':
      return `DynamoDB ${fault.operation} by ${who}: injected throttling on ${fault.table}`;
    case 'index-lag':
      return `DynamoDB ${fault.operation} by ${who}: injected index lag on ${fault.table} (${String(fault.hidden ?? 0)} recently written item(s) not in the index yet)`;
  }
};

/**
 * A cost meter that knows the template's functions (memory, architecture, log
 * controls, tracing mode), state machines (type, tracing, ARN) and X-Ray
 * sampling rules.
 */
const costMeterFor = (resources: readonly LocalResource[], samplingRules: readonly SamplingRule[]): CostMeter => {
  const functions = new Map<string, FunctionProfile>();
  for (const r of resources.filter((resource) => resource.type === 'AWS::Lambda::Function')) {
    const p = r.properties as { MemorySize?: number; Architectures?: string[]; Runtime?: string };
    functions.set(r.ref, {
      memoryMb: p.MemorySize ?? 128,
      architecture: p.Architectures?.[0] === 'arm64' ? 'arm64' : 'x86_64',
      logging: lambdaLoggingOf(r),
      tracing: tracingModeOf(r),
      ...(typeof p.Runtime === 'string' ? { runtime: p.Runtime } : {}),
      ...(r.arn !== undefined ? { arn: r.arn } : {}),
    });
  }
  const machines = resources.filter((r) => r.type === 'AWS::StepFunctions::StateMachine');
  const nameOf = (r: LocalResource) => (r.arn ?? r.ref).split(':').at(-1) ?? r.ref;
  return new CostMeter({
    functions,
    stateMachines: new Map(machines.map((r) => [nameOf(r), r.properties.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD'])),
    tracedStateMachines: new Set(machines.filter(isTraced).map(nameOf)),
    samplingRules,
    stateMachineArns: new Map(machines.map((r) => [nameOf(r), r.arn ?? r.ref])),
  });
};

/** Counts what a state machine's execution bills: executions, states entered, retries; Express durations. */
const meterSaga = (meter: CostMeter, hop: StepFunctionsHop): void => {
  if (hop.kind === 'execution-started' || hop.kind === 'state-entered' || hop.kind === 'state-retried') meter.stateMachineStep(hop.stateMachine, hop.kind);
  else if (hop.kind === 'execution-succeeded' || hop.kind === 'execution-failed' || hop.kind === 'execution-aborted' || hop.kind === 'execution-timed-out') {
    meter.stateMachineStep(hop.stateMachine, 'execution-ended', hop.durationMs);
  }
};

/** True for a state machine with X-Ray tracing enabled. */
const isTraced = (resource: LocalResource): boolean => {
  const tracing = resource.properties.TracingConfiguration;
  return typeof tracing === 'object' && tracing !== null && (tracing as { Enabled?: unknown }).Enabled === true;
};

/**
 * Lambda's delivery of a function's output to CloudWatch Logs. Its log
 * controls first: with the JSON log format, a line below the function's
 * `ApplicationLogLevel` is dropped, as Lambda drops it, and not printed (the
 * hop log shows what AWS would keep; the cost meter does not count it
 * either). Then the function's execution role: a role that may not create
 * the log stream or put log events in the function's log group loses every
 * line (silently on AWS; locally the lines are dropped and the denial is
 * reported once).
 */
class LogDelivery {
  private readonly targets = new Map<string, { readonly principal: IamPrincipal; readonly groupArn: string }>();
  private readonly logging = new Map<string, LambdaLogging>();
  private readonly allowed = new Map<string, Promise<boolean>>();

  public constructor(
    resources: readonly LocalResource[],
    private readonly iam: LocalIam,
    principals: ReadonlyMap<string, IamPrincipal>,
    private readonly print: (functionName: string, line: string) => void,
  ) {
    for (const fn of resources.filter((r) => r.type === 'AWS::Lambda::Function')) {
      const logging = lambdaLoggingOf(fn);
      this.logging.set(fn.ref, logging);
      const principal = principals.get(fn.ref);
      if (!principal) continue;
      this.targets.set(fn.ref, { principal, groupArn: `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${logging.logGroup}` });
    }
  }

  /** True when Lambda ingests the line under the function's log controls (always with the Text format). */
  public keeps(functionName: string, line: string): boolean {
    const logging = this.logging.get(functionName);
    return logging === undefined || keepsApplicationLine(logging, line);
  }

  /** Prints the line if Lambda keeps it and the function's role may write it to its log group; drops it otherwise. */
  public async deliver(functionName: string, line: string): Promise<void> {
    if (!this.keeps(functionName, line)) return;
    if (await this.mayWrite(functionName)) this.print(functionName, line);
  }

  /**
   * An invocation ended: Lambda writes its own lines (START, END and REPORT,
   * or the `platform.*` records its system log level lets through) to the
   * log group with the function's role, whether the code logged or not.
   */
  public async invoked(functionName: string): Promise<void> {
    const logging = this.logging.get(functionName);
    // At SystemLogLevel WARN Lambda has nothing of its own to write for an invocation that went well.
    if (logging !== undefined && !writesSystemEvents(logging, 'INFO')) return;
    await this.mayWrite(functionName);
  }

  private mayWrite(functionName: string): Promise<boolean> {
    const target = this.targets.get(functionName);
    if (!target || this.iam.mode === 'off') return Promise.resolve(true);
    let allowed = this.allowed.get(functionName);
    if (!allowed) {
      allowed = this.authorize(functionName, target);
      this.allowed.set(functionName, allowed);
    }
    return allowed;
  }

  private async authorize(functionName: string, target: { readonly principal: IamPrincipal; readonly groupArn: string }): Promise<boolean> {
    const stream = `${target.groupArn}:log-stream:local/${functionName}`;
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      const denial = await this.iam.check({ principal: target.principal, action, resource: stream, hop: `${functionName} → its log group (on AWS its logs would be lost)` });
      if (denial) return false;
    }
    return true;
  }
}
