/**
 * The console's redrive button: one dead letter sent back where it was
 * going, by the code of `npm run redrive` (`lib/ops/redrive.ts`) with clients
 * pointed at the local cloud's AWS endpoint, so the page does what the
 * operator's tool does on AWS: a queue's dead letter back to its queue, a
 * rule target's to the target (function, queue or state machine) with the
 * input the target takes; an outbox batch is explained, not sent.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient, type Message } from '@aws-sdk/client-sqs';
import { deadLetterKindOf, destinationOf, isRedrivableTarget, PIPE_BATCH_REASON, Redriver, shortName, type RedriveClients } from '../../lib/ops/redrive';
import { LOCAL_REGION } from '../resources';
import type { QueueMessage, SqsQueues } from '../sqs/queues';
import { ConsoleRequestError } from './request-error';

/** How long the message a redrive works on stays hidden from others: as long as the operator's tool holds one. */
const HOLD_SECONDS = 300;

/** Where the list says a dead letter would go, known without a call. */
export interface RedrivePreview {
  readonly redrivable: boolean;
  /** The function, queue or state machine it goes back to. */
  readonly to?: string;
  /** Why it cannot be sent back. */
  readonly why?: string;
}

/** What a redrive did. */
export interface RedriveOutcome {
  readonly redriven: string;
  /** The function, queue or state machine that took it. */
  readonly to: string;
  /** What the message was, as `npm run redrive` prints it. */
  readonly what: string;
}

/** A local queue message as `ReceiveMessage` hands it to the redrive tool (attributes, `DeadLetterQueueSourceArn`). */
export const sqsMessageOf = (message: QueueMessage, receiptHandle?: string): Message => ({
  MessageId: message.messageId,
  Body: message.body,
  ...(receiptHandle !== undefined ? { ReceiptHandle: receiptHandle } : {}),
  MessageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([name, value]) => [name, { DataType: value.dataType, StringValue: value.stringValue }])),
  Attributes: message.deadLetterSourceArn !== undefined ? { DeadLetterQueueSourceArn: message.deadLetterSourceArn } : {},
});

/** Sends the dead letters a person picks back, one at a time. */
export class DeadLetterRedrive {
  private readonly redriver: Redriver;

  /**
   * @param clients - SQS, Lambda, EventBridge and Step Functions clients of the local cloud's AWS endpoint.
   */
  public constructor(
    private readonly queues: SqsQueues,
    private readonly clients: RedriveClients,
  ) {
    this.redriver = new Redriver(clients);
  }

  /**
   * The redrive of a local cloud, signing as an operator (an administrator
   * to the local IAM, as `npm run redrive`'s keys are).
   */
  public static forEndpoint(awsEndpointUrl: string, queues: SqsQueues): DeadLetterRedrive {
    const config = { endpoint: awsEndpointUrl, region: LOCAL_REGION, credentials: { accessKeyId: 'console', secretAccessKey: 'console' } };
    return new DeadLetterRedrive(queues, { sqs: new SQSClient(config), lambda: new LambdaClient(config), events: new EventBridgeClient(config), stepFunctions: new SFNClient(config) });
  }

  /** Where `message` would go, for the list (a rule target's shaped input is only checked when it is sent). */
  public preview(message: QueueMessage): RedrivePreview {
    const dead = deadLetterKindOf(sqsMessageOf(message));
    switch (dead.kind) {
      case 'queue':
        return { redrivable: true, to: this.queues.resolve(dead.sourceQueueArn)?.name ?? shortName(dead.sourceQueueArn) };
      case 'rule-target':
        return isRedrivableTarget(dead.targetArn)
          ? { redrivable: true, to: shortName(dead.targetArn) }
          : { redrivable: false, why: `its target ${dead.targetArn} is neither a Lambda function, an SQS queue nor a state machine` };
      case 'pipe-batch':
        return { redrivable: false, why: `${dead.what}: ${PIPE_BATCH_REASON}` };
      case 'unknown':
        return { redrivable: false, why: dead.reason };
    }
  }

  /**
   * Sends one message of a dead-letter queue back and deletes it; a message
   * that cannot go back, or that its destination refuses, stays visible.
   *
   * @throws {ConsoleRequestError} 404 when no such message is visible in the
   *   queue, 409 when it cannot be sent back (why), 502 when its destination refused it.
   */
  public async redrive(queueArn: string, messageId: string): Promise<RedriveOutcome> {
    const queueName = this.queues.resolve(queueArn)?.name ?? queueArn;
    const [held] = this.queues.receive(queueArn, 1, HOLD_SECONDS, { select: (message) => message.messageId === messageId });
    if (!held) throw new ConsoleRequestError(404, `No message ${messageId} waits in ${queueName} (redriven already, or held by someone else)`);
    const putBack = (): void => void this.queues.release(queueArn, held.receiptHandle, 0);
    let plan: Awaited<ReturnType<Redriver['plan']>>;
    try {
      plan = await this.redriver.plan(sqsMessageOf(held.message, held.receiptHandle));
    } catch (error) {
      putBack();
      throw new ConsoleRequestError(502, `Could not tell where ${messageId} goes: ${describe(error)}`);
    }
    if (plan.kind === 'keep' || plan.kind === 'pipe-batch') {
      putBack();
      throw new ConsoleRequestError(409, plan.kind === 'keep' ? plan.reason : `${plan.what}: ${PIPE_BATCH_REASON}`);
    }
    try {
      await this.redriver.send(plan);
    } catch (error) {
      putBack();
      throw new ConsoleRequestError(502, `${destinationOf(plan)} did not accept ${messageId}: ${describe(error)}`);
    }
    this.queues.deleteMessage(queueArn, held.receiptHandle);
    return { redriven: messageId, to: destinationOf(plan), what: plan.what };
  }

  /** Lets the clients' connections go. */
  public close(): void {
    for (const client of Object.values(this.clients)) client.destroy();
  }
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
