/**
 * Lambda's advanced logging controls and its own log lines, as Lambda applies
 * them to what a function writes on its way to CloudWatch Logs.
 *
 * Emulated:
 * - `LoggingConfig.LogFormat` (`Text`, the default, or `JSON`),
 *   `ApplicationLogLevel` (TRACE…FATAL) and `SystemLogLevel` (DEBUG, INFO,
 *   WARN), both INFO by default with JSON. A level with the Text format stops
 *   start-up as Lambda refuses it ("LogLevel is not supported when LogFormat is
 *   set to "Text"…"), as does a value outside the enumerations.
 * - The function's environment: with JSON, `AWS_LAMBDA_LOG_FORMAT=JSON` and
 *   `AWS_LAMBDA_LOG_LEVEL=<ApplicationLogLevel>` (Powertools' Logger takes its
 *   level from the latter). Nothing is set with Text.
 * - What the Node.js runtime does with them (`./worker` patches `console` as
 *   the runtime interface client does): `console.*` writes
 *   `<time>\t<requestId>\t<LEVEL>\t<message>` (Text) or
 *   `{"timestamp","level","requestId","message"}` (JSON), one line per call,
 *   and with JSON the methods below `AWS_LAMBDA_LOG_LEVEL` write nothing.
 * - Lambda's filter ({@link keepsApplicationLine}): with JSON, a line that is a
 *   JSON object with a `level` (TRACE…FATAL, any case) and a valid RFC 3339
 *   `timestamp` has that level; every other line (plain text, EMF documents,
 *   JSON without a level or a valid timestamp) is INFO, as the log-level
 *   filtering guide says. Lines below `ApplicationLogLevel` are not ingested.
 * - Lambda's own lines ({@link platformLines}): Text writes START, END and
 *   REPORT (with `XRAY TraceId` when tracing is Active, `Init Duration` and
 *   an `INIT_START` line on a cold start); JSON writes `platform.initStart`
 *   (cold start), `platform.start` and `platform.report` records when
 *   `SystemLogLevel` is INFO or DEBUG (they are INFO events) and none at WARN.
 *
 * Not emulated, or approximated: ids, times, the runtime version and memory
 * used in Lambda's lines are placeholders of their usual length (only sizes
 * matter: the cost meter counts them); the DEBUG system events are taken to
 * be `platform.initRuntimeDone` and `platform.runtimeDone`; the error line the
 * runtime writes for a handler that throws is `console.error('Invoke Error',
 * error)` in the function's format (its exact fields are not); Lambda's handling
 * of a template variable named like its own (`AWS_LAMBDA_LOG_LEVEL`…) is
 * assumed to be that its value wins with JSON.
 */
import { UnsupportedFeatureError } from '../errors';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import { isPropertyObject } from '../support/property-reader';
import { InvalidFunctionConfigurationError } from './function-errors';

/** `LoggingConfig.ApplicationLogLevel`, most detailed first. */
export const APPLICATION_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'] as const;
export type ApplicationLogLevel = (typeof APPLICATION_LOG_LEVELS)[number];

/** `LoggingConfig.SystemLogLevel`, most detailed first. */
export const SYSTEM_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN'] as const;
export type SystemLogLevel = (typeof SYSTEM_LOG_LEVELS)[number];

/** A function's `LoggingConfig`, with Lambda's defaults applied. */
export type LambdaLogging =
  | { readonly format: 'Text'; readonly logGroup: string }
  | { readonly format: 'JSON'; readonly applicationLogLevel: ApplicationLogLevel; readonly systemLogLevel: SystemLogLevel; readonly logGroup: string };

/** `TracingConfig.Mode`; Lambda's default is PassThrough. */
export type TracingMode = 'Active' | 'PassThrough';

/** The logging of a function without `LoggingConfig`: Text, in `/aws/lambda/<name>`. */
export const textLogging = (functionName: string): LambdaLogging => ({ format: 'Text', logGroup: `/aws/lambda/${functionName}` });

