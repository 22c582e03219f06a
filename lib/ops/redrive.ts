/**
 * Dead-letter redrive: sends what a dead-letter queue holds back to where it
 * was meant to go (a function, a queue or a state machine), one message at a
 * time, deleting a message only once Lambda, SQS or Step Functions has
 * accepted it again. Works against AWS and the local cloud's AWS endpoint
 * alike (the clients decide which).
 *
 * The shop's dead-letter queues hold three kinds of message, told apart by
 * what AWS puts in them:
 * - **a queue's dead letter** (SQS adds the system attribute
 *   `DeadLetterQueueSourceArn` when a queue's redrive policy moves a message
 *   it has handed out `maxReceiveCount` times): the message goes back to that
 *   queue, body and attributes unchanged, and its consumer gets it again,
 *   as SQS's own redrive (`StartMessageMoveTask`) does;
 * - **a rule target's dead letter** (EventBridge adds `RULE_ARN` and
 *   `TARGET_ARN`): the event goes back to the target as EventBridge delivers
 *   it (a function asynchronously, a queue as a message, a state machine as
 *   a new execution); a target with a constant `Input` gets that input, one
 *   with an `InputPath` the part of the event it names;
 * - **an outbox batch the pipe could not publish** (a body with
 *   `requestContext.pipeArn`): not an event but a pointer to stream records,
 *   which cannot be sent anywhere. The orders in it stay `PENDING` and the
 *   order reconciler starts their sagas; the message is kept (and explained)
 *   unless the operator asks to delete such batches.
 *
 * Redriving is idempotent because every consumer is: the saga starter names
 * the execution after the order, the status consumer's updates are
 * conditional, the reconciler decides from the order and its saga. A message
 * redriven but not deleted (the delete failed) is redriven again next time,
 * harmlessly. Anything the tool cannot redrive is left in the queue, visible
 * again when the run ends, with the reason printed.
 */
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ListTargetsByRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';

/** The AWS clients redrive uses, pointed at AWS or at the local cloud. */
export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
  readonly stepFunctions: SFNClient;
}

/** What {@link redrive} is asked to do. */
export interface RedriveOptions {
  /** A queue URL, a queue name, or a part of a name that only one queue has (e.g. `StartOrderSagaStarterDeadLetters`). */
  readonly queue: string;
  /** Print what would happen and change nothing. @default false */
  readonly dryRun?: boolean;
  /** Redrive at most this many messages. @default no limit */
  readonly max?: number;
  /** Delete outbox batches the pipe dead-lettered, after printing them (they cannot be redriven). @default false */
  readonly deletePipeBatches?: boolean;
  /** How long a received message stays hidden from others while this run works on it. @default 300 */
  readonly holdSeconds?: number;
  /** Receives progress lines, one per message. */
  readonly log: (line: string) => void;
}

/** A message left in the queue, and why. */
export interface KeptMessage {
  readonly messageId: string;
  readonly reason: string;
}

/** What a run did. */
export interface RedriveReport {
  readonly queueUrl: string;
  /** Messages sent back to their function, queue or state machine and deleted. */
  readonly redriven: number;
  /** Redriven, but the delete failed: the next run redrives them again (harmless: consumers are idempotent). */
  readonly redrivenNotDeleted: number;
  /** Pipe batches deleted on request. */
  readonly deleted: number;
  /** Messages left in the queue, with why. */
  readonly kept: readonly KeptMessage[];
}

/** The queue cannot be found, or the argument fits several. */
export class QueueChoiceError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'QueueChoiceError';
  }
}

const DEFAULT_HOLD_SECONDS = 300;

/** A receive that waits this long and finds nothing means the queue is empty (long polling asks every SQS server). */
const WAIT_SECONDS = 2;

const pipeBatchSchema = z.object({
  requestContext: z.object({ pipeArn: z.string(), condition: z.string().optional() }),
  responseContext: z.object({ errorMessage: z.string().optional() }).optional(),
  DDBStreamBatchInfo: z
    .object({
      shardId: z.string().optional(),
      startSequenceNumber: z.string().optional(),
      endSequenceNumber: z.string().optional(),
      approximateArrivalOfFirstRecord: z.string().optional(),
      batchSize: z.number().optional(),
    })
    .optional(),
});

const eventSummarySchema = z.object({
  id: z.string().optional(),
  'detail-type': z.string().optional(),
  detail: z
    .object({
      metadata: z.object({ correlationId: z.string().optional() }).loose().optional(),
      data: z.object({ orderId: z.string().optional() }).loose().optional(),
    })
    .loose()
    .optional(),
});

