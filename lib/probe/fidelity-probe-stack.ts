import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import {
  HttpApi,
  HttpIntegrationType,
  HttpMethod,
  HttpRouteIntegration,
  PayloadFormatVersion,
  type HttpRouteIntegrationConfig,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { UserPool } from 'aws-cdk-lib/aws-cognito';
import { AttributeType, Billing, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Rule, RuleTargetInput, type IRuleTarget, type RuleTargetConfig } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnPipe } from 'aws-cdk-lib/aws-pipes';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, Pass, StateMachine, StateMachineType, TaskInput, Timeout, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { ProbeAction } from '../../functions/probe/entries/behave';
import { RouteLambdaIntegration } from '../constructs/route-lambda-integration';
import { ShopFunction } from '../constructs/shop-function';

/** The event sources and detail types the probe's rules match; the fidelity runner puts events with these. */
export const PROBE_EVENTS = {
  source: 'fidelity.probe',
  envelope: 'Envelope',
  noPermission: 'NoPermission',
  alwaysThrows: 'AlwaysThrows',
  pipeSource: 'fidelity.pipe',
  pipeDetailType: 'ProbeStreamRecord',
} as const;

/** The error the probe's functions throw when asked to. */
export const PROBE_ERROR = { name: 'ProbeError', message: 'the probe was asked to fail' } as const;

/**
 * A Lambda proxy route with no `AWS::Lambda::Permission` for API Gateway:
 * what a route looks like when its grant was forgotten (AWS answers 500).
 */
class UngrantedLambdaIntegration extends HttpRouteIntegration {
  public constructor(
    id: string,
    private readonly handler: IFunction,
  ) {
    super(id);
  }

  public bind(): HttpRouteIntegrationConfig {
    return { type: HttpIntegrationType.AWS_PROXY, uri: this.handler.functionArn, payloadFormatVersion: PayloadFormatVersion.VERSION_2_0 };
  }
}

/**
 * A Lambda rule target with a dead-letter queue and no Lambda permission for
 * the rule: EventBridge cannot invoke it (NO_PERMISSIONS).
 */
class UnpermittedLambdaTarget implements IRuleTarget {
  public constructor(
    private readonly handler: IFunction,
    private readonly deadLetterQueue: IQueue,
  ) {}

  public bind(): RuleTargetConfig {
    return { arn: this.handler.functionArn, deadLetterConfig: { arn: this.deadLetterQueue.queueArn }, input: RuleTargetInput.fromEventPath('$.detail') };
  }
}

/** Props of {@link FidelityProbeStack}. */
export interface FidelityProbeStackProps extends StackProps {
  /** Version shown in the functions' environment. @default 'unknown' */
  readonly version?: string;
}

/**
 * The fidelity probe: a small app, separate from the shop, whose resources
 * each exercise one documented AWS behaviour (a Lambda error, timeout or
 * throttle, a missing grant, Step Functions' terminal errors, EventBridge's
 * envelope and dead-letter attributes, a pipe's event, an HTTP API's
 * gateway answers). The fidelity suite (`test/fidelity`) drives it on the
 * local cloud and on AWS and compares what it observes with the goldens.
 *
 * Everything is destroyed with the stack; nothing here is the shop's.
 */
