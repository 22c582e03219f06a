import { UnsupportedFeatureError } from '../../local/errors';
import { IamAuthorizer, type IamDenial } from '../../local/iam/authorizer';
import { unusedGrants } from '../../local/iam/coverage';
import { PolicyModel } from '../../local/iam/policy-model';
import { CredentialRegistry, roleSession, servicePrincipal, ADMINISTRATOR } from '../../local/iam/principals';
import type { LocalResource } from '../../local/resources';
import { failureOf, functionArn, queueArn, resource } from '../support/local-resources';

const ACCOUNT = '000000000000';
const roleArn = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const tableArn = (name: string) => `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/${name}`;

const trust = (service: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }] });
const role = (id: string, service = 'lambda.amazonaws.com', extra: Record<string, unknown> = {}): LocalResource =>
  resource(id, 'AWS::IAM::Role', { AssumeRolePolicyDocument: trust(service), ...extra }, roleArn(id));
const policy = (id: string, roleId: string, statements: unknown[]): LocalResource =>
  resource(id, 'AWS::IAM::Policy', { PolicyName: id, Roles: [roleId], PolicyDocument: { Version: '2012-10-17', Statement: statements } });
const fn = (id: string): LocalResource => resource(id, 'AWS::Lambda::Function', { Role: roleArn(`${id}Role`) }, functionArn(id));

/** A template: an orders function whose role may read and write its table, and an API permission. */
const template = (statements: unknown[] = [{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tableArn('Orders') }]): LocalResource[] => [
  role('OrdersRole'),
  policy('OrdersPolicy', 'OrdersRole', statements),
  fn('Orders'),
  resource('OrdersPermission', 'AWS::Lambda::Permission', {
    Action: 'lambda:InvokeFunction',
    FunctionName: functionArn('Orders'),
    Principal: 'apigateway.amazonaws.com',
    SourceArn: `arn:aws:execute-api:us-east-1:${ACCOUNT}:api/*/GET/orders`,
  }),
];

const setup = (resources = template(), mode: 'strict' | 'soft' | 'off' = 'strict') => {
  const model = PolicyModel.fromResources(resources);
  const heard: IamDenial[] = [];
  const authorizer = new IamAuthorizer(model, { mode, onDenied: (denial) => heard.push(denial) });
  const orders = roleSession(model.role(roleArn('OrdersRole')) ?? fail('no role'), 'Orders', 'function');
  return { model, authorizer, orders, heard };
};

const fail = (message: string): never => {
  throw new Error(message);
};