/** How to send one message back: to a function, a queue or a state machine; or why it cannot go back. */
export type RedrivePlan =
  | { readonly kind: 'invoke'; readonly functionArn: string; readonly payload: string; readonly what: string }
  | {
      readonly kind: 'send';
      readonly queueArn: string;
      readonly body: string;
      readonly attributes?: Record<string, MessageAttributeValue>;
      readonly what: string;
    }
  | { readonly kind: 'start'; readonly stateMachineArn: string; readonly input: string; readonly what: string }
  | { readonly kind: 'pipe-batch'; readonly what: string }
  | { readonly kind: 'keep'; readonly reason: string };

/** A plan that sends the message somewhere. */
export type SendingPlan = Extract<RedrivePlan, { kind: 'invoke' | 'send' | 'start' }>;

/**
 * What kind of dead letter a message is, from what AWS put in it (see the
 * module comment): known without a call, so a list can say where each
 * message would go.
 */
export type DeadLetterKind =
  | { readonly kind: 'queue'; readonly sourceQueueArn: string }
  | { readonly kind: 'rule-target'; readonly ruleArn: string; readonly targetArn: string; readonly errorCode?: string }
  | { readonly kind: 'pipe-batch'; readonly what: string }
  | { readonly kind: 'unknown'; readonly reason: string };

const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+$/;
const STATE_MACHINE_ARN = /^arn:[^:]+:states:[^:]+:\d+:stateMachine:[^:]+$/;
const RULE_ARN = /^arn:[^:]+:events:[^:]+:\d+:rule\/(?:([^/]+)\/)?([^/]+)$/;
const QUEUE_ARN = /^arn:[^:]+:sqs:[^:]+:(\d+):([^:]+)$/;
/** The `InputPath`s redrive applies itself: `$`, or names joined by dots (`$.detail`, `$.detail.data`). */
const SIMPLE_INPUT_PATH = /^\$((?:\.[A-Za-z_][\w-]*)*)$/;

const attribute = (message: Message, name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;

/** The readable tail of an ARN: a queue's, function's, rule's or state machine's name. */
export const shortName = (arn: string): string => arn.split(/[:/]/).pop() ?? arn;

/** `OrderPlaced 1f0c… (order 0d82…, correlation dK8d…)`: what a dead-lettered event was, for the progress line. */
const describeEvent = (body: string): string => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'a message that is not JSON';
  }
  const event = eventSummarySchema.safeParse(parsed);
  if (!event.success || event.data['detail-type'] === undefined) return 'an event';
  const order = event.data.detail?.data?.orderId;
  const correlation = event.data.detail?.metadata?.correlationId;
  const about = [order ? `order ${order}` : undefined, correlation ? `correlation ${correlation}` : undefined].filter(Boolean).join(', ');
  return `${event.data['detail-type']}${event.data.id ? ` ${event.data.id}` : ''}${about ? ` (${about})` : ''}`;
};

