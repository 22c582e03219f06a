import { App, Stack, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { z } from 'zod';
import type { SagaType } from '../../../lib/config/saga-type';
import { ShopBus } from '../../../lib/constructs/shop-bus';
import { OrderCancellation, type OrderCancellationProps } from '../../../lib/orchestration/order-cancellation';
import { OrderSaga, type OrderSagaProps } from '../../../lib/orchestration/order-saga';
import { pathInStackOf, shopTemplate } from '../../cdk/support/template';
import { resolveIntrinsics, type IntrinsicLookups, type JsonValue, type PseudoParameters } from '../../../local/cloudformation/intrinsics';
import { testAppContext } from '../../support/cdk-context';

/**
 * The saga as CloudFormation deploys it: a small stack with the saga, a bus,
 * a topic and six plain functions, synthesized, and its `DefinitionString`
 * resolved to fake ARNs. Saga tests run this definition, not a hand-written
 * copy, so they test what ships.
 */

/** The six task functions the saga invokes, by the prop that receives each. */
export const SAGA_FUNCTIONS = [
  'reserveInventory',
  'releaseInventory',
  'chargePayment',
  'refundPayment',
  'createShipment',
  'cancelShipment',
] as const;
export type SagaFunction = (typeof SAGA_FUNCTIONS)[number];

/** The stack the fake ARNs are in. */
export const TEST_PSEUDO_PARAMETERS: PseudoParameters = { region: 'us-east-1', accountId: '123456789012', stackName: 'SagaTest' };

/** A synthesized saga test stack and the logical ids its assertions need. */
export interface SagaTestStack {
  readonly stack: Stack;
  readonly saga: OrderSaga;
  readonly template: Template;
  /** Logical ids of the six functions. */
  readonly functionIds: Readonly<Record<SagaFunction, string>>;
  readonly busId: string;
  readonly stateMachineId: string;
  readonly stateMachineRoleId: string;
  readonly topicId: string;
}

const logicalIdOf = (construct: Construct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

/**
 * Builds and synthesizes the test stack. Bundling is off (`aws:cdk:bundling-stacks`)
 * and the functions are inline, so synthesis takes no build step.
 */
export const synthesizeSagaStack = (overrides: Partial<Pick<OrderSagaProps, 'compensationRetry' | 'timeout' | 'type'>> = {}): SagaTestStack => {
  const app = new App({ context: testAppContext() });
  const stack = new Stack(app, TEST_PSEUDO_PARAMETERS.stackName);
  const alarmTopic = new Topic(stack, 'Alarms');
  const bus = new ShopBus(stack, 'Events', { alarmTopic });
  const functions = Object.fromEntries(
    SAGA_FUNCTIONS.map((name) => [
      name,
      new LambdaFunction(stack, `${name}Function`, {
        runtime: Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: Code.fromInline('exports.handler = async () => ({});'),
      }),
    ]),
  ) as Record<SagaFunction, LambdaFunction>;
  // An Express saga's durable repair: the cancellation state machine, as the shop wires it.
  const repair =
    overrides.type === 'express'
      ? new OrderCancellation(stack, 'OrderCancellation', { bus, alarmTopic, cancelShipment: functions.cancelShipment, refundPayment: functions.refundPayment, releaseInventory: functions.releaseInventory })
      : undefined;
  const saga = new OrderSaga(stack, 'OrderSaga', { bus, alarmTopic, ...functions, ...(repair ? { repair: repair.stateMachine } : {}), ...overrides });
  const template = Template.fromStack(stack);
  const role = saga.stateMachine.role.node.defaultChild as CfnElement;
  return {
    stack,
    saga,
    template,
    functionIds: Object.fromEntries(SAGA_FUNCTIONS.map((name) => [name, logicalIdOf(functions[name])])) as Record<SagaFunction, string>,
    busId: logicalIdOf(bus.bus),
    stateMachineId: logicalIdOf(saga.stateMachine),
    stateMachineRoleId: stack.getLogicalId(role),
    topicId: logicalIdOf(alarmTopic),
  };
};

/** The fake ARN (and name) a resource of the test stack gets. */
export const fakeArn = (type: string, logicalId: string): string => {
  const { region, accountId } = TEST_PSEUDO_PARAMETERS;
  const [, service = 'unknown', kind = 'resource'] = type.split('::');
  switch (type) {
    case 'AWS::Lambda::Function':
      return `arn:aws:lambda:${region}:${accountId}:function:${logicalId}`;
    case 'AWS::Events::EventBus':
      return `arn:aws:events:${region}:${accountId}:event-bus/${logicalId}`;
    default:
      return `arn:aws:${service.toLowerCase()}:${region}:${accountId}:${kind.toLowerCase()}/${logicalId}`;
  }
};

/** `Ref` gives a resource's logical id as its name, `Fn::GetAtt .Arn` its fake ARN. */
export const fakeLookups = (template: Template): IntrinsicLookups => {
  const resources = template.toJSON().Resources as Record<string, { Type: string }>;
  return {
    ref: (logicalId) => (logicalId in resources ? logicalId : undefined),
    getAtt: (logicalId, attribute) => (logicalId in resources && attribute === 'Arn' ? fakeArn(resources[logicalId].Type, logicalId) : undefined),
  };
};

const retrierSchema = z.looseObject({
  ErrorEquals: z.array(z.string()).min(1),
  IntervalSeconds: z.number().optional(),
  MaxAttempts: z.number().optional(),
  BackoffRate: z.number().optional(),
  MaxDelaySeconds: z.number().optional(),
  JitterStrategy: z.enum(['FULL', 'NONE']).optional(),
});
const catcherSchema = z.looseObject({ ErrorEquals: z.array(z.string()).min(1), Next: z.string(), ResultPath: z.string().nullable().optional() });
const stateSchema = z.looseObject({
  Type: z.enum(['Task', 'Pass', 'Succeed', 'Fail', 'Choice', 'Wait', 'Parallel', 'Map']),
  Next: z.string().optional(),
  End: z.boolean().optional(),
  Resource: z.string().optional(),
  Parameters: z.unknown().optional(),
  ResultPath: z.string().nullable().optional(),
  Result: z.unknown().optional(),
  Retry: z.array(retrierSchema).optional(),
  Catch: z.array(catcherSchema).optional(),
  Error: z.string().optional(),
  Cause: z.string().optional(),
});
const definitionSchema = z.looseObject({
  StartAt: z.string(),
  States: z.record(z.string(), stateSchema),
  TimeoutSeconds: z.number().optional(),
  QueryLanguage: z.string().optional(),
});

/** A resolved Amazon States Language definition, typed as far as the saga tests read it. */
export type SagaDefinition = z.infer<typeof definitionSchema>;
export type SagaState = z.infer<typeof stateSchema>;

/** The synthesized saga definition with every intrinsic resolved to the fake ARNs. */
export const resolvedDefinition = (synthesized: Pick<SagaTestStack, 'template' | 'stateMachineId'>): SagaDefinition => {
  const resources = synthesized.template.toJSON().Resources as Record<string, { readonly Properties?: Record<string, unknown> }>;
  const definitionString = resources[synthesized.stateMachineId]?.Properties?.DefinitionString;
  const resolved: JsonValue = resolveIntrinsics(
    definitionString,
    { lookups: fakeLookups(synthesized.template), pseudoParameters: TEST_PSEUDO_PARAMETERS },
    `Resources.${synthesized.stateMachineId}.Properties.DefinitionString`,
  );
  if (typeof resolved !== 'string') throw new Error(`DefinitionString resolved to ${typeof resolved}, not a string`);
  return definitionSchema.parse(JSON.parse(resolved));
};

/** The three functions the cancellation state machine invokes. */
export const CANCELLATION_FUNCTIONS = ['cancelShipment', 'refundPayment', 'releaseInventory'] as const;
export type CancellationFunction = (typeof CANCELLATION_FUNCTIONS)[number];

/** A synthesized cancellation test stack and the logical ids its assertions need. */
export interface CancellationTestStack {
  readonly stack: Stack;
  readonly cancellation: OrderCancellation;
  readonly template: Template;
  readonly functionIds: Readonly<Record<CancellationFunction, string>>;
  readonly busId: string;
  readonly stateMachineId: string;
  readonly stateMachineRoleId: string;
  readonly topicId: string;
}

/** Like {@link synthesizeSagaStack}, for the cancellation state machine. */
export const synthesizeCancellationStack = (overrides: Partial<Pick<OrderCancellationProps, 'compensationRetry' | 'timeout'>> = {}): CancellationTestStack => {
  const app = new App({ context: testAppContext() });
  const stack = new Stack(app, TEST_PSEUDO_PARAMETERS.stackName);
  const alarmTopic = new Topic(stack, 'Alarms');
  const bus = new ShopBus(stack, 'Events', { alarmTopic });
  const functions = Object.fromEntries(
    CANCELLATION_FUNCTIONS.map((name) => [
      name,
      new LambdaFunction(stack, `${name}Function`, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({});') }),
    ]),
  ) as Record<CancellationFunction, LambdaFunction>;
  const cancellation = new OrderCancellation(stack, 'OrderCancellation', { bus, alarmTopic, ...functions, ...overrides });
  const template = Template.fromStack(stack);
  return {
    stack,
    cancellation,
    template,
    functionIds: Object.fromEntries(CANCELLATION_FUNCTIONS.map((name) => [name, logicalIdOf(functions[name])])) as Record<CancellationFunction, string>,
    busId: logicalIdOf(bus.bus),
    stateMachineId: logicalIdOf(cancellation.stateMachine),
    stateMachineRoleId: stack.getLogicalId(cancellation.stateMachine.role.node.defaultChild as CfnElement),
    topicId: logicalIdOf(alarmTopic),
  };
};

/**
 * A state machine that ships: one of the app's own ShopStack (the one `cdk
 * deploy` and `npm start` run), found by the construct it belongs to
 * (`OrderSaga`, `OrderCancellation`), resolved like the test stacks', with
 * the ARN of the shop's bus.
 */
export const shopStateMachineDefinition = (construct: 'OrderSaga' | 'OrderCancellation', sagaType?: SagaType): { readonly definition: SagaDefinition; readonly busArn: string } => {
  const template = shopTemplate(sagaType);
  const only = (type: string, filter: (resource: { Type: string; Metadata?: Record<string, unknown> }) => boolean = () => true): string => {
    const ids = Object.entries(template.findResources(type)).filter(([, resource]) => filter({ Type: type, ...resource } as never)).map(([id]) => id);
    if (ids.length !== 1) throw new Error(`The shop has ${ids.length} ${type} (${construct}), expected one`);
    return ids[0];
  };
  const stateMachineId = only('AWS::StepFunctions::StateMachine', (resource) => pathInStackOf(resource).startsWith(`${construct}/`));
  const definitionString = (template.toJSON().Resources as Record<string, { Properties?: Record<string, unknown> }>)[stateMachineId]?.Properties?.DefinitionString;
  const resolved = resolveIntrinsics(definitionString, { lookups: fakeLookups(template), pseudoParameters: TEST_PSEUDO_PARAMETERS }, `Resources.${stateMachineId}.Properties.DefinitionString`);
  if (typeof resolved !== 'string') throw new Error(`DefinitionString resolved to ${typeof resolved}, not a string`);
  return { definition: definitionSchema.parse(JSON.parse(resolved)), busArn: fakeArn('AWS::Events::EventBus', only('AWS::Events::EventBus')) };
};

/** The saga that ships (see {@link shopStateMachineDefinition}), of the default type or the one given. */
export const shopSagaDefinition = (sagaType?: SagaType) => shopStateMachineDefinition('OrderSaga', sagaType);

/** Synthesizes the default saga stack and returns its resolved definition. */
export const sagaDefinition = (overrides?: Parameters<typeof synthesizeSagaStack>[0]): SagaDefinition => resolvedDefinition(synthesizeSagaStack(overrides));

/**
 * What a CDK test of a state machine reads it with: its resolved definition,
 * one of its states (failing when it has none), a function's fake ARN, and
 * any value of the template with its intrinsics resolved.
 */
export const inspectStateMachine = <F extends string>(
  synthesized: Pick<SagaTestStack, 'template' | 'stateMachineId'> & { readonly functionIds: Readonly<Record<F, string>> },
) => {
  const definition = resolvedDefinition(synthesized);
  return {
    definition,
    resolve: (value: unknown): JsonValue => resolveIntrinsics(value, { lookups: fakeLookups(synthesized.template), pseudoParameters: TEST_PSEUDO_PARAMETERS }),
    functionArn: (name: F): string => fakeArn('AWS::Lambda::Function', synthesized.functionIds[name]),
    state: (name: string) => {
      const found = definition.States[name];
      if (found === undefined) throw new Error(`no state ${name}`);
      return found;
    },
  };
};
