/**
 * What IAM authorizes for the API calls the local AWS endpoint serves
 * (EventBridge, Step Functions, Lambda's Invoke, SQS, CloudWatch Logs): the
 * action and resource of each operation, from the Service Authorization Reference.
 *
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsstepfunctions.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html
 */
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../resources';

/** One action on one resource, with the condition keys of the request. */
export interface ApiAuthorization {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/**
 * The log group a CloudWatch Logs call names (`logGroupName`, or
 * `logGroupIdentifier`: a name or an ARN), as IAM sees it for the group's own
 * actions: `arn:aws:logs:<region>:<account>:log-group:<name>:*`, the ARN
 * CloudFormation's `Fn::GetAtt Arn` gives and the CDK's `LogGroup.grantRead`
 * grants `logs:FilterLogEvents` on (so the `:*` form is the one such grants
 * must match; a statement on the bare `log-group:<name>` does not match it
 * locally — whether it does on AWS is not confirmed).
 */
const logGroupArn = (input: Readonly<Record<string, unknown>>): string => {
  const identifier = text(input.logGroupIdentifier);
  const arn = /^(arn:aws[a-z-]*:logs:[a-z0-9-]*:\d{12}:log-group:.+?)(?::\*)?$/.exec(identifier)?.[1];
  return `${arn ?? `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${text(input.logGroupName) || identifier}`}:*`;
};

const eventBusArn = (nameOrArn: string): string =>
  nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/${nameOrArn || 'default'}`;

const ruleArn = (name: string, bus: string): string =>
  name.startsWith('arn:') ? name : `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:rule/${bus && bus !== 'default' ? `${bus.split('/').pop() ?? bus}/` : ''}${name}`;

/**
 * The ARN of the queue a queue URL names (`<endpoint>/<account>/<name>`),
 * whatever host the URL has, so that IAM sees the queue the call reaches.
 */
const queueArnOfUrl = (url: string): string => {
  let segments: string[];
  try {
    segments = new URL(url).pathname.split('/').filter((segment) => segment !== '');
  } catch {
    segments = [];
  }
  const [account, name] = segments.length === 2 ? segments : [LOCAL_ACCOUNT, segments.at(-1)];
  return `arn:aws:sqs:${LOCAL_REGION}:${account ?? LOCAL_ACCOUNT}:${name || 'no-such-queue'}`;
};

/** The SQS permission each operation needs; batches need their single operation's. */
const SQS_ACTIONS: Readonly<Record<string, string>> = {
  GetQueueAttributes: 'sqs:GetQueueAttributes',
  SendMessage: 'sqs:SendMessage',
  SendMessageBatch: 'sqs:SendMessage',
  ReceiveMessage: 'sqs:ReceiveMessage',
  DeleteMessage: 'sqs:DeleteMessage',
  DeleteMessageBatch: 'sqs:DeleteMessage',
  ChangeMessageVisibility: 'sqs:ChangeMessageVisibility',
  ChangeMessageVisibilityBatch: 'sqs:ChangeMessageVisibility',
  PurgeQueue: 'sqs:PurgeQueue',
};

/**
 * The authorizations of one JSON-protocol operation (`AWSEvents.PutEvents`,
 * `AWSStepFunctions.StartExecution`), or `undefined` for an operation this
 * table does not know (the endpoint refuses those anyway).
 */
export const jsonApiAuthorizations = (target: string, input: Readonly<Record<string, unknown>>): ApiAuthorization[] | undefined => {
  const [prefix, operation = ''] = target.split('.');
  if (prefix === 'AWSEvents') {
    switch (operation) {
      case 'PutEvents':
        return (Array.isArray(input.Entries) ? input.Entries : []).map((entry: unknown) => {
          const e = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>) : {};
          return {
            action: 'events:PutEvents',
            resource: eventBusArn(text(e.EventBusName)),
            context: { 'events:source': text(e.Source), 'events:detail-type': text(e.DetailType) },
          };
        });
      case 'DescribeRule':
      case 'ListTargetsByRule':
        return [{ action: `events:${operation}`, resource: ruleArn(text(input.Name ?? input.Rule), text(input.EventBusName)) }];
      case 'DescribeEventBus':
        return [{ action: 'events:DescribeEventBus', resource: eventBusArn(text(input.Name)) }];
      case 'ListRules':
      case 'ListEventBuses':
      case 'TestEventPattern':
        return [{ action: `events:${operation}`, resource: '*' }];
      default:
        return undefined;
    }
  }
  if (prefix === 'AmazonSQS') {
    if (operation === 'ListQueues') return [{ action: 'sqs:ListQueues', resource: '*' }];
    if (operation === 'GetQueueUrl') {
      const owner = text(input.QueueOwnerAWSAccountId) || LOCAL_ACCOUNT;
      return [{ action: 'sqs:GetQueueUrl', resource: `arn:aws:sqs:${LOCAL_REGION}:${owner}:${text(input.QueueName)}` }];
    }
    const action = SQS_ACTIONS[operation];
    return action === undefined ? undefined : [{ action, resource: queueArnOfUrl(text(input.QueueUrl)) }];
  }
  if (prefix === 'Logs_20140328') {
    switch (operation) {
      case 'FilterLogEvents':
        return [{ action: 'logs:FilterLogEvents', resource: logGroupArn(input) }];
      case 'GetLogEvents':
        return [{ action: 'logs:GetLogEvents', resource: `${logGroupArn(input).slice(0, -2)}:log-stream:${text(input.logStreamName)}` }];
      default:
        return undefined;
    }
  }
  if (prefix === 'AWSStepFunctions') {
    switch (operation) {
      case 'StartExecution':
      case 'ListExecutions':
      case 'DescribeStateMachine':
        return [{ action: `states:${operation}`, resource: text(input.stateMachineArn) }];
      case 'DescribeExecution':
      case 'GetExecutionHistory':
      case 'StopExecution':
        return [{ action: `states:${operation}`, resource: text(input.executionArn) }];
      case 'ListStateMachines':
        return [{ action: 'states:ListStateMachines', resource: '*' }];
      default:
        return undefined;
    }
  }
  return undefined;
};

/** `lambda:InvokeFunction` on the function an Invoke call names (by name or ARN, unqualified). */
export const invokeAuthorization = (functionArn: string): ApiAuthorization => ({ action: 'lambda:InvokeFunction', resource: functionArn });
