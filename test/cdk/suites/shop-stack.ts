import { Match } from 'aws-cdk-lib/assertions';
import { catalogRoutes } from '../../../functions/catalog/routes';
import { inventoryRoutes } from '../../../functions/inventory/routes';
import { ordersRoutes } from '../../../functions/orders/routes';
import { shippingRoutes } from '../../../functions/shipping/routes';
import { READY_PROBE_KEY } from '../../../functions/health/probe-key';
import { healthRoutes } from '../../../functions/health/routes';
import { pathOf, referencedIds, resourcesOf, serviceOf, shopTemplate, type CfnResource } from '../support/template';

const functions = () => resourcesOf('AWS::Lambda::Function');
const tables = () => resourcesOf('AWS::DynamoDB::GlobalTable');

describe('functions', () => {
  it('all run the newest Node.js runtime on arm64, logging JSON at the lean profile\'s levels, with the Powertools environment', () => {
    expect(Object.keys(functions()).length).toBeGreaterThan(0);
    for (const [id, fn] of Object.entries(functions())) {
      expect({ id, ...fn.Properties }).toMatchObject({
        id,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: expect.any(String),
            POWERTOOLS_METRICS_NAMESPACE: 'ServerlessShop',
            SHOP_VERSION: 'v-test',
          }),
        },
        LoggingConfig: { LogGroup: expect.anything(), LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
      });
      expect(fn.Properties?.Environment).not.toHaveProperty('Variables.POWERTOOLS_LOG_LEVEL');
    }
  });

  it('trace only as saga tasks, inside the sampled execution (PassThrough), and only those may send traces', () => {
    const traced = Object.entries(functions())
      .filter(([, fn]) => fn.Properties?.TracingConfig !== undefined)
      .map(([id, fn]) => [id.replace(/[0-9A-F]{8}$/, ''), fn.Properties?.TracingConfig] as const);
    expect(Object.fromEntries(traced)).toEqual(
      Object.fromEntries(
        ['InventoryReserveInventory', 'InventoryReleaseInventory', 'PaymentsChargePayment', 'PaymentsRefundPayment', 'ShippingCreateShipment', 'ShippingCancelShipment'].map((id) => [id, { Mode: 'PassThrough' }]),
      ),
    );
    const xrayRoles = Object.values(resourcesOf('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties?.PolicyDocument).includes('xray:PutTraceSegments'))
      .flatMap((policy) => [...referencedIds(policy.Properties?.Roles)]);
    const tracedRoles = Object.values(functions())
      .filter((fn) => fn.Properties?.TracingConfig !== undefined)
      .flatMap((fn) => [...referencedIds(fn.Properties?.Role)]);
    const stateMachineRoles = Object.values(resourcesOf('AWS::StepFunctions::StateMachine')).flatMap((machine) => [...referencedIds(machine.Properties?.RoleArn)]);
    expect(xrayRoles.sort()).toEqual([...tracedRoles, ...stateMachineRoles].sort());
  });

  it('write logs only to their own log group, with no AWS managed policy', () => {
    const roles = resourcesOf('AWS::IAM::Role');
    const policies = Object.values(resourcesOf('AWS::IAM::Policy'));
    for (const [id, fn] of Object.entries(functions())) {
      const [roleId] = [...referencedIds(fn.Properties?.Role)];
      const logGroups = referencedIds(fn.Properties?.LoggingConfig);
      const logStatements = policies
        .filter((policy) => referencedIds(policy.Properties?.Roles).has(roleId))
        .flatMap((policy) => (policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown }> }).Statement)
        .filter((statement) => ([] as string[]).concat(statement.Action).some((action) => action.startsWith('logs:')));
      expect({ id, managed: roles[roleId]?.Properties?.ManagedPolicyArns }).toEqual({ id, managed: undefined });
      expect({ id, count: logStatements.length }).toEqual({ id, count: 1 });
      expect({ id, resources: [...referencedIds(logStatements[0]?.Resource)] }).toEqual({ id, resources: [...logGroups] });
    }
  });

  it('keep their logs for a bounded time', () => {
    shopTemplate().allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.anyValue() });
  });

  it('have no physical names', () => {
    for (const fn of Object.values(functions())) expect(fn.Properties?.FunctionName).toBeUndefined();
    for (const table of Object.values(tables())) expect(table.Properties?.TableName).toBeUndefined();
  });
});

