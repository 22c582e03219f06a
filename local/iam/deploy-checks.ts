/**
 * The permission checks AWS makes when it creates resources, and the ones it
 * makes silently at run time that a template already decides. Run once at
 * start-up, after the template's IAM is read:
 *
 * - refused at deploy time on AWS, so start-up stops (strict) with AWS's
 *   message: a role its service cannot assume; a function with active tracing
 *   whose role cannot write to X-Ray, or whose dead-letter queue or
 *   destinations its role cannot send to; a state machine whose role cannot
 *   deliver its logs; a pipe whose role cannot read its source; an SQS event
 *   source mapping whose function's role cannot receive, delete and read the
 *   queue's attributes (and, in every IAM mode, one whose queue's visibility
 *   timeout is shorter than the function's timeout, or whose batch of more
 *   than 10 has no batching window);
 * - accepted at deploy time and failing silently later, so reported as a
 *   denial now (red, recorded) and not stopping anything: an alarm whose
 *   topic's policy does not let CloudWatch publish.
 */
import type { LocalResource } from '../resources';
import { LOCAL_ACCOUNT, LOCAL_REGION } from '../resources';
import { isPropertyObject } from '../support/property-reader';
import type { IamDenial } from './authorizer';
import type { LocalIam } from './local-iam';
import { asList } from './policy-model';
import { servicePrincipal, type IamPrincipal } from './principals';

/** AWS would refuse to deploy the template: a resource's permissions fail the service's own check. */
export class DeployRefusedError extends Error {
  public constructor(
    public readonly logicalId: string,
    public readonly resourceType: string,
    awsMessage: string,
    /** The IAM denial behind the refusal; absent when the service refuses a setting (a visibility timeout too short). */
    public readonly denial?: IamDenial,
  ) {
    super(`${logicalId} (${resourceType}): AWS would refuse to deploy this — ${awsMessage}${denial ? `\n  ${denial.message}` : ''}`);
    this.name = 'DeployRefusedError';
  }
}

/**
 * The calls Lambda makes on an SQS queue with the function's execution role
 * for an event source mapping, which it checks the role may make when the
 * mapping is created ("The function execution role does not have permissions
 * to call ReceiveMessage on SQS"; the policy Lambda documents:
 * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions).
 */
export const SQS_EVENT_SOURCE_ACTIONS: readonly string[] = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];

/**
 * What Lambda checks of an SQS event source mapping's settings when it
 * creates it, whatever the IAM mode (CloudFormation's create fails with
 * these messages, as reported verbatim in
 * https://github.com/mongodb/docs-worker-pool/pull/878 and
 * https://github.com/serverless/serverless/issues/8989):
 * the queue's visibility timeout must be at least the function's timeout, and
 * a batch of more than 10 needs a batching window.
 *
 * @throws {DeployRefusedError} for the first mapping AWS would refuse.
 */
export const checkEventSourceMappings = (resources: readonly LocalResource[]): void => {
  for (const resource of resources) {
    if (resource.type !== 'AWS::Lambda::EventSourceMapping') continue;
    const p = resource.properties;
    const queue = resources.find((candidate) => candidate.type === 'AWS::SQS::Queue' && candidate.arn === p.EventSourceArn);
    const fn = functionNamed(resources, p.FunctionName);
    if (queue && fn) {
      const visibility = integerOr(queue.properties.VisibilityTimeout, 30);
      const timeout = integerOr(fn.properties.Timeout, 3);
      if (visibility < timeout) {
        throw new DeployRefusedError(resource.logicalId, resource.type, `Invalid request provided: Queue visibility timeout: ${String(visibility)} seconds is less than Function timeout: ${String(timeout)} seconds`);
      }
    }
    if (integerOr(p.BatchSize, 10) > 10 && integerOr(p.MaximumBatchingWindowInSeconds, 0) === 0) {
      throw new DeployRefusedError(resource.logicalId, resource.type, 'Invalid request provided: Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
    }
  }
};

/** The template's function a `FunctionName` names (name, ARN, or partial ARN). */
const functionNamed = (resources: readonly LocalResource[], value: unknown): LocalResource | undefined => {
  if (typeof value !== 'string') return undefined;
  const name = value.replace(/:\$LATEST$/, '').split(':').pop();
  return resources.find((candidate) => candidate.type === 'AWS::Lambda::Function' && (candidate.ref === name || candidate.arn === value || candidate.logicalId === name));
};

const integerOr = (value: unknown, fallback: number): number => {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isInteger(number) ? number : fallback;
};

/**
 * The actions the Step Functions guide requires on a state machine's role to
 * deliver its execution logs (https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html).
 * AWS refuses to create the state machine without them ("The state machine IAM
 * Role is not authorized to access the Log Destination"); the update and
 * delete actions serve later changes of the state machine, which the local
 * cloud never makes, so it checks all eight at creation.
 */
export const STATE_MACHINE_LOG_DELIVERY_ACTIONS: readonly string[] = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];