export class FidelityProbeStack extends Stack {
  public constructor(scope: Construct, id: string, props: FidelityProbeStackProps = {}) {
    super(scope, id, props);
    const version = props.version ?? 'unknown';

    const table = new TableV2(this, 'ProbeTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      dynamoStream: StreamViewType.NEW_IMAGE,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const queue = (queueId: string): Queue =>
      new Queue(this, queueId, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(1), removalPolicy: RemovalPolicy.DESTROY });
    const behaveDeadLetters = queue('BehaveDeadLetters');

    // No grant on the table: the probe's GetItem must be refused.
    const behave = new ShopFunction(this, 'Behave', {
      service: 'probe',
      entry: 'probe/entries/behave.ts',
      description: 'Fidelity probe: does what its input asks',
      version,
      overrides: { deadLetterQueue: behaveDeadLetters, retryAttempts: 0 },
    });
    const twin = new ShopFunction(this, 'BehaveTwin', {
      service: 'probe',
      entry: 'probe/entries/behave.ts',
      description: 'Fidelity probe: the behaviour function with a 1 s timeout and one concurrent execution',
      version,
      timeout: Duration.seconds(1),
      overrides: { reservedConcurrentExecutions: 1 },
    });

    const machines = {
      CaughtError: this.machine(
        'CaughtError',
        this.invoke('CaughtErrorTask', behave, { action: 'throw', ...PROBE_ERROR }).addCatch(new Pass(this, 'Caught'), { errors: [PROBE_ERROR.name], resultPath: '$.error' }),
      ),
      UncaughtError: this.machine('UncaughtError', this.invoke('UncaughtErrorTask', behave, { action: 'throw', ...PROBE_ERROR })),
      DataLimit: this.machine(
        'DataLimit',
        this.invoke('DataLimitTask', behave, { action: 'bytes', count: 300_000 }).addCatch(new Pass(this, 'DataLimitCaught'), { errors: ['States.ALL'] }),
      ),
      RuntimeError: this.machine(
        'RuntimeError',
        this.invoke('RuntimeErrorTask', behave, { action: 'return', value: 'unreached' }, { inputPath: '$.missing' }).addCatch(new Pass(this, 'RuntimeCaught'), {
          errors: ['States.ALL'],
        }),
      ),
      TaskTimeout: this.machine('TaskTimeout', this.invoke('TaskTimeoutTask', behave, { action: 'sleep', ms: 3000 }, { taskTimeout: Timeout.duration(Duration.seconds(1)) })),
    };

    const bus = new EventBus(this, 'ProbeBus', { description: 'Fidelity probe bus' });
    const envelopeQueue = queue('EnvelopeQueue');
    new Rule(this, 'EnvelopeRule', {
      eventBus: bus,
      eventPattern: { source: [PROBE_EVENTS.source], detailType: [PROBE_EVENTS.envelope] },
      targets: [new SqsQueue(envelopeQueue)],
    });

    const noPermissionDeadLetters = queue('NoPermissionDeadLetters');
    const noPermissionRule = new Rule(this, 'NoPermissionRule', {
      eventBus: bus,
      eventPattern: { source: [PROBE_EVENTS.source], detailType: [PROBE_EVENTS.noPermission] },
      targets: [new UnpermittedLambdaTarget(behave, noPermissionDeadLetters)],
    });
    noPermissionDeadLetters.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [noPermissionDeadLetters.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': noPermissionRule.ruleArn } },
      }),
    );

    const alwaysThrowsDeadLetters = queue('AlwaysThrowsDeadLetters');
    const alwaysThrowsRule = new Rule(this, 'AlwaysThrowsRule', {
      eventBus: bus,
      eventPattern: { source: [PROBE_EVENTS.source], detailType: [PROBE_EVENTS.alwaysThrows] },
      targets: [new LambdaFunction(behave, { event: RuleTargetInput.fromEventPath('$.detail'), retryAttempts: 0, deadLetterQueue: alwaysThrowsDeadLetters })],
    });

    const pipeQueue = queue('PipeQueue');
    new Rule(this, 'PipeRule', {
      eventBus: bus,
      eventPattern: { source: [PROBE_EVENTS.pipeSource] },
      targets: [new SqsQueue(pipeQueue)],
    });
    const streamArn = table.tableStreamArn;
    if (!streamArn) throw new Error('FidelityProbeStack needs the probe table stream for its pipe.');
    const pipeRole = new Role(this, 'PipeRole', { assumedBy: new ServicePrincipal('pipes.amazonaws.com') });
    pipeRole.addToPolicy(new PolicyStatement({ actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [streamArn] }));
    pipeRole.addToPolicy(new PolicyStatement({ actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    bus.grantPutEventsTo(pipeRole);
    const pipe = new CfnPipe(this, 'StreamPipe', {
      description: 'Fidelity probe: table stream to the probe bus, no enrichment',
      roleArn: pipeRole.roleArn,
      source: streamArn,
      sourceParameters: { dynamoDbStreamParameters: { startingPosition: 'LATEST', batchSize: 1 } },
      target: bus.eventBusArn,
      targetParameters: { eventBridgeEventBusParameters: { source: PROBE_EVENTS.pipeSource, detailType: PROBE_EVENTS.pipeDetailType } },
    });
    pipe.node.addDependency(pipeRole);

    const userPool = new UserPool(this, 'Users', { selfSignUpEnabled: false, signInAliases: { email: true }, removalPolicy: RemovalPolicy.DESTROY });
    const userPoolClient = userPool.addClient('ProbeClient', { authFlows: { userPassword: true } });
    const api = new HttpApi(this, 'Api', { description: 'Fidelity probe API', createDefaultStage: true });
    const authorizer = new HttpUserPoolAuthorizer('Cognito', userPool, { userPoolClients: [userPoolClient] });
    api.addRoutes({ path: '/open', methods: [HttpMethod.GET], integration: new RouteLambdaIntegration('OpenIntegration', behave, HttpMethod.GET) });
    api.addRoutes({ path: '/jwt', methods: [HttpMethod.GET], integration: new RouteLambdaIntegration('JwtIntegration', behave, HttpMethod.GET), authorizer });
    api.addRoutes({ path: '/throws', methods: [HttpMethod.GET], integration: new RouteLambdaIntegration('ThrowsIntegration', behave, HttpMethod.GET) });
    api.addRoutes({ path: '/no-permission', methods: [HttpMethod.GET], integration: new UngrantedLambdaIntegration('NoPermissionIntegration', twin) });

    const outputs: Record<string, string> = {
      BehaveFunctionName: behave.functionName,
      BehaveRoleName: behave.role?.roleName ?? '',
      TwinFunctionName: twin.functionName,
      TableName: table.tableName,
      EventBusName: bus.eventBusName,
      EnvelopeQueueUrl: envelopeQueue.queueUrl,
      NoPermissionDeadLettersUrl: noPermissionDeadLetters.queueUrl,
      AlwaysThrowsDeadLettersUrl: alwaysThrowsDeadLetters.queueUrl,
      BehaveDeadLettersUrl: behaveDeadLetters.queueUrl,
      PipeQueueUrl: pipeQueue.queueUrl,
      NoPermissionRuleArn: noPermissionRule.ruleArn,
      AlwaysThrowsRuleArn: alwaysThrowsRule.ruleArn,
      ApiUrl: api.apiEndpoint,
      UserPoolId: userPool.userPoolId,
      UserPoolClientId: userPoolClient.userPoolClientId,
      ...Object.fromEntries(Object.entries(machines).map(([name, machine]) => [`${name}StateMachineArn`, machine.stateMachineArn])),
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { key, value });
  }

  /** A `lambda:invoke` task with a fixed payload and no automatic retries, so each error reaches the state machine once. */
  private invoke(id: string, fn: IFunction, action: ProbeAction, options: { readonly inputPath?: string; readonly taskTimeout?: Timeout } = {}): LambdaInvoke {
    return new LambdaInvoke(this, id, {
      lambdaFunction: fn,
      payload: TaskInput.fromObject({ ...action }),
      retryOnServiceExceptions: false,
      ...(options.inputPath ? { inputPath: options.inputPath } : {}),
      ...(options.taskTimeout ? { taskTimeout: options.taskTimeout } : {}),
    });
  }

  private machine(id: string, definition: IChainable): StateMachine {
    return new StateMachine(this, `${id}StateMachine`, { definitionBody: DefinitionBody.fromChainable(definition), stateMachineType: StateMachineType.STANDARD });
  }
}