describe('tables', () => {
  it('are on-demand with point-in-time recovery', () => {
    shopTemplate().allResourcesProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

  it('are touched only by functions of the service that owns them (health may only read the one key no item has)', () => {
    const tableIds = Object.keys(tables());
    const tableOwner = Object.fromEntries(Object.entries(tables()).map(([id, t]) => [id, serviceOf(t)]));
    const roleOwner = new Map<string, string>();
    for (const fn of Object.values(functions())) {
      for (const roleId of referencedIds(fn.Properties?.Role)) roleOwner.set(roleId, serviceOf(fn));
    }
    const policies = resourcesOf('AWS::IAM::Policy');
    let checked = 0;
    for (const policy of Object.values(policies)) {
      const roles = [...referencedIds(policy.Properties?.Roles)].filter((r) => roleOwner.has(r));
      if (roles.length === 0) continue;
      const statements = (policy.Properties?.PolicyDocument as { Statement: Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }> }).Statement;
      for (const roleId of roles) {
        const owner = roleOwner.get(roleId);
        for (const statement of statements) {
          const touched = [...referencedIds(statement.Resource)].filter((id) => tableIds.includes(id));
          const actions = ([] as string[]).concat(statement.Action);
          for (const tableId of touched) {
            checked += 1;
            if (owner === 'Health') {
              expect(actions).toEqual(['dynamodb:GetItem']);
              expect(statement.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [READY_PROBE_KEY] } });
            }
            else expect({ role: roleId, table: tableOwner[tableId] }).toEqual({ role: roleId, table: owner });
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});

describe('HTTP API', () => {
  const routes = () =>
    Object.values(resourcesOf('AWS::ApiGatewayV2::Route')).map((r) => ({
      key: String(r.Properties?.RouteKey),
      auth: r.Properties?.AuthorizationType,
      authorizer: r.Properties?.AuthorizerId,
    }));
  const declared: Record<string, string> = { ...catalogRoutes, ...inventoryRoutes, ...ordersRoutes, ...shippingRoutes, ...healthRoutes };
  const publicRoutes = new Set(Object.keys(declared).filter((key) => declared[key] === 'public'));

  it('guards every non-public route with the Cognito JWT authorizer, and only those', () => {
    const all = routes();
    expect(all.length).toBeGreaterThan(publicRoutes.size);
    for (const route of all) {
      if (publicRoutes.has(route.key)) expect(route.auth).toBe('NONE');
      else expect(route).toMatchObject({ auth: 'JWT', authorizer: expect.anything() });
    }
    shopTemplate().hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Audience: [Match.anyValue()], Issuer: Match.anyValue() },
    });
  });

  it('serves exactly the routes the services declare', () => {
    expect(routes().map((r) => r.key).sort()).toEqual(Object.keys(declared).sort());
  });

  it('keeps order, inventory and delivery routes behind sign-in', () => {
    for (const key of ['POST /orders', 'GET /orders/{id}', 'PUT /inventory/{productId}', 'POST /shipments/{id}/deliver']) {
      expect(routes().find((r) => r.key === key)).toMatchObject({ auth: 'JWT' });
    }
  });

  it('throttles the stage for a shop\'s peak, and POST /orders and GET /ready (public, and it calls every dependency) tighter', () => {
    shopTemplate().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
      RouteSettings: { 'POST /orders': { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 }, 'GET /ready': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 } },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
  });

  it('lets API Gateway invoke each route\'s function for that route only: its method and its path', () => {
    const permissions = Object.values(resourcesOf('AWS::Lambda::Permission')).filter((p) => p.Properties?.Principal === 'apigateway.amazonaws.com');
    const sourcePaths = permissions.map((p) => {
      const join = (p.Properties?.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
      return String(join[join.length - 1]).replace(/^\/\*\/([A-Z]+)\//, '$1 /');
    });

    expect(sourcePaths.sort()).toEqual(Object.keys(declared).sort());
  });

  it('alarms on 5xx answers', () => {
    shopTemplate().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5xx', Namespace: 'AWS/ApiGateway', Threshold: 0 });
  });

  it('has a user pool with admin and carrier groups, and outputs what a client needs', () => {
    shopTemplate().hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'admin' });
    shopTemplate().hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'carrier' });
    const outputs = shopTemplate().toJSON().Outputs as Record<string, unknown>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['ApiUrl', 'UserPoolId', 'UserPoolClientId', 'EventBusName']));
  });
});