describe('IAM authorizer', () => {
  it('allows what an identity policy grants and denies the rest with the message AWS gives', async () => {
    // Prepare
    const { authorizer, orders } = setup();

    // Act
    const allowed = await authorizer.check({ principal: orders, action: 'dynamodb:GetItem', resource: tableArn('Orders') });
    const denied = await authorizer.check({ principal: orders, action: 'dynamodb:DeleteItem', resource: tableArn('Orders') });

    // Assess
    expect(allowed).toBeUndefined();
    expect(denied?.message).toBe(
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/OrdersRole/Orders is not authorized to perform: dynamodb:DeleteItem on resource: ${tableArn('Orders')} because no identity-based policy allows the dynamodb:DeleteItem action`,
    );
  });

  it('names an explicit deny as AWS does', async () => {
    // Prepare
    const { authorizer, orders } = setup(
      template([
        { Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' },
        { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: tableArn('Orders') },
      ]),
    );

    // Act
    const denied = await authorizer.check({ principal: orders, action: 'dynamodb:DeleteItem', resource: tableArn('Orders') });

    // Assess
    expect(denied).toMatchObject({ explicit: true, message: expect.stringMatching(/with an explicit deny in an identity-based policy$/) });
  });

  it("evaluates a service against the target's resource policy, source ARN included", async () => {
    // Prepare
    const { authorizer } = setup();
    const apiGateway = servicePrincipal('apigateway.amazonaws.com');
    const call = (sourceArn: string) => authorizer.check({ principal: apiGateway, action: 'lambda:InvokeFunction', resource: functionArn('Orders'), context: { 'aws:SourceArn': sourceArn } });

    // Act
    const fromRoute = await call(`arn:aws:execute-api:us-east-1:${ACCOUNT}:api/$default/GET/orders`);
    const fromOtherRoute = await call(`arn:aws:execute-api:us-east-1:${ACCOUNT}:api/$default/DELETE/orders`);

    // Assess
    expect(fromRoute).toBeUndefined();
    expect(fromOtherRoute?.message).toMatch(/because no resource-based policy allows the lambda:InvokeFunction action$/);
  });

  it('denies everything a role has no statement for, even a service principal it does not trust', async () => {
    // Prepare
    const { authorizer, model } = setup();
    const ordersRole = model.role('OrdersRole') ?? fail('no role');

    // Act
    const lambda = await authorizer.check({ principal: servicePrincipal('lambda.amazonaws.com'), action: 'sts:AssumeRole', resource: ordersRole.arn, resourcePolicy: ordersRole.trustPolicy });
    const states = await authorizer.check({ principal: servicePrincipal('states.amazonaws.com'), action: 'sts:AssumeRole', resource: ordersRole.arn, resourcePolicy: ordersRole.trustPolicy });

    // Assess
    expect(lambda).toBeUndefined();
    expect(states?.action).toBe('sts:AssumeRole');
  });

  it('in soft mode reports what AWS would deny and lets it through; off evaluates nothing', async () => {
    // Prepare
    const soft = setup(template(), 'soft');
    const off = setup(template(), 'off');

    // Act
    const softResult = await soft.authorizer.check({ principal: soft.orders, action: 'dynamodb:Scan', resource: tableArn('Orders') });
    const offResult = await off.authorizer.check({ principal: off.orders, action: 'dynamodb:Scan', resource: tableArn('Orders') });

    // Assess
    expect(softResult).toBeUndefined();
    expect(soft.heard).toEqual([expect.objectContaining({ action: 'dynamodb:Scan', enforced: false })]);
    expect(offResult).toBeUndefined();
    expect(off.heard).toEqual([]);
  });

  it('lets the administrator (credentials it did not mint) do anything', async () => {
    // Prepare
    const { authorizer } = setup();

    // Act
    const result = await authorizer.check({ principal: ADMINISTRATOR, action: 'dynamodb:DeleteTable', resource: tableArn('Orders') });

    // Assess
    expect(result).toBeUndefined();
  });

  it("decides on the condition keys the principal's own policies use, whatever another role's policies use", async () => {
    // Prepare: the probe may read one partition key only; the orders role any item.
    const resources = [
      ...template(),
      role('ProbeRole'),
      policy('ProbePolicy', 'ProbeRole', [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn('Orders'), Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['PROBE'] } } }]),
    ];
    const { authorizer, orders, model } = setup(resources);
    const probe = roleSession(model.role(roleArn('ProbeRole')) ?? fail('no role'), 'Probe', 'function');
    const get = (principal: typeof orders, key: string) => authorizer.check({ principal, action: 'dynamodb:GetItem', resource: tableArn('Orders'), context: { 'dynamodb:LeadingKeys': [key] } });

    // Act
    const probeOwn = await get(probe, 'PROBE');
    const probeOther = await get(probe, 'ORDER#1');
    const probeOwnAgain = await get(probe, 'PROBE');
    const ordersAny = [await get(orders, 'ORDER#1'), await get(orders, 'ORDER#2')];

    // Assess
    expect(probeOwn).toBeUndefined();
    expect(probeOther?.action).toBe('dynamodb:GetItem');
    expect(probeOwnAgain).toBeUndefined();
    expect(ordersAny).toEqual([undefined, undefined]);
  });

  it('records which statement alone allowed each call', async () => {
    // Prepare
    const { authorizer, orders } = setup(
      template([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn('Orders') },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tableArn('Orders') },
      ]),
    );

    // Act
    await authorizer.check({ principal: orders, action: 'dynamodb:GetItem', resource: tableArn('Orders') });
    await authorizer.check({ principal: orders, action: 'dynamodb:PutItem', resource: tableArn('Orders') });

    // Assess
    const byAction = Object.fromEntries(authorizer.grants().map((grant) => [grant.action, grant.statements.map((statement) => statement.key)]));
    expect(byAction).toEqual({ 'dynamodb:GetItem': ['OrdersPolicy#1', 'OrdersPolicy#2'], 'dynamodb:PutItem': ['OrdersPolicy#2'] });
  });
});

describe('grant coverage', () => {
  it('names every action/resource pair no call needed on its own, redundant statements included', async () => {
    // Prepare: statement 1 duplicates part of statement 2; the table's DeleteItem and the queue are never called.
    const { authorizer, orders, model } = setup(
      template([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: tableArn('Orders') },
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: [tableArn('Orders'), queueArn('Q')] },
      ]),
    );
    await authorizer.check({ principal: orders, action: 'dynamodb:GetItem', resource: tableArn('Orders') });
    await authorizer.check({ principal: orders, action: 'dynamodb:PutItem', resource: tableArn('Orders') });

    // Act
    const unused = unusedGrants(model, authorizer.grants(), new Set(['identity'])).map((grant) => `${grant.key} ${grant.action} ${grant.resource.split(':').pop() ?? ''}`);

    // Assess
    expect(unused).toEqual([
      'OrdersPolicy#1 dynamodb:GetItem table/Orders',
      'OrdersPolicy#2 dynamodb:GetItem table/Orders',
      'OrdersPolicy#2 dynamodb:GetItem Q',
      'OrdersPolicy#2 dynamodb:PutItem Q',
      'OrdersPolicy#2 dynamodb:DeleteItem table/Orders',
      'OrdersPolicy#2 dynamodb:DeleteItem Q',
    ]);
  });
});

describe('the policy model', () => {
  it('refuses a condition key the local cloud does not fill in, naming the resource and the statement', () => {
    // Prepare
    const resources = template([{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*', Condition: { StringEquals: { 'aws:PrincipalTag/team': 'orders' } } }]);

    // Act
    const error = failureOf(() => PolicyModel.fromResources(resources));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedFeatureError);
    expect(String(error)).toMatch(/OrdersPolicy \(AWS::IAM::Policy\): PolicyDocument\.Statement\[0\]\.Condition\.StringEquals\.aws:PrincipalTag\/team — the condition key/);
  });

  it('refuses a malformed policy as IAM would at deploy time', () => {
    // Prepare
    const resources = template([{ Effect: 'Maybe', Action: 'dynamodb:GetItem', Resource: '*' }]);

    // Act
    const error = failureOf(() => PolicyModel.fromResources(resources));

    // Assess
    expect(String(error)).toMatch(/OrdersPolicy \(AWS::IAM::Policy\): PolicyDocument.*MalformedPolicyDocument/);
  });

  it('refuses an AWS managed policy whose document it does not know', () => {
    // Prepare
    const resources = [role('R', 'lambda.amazonaws.com', { ManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess'] })];

    // Act
    const error = failureOf(() => PolicyModel.fromResources(resources));

    // Assess
    expect(String(error)).toMatch(/R \(AWS::IAM::Role\): ManagedPolicyArns\[0\] — arn:aws:iam::aws:policy\/AmazonDynamoDBFullAccess/);
  });

  it("gives a topic without a policy SNS's default one: the owner account may publish", async () => {
    // Prepare
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:Alarms`;
    const model = PolicyModel.fromResources([resource('Alarms', 'AWS::SNS::Topic', {}, topicArn)]);
    const authorizer = new IamAuthorizer(model);

    // Act
    const denial = await authorizer.check({
      principal: servicePrincipal('cloudwatch.amazonaws.com'),
      action: 'sns:Publish',
      resource: topicArn,
      context: { 'aws:SourceOwner': ACCOUNT, 'aws:SourceArn': `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:A` },
    });

    // Assess
    expect(denial).toBeUndefined();
  });
});

describe('credentials', () => {
  it('tell principals apart by the access key id a request is signed with', () => {
    // Prepare
    const registry = new CredentialRegistry();
    const model = PolicyModel.fromResources(template());
    const orders = roleSession(model.role('OrdersRole') ?? fail('no role'), 'Orders', 'function');
    const minted = registry.mint(orders);
    const header = (key: string) => `AWS4-HMAC-SHA256 Credential=${key}/20261204/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=abc`;

    // Act
    const signer = registry.principalOf(header(minted.accessKeyId));
    const stranger = registry.principalOf(header('AKIAEXAMPLE'));

    // Assess
    expect(minted.accessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(registry.mint(orders)).toEqual(minted);
    expect(signer).toBe(orders);
    expect(stranger).toBe(ADMINISTRATOR);
  });
});