/** Finds the queue the operator means: its URL, its name, or a part of its name only one queue has. */
export const resolveQueue = async (sqs: SQSClient, queue: string): Promise<{ url: string; arn: string }> => {
  let url: string | undefined = /^https?:\/\//.test(queue) ? queue : undefined;
  if (!url) {
    const urls: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sqs.send(new ListQueuesCommand({ MaxResults: 1000, NextToken }));
      urls.push(...(page.QueueUrls ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const nameOf = (candidate: string): string => candidate.split('/').pop() ?? candidate;
    const exact = urls.filter((candidate) => nameOf(candidate) === queue);
    const partial = urls.filter((candidate) => nameOf(candidate).includes(queue));
    const matches = exact.length > 0 ? exact : partial;
    if (matches.length === 0) {
      const deadLetterQueues = urls.map(nameOf).filter((name) => /DeadLetters/.test(name));
      throw new QueueChoiceError(
        `No queue is named like '${queue}'.${deadLetterQueues.length > 0 ? ` Dead-letter queues here:\n  ${deadLetterQueues.join('\n  ')}` : ' This account and region have no dead-letter queues of the shop.'}`,
      );
    }
    if (matches.length > 1) throw new QueueChoiceError(`'${queue}' fits ${matches.length} queues; say which:\n  ${matches.map(nameOf).join('\n  ')}`);
    url = matches[0];
  }
  const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new QueueChoiceError(`SQS did not report the ARN of ${url}`);
  return { url, arn };
};

/** What a rule's target receives: the event (`undefined`), a constant `Input`, the part its `InputPath` names, or why redrive cannot tell. */
type TargetInput = string | { readonly path: string } | { readonly keep: string } | undefined;

/** What a rule's target receives, read from the rule (cached per rule and target). */
class RuleTargets {
  private readonly cache = new Map<string, Promise<TargetInput>>();

  public constructor(private readonly events: EventBridgeClient) {}

  /** The payload the target gets for `body`, or why the tool cannot know it. */
  public async payloadFor(ruleArn: string, targetArn: string, body: string): Promise<string | { readonly keep: string }> {
    const key = `${ruleArn} ${targetArn}`;
    let shaping = this.cache.get(key);
    if (!shaping) {
      shaping = this.inputOf(ruleArn, targetArn);
      this.cache.set(key, shaping);
    }
    const input = await shaping;
    if (input === undefined || typeof input === 'string') return input ?? body;
    if ('keep' in input) return input;
    return applyInputPath(input.path, body);
  }

  /** `undefined`: the target gets the event as it is; a string: its constant `Input`; a path: the part of the event its `InputPath` names. */
  private async inputOf(ruleArn: string, targetArn: string): Promise<TargetInput> {
    const match = RULE_ARN.exec(ruleArn);
    if (!match) return { keep: `RULE_ARN ${ruleArn} is not a rule ARN` };
    const [, bus, rule] = match;
    const targets = [];
    let NextToken: string | undefined;
    do {
      const page = await this.events.send(new ListTargetsByRuleCommand({ Rule: rule, EventBusName: bus, NextToken }));
      targets.push(...(page.Targets ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const target = targets.find((candidate) => candidate.Arn === targetArn);
    if (!target) return { keep: `rule ${rule} no longer targets ${shortName(targetArn)}: redrive it by hand if it still should get the event` };
    if (target.InputTransformer !== undefined) return { keep: 'the target shapes its input with an InputTransformer, which redrive does not re-apply' };
    if (target.InputPath !== undefined) {
      return SIMPLE_INPUT_PATH.test(target.InputPath) ? { path: target.InputPath } : { keep: `the target's InputPath ${target.InputPath} is more than names joined by dots, which redrive does not apply` };
    }
    return target.Input;
  }
}

/** The part of the event `$.a.b` names, as JSON text: what EventBridge gives a target with that `InputPath`. */
const applyInputPath = (inputPath: string, body: string): string | { readonly keep: string } => {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { keep: `the target takes ${inputPath} of the event, and the message is not JSON` };
  }
  const names = (SIMPLE_INPUT_PATH.exec(inputPath)?.[1] ?? '').split('.').filter(Boolean);
  for (const name of names) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !(name in value)) return { keep: `the event has nothing at ${inputPath}, which the target takes` };
    value = (value as Record<string, unknown>)[name];
  }
  return JSON.stringify(value);
};

/** The message's own attributes, as `SendMessage` takes them back. */
const attributesOf = (message: Message): Record<string, MessageAttributeValue> | undefined => {
  const entries = Object.entries(message.MessageAttributes ?? {});
  if (entries.length === 0) return undefined;
  return Object.fromEntries(
    entries.map(([name, value]) => [
      name,
      {
        DataType: value.DataType,
        ...(value.StringValue === undefined ? {} : { StringValue: value.StringValue }),
        ...(value.BinaryValue === undefined ? {} : { BinaryValue: value.BinaryValue }),
      },
    ]),
  );
};

/** What kind of dead letter `message` is (see {@link DeadLetterKind}). */
export const deadLetterKindOf = (message: Message): DeadLetterKind => {
  const sourceQueueArn = message.Attributes?.DeadLetterQueueSourceArn;
  if (sourceQueueArn !== undefined) return { kind: 'queue', sourceQueueArn };
  const ruleArn = attribute(message, 'RULE_ARN');
  const targetArn = attribute(message, 'TARGET_ARN');
  if (ruleArn !== undefined && targetArn !== undefined) {
    const errorCode = attribute(message, 'ERROR_CODE');
    return { kind: 'rule-target', ruleArn, targetArn, ...(errorCode !== undefined ? { errorCode } : {}) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.Body ?? '');
  } catch {
    parsed = undefined;
  }
  const batch = pipeBatchSchema.safeParse(parsed);
  if (batch.success) {
    const info = batch.data.DDBStreamBatchInfo;
    const records = info ? `${info.batchSize ?? '?'} stream record(s) from ${info.approximateArrivalOfFirstRecord ?? 'an unknown time'}` : 'a batch';
    return {
      kind: 'pipe-batch',
      what: `${records} pipe ${shortName(batch.data.requestContext.pipeArn)} could not publish (${batch.data.responseContext?.errorMessage ?? batch.data.requestContext.condition ?? 'no reason given'})`,
    };
  }
  return { kind: 'unknown', reason: 'neither SQS, EventBridge nor a pipe dead-lettered it (no DeadLetterQueueSourceArn, RULE_ARN/TARGET_ARN, or pipe batch)' };
};

/** True for a target redrive can send to: a Lambda function, an SQS queue or a state machine. */
export const isRedrivableTarget = (targetArn: string): boolean => LAMBDA_FUNCTION_ARN.test(targetArn) || QUEUE_ARN.test(targetArn) || STATE_MACHINE_ARN.test(targetArn);

/** Where a sending plan sends its message: the function's, queue's or state machine's name. */
export const destinationOf = (plan: SendingPlan): string => shortName(plan.kind === 'invoke' ? plan.functionArn : plan.kind === 'send' ? plan.queueArn : plan.stateMachineArn);

/**
 * Plans and sends dead letters back, one message at a time, with one set of
 * clients: what {@link redrive} does for each message of a queue, and what
 * the local console does for the one message a person chose.
 */
export class Redriver {
  private readonly ruleTargets: RuleTargets;
  private readonly queueUrls = new Map<string, Promise<string>>();

  public constructor(private readonly clients: RedriveClients) {
    this.ruleTargets = new RuleTargets(clients.events);
  }

  /** Decides where one message goes, from what AWS put in it (a rule target's input is read from the rule). */
  public async plan(message: Message): Promise<RedrivePlan> {
    const body = message.Body ?? '';
    const dead = deadLetterKindOf(message);
    switch (dead.kind) {
      case 'queue':
        return {
          kind: 'send',
          queueArn: dead.sourceQueueArn,
          body,
          attributes: attributesOf(message),
          what: `${describeEvent(body)}, dead-lettered by queue ${shortName(dead.sourceQueueArn)}`,
        };
      case 'rule-target': {
        const { ruleArn, targetArn } = dead;
        if (!isRedrivableTarget(targetArn)) return { kind: 'keep', reason: `its target ${targetArn} is neither a Lambda function, an SQS queue nor a state machine; redrive sends to those only` };
        const payload = await this.ruleTargets.payloadFor(ruleArn, targetArn, body);
        if (typeof payload !== 'string') return { kind: 'keep', reason: payload.keep };
        const what = `${describeEvent(body)}, dead-lettered by rule ${shortName(ruleArn)}${dead.errorCode ? ` (${dead.errorCode})` : ''}`;
        if (QUEUE_ARN.test(targetArn)) return { kind: 'send', queueArn: targetArn, body: payload, what };
        if (STATE_MACHINE_ARN.test(targetArn)) return { kind: 'start', stateMachineArn: targetArn, input: payload, what };
        return { kind: 'invoke', functionArn: targetArn, payload, what };
      }
      case 'pipe-batch':
        return { kind: 'pipe-batch', what: dead.what };
      case 'unknown':
        return { kind: 'keep', reason: dead.reason };
    }
  }

  /**
   * Sends one message where its plan says: a function asynchronously, a
   * queue (whose URL is looked up once per queue), or a state machine as a
   * new execution (named by Step Functions, as EventBridge's are).
   *
   * @throws the service's error when it does not accept the message.
   */
  public async send(plan: SendingPlan): Promise<void> {
    const { clients } = this;
    if (plan.kind === 'invoke') {
      const result = await clients.lambda.send(new InvokeCommand({ FunctionName: plan.functionArn, InvocationType: 'Event', Payload: Buffer.from(plan.payload) }));
      if (result.StatusCode !== 202) throw new Error(`Lambda answered ${result.StatusCode ?? 'no status'} instead of 202`);
      return;
    }
    if (plan.kind === 'start') {
      await clients.stepFunctions.send(new StartExecutionCommand({ stateMachineArn: plan.stateMachineArn, input: plan.input }));
      return;
    }
    let url = this.queueUrls.get(plan.queueArn);
    if (!url) {
      const [, account, name] = QUEUE_ARN.exec(plan.queueArn) ?? [];
      if (!name) throw new Error(`${plan.queueArn} is not a queue ARN`);
      url = clients.sqs.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })).then(({ QueueUrl }) => {
        if (!QueueUrl) throw new Error(`SQS did not give the URL of ${name}`);
        return QueueUrl;
      });
      url.catch(() => this.queueUrls.delete(plan.queueArn));
      this.queueUrls.set(plan.queueArn, url);
    }
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: await url, MessageBody: plan.body, ...(plan.attributes ? { MessageAttributes: plan.attributes } : {}) }));
  }
}