/** What Lambda answers a level set with the Text format (quoted from CloudFormation's failure of such a function). */
export const LOG_LEVEL_WITH_TEXT_MESSAGE = 'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.';

const LOG_GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

/**
 * A function's `LoggingConfig`, checked as Lambda checks it when the
 * function is created.
 *
 * @throws {InvalidFunctionConfigurationError} for what Lambda refuses: a level with the Text format, a value outside its enumeration, an invalid log group name.
 * @throws {UnsupportedFeatureError} for a property the local cloud does not know.
 */
export const lambdaLoggingOf = (resource: LocalResource): LambdaLogging => {
  const config = resource.properties.LoggingConfig;
  if (config === undefined) return textLogging(resource.ref);
  const refuse = (property: string, message: string) => new InvalidFunctionConfigurationError(resource.logicalId, `LoggingConfig.${property}`, message);
  if (!isPropertyObject(config)) throw new InvalidFunctionConfigurationError(resource.logicalId, 'LoggingConfig', 'must be an object');
  for (const key of Object.keys(config)) {
    if (!['LogFormat', 'ApplicationLogLevel', 'SystemLogLevel', 'LogGroup'].includes(key)) {
      throw new UnsupportedFeatureError(resource.logicalId, resource.type, `LoggingConfig.${key}`, 'not supported locally');
    }
  }
  const oneOf = <T extends string>(property: string, allowed: readonly T[]): T | undefined => {
    const value = config[property];
    if (value === undefined) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw refuse(property, `${JSON.stringify(value)}: must be one of ${allowed.join(', ')}`);
    return match;
  };
  const format = oneOf('LogFormat', ['Text', 'JSON'] as const) ?? 'Text';
  const applicationLogLevel = oneOf('ApplicationLogLevel', APPLICATION_LOG_LEVELS);
  const systemLogLevel = oneOf('SystemLogLevel', SYSTEM_LOG_LEVELS);
  const group = config.LogGroup;
  if (group !== undefined && (typeof group !== 'string' || !LOG_GROUP_NAME.test(group))) {
    throw refuse('LogGroup', `${JSON.stringify(group)}: a log group name is 1 to 512 of the characters [.-_/#A-Za-z0-9]`);
  }
  const logGroup = typeof group === 'string' ? group : `/aws/lambda/${resource.ref}`;
  if (format === 'Text') {
    if (applicationLogLevel !== undefined) throw refuse('ApplicationLogLevel', LOG_LEVEL_WITH_TEXT_MESSAGE);
    if (systemLogLevel !== undefined) throw refuse('SystemLogLevel', LOG_LEVEL_WITH_TEXT_MESSAGE);
    return { format, logGroup };
  }
  return { format, applicationLogLevel: applicationLogLevel ?? 'INFO', systemLogLevel: systemLogLevel ?? 'INFO', logGroup };
};

/**
 * A function's `TracingConfig.Mode` (PassThrough when absent, as Lambda
 * defaults it).
 *
 * @throws {InvalidFunctionConfigurationError} for a mode Lambda does not have.
 */
export const tracingModeOf = (resource: LocalResource): TracingMode => {
  const config = resource.properties.TracingConfig;
  if (config === undefined) return 'PassThrough';
  if (!isPropertyObject(config)) throw new InvalidFunctionConfigurationError(resource.logicalId, 'TracingConfig', 'must be an object');
  for (const key of Object.keys(config)) {
    if (key !== 'Mode') throw new UnsupportedFeatureError(resource.logicalId, resource.type, `TracingConfig.${key}`, 'not supported locally');
  }
  const mode = config.Mode;
  if (mode === undefined) return 'PassThrough';
  if (mode !== 'Active' && mode !== 'PassThrough') throw new InvalidFunctionConfigurationError(resource.logicalId, 'TracingConfig.Mode', `${JSON.stringify(mode)}: must be Active or PassThrough`);
  return mode;
};

/** The variables Lambda sets for the logging controls: with JSON, `AWS_LAMBDA_LOG_FORMAT` and `AWS_LAMBDA_LOG_LEVEL`; none with Text. */
export const loggingEnvironment = (logging: LambdaLogging): Readonly<Record<string, string>> =>
  logging.format === 'JSON' ? { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: logging.applicationLogLevel } : {};

