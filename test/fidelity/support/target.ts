import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { LOCAL_CREDENTIALS } from '../../../local/dynamodb/dynamodb-local';
import { startFreshLocalCloud } from '../../../local/fresh-local-cloud';
import type { LocalCloud } from '../../../local/local-cloud';
import { HopLog } from '../../../local/log';
import { signIn } from '../../e2e/support/cognito';

/** The fidelity suite cannot run as configured (a missing variable, a missing outputs file, recording from the emulator). */
export class FidelityConfigurationError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'FidelityConfigurationError';
  }
}

/** The probe stack's outputs (`lib/probe/fidelity-probe-stack.ts`): everything the scenarios need to find. */
export const probeOutputsSchema = z.object({
  BehaveFunctionName: z.string().min(1),
  BehaveRoleName: z.string().min(1),
  TwinFunctionName: z.string().min(1),
  TableName: z.string().min(1),
  EventBusName: z.string().min(1),
  EnvelopeQueueUrl: z.string().min(1),
  NoPermissionDeadLettersUrl: z.string().min(1),
  AlwaysThrowsDeadLettersUrl: z.string().min(1),
  BehaveDeadLettersUrl: z.string().min(1),
  PipeQueueUrl: z.string().min(1),
  NoPermissionRuleArn: z.string().min(1),
  AlwaysThrowsRuleArn: z.string().min(1),
  ApiUrl: z.string().min(1),
  UserPoolId: z.string().min(1),
  UserPoolClientId: z.string().min(1),
  CaughtErrorStateMachineArn: z.string().min(1),
  UncaughtErrorStateMachineArn: z.string().min(1),
  DataLimitStateMachineArn: z.string().min(1),
  RuntimeErrorStateMachineArn: z.string().min(1),
  TaskTimeoutStateMachineArn: z.string().min(1),
});
export type ProbeOutputs = z.infer<typeof probeOutputsSchema>;

/** The probe stack's name (`bin/fidelity-probe.ts`), the key of its outputs in the outputs file. */
export const PROBE_STACK = 'FidelityProbe';
/** Where `npm run fidelity:deploy` writes the deployed probe's outputs. */
export const OUTPUTS_FILE = 'cdk-outputs.fidelity.json';

/** A message as a scenario reads it from a queue: its body and its message attributes. */
export interface QueueMessage {
  readonly body: string;
  readonly attributes: Readonly<Record<string, { readonly dataType: string; readonly stringValue?: string }>>;
}

/**
 * Where the scenarios run: the local cloud, or the probe deployed on AWS.
 * Scenarios see SDK clients, the probe's outputs, queues and a token, so the
 * same scenario runs on both.
 */
export interface FidelityTarget {
  readonly kind: 'local' | 'aws';
  /** One line for the suite's output. */
  readonly description: string;
  readonly outputs: ProbeOutputs;
  readonly account: string;
  readonly region: string;
  /** The SDK retries nothing: a throttle must reach the scenario as Lambda answered it. */
  readonly lambda: LambdaClient;
  readonly sfn: SFNClient;
  readonly events: EventBridgeClient;
  /** Writes to the probe table (its stream feeds the pipe). */
  readonly dynamoDb: DynamoDBClient;
  /** How long a scenario waits for something asynchronous (a message, an execution's end). */
  readonly waitMs: number;
  /** How long to wait for something that must NOT happen before deciding it did not. */
  readonly quietMs: number;
  /** An ID token the probe API's JWT authorizer accepts. */
  idToken(): Promise<string>;
  /** The messages of a queue (by URL) received so far and not yet returned, oldest first; each is returned once. */
  receive(queueUrl: string): Promise<readonly QueueMessage[]>;
  /** What the target did, for a failure message (the local cloud's log). */
  diagnostics(): string;
  /**
   * Every call IAM denied so far, as `<principal> <action> <resource>` (the
   * local cloud only: on AWS denials are not observable from outside).
   */
  iamDenials?(): readonly string[];
  stop(): Promise<void>;
}

const MAX_LOG_LINES = 3000;

/** The local cloud's hop log, kept for failure messages (`FIDELITY_VERBOSE=1` also prints it). */
class KeptLog {
  private readonly lines: string[] = [];
  public readonly log = new HopLog({
    verbose: false,
    color: false,
    write: (text) => {
      for (const line of text.split('\n')) if (line.trim() !== '') this.lines.push(line);
      if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
      if (process.env.FIDELITY_VERBOSE) process.stderr.write(text);
    },
  });

  public tail(count = 40): string {
    return this.lines.slice(-count).join('\n');
  }
}

/** The region and account of an ARN (`arn:aws:states:<region>:<account>:...`). */
const arnParts = (arn: string): { readonly region: string; readonly account: string } => {
  const [, , , region = '', account = ''] = arn.split(':');
  return { region, account };
};

