/**
 * Logs and traces through a whole local cloud, from a small hand-made
 * template: two functions behind the HTTP API, one with Active tracing and
 * JSON logs at INFO, one PassThrough with JSON logs at WARN; a traced state
 * machine and the sampling rule X-Ray would apply to it. What the hop log
 * prints, what the functions see, and what the cost meter counts are what
 * AWS would keep, record and bill.
 */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LOG_EVENT_OVERHEAD_BYTES } from '../../local/cost/meter';
import { platformLines } from '../../local/lambda/log-controls';
import { LocalCloud } from '../../local/local-cloud';
import { HopLog } from '../../local/log';
import { InvalidSamplingRuleError } from '../../local/xray/sampling-rules';
import { samplingRuleProperties } from '../fixtures/sampling-rules';

jest.setTimeout(90_000);

const HANDLER = `
export const handler = async () => {
  console.debug('a console debug');
  console.info('a console info');
  console.warn('a console warn');
  const line = (level) => process.stdout.write(JSON.stringify({ level, message: 'a logger ' + level.toLowerCase(), timestamp: new Date().toISOString() }) + '\\n');
  line('DEBUG');
  line('WARN');
  return { statusCode: 200, body: JSON.stringify({ format: process.env.AWS_LAMBDA_LOG_FORMAT ?? null, level: process.env.AWS_LAMBDA_LOG_LEVEL ?? null }) };
};
`;

const SAMPLING_RULE = samplingRuleProperties();

/** A cloud assembly of one stack: the template, and the handler as both functions' bundle. */
const assemblyWith = (fixedRate: number): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'observability-'));
  mkdirSync(path.join(dir, 'asset.fn'));
  writeFileSync(path.join(dir, 'asset.fn', 'index.mjs'), HANDLER);
  const fn = (tracing: string, applicationLogLevel: string, systemLogLevel: string) => ({
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'nodejs20.x',
      Handler: 'index.handler',
      MemorySize: 256,
      TracingConfig: { Mode: tracing },
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: applicationLogLevel, SystemLogLevel: systemLogLevel },
    },
    Metadata: { 'aws:asset:path': 'asset.fn' },
  });
  const route = (key: string, integration: string) => ({ Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'Api' }, RouteKey: key, AuthorizationType: 'NONE', Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] } } });
  const integration = (fnId: string) => ({
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: { ApiId: { Ref: 'Api' }, IntegrationType: 'AWS_PROXY', IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] }, PayloadFormatVersion: '2.0' },
  });
  const template = {
    Resources: {
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'Api', ProtocolType: 'HTTP' } },
      Stage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'Api' }, StageName: '$default', AutoDeploy: true } },
      Users: { Type: 'AWS::Cognito::UserPool', Properties: {} },
      UsersClient: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'Users' } } },
      Active: fn('Active', 'INFO', 'INFO'),
      Passive: fn('PassThrough', 'WARN', 'WARN'),
      ActiveIntegration: integration('Active'),
      PassiveIntegration: integration('Passive'),
      ActiveRoute: route('GET /active', 'ActiveIntegration'),
      PassiveRoute: route('GET /passive', 'PassiveIntegration'),
      Saga: {
        Type: 'AWS::StepFunctions::StateMachine',
        Properties: { StateMachineType: 'STANDARD', TracingConfiguration: { Enabled: true }, DefinitionString: JSON.stringify({ StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }) },
      },
      Sampling: { Type: 'AWS::XRay::SamplingRule', Properties: { SamplingRule: { ...SAMPLING_RULE, FixedRate: fixedRate } } },
      Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardBody: JSON.stringify({ widgets: [] }) } },
    },
  };
  writeFileSync(path.join(dir, 'Stack.template.json'), JSON.stringify(template));
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ artifacts: { Stack: { type: 'aws:cloudformation:stack', properties: { templateFile: 'Stack.template.json' } } } }));
  return dir;
};

const until = async (condition: () => boolean, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
};

/** The bytes of one JSON line of each shape the handler writes (timestamps and request ids have fixed lengths). */
const TIME = '2026-01-01T00:00:00.000Z';
const ID = '00000000-0000-0000-0000-000000000000';
const consoleLine = (level: string, message: string) => JSON.stringify({ timestamp: TIME, level, requestId: ID, message });
const loggerLine = (level: string) => JSON.stringify({ level, message: `a logger ${level.toLowerCase()}`, timestamp: TIME });
const ingested = (...lines: string[]) => lines.reduce((sum, line) => sum + Buffer.byteLength(line) + LOG_EVENT_OVERHEAD_BYTES, 0);