const RFC_3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The level Lambda's filter gives an application log line (JSON format): the
 * `level` of a JSON object that has a valid RFC 3339 `timestamp` (or `time`);
 * INFO for anything else. `CRITICAL` (Powertools' and Python's name for the
 * most severe level) counts as FATAL.
 */
export const applicationLevelOf = (line: string): ApplicationLogLevel => {
  const text = line.trim();
  if (!text.startsWith('{')) return 'INFO';
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    return 'INFO';
  }
  if (!isPropertyObject(record)) return 'INFO';
  const timestamp = record.timestamp ?? record.time;
  if (typeof timestamp !== 'string' || !RFC_3339.test(timestamp)) return 'INFO';
  const level = typeof record.level === 'string' ? record.level.toUpperCase() : undefined;
  if (level === 'CRITICAL') return 'FATAL';
  return APPLICATION_LOG_LEVELS.find((candidate) => candidate === level) ?? 'INFO';
};

/** True when Lambda ingests an application log line: always with Text; with JSON, when its level is at least `ApplicationLogLevel`. */
export const keepsApplicationLine = (logging: LambdaLogging, line: string): boolean =>
  logging.format === 'Text' || APPLICATION_LOG_LEVELS.indexOf(applicationLevelOf(line)) >= APPLICATION_LOG_LEVELS.indexOf(logging.applicationLogLevel);

/** True when Lambda writes its own events of `level`: with Text, its INFO lines (START, END, REPORT); with JSON, those at least `SystemLogLevel`. */
export const writesSystemEvents = (logging: LambdaLogging, level: SystemLogLevel): boolean =>
  logging.format === 'Text' ? level !== 'DEBUG' : SYSTEM_LOG_LEVELS.indexOf(level) >= SYSTEM_LOG_LEVELS.indexOf(logging.systemLogLevel);

/** How an invocation ended, as Lambda's REPORT line and `platform.report` record say it. */
export type PlatformOutcome = { readonly status: 'success' } | { readonly status: 'timeout' } | { readonly status: 'error'; readonly errorType?: string };

/** One invocation, as Lambda's own log lines describe it. */
export interface PlatformInvocation {
  readonly functionName: string;
  /** @default the local ARN of `functionName` */
  readonly functionArn?: string;
  /** The template's `Runtime` (`nodejs22.x`). @default nodejs20.x */
  readonly runtime?: string;
  readonly memoryMb: number;
  readonly durationMs: number;
  readonly billedMs: number;
  /** The init phase of a cold start; absent on a warm invocation. */
  readonly initMs?: number;
  /** @default success */
  readonly outcome?: PlatformOutcome;
}

/** The outcome of an invocation by its error type: a timeout, a failure of the runtime (`Runtime.*`, an oversized response), or the handler's own error. */
export const platformOutcomeOf = (errorType: string | undefined): PlatformOutcome => {
  if (errorType === undefined) return { status: 'success' };
  if (errorType === 'Sandbox.Timedout') return { status: 'timeout' };
  if (errorType.startsWith('Runtime.') || errorType.startsWith('Function.')) return { status: 'error', errorType };
  return { status: 'error' };
};

const REQUEST_ID = '00000000-0000-0000-0000-000000000000';
const TIME = '2026-01-01T00:00:00.000Z';
const TRACE_VALUE = 'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1';
const SPAN_ID = '0000000000000000';
const RUNTIME_VERSION_ARN = `arn:aws:lambda:${LOCAL_REGION}::runtime:${'0'.repeat(64)}`;
const INSTANCE_ID = `2026/01/01/[$LATEST]${'0'.repeat(32)}`;

/** A duration as JSON records carry it: three decimals, as Lambda's usually have. */
const ms3 = (ms: number): string => ms.toFixed(3);

/**
 * The lines Lambda writes to the function's log group for one invocation
 * (each is one CloudWatch Logs event), under its log format and system log
 * level. See the module comment for what the placeholders stand for.
 */