/** What a pipe needs on its role to read a DynamoDB stream (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-permissions.html). */
const DYNAMODB_STREAM_SOURCE_ACTIONS: readonly string[] = ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'];

/**
 * Runs every creation-time check of the template. In strict mode the first
 * refusal throws; in soft mode it is reported (by the authorizer's listener)
 * and start-up goes on; with IAM off nothing is checked.
 *
 * @throws {DeployRefusedError} in strict mode, for the first check AWS would fail.
 */
export const runDeployChecks = async (resources: readonly LocalResource[], iam: LocalIam): Promise<void> => {
  checkEventSourceMappings(resources);
  if (iam.mode === 'off') return;
  const refuse = async (resource: LocalResource, awsMessage: string, request: Parameters<LocalIam['check']>[0]): Promise<void> => {
    const denial = await iam.check(request);
    if (denial) throw new DeployRefusedError(resource.logicalId, resource.type, awsMessage, denial);
  };
  const assume = async (resource: LocalResource, roleArn: string, service: string, awsMessage: string, context: Record<string, string> = {}): Promise<IamPrincipal> => {
    const principal = iam.roleSession(roleArn, resource.ref, describe(resource), { logicalId: resource.logicalId, type: resource.type, property: resource.type === 'AWS::Lambda::Function' ? 'Role' : 'RoleArn' });
    if (principal.kind === 'role') {
      await refuse(resource, awsMessage, {
        principal: servicePrincipal(service),
        action: 'sts:AssumeRole',
        resource: roleArn,
        resourcePolicy: principal.role.trustPolicy,
        context,
        hop: `${service} assumes the role of ${resource.logicalId}`,
      });
    }
    return principal;
  };

  for (const resource of resources) {
    const p = resource.properties;
    if (resource.type === 'AWS::Lambda::Function' && typeof p.Role === 'string') {
      const role = await assume(resource, p.Role, 'lambda.amazonaws.com', 'InvalidParameterValueException: The role defined for the function cannot be assumed by Lambda.');
      const tracing = isPropertyObject(p.TracingConfig) ? p.TracingConfig.Mode : undefined;
      if (tracing === 'Active') {
        for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords']) {
          await refuse(resource, `InvalidParameterValueException: The provided execution role does not have permissions to call ${action.split(':')[1] ?? action} on XRAY`, {
            principal: role,
            action,
            resource: '*',
            hop: `Lambda creates ${resource.logicalId} (active tracing)`,
          });
        }
      }
      const deadLetter = isPropertyObject(p.DeadLetterConfig) ? p.DeadLetterConfig.TargetArn : undefined;
      if (typeof deadLetter === 'string') {
        await refuse(resource, 'InvalidParameterValueException: The provided execution role does not have permissions to call SendMessage on SQS', {
          principal: role,
          action: 'sqs:SendMessage',
          resource: deadLetter,
          hop: `Lambda creates ${resource.logicalId} (dead-letter queue)`,
        });
      }
    } else if (resource.type === 'AWS::Lambda::EventInvokeConfig') {
      const fn = resources.find((candidate) => candidate.type === 'AWS::Lambda::Function' && (candidate.ref === p.FunctionName || candidate.arn === p.FunctionName));
      const roleArn = fn?.properties.Role;
      const destinations = isPropertyObject(p.DestinationConfig) ? p.DestinationConfig : {};
      if (fn && typeof roleArn === 'string') {
        const role = iam.roleSession(roleArn, fn.ref, 'function', { logicalId: fn.logicalId, type: fn.type, property: 'Role' });
        for (const key of ['OnSuccess', 'OnFailure']) {
          const destination = isPropertyObject(destinations[key]) ? destinations[key].Destination : undefined;
          if (typeof destination !== 'string') continue;
          await refuse(resource, `InvalidParameterValueException: The function's execution role does not have permissions to call SendMessage on ${destination}`, {
            principal: role,
            action: 'sqs:SendMessage',
            resource: destination,
            hop: `Lambda configures ${key} of ${fn.logicalId}`,
          });
        }
      }
    } else if (resource.type === 'AWS::Lambda::EventSourceMapping' && typeof p.EventSourceArn === 'string' && p.EventSourceArn.startsWith('arn:aws:sqs:')) {
      const fn = functionNamed(resources, p.FunctionName);
      const roleArn = fn?.properties.Role;
      if (fn && typeof roleArn === 'string') {
        const role = iam.roleSession(roleArn, fn.ref, 'function', { logicalId: fn.logicalId, type: fn.type, property: 'Role' });
        for (const action of SQS_EVENT_SOURCE_ACTIONS) {
          await refuse(resource, `InvalidParameterValueException: The function execution role does not have permissions to call ${action.split(':')[1] ?? action} on SQS`, {
            principal: role,
            action,
            resource: p.EventSourceArn,
            hop: `Lambda creates event source mapping ${resource.logicalId} (${fn.logicalId} reads ${p.EventSourceArn.split(':').pop() ?? ''})`,
          });
        }
      }
    } else if (resource.type === 'AWS::StepFunctions::StateMachine' && typeof p.RoleArn === 'string') {
      const stateMachineArn = resource.arn ?? '';
      const role = await assume(
        resource,
        p.RoleArn,
        'states.amazonaws.com',
        'AccessDeniedException: Neither the global service principal states.amazonaws.com, nor the regional one is authorized to assume the provided role.',
        { 'aws:SourceArn': stateMachineArn, 'aws:SourceAccount': LOCAL_ACCOUNT },
      );
      const logging = isPropertyObject(p.LoggingConfiguration) ? p.LoggingConfiguration : undefined;
      const level = logging?.Level;
      if (logging && level !== 'OFF' && asList(logging.Destinations).length > 0) {
        for (const action of STATE_MACHINE_LOG_DELIVERY_ACTIONS) {
          await refuse(resource, 'AccessDeniedException: The state machine IAM Role is not authorized to access the Log Destination', {
            principal: role,
            action,
            resource: '*',
            hop: `Step Functions creates ${resource.logicalId} (log delivery)`,
          });
        }
      }
    } else if (resource.type === 'AWS::Pipes::Pipe' && typeof p.RoleArn === 'string') {
      const pipeArn = resource.arn ?? '';
      const role = await assume(resource, p.RoleArn, 'pipes.amazonaws.com', 'the pipe cannot assume its role (pipes.amazonaws.com is not trusted): the pipe would fail to create', {
        'aws:SourceArn': pipeArn,
        'aws:SourceAccount': LOCAL_ACCOUNT,
      });
      const source = typeof p.Source === 'string' ? p.Source : '';
      if (source.includes(':dynamodb:') && source.includes('/stream/')) {
        for (const [action, target] of [...DYNAMODB_STREAM_SOURCE_ACTIONS.map((a) => [a, source] as const), ['dynamodb:ListStreams', '*'] as const]) {
          await refuse(resource, `the pipe's role cannot call ${action} on its source, so the pipe would fail (CREATE_FAILED) and read nothing`, {
            principal: role,
            action,
            resource: target,
            hop: `Pipes creates ${resource.logicalId} (source)`,
          });
        }
      }
    } else if (resource.type === 'AWS::CloudWatch::Alarm') {
      const alarmArn = `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${resource.ref}`;
      const actions = ['AlarmActions', 'OKActions', 'InsufficientDataActions'].flatMap((key) => asList(p[key]));
      for (const topic of new Set(actions.filter((arn) => arn.startsWith('arn:aws:sns:')))) {
        // Not refused at deploy time: the alarm changes state and notifies no one. Reported (and recorded) now.
        await iam.check({
          principal: servicePrincipal('cloudwatch.amazonaws.com'),
          action: 'sns:Publish',
          resource: topic,
          context: { 'aws:SourceArn': alarmArn, 'aws:SourceAccount': LOCAL_ACCOUNT, 'aws:SourceOwner': LOCAL_ACCOUNT },
          hop: `alarm ${resource.logicalId} → topic ${topic.split(':').pop() ?? topic} (on AWS the alarm would notify no one)`,
        });
      }
    }
  }
};

const describe = (resource: LocalResource): string => {
  switch (resource.type) {
    case 'AWS::Lambda::Function':
      return 'function';
    case 'AWS::StepFunctions::StateMachine':
      return 'state machine';
    case 'AWS::Pipes::Pipe':
      return 'pipe';
    default:
      return resource.type;
  }
};