const localTarget = async (): Promise<FidelityTarget & { readonly cloud: LocalCloud }> => {
  const kept = new KeptLog();
  const fresh = await startFreshLocalCloud({
    app: 'tsx bin/fidelity-probe.ts',
    assemblyDir: process.env.FIDELITY_ASSEMBLY_DIR || undefined,
    log: kept.log,
    retryDelayScale: 0.01,
    // The probe makes calls AWS denies on purpose (a missing grant, a rule and a route without permission).
    failOnDenials: false,
  });
  const { cloud } = fresh;
  const outputs = probeOutputsSchema.parse(cloud.outputs);
  const { region, account } = arnParts(outputs.CaughtErrorStateMachineArn);
  const common = { region, endpoint: cloud.awsEndpointUrl, credentials: { accessKeyId: 'fidelity', secretAccessKey: 'fidelity' } };
  const seen = new Map<string, number>();
  const clients = {
    lambda: new LambdaClient({ ...common, maxAttempts: 1 }),
    sfn: new SFNClient(common),
    events: new EventBridgeClient(common),
    dynamoDb: new DynamoDBClient({ region, endpoint: cloud.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS }),
  };
  return {
    kind: 'local',
    description: `the local cloud (probe at ${cloud.apiUrl})`,
    cloud,
    outputs,
    account,
    region,
    ...clients,
    waitMs: 15_000,
    quietMs: 500,
    idToken: async () => cloud.issuer.mint({ username: 'fidelity@example.com' }).token,
    receive: async (queueUrl) => {
      const all = cloud.queueMessages(queueUrl);
      const from = seen.get(queueUrl) ?? 0;
      seen.set(queueUrl, all.length);
      return all.slice(from).map((message) => ({ body: message.body, attributes: message.attributes }));
    },
    diagnostics: () => `Local cloud log (last lines):\n${kept.tail()}`,
    iamDenials: () => cloud.iam.authorizer.denials.map((denial) => `${denial.principal} ${denial.action} ${denial.resource}`),
    stop: async () => {
      Object.values(clients).forEach((client) => client.destroy());
      await fresh.stop();
    },
  };
};

const required = (name: string, why: string): string => {
  const value = process.env[name]?.trim();
  if (!value) throw new FidelityConfigurationError(`${name} is required with FIDELITY_TARGET=aws: ${why}. See "Fidelity" in README.md.`);
  return value;
};

/** The deployed probe's outputs, from the file `npm run fidelity:deploy` writes. */
const deployedOutputs = (): ProbeOutputs => {
  const file = path.resolve(process.env.FIDELITY_OUTPUTS_FILE?.trim() || OUTPUTS_FILE);
  if (!existsSync(file)) throw new FidelityConfigurationError(`${file} does not exist: deploy the probe first (npm run fidelity:deploy), or set FIDELITY_OUTPUTS_FILE.`);
  const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const parsed = probeOutputsSchema.safeParse(all[PROBE_STACK]);
  if (!parsed.success) {
    throw new FidelityConfigurationError(`${file} has no complete ${PROBE_STACK} outputs (${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}); redeploy the probe.`);
  }
  return parsed.data;
};

const awsTarget = async (): Promise<FidelityTarget> => {
  const username = required('FIDELITY_USERNAME', 'a user of the probe user pool signs in for the JWT route');
  const password = required('FIDELITY_PASSWORD', 'the password of FIDELITY_USERNAME (permanent, USER_PASSWORD_AUTH)');
  const outputs = deployedOutputs();
  const { region, account } = arnParts(outputs.CaughtErrorStateMachineArn);
  const clients = {
    lambda: new LambdaClient({ region, maxAttempts: 1 }),
    sfn: new SFNClient({ region }),
    events: new EventBridgeClient({ region }),
    dynamoDb: new DynamoDBClient({ region }),
    sqs: new SQSClient({ region }),
  };
  let token: string | undefined;
  return {
    kind: 'aws',
    description: `the probe deployed on AWS (${region}, API ${outputs.ApiUrl})`,
    outputs,
    account,
    region,
    lambda: clients.lambda,
    sfn: clients.sfn,
    events: clients.events,
    dynamoDb: clients.dynamoDb,
    waitMs: 120_000,
    quietMs: 20_000,
    idToken: async () =>
      (token ??= await signIn({ clientId: outputs.UserPoolClientId, endpoint: `https://cognito-idp.${region}.amazonaws.com/` }, 'FIDELITY_USERNAME', username, password)),
    receive: async (queueUrl) => {
      const answer = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, MessageAttributeNames: ['All'] }));
      const messages = answer.Messages ?? [];
      const receipts = messages.flatMap((message, i) => (message.ReceiptHandle ? [{ Id: String(i), ReceiptHandle: message.ReceiptHandle }] : []));
      // The suite owns the probe's queues: what it has read (this run's or an earlier run's leftovers) is deleted.
      if (receipts.length > 0) await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: receipts }));
      return messages.map((message) => ({
        body: message.Body ?? '',
        attributes: Object.fromEntries(
          Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { dataType: value.DataType ?? '', ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }) }]),
        ),
      }));
    },
    diagnostics: () => `Deployed probe in ${region}: see the functions' CloudWatch logs and the state machines' executions.`,
    stop: async () => Object.values(clients).forEach((client) => client.destroy()),
  };
};

/** Which target `FIDELITY_TARGET` names: `local` (the default) or `aws`. */
export const targetKind = (): 'local' | 'aws' => {
  const value = (process.env.FIDELITY_TARGET ?? 'local').trim() || 'local';
  if (value !== 'local' && value !== 'aws') throw new FidelityConfigurationError(`FIDELITY_TARGET must be 'local' or 'aws', not '${value}'.`);
  return value;
};

/** Starts (locally) or connects to (on AWS) the probe the scenarios run against. */
export const startFidelityTarget = async (): Promise<FidelityTarget> => (targetKind() === 'aws' ? awsTarget() : localTarget());