export const platformLines = (invocation: PlatformInvocation, logging: LambdaLogging, tracing: TracingMode): string[] => {
  const { functionName, memoryMb, durationMs, billedMs, initMs } = invocation;
  const outcome = invocation.outcome ?? { status: 'success' };
  const major = /^nodejs(\d+)\.x$/.exec(invocation.runtime ?? '')?.[1] ?? '20';
  const runtimeVersion = `nodejs:${major}.mainline.v100`;
  const maxMemoryUsed = Math.round(memoryMb * 0.4);
  const active = tracing === 'Active';
  if (logging.format === 'Text') {
    const status = outcome.status === 'timeout' ? 'Status: timeout\t' : outcome.status === 'error' && outcome.errorType !== undefined ? `Status: error\tError Type: ${outcome.errorType}\t` : '';
    return [
      ...(initMs !== undefined ? [`INIT_START Runtime Version: ${runtimeVersion}\tRuntime Version ARN: ${RUNTIME_VERSION_ARN}`] : []),
      `START RequestId: ${REQUEST_ID} Version: $LATEST`,
      `END RequestId: ${REQUEST_ID}`,
      `REPORT RequestId: ${REQUEST_ID}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${billedMs} ms\tMemory Size: ${memoryMb} MB\tMax Memory Used: ${maxMemoryUsed} MB\t` +
        (initMs !== undefined ? `Init Duration: ${initMs.toFixed(2)} ms\t` : '') +
        status +
        (active ? `\nXRAY TraceId: 1-00000000-000000000000000000000000\tSegmentId: ${SPAN_ID}\tSampled: true\t` : ''),
    ];
  }
  const functionArn = invocation.functionArn ?? `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
  const tracingField = active ? `,"tracing":{"spanId":"${SPAN_ID}","type":"X-Amzn-Trace-Id","value":"${TRACE_VALUE}"}` : '';
  const statusField = `"status":"${outcome.status}"${outcome.status === 'error' && outcome.errorType !== undefined ? `,"errorType":${JSON.stringify(outcome.errorType)}` : ''}`;
  const event = (type: string, record: string) => `{"time":"${TIME}","type":"${type}","record":{${record}}}`;
  const lines: string[] = [];
  const info = writesSystemEvents(logging, 'INFO');
  const debug = writesSystemEvents(logging, 'DEBUG');
  if (initMs !== undefined) {
    const instanceId = INSTANCE_ID.replace('/[', `/${functionName}[`);
    if (info) {
      lines.push(
        event(
          'platform.initStart',
          `"initializationType":"on-demand","phase":"init","runtimeVersion":"${runtimeVersion}","runtimeVersionArn":"${RUNTIME_VERSION_ARN}","functionName":${JSON.stringify(functionName)},"functionVersion":"$LATEST","instanceId":${JSON.stringify(instanceId)},"instanceMaxMemory":${String(memoryMb * 1024 * 1024)}`,
        ),
      );
    }
    if (debug) lines.push(event('platform.initRuntimeDone', '"initializationType":"on-demand","phase":"init","status":"success"'));
  }
  if (info) lines.push(event('platform.start', `"requestId":"${REQUEST_ID}","functionArn":${JSON.stringify(functionArn)},"version":"$LATEST"${tracingField}`));
  if (debug) lines.push(event('platform.runtimeDone', `"requestId":"${REQUEST_ID}",${statusField},"metrics":{"durationMs":${ms3(durationMs)},"producedBytes":0}${tracingField}`));
  if (info) {
    const metrics = `"durationMs":${ms3(durationMs)},"billedDurationMs":${String(billedMs)},"memorySizeMB":${String(memoryMb)},"maxMemoryUsedMB":${String(maxMemoryUsed)}${initMs !== undefined ? `,"initDurationMs":${ms3(initMs)}` : ''}`;
    lines.push(event('platform.report', `"requestId":"${REQUEST_ID}","metrics":{${metrics}}${tracingField},${statusField}`));
  }
  return lines;
};
