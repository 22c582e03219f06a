/**
 * Dead-letter redrive: sends what a dead-letter queue holds back to the
 * function it was meant for, one message at a time, deleting a message only
 * once Lambda has accepted it again. Works against AWS and the local cloud's
 * AWS endpoint alike (the clients decide which).
 *
 * The shop's dead-letter queues hold three kinds of message, told apart by
 * what AWS puts in them:
 * - **a rule target's dead letter** (EventBridge adds `RULE_ARN` and
 *   `TARGET_ARN`): the event goes back to the target, asynchronously, as
 *   EventBridge delivers it; a target with a constant `Input` gets that input;
 * - **a Lambda asynchronous invocation's dead letter** (Lambda adds
 *   `RequestID`; the queue is the `DeadLetterConfig` of one function): the
 *   event goes back to that function, asynchronously;
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
import { InvokeCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { ListTargetsByRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';

/** The AWS clients redrive uses, pointed at AWS or at the local cloud. */
export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly lambda: LambdaClient;
  readonly events: EventBridgeClient;
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
  /** Messages sent back to their function and deleted. */
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

/** How to send one message back. */
type Plan =
  | { readonly kind: 'invoke'; readonly functionArn: string; readonly payload: string; readonly what: string }
  | { readonly kind: 'pipe-batch'; readonly what: string }
  | { readonly kind: 'keep'; readonly reason: string };

const LAMBDA_FUNCTION_ARN = /^arn:[^:]+:lambda:[^:]+:\d+:function:[^:]+$/;
const RULE_ARN = /^arn:[^:]+:events:[^:]+:\d+:rule\/(?:([^/]+)\/)?([^/]+)$/;

const attribute = (message: Message, name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;

const shortName = (arn: string): string => arn.split(/[:/]/).pop() ?? arn;

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

/** The functions whose `DeadLetterConfig` is this queue (Lambda asynchronous invocation's dead letters). */
const functionsDeadLetteringTo = async (lambda: LambdaClient, queueArn: string): Promise<string[]> => {
  const arns: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await lambda.send(new ListFunctionsCommand({ Marker }));
    for (const fn of page.Functions ?? []) if (fn.DeadLetterConfig?.TargetArn === queueArn && fn.FunctionArn) arns.push(fn.FunctionArn);
    Marker = page.NextMarker;
  } while (Marker);
  return arns;
};

/** What a rule's target receives, read from the rule (cached per rule and target). */
class RuleTargets {
  private readonly cache = new Map<string, Promise<string | { readonly keep: string } | undefined>>();

  public constructor(private readonly events: EventBridgeClient) {}

  /** The payload the target gets for `body`, or why the tool cannot know it. */
  public payloadFor(ruleArn: string, targetArn: string, body: string): Promise<string | { readonly keep: string }> {
    const key = `${ruleArn} ${targetArn}`;
    let shaping = this.cache.get(key);
    if (!shaping) {
      shaping = this.inputOf(ruleArn, targetArn);
      this.cache.set(key, shaping);
    }
    return shaping.then((input) => (input === undefined ? body : input));
  }

  /** `undefined`: the target gets the event as it is; a string: its constant `Input`. */
  private async inputOf(ruleArn: string, targetArn: string): Promise<string | { readonly keep: string } | undefined> {
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
    if (target.InputPath !== undefined || target.InputTransformer !== undefined) {
      return { keep: `the target shapes its input (InputPath or InputTransformer), which redrive does not re-apply` };
    }
    return target.Input;
  }
}