describe('alarms', () => {
  it('may publish to the alarm topic, whose policy (SSL only) replaces the default one that let them', () => {
    shopTemplate().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: { ArnLike: { 'aws:SourceArn': Match.anyValue() }, StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });
});

describe('event bus', () => {
  it('archives events', () => {
    shopTemplate().hasResourceProperties('AWS::Events::Archive', { RetentionDays: 30 });
  });

  it('gives every rule target a retry policy and an SQS dead-letter queue with a depth alarm', () => {
    const rules = Object.values(resourcesOf('AWS::Events::Rule'));
    const queues = resourcesOf('AWS::SQS::Queue');
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm'));
    for (const rule of rules) {
      const targets = rule.Properties?.Targets as Array<Record<string, unknown>>;
      for (const target of targets) {
        expect(target).toMatchObject({ RetryPolicy: { MaximumRetryAttempts: expect.any(Number) }, DeadLetterConfig: { Arn: expect.anything() } });
        const [queueId] = [...referencedIds(target.DeadLetterConfig)];
        expect(queues[queueId]).toBeDefined();
        expect(alarms.some((a: CfnResource) => referencedIds(a.Properties?.Dimensions).has(queueId))).toBe(true);
      }
    }
  });

  it('delivers to consumers through queues that retry for half an hour, then dead-letter, with alarms on both', () => {
    const mappings = Object.values(resourcesOf('AWS::Lambda::EventSourceMapping'));
    const queues = resourcesOf('AWS::SQS::Queue');
    const functions = resourcesOf('AWS::Lambda::Function');
    const alarms = Object.values(resourcesOf('AWS::CloudWatch::Alarm'));
    const alarmed = (queueId: string, metric: string) => alarms.some((a: CfnResource) => a.Properties?.MetricName === metric && referencedIds(a.Properties?.Dimensions).has(queueId));

    expect(mappings).toHaveLength(3);
    for (const mapping of mappings) {
      const [queueId] = [...referencedIds(mapping.Properties?.EventSourceArn)];
      const [functionId] = [...referencedIds(mapping.Properties?.FunctionName)];
      const queue = queues[queueId]?.Properties ?? {};
      const timeout = Number(functions[functionId]?.Properties?.Timeout);
      const redrive = queue.RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: number };
      const [deadLetterId] = [...referencedIds(redrive.deadLetterTargetArn)];

      expect({ functionId, batch: mapping.Properties?.BatchSize, responses: mapping.Properties?.FunctionResponseTypes }).toEqual({ functionId, batch: 10, responses: ['ReportBatchItemFailures'] });
      expect(Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * timeout);
      expect(redrive.maxReceiveCount * Number(queue.VisibilityTimeout)).toBeGreaterThanOrEqual(30 * 60);
      expect({ queueId, backlog: alarmed(queueId, 'ApproximateAgeOfOldestMessage'), deadLetters: alarmed(deadLetterId, 'ApproximateNumberOfMessagesVisible') }).toEqual({ queueId, backlog: true, deadLetters: true });
      expect(functions[functionId]?.Properties?.DeadLetterConfig).toBeUndefined();
    }
  });

  it('encrypts its dead-letter queues and refuses plain HTTP to them', () => {
    for (const [id, queue] of Object.entries(resourcesOf('AWS::SQS::Queue'))) {
      expect({ id, sse: queue.Properties?.SqsManagedSseEnabled }).toEqual({ id, sse: true });
    }
    const policies = Object.values(resourcesOf('AWS::SQS::QueuePolicy'));
    expect(policies.length).toBe(Object.keys(resourcesOf('AWS::SQS::Queue')).length);
    for (const policy of policies) {
      expect(JSON.stringify(policy.Properties?.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });
});

describe('health', () => {
  it('checks the table of every service, the bus, the saga and every function the shop invokes synchronously', () => {
    const health = Object.values(functions()).find((f) => serviceOf(f) === 'Health');
    const checked = referencedIds((health?.Properties?.Environment as { Variables: Record<string, unknown> }).Variables.READY_CHECKS);
    const ids = (type: string) => Object.keys(resourcesOf(type));
    const queries = Object.entries(functions())
      .filter(([, fn]) => /\/(GetPrices|GetPayment|GetShipment)\//.test(pathOf(fn)))
      .map(([id]) => id);

    expect(queries).toHaveLength(3);
    expect([...checked].sort()).toEqual(
      [...ids('AWS::DynamoDB::GlobalTable'), ...ids('AWS::Events::EventBus'), ...ids('AWS::StepFunctions::StateMachine'), ...queries].sort(),
    );
  });
});
