import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterRedrive, sqsMessageOf } from '../../local/console/redrive-api';
import { SqsQueues } from '../../local/sqs/queues';
import { functionArn, queueArn, queueResource as queue, stateMachineArn } from '../support/local-resources';
import { refusalOf } from '../support/console-refusal';

/*
 * The console's redrive, short of sending anything: where the list says each
 * kind of dead letter goes, and what a redrive answers when a message cannot
 * go back (404, 409) or its destination cannot be reached (502), each time
 * leaving the message visible in its queue.
 */


const RULE = 'arn:aws:events:us-east-1:000000000000:rule/shop/StartOrderSaga';
const pipeBatch = JSON.stringify({ requestContext: { pipeArn: 'arn:aws:pipes:us-east-1:000000000000:pipe/Outbox', condition: 'RetryAttemptsExhausted' }, DDBStreamBatchInfo: { batchSize: 2, approximateArrivalOfFirstRecord: '2026-01-01T00:00:00Z' } });

let queues: SqsQueues;
let redrive: DeadLetterRedrive;

beforeEach(() => {
  queues = SqsQueues.create([queue('Work', { RedrivePolicy: { deadLetterTargetArn: queueArn('Dead'), maxReceiveCount: 1 } }), queue('Dead')]);
  // Nothing listens on port 9: every call the redrive makes fails at once.
  const config = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
  redrive = new DeadLetterRedrive(queues, { sqs: new SQSClient(config), lambda: new LambdaClient(config), events: new EventBridgeClient(config), stepFunctions: new SFNClient(config) });
});

afterEach(() => redrive.close());

describe('DeadLetterRedrive', () => {
  it('says where each kind of dead letter goes, or why it cannot go back', () => {
    // Prepare
    queues.send('Work', '{"detail-type":"OrderConfirmed"}');
    queues.receive('Work', 1, 0);
    queues.receive('Work', 1, 0);
    const [fromQueue] = queues.receiveAll('Dead');
    const toFunction = queues.send('Dead', '{}', { RULE_ARN: RULE, TARGET_ARN: functionArn('Starter') });
    const toMachine = queues.send('Dead', '{}', { RULE_ARN: RULE, TARGET_ARN: stateMachineArn('OrderSaga') });
    const toTopic = queues.send('Dead', '{}', { RULE_ARN: RULE, TARGET_ARN: 'arn:aws:sns:us-east-1:000000000000:Alarms' });
    const batch = queues.send('Dead', pipeBatch);
    const stray = queues.send('Dead', 'hello');

    // Act
    const previews = [fromQueue, toFunction, toMachine, toTopic, batch, stray].map((message) => (message ? redrive.preview(message) : undefined));

    // Assess
    expect(previews).toEqual([
      { redrivable: true, to: 'Work' },
      { redrivable: true, to: 'Starter' },
      { redrivable: true, to: 'OrderSaga' },
      { redrivable: false, why: 'its target arn:aws:sns:us-east-1:000000000000:Alarms is neither a Lambda function, an SQS queue nor a state machine' },
      { redrivable: false, why: expect.stringMatching(/^2 stream record\(s\) from 2026-01-01T00:00:00Z pipe Outbox could not publish \(RetryAttemptsExhausted\): an outbox batch is a pointer to stream records, not an event/) },
      { redrivable: false, why: expect.stringMatching(/^neither SQS, EventBridge nor a pipe dead-lettered it/) },
    ]);
  });

  it("hands the redrive tool the message as SQS's ReceiveMessage would", () => {
    // Prepare
    queues.send('Work', 'body', { kind: 'test' });
    queues.receive('Work', 1, 0);
    queues.receive('Work', 1, 0);
    const [dead] = queues.receiveAll('Dead');

    // Act
    const message = dead ? sqsMessageOf(dead, 'handle') : undefined;

    // Assess
    expect(message).toEqual({
      MessageId: dead?.messageId,
      Body: 'body',
      ReceiptHandle: 'handle',
      MessageAttributes: { kind: { DataType: 'String', StringValue: 'test' } },
      Attributes: { DeadLetterQueueSourceArn: queueArn('Work') },
    });
  });

  it('answers 404 for a message not waiting in the queue, 409 for one that cannot go back and 502 when its destination cannot be reached, keeping each', async () => {
    // Prepare
    const batch = queues.send('Dead', pipeBatch);
    const stray = queues.send('Dead', 'hello');
    const toMachine = queues.send('Dead', '{}', { RULE_ARN: RULE, TARGET_ARN: stateMachineArn('OrderSaga') });

    // Act
    const failures = [
      await refusalOf(() => redrive.redrive(queueArn('Dead'), 'no-such-message')),
      await refusalOf(() => redrive.redrive(queueArn('Dead'), batch.messageId)),
      await refusalOf(() => redrive.redrive(queueArn('Dead'), stray.messageId)),
      await refusalOf(() => redrive.redrive(queueArn('Dead'), toMachine.messageId)),
    ];

    // Assess
    expect(failures.map((failure) => failure.status)).toEqual([404, 409, 409, 502]);
    expect(failures[0]?.message).toBe('No message no-such-message waits in Dead (redriven already, or held by someone else)');
    expect(failures[1]?.message).toMatch(/could not publish \(RetryAttemptsExhausted\): an outbox batch is a pointer/);
    expect(failures[3]?.message).toMatch(new RegExp(`^Could not tell where ${toMachine.messageId} goes: `));
    expect(queues.receiveAll('Dead').map((message) => message.messageId)).toEqual([batch.messageId, stray.messageId, toMachine.messageId]);
  });
});