describe('logs and traces through the local cloud', () => {
  const lines: string[] = [];
  let cloud: LocalCloud;

  beforeAll(async () => {
    const log = new HopLog({ verbose: true, color: false, write: (text) => void lines.push(...text.split('\n').filter((line) => line !== '')) });
    cloud = await LocalCloud.start({ assemblyDir: assemblyWith(0.05), apiPort: 0, log, iam: 'off' });
  });
  afterAll(() => cloud.stop());

  const get = async (route: string): Promise<unknown> => (await fetch(`${cloud.apiUrl}${route}`)).json();
  const printed = (fn: string) => lines.filter((line) => / FN +/.test(line) && line.includes(` ${fn}: `)).map((line) => line.slice(line.indexOf(`${fn}: `) + fn.length + 2));

  it('names the sampling rule among what is accepted but not enforced', () => {
    expect(cloud.notEnforced).toContain('AWS::XRay::SamplingRule ×1 (no X-Ray daemon samples anything; the cost meter prices traced executions at the matching rule)');
  });

  it('accepts a dashboard and names it among what is not enforced, as it has no metrics to draw', () => {
    expect(cloud.notEnforced).toContain('AWS::CloudWatch::Dashboard ×1 (no metrics are kept locally, so it has nothing to draw)');
  });

  it('gives each function its AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL', async () => {
    expect(await get('/active')).toEqual({ format: 'JSON', level: 'INFO' });
    expect(await get('/passive')).toEqual({ format: 'JSON', level: 'WARN' });
  });

  it('prints and counts only the lines Lambda keeps: INFO and up for one, WARN and up for the other; no platform bytes at SystemLogLevel WARN', async () => {
    await until(() => printed('Active').includes('WARN a logger warn') && printed('Passive').includes('WARN a logger warn'));
    const usage = cloud.meter.usage();

    expect(printed('Active')).toEqual(['INFO a console info', 'WARN a console warn', 'WARN a logger warn']);
    expect(printed('Passive')).toEqual(['WARN a console warn', 'WARN a logger warn']);
    // One invocation each so far (the previous test's): the Passive function's bytes are its two WARN lines, nothing of Lambda's.
    expect(usage.functions.Passive).toMatchObject({ invocations: 1, logBytes: ingested(consoleLine('WARN', 'a console warn'), loggerLine('WARN')) });
    // The Active function's: its three lines, and a cold start's platform.initStart, platform.start and platform.report (with its tracing context), within a few digits of duration.
    const appBytes = ingested(consoleLine('INFO', 'a console info'), consoleLine('WARN', 'a console warn'), loggerLine('WARN'));
    const platformBytes = ingested(
      ...platformLines({ functionName: 'Active', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:Active', runtime: 'nodejs20.x', memoryMb: 256, durationMs: 10, billedMs: 100, initMs: 100 }, { format: 'JSON', applicationLogLevel: 'INFO', systemLogLevel: 'INFO', logGroup: '/aws/lambda/Active' }, 'Active'),
    );
    expect(Math.abs((usage.functions.Active?.logBytes ?? 0) - appBytes - platformBytes)).toBeLessThanOrEqual(8);
  });

  it('starts a trace for a request to the Active function and none for the PassThrough one', async () => {
    const before = cloud.meter.usage().traces;

    await get('/passive');
    await get('/passive');
    const afterPassive = cloud.meter.usage().traces;
    await get('/active');

    expect(before).toBe(1);
    expect(afterPassive).toBe(1);
    expect(cloud.meter.usage().traces).toBe(2);
  });

  it("counts a traced execution at its sampling rule's FixedRate", async () => {
    const sfn = new SFNClient({ endpoint: cloud.awsEndpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'developer', secretAccessKey: 'secret' } });
    try {
      await sfn.send(new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Saga', input: '{}' }));
    } finally {
      sfn.destroy();
    }
    await until(() => (cloud.meter.usage().sampledTraces.Saga?.executions ?? 0) > 0);

    expect(cloud.meter.usage().sampledTraces).toEqual({ Saga: { executions: 1, traces: 0.05, fixedRate: 0.05, reservoirSize: 0 } });
  });
});

describe('a sampling rule AWS would refuse', () => {
  it('stops start-up: a FixedRate of 2', async () => {
    const log = new HopLog({ verbose: false, color: false, write: () => undefined });

    const starting = LocalCloud.start({ assemblyDir: assemblyWith(2), apiPort: 0, log, iam: 'off' });

    await expect(starting).rejects.toBeInstanceOf(InvalidSamplingRuleError);
    await expect(starting).rejects.toThrow('Sampling (AWS::XRay::SamplingRule): SamplingRule.FixedRate — AWS refuses this when it deploys: 2: must be a number from 0 to 1');
  });
});
