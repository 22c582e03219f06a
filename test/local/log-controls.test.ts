/**
 * Lambda's advanced logging controls as the local cloud applies them: the
 * template's LoggingConfig checked as Lambda checks it, the variables Lambda
 * gives the function, the Node.js runtime's console in each format and level
 * (real execution environments), and the filter Lambda applies before
 * CloudWatch Logs ingests a line.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { UnsupportedFeatureError } from '../../local/errors';
import { InvalidFunctionConfigurationError, localFunctions } from '../../local/lambda/functions';
import { LambdaRuntime } from '../../local/lambda/lambda-runtime';
import { applicationLevelOf, keepsApplicationLine, lambdaLoggingOf, platformOutcomeOf, tracingModeOf, writesSystemEvents, type LambdaLogging } from '../../local/lambda/log-controls';
import type { LocalResource } from '../../local/resources';
import { failureOf, functionArn } from '../support/local-resources';

const code = mkdtempSync(path.join(tmpdir(), 'log-controls-'));
writeFileSync(
  path.join(code, 'index.mjs'),
  `
export const handler = async (event) => {
  console.debug('a console debug');
  console.info('a console info');
  console.log('a console log', { orderId: 'o-1' });
  console.warn('a console warn');
  console.error('two\\nlines');
  const line = (level) => process.stdout.write(JSON.stringify({ level, message: 'a logger ' + level.toLowerCase(), timestamp: new Date().toISOString(), service: 'orders' }) + '\\n');
  line('DEBUG');
  line('INFO');
  line('WARN');
  return { format: process.env.AWS_LAMBDA_LOG_FORMAT ?? null, level: process.env.AWS_LAMBDA_LOG_LEVEL ?? null, group: process.env.AWS_LAMBDA_LOG_GROUP_NAME };
};
`,
);

const fn = (logicalId: string, properties: Record<string, unknown> = {}): LocalResource => ({
  logicalId,
  type: 'AWS::Lambda::Function',
  ref: logicalId,
  arn: functionArn(logicalId),
  properties: { Handler: 'index.handler', Runtime: 'nodejs20.x', ...properties },
});
const read = (resources: readonly LocalResource[]) => localFunctions(resources, () => code, { region: 'us-east-1', dynamoDbEndpoint: 'http://127.0.0.1:1', awsEndpoint: 'http://127.0.0.1:2' });
const json = (config: Record<string, unknown> = {}) => ({ LoggingConfig: { LogFormat: 'JSON', ...config } });

describe("a function's LoggingConfig, as Lambda reads it", () => {
  it('defaults to Text in /aws/lambda/<name>, and JSON to INFO for both levels', () => {
    expect(lambdaLoggingOf(fn('Plain'))).toEqual({ format: 'Text', logGroup: '/aws/lambda/Plain' });
    expect(lambdaLoggingOf(fn('Json', json({ LogGroup: '/shop/orders' })))).toEqual({ format: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'INFO', logGroup: '/shop/orders' });
  });

  it.each([
    ['ApplicationLogLevel', { LoggingConfig: { ApplicationLogLevel: 'DEBUG' } }],
    ['SystemLogLevel', { LoggingConfig: { LogFormat: 'Text', SystemLogLevel: 'WARN' } }],
  ])('refuses %s with the Text format, as Lambda does, naming the function and the property', (property, properties) => {
    const error = failureOf(() => read([fn('Texty', properties)]));

    expect(error).toBeInstanceOf(InvalidFunctionConfigurationError);
    expect((error as Error).message).toBe(
      `Texty (AWS::Lambda::Function): LoggingConfig.${property} — AWS refuses this when it deploys: LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.`,
    );
  });

  it('refuses values outside the enumerations, and properties it does not know', () => {
    expect((failureOf(() => lambdaLoggingOf(fn('F', json({ ApplicationLogLevel: 'VERBOSE' })))) as Error).message).toContain('LoggingConfig.ApplicationLogLevel — AWS refuses this when it deploys: "VERBOSE": must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL');
    expect((failureOf(() => lambdaLoggingOf(fn('F', json({ SystemLogLevel: 'ERROR' })))) as Error).message).toContain('"ERROR": must be one of DEBUG, INFO, WARN');
    expect((failureOf(() => lambdaLoggingOf(fn('F', { LoggingConfig: { LogFormat: 'json' } }))) as Error).message).toContain('LoggingConfig.LogFormat');
    expect(failureOf(() => lambdaLoggingOf(fn('F', json({ Extra: 1 }))))).toBeInstanceOf(UnsupportedFeatureError);
  });

  it("reads TracingConfig.Mode, PassThrough when absent (Lambda's default), and refuses any other mode", () => {
    expect(tracingModeOf(fn('A', { TracingConfig: { Mode: 'Active' } }))).toBe('Active');
    expect(tracingModeOf(fn('P', { TracingConfig: { Mode: 'PassThrough' } }))).toBe('PassThrough');
    expect(tracingModeOf(fn('N'))).toBe('PassThrough');
    expect((failureOf(() => read([fn('X', { TracingConfig: { Mode: 'On' } })])) as Error).message).toContain('X (AWS::Lambda::Function): TracingConfig.Mode');
  });

  it('gives a JSON function AWS_LAMBDA_LOG_FORMAT=JSON and AWS_LAMBDA_LOG_LEVEL=<ApplicationLogLevel>, and a Text function neither', () => {
    const [jsonFn, defaulted, textFn] = read([fn('Json', json({ ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'WARN' })), fn('Defaulted', json()), fn('Text')]);

    expect(jsonFn?.spec.environment).toMatchObject({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' });
    expect(defaulted?.spec.environment).toMatchObject({ AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' });
    expect(textFn?.spec.environment.AWS_LAMBDA_LOG_FORMAT).toBeUndefined();
    expect(textFn?.spec.environment.AWS_LAMBDA_LOG_LEVEL).toBeUndefined();
    expect(jsonFn).toMatchObject({ logging: { format: 'JSON', applicationLogLevel: 'DEBUG', systemLogLevel: 'WARN' }, tracing: 'PassThrough' });
  });
});

describe("Lambda's filter before CloudWatch Logs (JSON format)", () => {
  const at = (applicationLogLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL'): LambdaLogging => ({ format: 'JSON', applicationLogLevel, systemLogLevel: 'INFO', logGroup: '/g' });
  const record = (level: string, timestamp: unknown = '2026-05-01T10:00:00.123Z') => JSON.stringify({ level, message: 'm', timestamp });

  it('drops a DEBUG line at INFO and keeps WARN; at WARN drops INFO; at DEBUG keeps DEBUG', () => {
    expect(keepsApplicationLine(at('INFO'), record('DEBUG'))).toBe(false);
    expect(keepsApplicationLine(at('INFO'), record('WARN'))).toBe(true);
    expect(keepsApplicationLine(at('INFO'), record('INFO'))).toBe(true);
    expect(keepsApplicationLine(at('WARN'), record('INFO'))).toBe(false);
    expect(keepsApplicationLine(at('DEBUG'), record('DEBUG'))).toBe(true);
    expect(keepsApplicationLine(at('DEBUG'), record('TRACE'))).toBe(false);
    expect(keepsApplicationLine({ format: 'Text', logGroup: '/g' }, record('TRACE'))).toBe(true);
  });

  it('reads the level case-insensitively, CRITICAL as FATAL; anything without a level, or without a valid RFC 3339 timestamp, is INFO', () => {
    expect(applicationLevelOf(record('debug'))).toBe('DEBUG');
    expect(applicationLevelOf(record('CRITICAL'))).toBe('FATAL');
    expect(applicationLevelOf(JSON.stringify({ level: 'ERROR', message: 'm', time: '2026-05-01T10:00:00+02:00' }))).toBe('ERROR');
    expect(applicationLevelOf(record('DEBUG', 1_746_000_000_000))).toBe('INFO');
    expect(applicationLevelOf(record('DEBUG', 'yesterday'))).toBe('INFO');
    expect(applicationLevelOf(JSON.stringify({ message: 'no level', timestamp: '2026-05-01T10:00:00Z' }))).toBe('INFO');
    expect(applicationLevelOf(record('LOUD'))).toBe('INFO');
    expect(applicationLevelOf('plain text')).toBe('INFO');
    expect(applicationLevelOf('{not json')).toBe('INFO');
    expect(applicationLevelOf(JSON.stringify({ _aws: { CloudWatchMetrics: [] }, Orders: 1 }))).toBe('INFO');
  });

  it("writes Lambda's INFO events (start, report) at SystemLogLevel INFO or DEBUG, none at WARN; Text always writes START/END/REPORT", () => {
    const system = (systemLogLevel: 'DEBUG' | 'INFO' | 'WARN'): LambdaLogging => ({ format: 'JSON', applicationLogLevel: 'INFO', systemLogLevel, logGroup: '/g' });
    expect([writesSystemEvents(system('WARN'), 'INFO'), writesSystemEvents(system('INFO'), 'INFO'), writesSystemEvents(system('DEBUG'), 'INFO')]).toEqual([false, true, true]);
    expect([writesSystemEvents(system('INFO'), 'DEBUG'), writesSystemEvents(system('DEBUG'), 'DEBUG')]).toEqual([false, true]);
    expect(writesSystemEvents({ format: 'Text', logGroup: '/g' }, 'INFO')).toBe(true);
  });

  it("tells a timeout and a runtime failure from a handler's own error", () => {
    expect(platformOutcomeOf(undefined)).toEqual({ status: 'success' });
    expect(platformOutcomeOf('Sandbox.Timedout')).toEqual({ status: 'timeout' });
    expect(platformOutcomeOf('Runtime.ExitError')).toEqual({ status: 'error', errorType: 'Runtime.ExitError' });
    expect(platformOutcomeOf('OutOfStockError')).toEqual({ status: 'error' });
  });
});

describe("the Node.js runtime's console in a real execution environment", () => {
  const lines: Array<{ fn: string; line: string }> = [];
  const runtime = new LambdaRuntime({ onLog: (name, line) => lines.push({ fn: name, line }) });
  const [jsonWarn, jsonInfo, text] = read([
    fn('JsonWarn', json({ ApplicationLogLevel: 'WARN', SystemLogLevel: 'WARN', LogGroup: '/shop/json' })),
    fn('JsonInfo', json()),
    fn('Text'),
  ]);
  for (const local of [jsonWarn, jsonInfo, text]) if (local) runtime.register(local.spec);
  afterAll(() => runtime.stop());

  const linesOf = async (name: string, expected: number): Promise<string[]> => {
    // Logs come over the environment's stdout, the answer over its message channel: either may arrive first.
    for (let waited = 0; lines.filter((entry) => entry.fn === name).length < expected && waited < 3000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    return lines.filter((entry) => entry.fn === name).map((entry) => entry.line);
  };

  it('JSON at WARN: the variables are set, console methods below WARN write nothing, the others write JSON with the request id; Lambda then drops the logger lines below WARN', async () => {
    const result = await runtime.invoke('JsonWarn', {});
    const written = await linesOf('JsonWarn', 5);

    expect(result).toMatchObject({ ok: true, payload: { format: 'JSON', level: 'WARN', group: '/shop/json' } });
    // console.warn and console.error (its newline escaped in the JSON: one event), then the three logger lines, which the runtime does not touch.
    expect(written).toHaveLength(5);
    const [warn, error] = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(warn).toEqual({ timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), level: 'WARN', requestId: expect.stringMatching(/^[0-9a-f-]{36}$/), message: 'a console warn' });
    expect(error).toMatchObject({ level: 'ERROR', message: 'two\nlines' });
    const kept = written.filter((line) => keepsApplicationLine(jsonWarn?.logging ?? { format: 'Text', logGroup: '' }, line));
    expect(kept.map((line) => (JSON.parse(line) as { message: string }).message)).toEqual(['a console warn', 'two\nlines', 'a logger warn']);
  });

  it('JSON at INFO: console.info and console.log write INFO records (several arguments formatted into the message); console.debug nothing', async () => {
    await runtime.invoke('JsonInfo', {});
    const written = (await linesOf('JsonInfo', 7)).map((line) => JSON.parse(line) as { level: string; message: string });

    expect(written.map((record) => `${record.level} ${record.message}`)).toEqual([
      'INFO a console info',
      "INFO a console log { orderId: 'o-1' }",
      'WARN a console warn',
      'ERROR two\nlines',
      'DEBUG a logger debug',
      'INFO a logger info',
      'WARN a logger warn',
    ]);
  });

  it('Text: every console method writes <time>\\t<requestId>\\t<LEVEL>\\t<message> (a newline made \\r: one event), and nothing is filtered', async () => {
    const result = await runtime.invoke('Text', {});
    const written = await linesOf('Text', 8);

    expect(result).toMatchObject({ ok: true, payload: { format: null, level: null, group: '/aws/lambda/Text' } });
    expect(written.slice(0, 5).map((line) => line.replace(/^\S+\t[0-9a-f-]{36}\t/, '<time>\t<id>\t'))).toEqual([
      '<time>\t<id>\tDEBUG\ta console debug',
      '<time>\t<id>\tINFO\ta console info',
      "<time>\t<id>\tINFO\ta console log { orderId: 'o-1' }",
      '<time>\t<id>\tWARN\ta console warn',
      '<time>\t<id>\tERROR\ttwo\rlines',
    ]);
    expect(written).toHaveLength(8);
  });
});