/** Why an outbox batch is not sent anywhere, and what brings its orders back. */
export const PIPE_BATCH_REASON =
  'an outbox batch is a pointer to stream records, not an event: its orders stay PENDING until the order reconciler starts their sagas ' +
  '(orders older than its threshold, 10 minutes by default)';

const PIPE_BATCH_ADVICE = `${PIPE_BATCH_REASON}. Check the reconciler has run since, then rerun with --delete-pipe-batches`;

/**
 * Sends back every message of a dead-letter queue it can (see the module
 * comment), deleting each once its function accepted it, and leaves the
 * rest in the queue, visible again, each with its reason.
 *
 * @throws {QueueChoiceError} when the queue cannot be found or is ambiguous.
 */
export const redrive = async (clients: RedriveClients, options: RedriveOptions): Promise<RedriveReport> => {
  const { url } = await resolveQueue(clients.sqs, options.queue);
  const log = options.log;
  const redriver = new Redriver(clients);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const holdSeconds = options.holdSeconds ?? DEFAULT_HOLD_SECONDS;
  const seen = new Set<string>();
  const kept: KeptMessage[] = [];
  const keptHandles: Array<{ readonly id: string; readonly handle: string }> = [];
  let redriven = 0;
  let redrivenNotDeleted = 0;
  let deleted = 0;
  let handled = 0;
  log(`${options.dryRun ? 'Dry run: reading' : 'Redriving'} ${url}`);

  const keep = (message: Message, reason: string): void => {
    kept.push({ messageId: message.MessageId ?? '?', reason });
    if (message.ReceiptHandle) keptHandles.push({ id: String(keptHandles.length), handle: message.ReceiptHandle });
    log(`  kept     ${message.MessageId ?? '?'}: ${reason}`);
  };
  const remove = async (message: Message): Promise<boolean> => {
    try {
      await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
      return true;
    } catch (error) {
      log(`  warning  ${message.MessageId ?? '?'}: could not delete it (${error instanceof Error ? error.message : String(error)})`);
      return false;
    }
  };

  try {
    while (handled < max) {
      const received = await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, max - handled),
          WaitTimeSeconds: WAIT_SECONDS,
          VisibilityTimeout: holdSeconds,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'DeadLetterQueueSourceArn'],
        }),
      );
      const fresh = (received.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        handled += 1;
        const plan = await redriver.plan(message);
        if (plan.kind === 'keep') {
          keep(message, plan.reason);
          continue;
        }
        if (plan.kind === 'pipe-batch') {
          if (options.deletePipeBatches && !options.dryRun) {
            if (await remove(message)) {
              deleted += 1;
              log(`  deleted  ${message.MessageId ?? '?'}: ${plan.what}`);
            } else keep(message, 'the delete failed');
          } else keep(message, `${plan.what}; ${PIPE_BATCH_ADVICE}`);
          continue;
        }
        const destination = destinationOf(plan);
        if (options.dryRun) {
          keep(message, `dry run: would send ${plan.what} to ${destination}`);
          continue;
        }
        try {
          await redriver.send(plan);
        } catch (error) {
          keep(message, `${destination} did not accept it: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
          continue;
        }
        if (await remove(message)) redriven += 1;
        else redrivenNotDeleted += 1;
        log(`  redriven ${message.MessageId ?? '?'}: ${plan.what} → ${destination}`);
      }
    }
  } finally {
    // What this run kept becomes visible again at once, for the next person, rather than after the hold.
    for (let start = 0; start < keptHandles.length; start += 10) {
      const entries = keptHandles.slice(start, start + 10).map(({ id, handle }) => ({ Id: id, ReceiptHandle: handle, VisibilityTimeout: 0 }));
      await clients.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: entries })).catch((error: unknown) => {
        log(`  warning  ${entries.length} kept message(s) stay hidden for up to ${holdSeconds} s: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }
  return { queueUrl: url, redriven, redrivenNotDeleted, deleted, kept };
};