/** Decides where one message goes, from what AWS put in it. */
const planFor = async (message: Message, context: { readonly functionArns: readonly string[]; readonly ruleTargets: RuleTargets }): Promise<Plan> => {
  const body = message.Body ?? '';
  const ruleArn = attribute(message, 'RULE_ARN');
  const targetArn = attribute(message, 'TARGET_ARN');
  if (ruleArn !== undefined && targetArn !== undefined) {
    if (!LAMBDA_FUNCTION_ARN.test(targetArn)) return { kind: 'keep', reason: `its target ${targetArn} is not a Lambda function; redrive sends to functions only` };
    const payload = await context.ruleTargets.payloadFor(ruleArn, targetArn, body);
    if (typeof payload !== 'string') return { kind: 'keep', reason: payload.keep };
    const error = attribute(message, 'ERROR_CODE');
    return { kind: 'invoke', functionArn: targetArn, payload, what: `${describeEvent(body)}, dead-lettered by rule ${shortName(ruleArn)}${error ? ` (${error})` : ''}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
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
  if (attribute(message, 'RequestID') !== undefined || attribute(message, 'ErrorCode') !== undefined) {
    if (context.functionArns.length === 1) {
      const [functionArn] = context.functionArns;
      // Lambda's ErrorCode is an HTTP status (200 for a function error); the message says what failed.
      const error = attribute(message, 'ErrorMessage') ?? `status ${attribute(message, 'ErrorCode') ?? '?'}`;
      return { kind: 'invoke', functionArn, payload: body, what: `${describeEvent(body)}, dead-lettered by ${shortName(functionArn)} (${error.slice(0, 120)})` };
    }
    return {
      kind: 'keep',
      reason:
        context.functionArns.length === 0
          ? 'a Lambda dead letter, but no function has this queue as its DeadLetterConfig any more'
          : `a Lambda dead letter, and ${context.functionArns.length} functions share this queue (${context.functionArns.map(shortName).join(', ')}): the message does not say which failed`,
    };
  }
  return { kind: 'keep', reason: 'neither EventBridge, Lambda nor a pipe dead-lettered it (no RULE_ARN/TARGET_ARN, RequestID, or pipe batch)' };
};

const PIPE_BATCH_ADVICE =
  'an outbox batch is a pointer to stream records, not an event: its orders stay PENDING until the order reconciler starts their sagas ' +
  '(orders older than its threshold, 10 minutes by default). Check the reconciler has run since, then rerun with --delete-pipe-batches';

/**
 * Sends back every message of a dead-letter queue it can (see the module
 * comment), deleting each once its function accepted it, and leaves the
 * rest in the queue, visible again, each with its reason.
 *
 * @throws {QueueChoiceError} when the queue cannot be found or is ambiguous.
 */
export const redrive = async (clients: RedriveClients, options: RedriveOptions): Promise<RedriveReport> => {
  const { url, arn } = await resolveQueue(clients.sqs, options.queue);
  const log = options.log;
  const functionArns = await functionsDeadLetteringTo(clients.lambda, arn);
  const ruleTargets = new RuleTargets(clients.events);
  const max = options.max ?? Number.POSITIVE_INFINITY;
  const holdSeconds = options.holdSeconds ?? DEFAULT_HOLD_SECONDS;
  const seen = new Set<string>();
  const kept: KeptMessage[] = [];
  const keptHandles: Array<{ readonly id: string; readonly handle: string }> = [];
  let redriven = 0;
  let redrivenNotDeleted = 0;
  let deleted = 0;
  let handled = 0;
  log(`${options.dryRun ? 'Dry run: reading' : 'Redriving'} ${url}${functionArns.length === 1 ? ` (dead letters of ${shortName(functionArns[0])})` : ''}`);

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
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      const fresh = (received.Messages ?? []).filter((message) => !seen.has(message.MessageId ?? ''));
      if (fresh.length === 0) break;
      for (const message of fresh) {
        seen.add(message.MessageId ?? '');
        handled += 1;
        const plan = await planFor(message, { functionArns, ruleTargets });
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
        if (options.dryRun) {
          keep(message, `dry run: would send ${plan.what} to ${shortName(plan.functionArn)}`);
          continue;
        }
        try {
          const result = await clients.lambda.send(new InvokeCommand({ FunctionName: plan.functionArn, InvocationType: 'Event', Payload: Buffer.from(plan.payload) }));
          if (result.StatusCode !== 202) throw new Error(`Lambda answered ${result.StatusCode ?? 'no status'} instead of 202`);
        } catch (error) {
          keep(message, `${shortName(plan.functionArn)} did not accept it: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
          continue;
        }
        if (await remove(message)) redriven += 1;
        else redrivenNotDeleted += 1;
        log(`  redriven ${message.MessageId ?? '?'}: ${plan.what} → ${shortName(plan.functionArn)}`);
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
