/**
 * The service integrations of the local Step Functions engine: what a Task
 * state's `Resource` designates, the static checks of its `Parameters`, and
 * the adapter that performs the call through the local cloud's own services
 * and answers what AWS answers (result shape, error names, causes).
 */
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  type GetItemCommandInput,
  type PutItemCommandInput,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import type { JsonValue } from '../cloudformation/intrinsics';

/** What a dependency learns about the Task attempt it serves. */
export interface TaskCall {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateName: string;
  /** 1-based attempt since the state was entered (retries count up). */
  readonly attempt: number;
}

/** A function's answer, as Lambda's Invoke reports it (`LambdaRuntime.invoke` returns this shape). */
export type FunctionInvocation =
  | { readonly ok: true; readonly payload: unknown }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string; readonly trace?: readonly string[] } };

/**
 * Invokes a function synchronously (RequestResponse). Resolve with the
 * function's result or its error (see `functionError` for the names Step
 * Functions gives them); reject only for an error of the Lambda service
 * itself: an error named `<Name>Exception` is Lambda's exception of that
 * name (`Lambda.ResourceNotFoundException`, `Lambda.TooManyRequestsException`,
 * `Lambda.AWSLambdaException` for one Lambda does not model), a `TimeoutError`
 * is `Lambda.ClientExecutionTimeoutException`, anything else a failure to
 * reach Lambda (`Lambda.SdkClientException`).
 */
export type InvokeFunction = (functionNameOrArn: string, payload: JsonValue, call: TaskCall) => Promise<FunctionInvocation>;

/** One `PutEvents` entry as the API takes it: `Detail` is JSON text. */
export interface EventEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly Resources?: readonly string[];
  readonly Time?: string;
  readonly TraceHeader?: string;
}

/** `PutEvents`' answer (`EventBridgeEmulator.putEvents` returns this shape). */
export interface PutEventsResponse {
  readonly FailedEntryCount: number;
  readonly Entries: readonly ({ readonly EventId: string } | { readonly ErrorCode: string; readonly ErrorMessage: string })[];
}

/** Puts events on the local buses; reject only when the request as a whole is refused. */
export type PutEvents = (entries: readonly EventEntry[], call: TaskCall) => PutEventsResponse | Promise<PutEventsResponse>;

/** A `StartExecution` request, as a `states:startExecution` task makes it (`input` is JSON text). */
export interface StartExecutionCall {
  readonly stateMachineArn: string;
  readonly input: string;
  readonly name?: string;
}

/**
 * Starts an execution (`StepFunctionsEmulator.startExecution` has this shape,
 * with the IAM check of the calling state machine's role in front). Resolve
 * with what `StartExecution` answers; reject with an error named as the Step
 * Functions API names it (`ExecutionAlreadyExists`, `StateMachineDoesNotExist`,
 * `AccessDeniedException`...), as the local AWS endpoint's `AwsServiceError` is.
 */
export type StartExecution = (request: StartExecutionCall, call: TaskCall) => Promise<{ readonly executionArn: string; readonly startDate: Date }>;

/**
 * The local services a definition's Task states call. Each is optional: a
 * definition using an integration whose dependency is missing is refused
 * when it is loaded, naming the state.
 */
export interface EngineDeps {
  /** For Lambda function ARNs and `arn:aws:states:::lambda:invoke`. */
  readonly invokeFunction?: InvokeFunction;
  /** For `arn:aws:states:::events:putEvents`. */
  readonly putEvents?: PutEvents;
  /**
   * For `arn:aws:states:::dynamodb:putItem|getItem|updateItem|deleteItem` (low-level client: attribute values as in
   * ASL); a function gives each state machine its own client (signed with its role's credentials).
   */
  readonly dynamoDb?: DynamoDBClient | ((stateMachineArn: string) => DynamoDBClient);
  /**
   * For `arn:aws:states:::states:startExecution` (request-response only). Optional, as
   * every dependency: a definition with such a task and no `startExecution` is refused when it is loaded.
   */
  readonly startExecution?: StartExecution;
}

/**
 * The errors no `Retry` and no `Catch` applies to, not even `States.ALL` or
 * `States.TaskFailed`: the execution fails at once. "States.ALL ... can't
 * catch the States.DataLimitExceeded terminal error type and runtime error
 * types" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation).
 */
export const TERMINAL_ERRORS: ReadonlySet<string> = new Set(['States.DataLimitExceeded', 'States.Runtime']);

/**
 * A state failed with this error: `name` is what Retry and Catch match
 * (`Error`), `message` is the `Cause`, as aws-local-stepfunctions builds the
 * catcher output from them. A {@link TERMINAL_ERRORS terminal} error says so
 * through `isRetryable`/`isCatchable`, which the library reads before it
 * applies a retrier or a catcher.
 */
export class StateFailedError extends Error {
  public constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }

  /** False for a terminal error: aws-local-stepfunctions then applies no retrier. */
  public get isRetryable(): boolean {
    return !TERMINAL_ERRORS.has(this.name);
  }

  /** False for a terminal error: aws-local-stepfunctions then applies no catcher. */
  public get isCatchable(): boolean {
    return !TERMINAL_ERRORS.has(this.name);
  }
}

/** A Task attempt failed with this error (the integration's or the function's). */
export class TaskFailedError extends StateFailedError {}

/** Why a Task state cannot run locally; the engine turns it into an UnsupportedFeatureError. */
export class IntegrationRefusal {
  public constructor(
    /** Property path below the state, e.g. `Resource` or `Parameters.Qualifier`. */
    public readonly property: string,
    public readonly detail: string,
  ) {}
}

/** How a Task state is run locally, and what AWS's history calls it. */
export interface TaskIntegration {
  /** `lambda-function` is the `Resource: <function ARN>` form (history: `LambdaFunction*` events). */
  readonly kind: 'lambda-function' | 'lambda:invoke' | 'events:putEvents' | 'dynamodb' | 'states:startExecution';
  /** History `resourceType`: `lambda`, `events`, `dynamodb`, `states`. */
  readonly resourceType: string;
  /** History `resource`: `invoke`, `putEvents`, `putItem`, `startExecution`...; the function ARN for `lambda-function`. */
  readonly resource: string;
  readonly run: (parameters: JsonValue, call: TaskCall) => Promise<JsonValue>;
}

const DYNAMODB_OPERATIONS = {
  putItem: [
    'TableName',
    'Item',
    'ConditionExpression',
    'ExpressionAttributeNames',
    'ExpressionAttributeValues',
    'ReturnValues',
    'ReturnConsumedCapacity',
    'ReturnItemCollectionMetrics',
    'ReturnValuesOnConditionCheckFailure',
    'ConditionalOperator',
    'Expected',
  ],
  getItem: ['TableName', 'Key', 'ConsistentRead', 'ProjectionExpression', 'ExpressionAttributeNames', 'ReturnConsumedCapacity', 'AttributesToGet'],
  updateItem: [
    'TableName',
    'Key',
    'UpdateExpression',
    'ConditionExpression',
    'ExpressionAttributeNames',
    'ExpressionAttributeValues',
    'ReturnValues',
    'ReturnConsumedCapacity',
    'ReturnItemCollectionMetrics',
    'ReturnValuesOnConditionCheckFailure',
    'AttributeUpdates',
    'ConditionalOperator',
    'Expected',
  ],
  deleteItem: [
    'TableName',
    'Key',
    'ConditionExpression',
    'ExpressionAttributeNames',
    'ExpressionAttributeValues',
    'ReturnValues',
    'ReturnConsumedCapacity',
    'ReturnItemCollectionMetrics',
    'ReturnValuesOnConditionCheckFailure',
    'ConditionalOperator',
    'Expected',
  ],
} as const satisfies Record<string, readonly string[]>;
type DynamoDbOperation = keyof typeof DYNAMODB_OPERATIONS;

const LAMBDA_INVOKE_PARAMETERS = ['FunctionName', 'Payload', 'InvocationType'];
/** What the `states:startExecution` integration passes to StartExecution (https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html). */
const START_EXECUTION_PARAMETERS = ['StateMachineArn', 'Name', 'Input'];
const PUT_EVENTS_ENTRY_FIELDS = ['Detail', 'DetailType', 'EventBusName', 'Resources', 'Source', 'Time', 'TraceHeader'];
const MAX_PUT_EVENTS_ENTRIES = 10;
/**
 * "Maximum input or output size for a task, state, or execution: 256 KiB of
 * data as a UTF-8 encoded string. This quota affects tasks (activity, Lambda
 * function, or integrated service), state or execution output, and input data
 * when scheduling a task, entering a state, or starting an execution."
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 * Over it, a state fails with the terminal `States.DataLimitExceeded`.
 */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/** Size of a value as Step Functions counts it: its JSON text, in UTF-8 bytes. */
export const payloadBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;
const OPTIMIZED = /^arn:aws[a-z-]*:states:::([a-z0-9-]+):([A-Za-z]+)(\.[A-Za-z]+(?::\d+)?)?$/;

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A Parameters key without its `.$` (the value is then a path or an intrinsic function). */
const bareKey = (key: string): string => (key.endsWith('.$') ? key.slice(0, -2) : key);

const checkKeys = (value: unknown, known: readonly string[], property: string): void => {
  if (!isRecord(value)) throw new IntegrationRefusal(property, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!known.includes(bareKey(key))) throw new IntegrationRefusal(`${property}.${key}`, `not a parameter the local integration supports (known: ${known.join(', ')})`);
  }
};

/**
 * Resolves a Task state's `Resource` to its local integration and checks
 * the literal parts of its `Parameters`.
 *
 * @throws {IntegrationRefusal} for a resource with no local adapter (SDK
 *   integrations, activities, `.sync`/`.waitForTaskToken` patterns), a
 *   missing dependency, or a parameter the adapter would ignore.
 */
export const integrationFor = (resource: unknown, parameters: unknown, deps: EngineDeps): TaskIntegration => {
  if (typeof resource !== 'string') throw new IntegrationRefusal('Resource', 'a Task state needs a Resource string');
  if (FUNCTION_ARN.test(resource)) {
    const invoke = deps.invokeFunction;
    if (!invoke) throw new IntegrationRefusal('Resource', 'a Lambda task, but the engine was given no invokeFunction');
    return { kind: 'lambda-function', resourceType: 'lambda', resource, run: (payload, call) => invokeLambda(invoke, resource, payload, call) };
  }
  if (/:activity:/.test(resource)) throw new IntegrationRefusal('Resource', 'activities are not emulated (no worker can poll GetActivityTask locally)');
  if (/^arn:aws[a-z-]*:states:::aws-sdk:/.test(resource)) throw new IntegrationRefusal('Resource', `AWS SDK integrations (${resource}) have no local adapter`);
  const match = OPTIMIZED.exec(resource);
  if (!match) throw new IntegrationRefusal('Resource', `no local adapter for ${resource}`);
  const [, service, action, pattern] = match;
  if (pattern?.startsWith('.waitForTaskToken')) {
    throw new IntegrationRefusal('Resource', 'the .waitForTaskToken (callback) pattern is not emulated: nothing locally sends SendTaskSuccess');
  }
  if (pattern?.startsWith('.sync') && service === 'states') {
    throw new IntegrationRefusal('Resource', `the ${pattern} (start and wait for the child execution) pattern of states:${action} is not emulated; only request-response arn:aws:states:::states:startExecution is`);
  }
  if (pattern?.startsWith('.sync')) throw new IntegrationRefusal('Resource', 'the .sync (run a job and wait) pattern is not emulated');
  if (pattern !== undefined) throw new IntegrationRefusal('Resource', `the integration pattern ${pattern} is not emulated`);

  if (service === 'lambda' && action === 'invoke') {
    const invoke = deps.invokeFunction;
    if (!invoke) throw new IntegrationRefusal('Resource', 'a Lambda task, but the engine was given no invokeFunction');
    checkKeys(parameters, LAMBDA_INVOKE_PARAMETERS, 'Parameters');
    const literal = parameters as Record<string, unknown>;
    if (!('FunctionName' in literal) && !('FunctionName.$' in literal)) throw new IntegrationRefusal('Parameters.FunctionName', 'lambda:invoke needs a FunctionName');
    if ('InvocationType' in literal && literal.InvocationType !== 'RequestResponse') {
      throw new IntegrationRefusal('Parameters.InvocationType', 'only RequestResponse is emulated (Event and DryRun are not)');
    }
    return { kind: 'lambda:invoke', resourceType: 'lambda', resource: 'invoke', run: (input, call) => lambdaInvoke(invoke, input, call) };
  }
  if (service === 'events' && action === 'putEvents') {
    const put = deps.putEvents;
    if (!put) throw new IntegrationRefusal('Resource', 'an events:putEvents task, but the engine was given no putEvents');
    checkKeys(parameters, ['Entries'], 'Parameters');
    const entries = (parameters as Record<string, unknown>).Entries;
    if (Array.isArray(entries)) entries.forEach((entry, i) => checkKeys(entry, PUT_EVENTS_ENTRY_FIELDS, `Parameters.Entries[${i}]`));
    return { kind: 'events:putEvents', resourceType: 'events', resource: 'putEvents', run: (input, call) => putEventsTask(put, input, call) };
  }
  if (service === 'dynamodb' && action in DYNAMODB_OPERATIONS) {
    const client = deps.dynamoDb;
    if (!client) throw new IntegrationRefusal('Resource', 'a dynamodb task, but the engine was given no DynamoDB client');
    const operation = action as DynamoDbOperation;
    checkKeys(parameters, DYNAMODB_OPERATIONS[operation], 'Parameters');
    const clientFor = (call: TaskCall): DynamoDBClient => (typeof client === 'function' ? client(call.stateMachineArn) : client);
    return { kind: 'dynamodb', resourceType: 'dynamodb', resource: operation, run: (input, call) => dynamoDbTask(clientFor(call), operation, input) };
  }
  if (service === 'states' && action === 'startExecution') {
    const start = deps.startExecution;
    if (!start) throw new IntegrationRefusal('Resource', 'a states:startExecution task, but the engine was given no startExecution');
    checkKeys(parameters, START_EXECUTION_PARAMETERS, 'Parameters');
    const literal = parameters as Record<string, unknown>;
    if (!('StateMachineArn' in literal) && !('StateMachineArn.$' in literal)) throw new IntegrationRefusal('Parameters.StateMachineArn', 'states:startExecution needs a StateMachineArn');
    return { kind: 'states:startExecution', resourceType: 'states', resource: 'startExecution', run: (input, call) => startExecutionTask(start, input, call) };
  }
  throw new IntegrationRefusal(
    'Resource',
    `no local adapter for ${resource} (emulated: Lambda functions, lambda:invoke, events:putEvents, dynamodb:${Object.keys(DYNAMODB_OPERATIONS).join('|')}, states:startExecution)`,
  );
};

// ---------------------------------------------------------------------------
// Lambda
// ---------------------------------------------------------------------------

const awsErrorCause = (service: string, message: string, status: number, code: string): string =>
  `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;

/** The base exception of each service's Java SDK, which Step Functions names unmodeled errors after. */
const BASE_EXCEPTION: Readonly<Record<string, string>> = {
  Lambda: 'AWSLambdaException',
  EventBridge: 'AmazonEventBridgeException',
  DynamoDB: 'AmazonDynamoDBException',
  StepFunctions: 'AWSStepFunctionsException',
};

/** HTTP statuses of the exceptions a local service may throw without one. */
const STATUS_BY_EXCEPTION: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
  RequestTooLargeException: 413,
  ServiceException: 500,
};

const statusOf = (error: Error): number => {
  const candidate = (error as { statusCode?: unknown; $metadata?: { httpStatusCode?: unknown } }).statusCode ?? (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof candidate === 'number' ? candidate : (STATUS_BY_EXCEPTION[error.name] ?? 500);
};

/**
 * Which exceptions a service's SDK models, and the base exception it throws
 * for any other error code. Step Functions calls the services with the AWS
 * SDK for Java (its causes read "(Service: AWSLambda; Status Code: 500; Error
 * Code: ...; Request ID: ...; Proxy: null)"), and names the error after the
 * exception class it gets: a modeled one by its name, any other code by the
 * base class (`Lambda.AWSLambdaException`).
 */
interface ServiceModel {
  readonly exceptions: ReadonlySet<string>;
  readonly base: string;
}

/** Errors that carry their Step Functions name already (a local service may throw them so). */
const NAMED_ERROR = /^(Lambda|Sandbox|Runtime|States|EventBridge|DynamoDB|StepFunctions)\./;

/**
 * An error of the service behind an integration, named as Step Functions
 * names it: `<Prefix>.<ExceptionName>` for an error of the service (with the
 * Java SDK's cause), `<Prefix>.SdkClientException` for a failure to reach it
 * (no answer), `<Prefix>.ClientExecutionTimeoutException` for a call that
 * timed out on the client's side. An error already carrying a Step
 * Functions name keeps its name and message.
 */
const serviceError = (prefix: string, service: string, error: unknown, model?: ServiceModel): TaskFailedError => {
  if (error instanceof TaskFailedError) return error;
  if (!(error instanceof Error)) return new TaskFailedError(`${prefix}.SdkClientException`, String(error));
  if (NAMED_ERROR.test(error.name)) return new TaskFailedError(error.name, error.message);
  if (error.name === 'TimeoutError' || error.name === 'ClientExecutionTimeoutException') {
    return new TaskFailedError(`${prefix}.ClientExecutionTimeoutException`, `Client execution did not complete before the specified timeout configuration: ${error.message}`);
  }
  if (!/Exception$/.test(error.name)) return new TaskFailedError(`${prefix}.SdkClientException`, `Unable to execute HTTP request: ${error.message}`);
  // Without a model, only AccessDeniedException is known not to be modeled (it never is): it takes the base name.
  const exception = model === undefined ? (error.name === 'AccessDeniedException' ? (BASE_EXCEPTION[prefix] ?? error.name) : error.name) : model.exceptions.has(error.name) ? error.name : model.base;
  return new TaskFailedError(`${prefix}.${exception}`, awsErrorCause(service, error.message, statusOf(error), error.name));
};

/**
 * The errors Lambda's `Invoke` models
 * (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html#API_Invoke_Errors);
 * Step Functions reports one as `Lambda.<name>` (`Lambda.ServiceException`,
 * `Lambda.TooManyRequestsException`, `Lambda.ResourceNotFoundException`...)
 * and any other error code of the Lambda service as `Lambda.AWSLambdaException`.
 */
const LAMBDA: ServiceModel = {
  base: 'AWSLambdaException',
  exceptions: new Set([
    'EC2AccessDeniedException',
    'EC2ThrottledException',
    'EC2UnexpectedException',
    'EFSIOException',
    'EFSMountConnectivityException',
    'EFSMountFailureException',
    'EFSMountTimeoutException',
    'ENILimitReachedException',
    'InvalidParameterValueException',
    'InvalidRequestContentException',
    'InvalidRuntimeException',
    'InvalidSecurityGroupIDException',
    'InvalidSubnetIDException',
    'InvalidZipFileException',
    'KMSAccessDeniedException',
    'KMSDisabledException',
    'KMSInvalidStateException',
    'KMSNotFoundException',
    'RecursiveInvocationException',
    'RequestTooLargeException',
    'ResourceConflictException',
    'ResourceNotFoundException',
    'ResourceNotReadyException',
    'ServiceException',
    'SnapStartException',
    'SnapStartNotReadyException',
    'SnapStartTimeoutException',
    'SubnetIPAddressLimitReachedException',
    'TooManyRequestsException',
    'UnsupportedMediaTypeException',
  ]),
};

/** errorTypes Lambda itself gives a failed invocation (the function's code did not choose them). */
const PLATFORM_ERROR_TYPE = /^(Sandbox|Runtime)\./;

/**
 * A function's error as Step Functions reports it (the Task's `Error` and
 * `Cause`), for the `lambda:invoke` integration and the `Resource: <function
 * ARN>` form alike: the `errorType` of the error document Lambda answers, and
 * that document as the cause.
 *
 * - An error the handler threw: its `errorType`; the cause is
 *   `{"errorType", "errorMessage", "trace"}`.
 * - An invocation Lambda failed itself: the `errorType` Lambda puts in the
 *   document, `Sandbox.Timedout` (timeout), `Runtime.OutOfMemory`,
 *   `Runtime.ExitError` (the runtime crashed); the cause is
 *   `{"errorType", "errorMessage"}`, with no trace. This is what the local
 *   Lambda runtime reports, as Lambda's own documentation does
 *   (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html#troubleshooting-timeouts:
 *   "Function times out during Init phase (Sandbox.Timedout)"; Invoke answers
 *   `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ... Error:
 *   Task timed out after 3.00 seconds"}` with `X-Amz-Function-Error: Unhandled`).
 *   The Step Functions guide says otherwise: "Unhandled errors in Lambda are
 *   reported as Lambda.Unknown in the error output. These include
 *   out-of-memory errors and function timeouts"
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html),
 *   which is what Step Functions reports when the document has no
 *   `errorType`, as older Lambda runtimes answered a timeout. The local cloud
 *   follows the document Lambda answers today; a retrier or catcher meant for
 *   these failures should list both names (the order saga's do).
 * - A document without an `errorType`: `Lambda.Unknown`, the document as the cause.
 */
const functionError = (error: { readonly errorType: string; readonly errorMessage: string; readonly trace?: readonly string[] }): TaskFailedError => {
  if (!error.errorType) return new TaskFailedError('Lambda.Unknown', JSON.stringify({ errorMessage: error.errorMessage }));
  if (PLATFORM_ERROR_TYPE.test(error.errorType)) return new TaskFailedError(error.errorType, JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage }));
  return new TaskFailedError(error.errorType, JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace ?? [] }));
};

/** Makes a result JSON (what crossing Lambda's wire does to it). */
const asJson = (value: unknown): JsonValue => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue));

const invokeLambda = async (invoke: InvokeFunction, functionName: string, payload: JsonValue, call: TaskCall): Promise<JsonValue> => {
  let result: FunctionInvocation;
  try {
    result = await invoke(functionName, payload, call);
  } catch (error) {
    throw serviceError('Lambda', 'AWSLambda', error, LAMBDA);
  }
  if (!result.ok) throw functionError(result.error);
  return asJson(result.payload);
};

const sdkHttpMetadata = (requestId: string, contentType: string, body: string, extra: Readonly<Record<string, string>> = {}): JsonValue => {
  const headers: Record<string, string> = {
    Connection: 'keep-alive',
    'Content-Length': String(Buffer.byteLength(body)),
    'Content-Type': contentType,
    Date: new Date().toUTCString(),
    ...extra,
    'x-amzn-RequestId': requestId,
  };
  return {
    AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    HttpHeaders: headers,
    HttpStatusCode: 200,
  };
};

const lambdaInvoke = async (invoke: InvokeFunction, parameters: JsonValue, call: TaskCall): Promise<JsonValue> => {
  if (!isRecord(parameters) || typeof parameters.FunctionName !== 'string') {
    throw new TaskFailedError('States.Runtime', 'lambda:invoke: FunctionName must evaluate to a string');
  }
  if (parameters.InvocationType !== undefined && parameters.InvocationType !== 'RequestResponse') {
    throw new TaskFailedError('States.Runtime', `lambda:invoke: InvocationType ${String(parameters.InvocationType)} is not emulated locally`);
  }
  const payload = (parameters.Payload ?? {}) as JsonValue;
  const output = await invokeLambda(invoke, parameters.FunctionName, payload, call);
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: output,
    SdkHttpMetadata: sdkHttpMetadata(requestId, 'application/json', JSON.stringify(output), { 'X-Amz-Executed-Version': '$LATEST', 'x-amzn-Remapped-Content-Length': '0' }),
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
};

// ---------------------------------------------------------------------------
// EventBridge
// ---------------------------------------------------------------------------

const optionalString = (entry: Record<string, unknown>, field: string, index: number): string | undefined => {
  const value = entry[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new TaskFailedError('States.Runtime', `events:putEvents: Entries[${index}].${field} must be a string`);
  return value;
};

const putEventsTask = async (put: PutEvents, parameters: JsonValue, call: TaskCall): Promise<JsonValue> => {
  const raw: unknown = isRecord(parameters) ? parameters.Entries : undefined;
  if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_PUT_EVENTS_ENTRIES) {
    throw new TaskFailedError('EventBridge.AmazonEventBridgeException', `events:putEvents needs 1 to ${MAX_PUT_EVENTS_ENTRIES} Entries`);
  }
  const entries: EventEntry[] = (raw as unknown[]).map((entry, i) => {
    if (!isRecord(entry)) throw new TaskFailedError('States.Runtime', `events:putEvents: Entries[${i}] is not an object`);
    const detail = entry.Detail;
    const resources = entry.Resources;
    if (resources !== undefined && !(Array.isArray(resources) && resources.every((r): r is string => typeof r === 'string'))) {
      throw new TaskFailedError('States.Runtime', `events:putEvents: Entries[${i}].Resources must be a list of strings`);
    }
    return {
      Source: optionalString(entry, 'Source', i),
      DetailType: optionalString(entry, 'DetailType', i),
      Detail: detail === undefined ? undefined : typeof detail === 'string' ? detail : JSON.stringify(detail),
      EventBusName: optionalString(entry, 'EventBusName', i),
      Resources: [...(resources ?? []), call.executionArn, call.stateMachineArn],
      Time: optionalString(entry, 'Time', i),
      TraceHeader: optionalString(entry, 'TraceHeader', i),
    };
  });
  let response: PutEventsResponse;
  try {
    response = await put(entries, call);
  } catch (error) {
    throw serviceError('EventBridge', 'AmazonEventBridge', error);
  }
  const result = asJson({ Entries: response.Entries, FailedEntryCount: response.FailedEntryCount });
  if (response.FailedEntryCount > 0) throw new TaskFailedError('EventBridge.FailedEntry', JSON.stringify(result));
  return result;
};

// ---------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------

/** ASL carries binary attribute values as base64 text; the SDK wants bytes. */
const toSdkValues = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(toSdkValues);
  if (!isRecord(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'B' && typeof value.B === 'string') return { B: Buffer.from(value.B, 'base64') };
  if (keys.length === 1 && keys[0] === 'BS' && Array.isArray(value.BS) && value.BS.every((b) => typeof b === 'string')) {
    return { BS: (value.BS as string[]).map((b) => Buffer.from(b, 'base64')) };
  }
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, toSdkValues(inner)]));
};

const fromSdkValues = (value: unknown): JsonValue => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(fromSdkValues);
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key, inner]) => key !== '$metadata' && inner !== undefined)
        .map(([key, inner]) => [key, fromSdkValues(inner)]),
    );
  }
  return value === undefined ? null : (value as JsonValue);
};

interface SdkOutput {
  readonly $metadata: { readonly requestId?: string };
}

const sendDynamoDb = (client: DynamoDBClient, operation: DynamoDbOperation, input: Record<string, unknown>): Promise<SdkOutput> => {
  switch (operation) {
    case 'putItem':
      return client.send(new PutItemCommand(input as unknown as PutItemCommandInput));
    case 'getItem':
      return client.send(new GetItemCommand(input as unknown as GetItemCommandInput));
    case 'updateItem':
      return client.send(new UpdateItemCommand(input as unknown as UpdateItemCommandInput));
    case 'deleteItem':
      return client.send(new DeleteItemCommand(input as unknown as DeleteItemCommandInput));
  }
};

/** Step Functions names DynamoDB's request-validation errors after the Java SDK's base exception. */
const dynamoDbError = (error: unknown): TaskFailedError => {
  if (error instanceof Error && error.name === 'ValidationException') {
    return new TaskFailedError('DynamoDB.AmazonDynamoDBException', awsErrorCause('AmazonDynamoDBv2', error.message, statusOf(error), error.name));
  }
  return serviceError('DynamoDB', 'AmazonDynamoDBv2', error);
};

const dynamoDbTask = async (client: DynamoDBClient, operation: DynamoDbOperation, parameters: JsonValue): Promise<JsonValue> => {
  if (!isRecord(parameters)) throw new TaskFailedError('States.Runtime', `dynamodb:${operation}: Parameters must be an object`);
  let output: SdkOutput;
  try {
    output = await sendDynamoDb(client, operation, toSdkValues(parameters) as Record<string, unknown>);
  } catch (error) {
    throw dynamoDbError(error);
  }
  const body = fromSdkValues(output);
  const requestId = output.$metadata.requestId ?? randomUUID();
  const answer: Record<string, JsonValue> = isRecord(body) ? { ...body } : {};
  answer.SdkHttpMetadata = sdkHttpMetadata(requestId, 'application/x-amz-json-1.0', JSON.stringify(body), { Server: 'Server', 'x-amz-crc32': '0' });
  answer.SdkResponseMetadata = { RequestId: requestId };
  return answer;
};

// ---------------------------------------------------------------------------
// Step Functions (states:startExecution, request-response)
// ---------------------------------------------------------------------------

/**
 * The errors StartExecution models, by wire code
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html#API_StartExecution_Errors).
 * Step Functions calls its own API with the AWS SDK for Java, whose exception
 * classes add `Exception` to the codes that lack it, and names the task's
 * error after the class with the `StepFunctions.` prefix:
 * `StepFunctions.ExecutionAlreadyExistsException`,
 * `StepFunctions.StateMachineDoesNotExistException`... (as AWS recorded it in
 * LocalStack's parity tests, and as CDK examples catch it). Any other error
 * code of the service (`AccessDeniedException`, throttling) is the SDK's base
 * class, `StepFunctions.AWSStepFunctionsException`, as for the other services.
 */
const START_EXECUTION_ERRORS: ReadonlySet<string> = new Set([
  'ExecutionAlreadyExists',
  'ExecutionLimitExceeded',
  'InvalidArn',
  'InvalidExecutionInput',
  'InvalidName',
  'KmsAccessDeniedException',
  'KmsInvalidStateException',
  'KmsThrottlingException',
  'StateMachineDeleting',
  'StateMachineDoesNotExist',
  'ValidationException',
]);

/** True for an error a service answered (it carries an HTTP status), as opposed to a failure to reach one. */
const answeredByService = (error: Error): boolean => {
  const candidate = error as { statusCode?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return typeof candidate.statusCode === 'number' || typeof candidate.$metadata?.httpStatusCode === 'number';
};

/** A StartExecution failure as the `states:startExecution` task reports it. */
const stepFunctionsError = (error: unknown): TaskFailedError => {
  if (error instanceof TaskFailedError) return error;
  if (!(error instanceof Error)) return new TaskFailedError('StepFunctions.SdkClientException', String(error));
  if (NAMED_ERROR.test(error.name)) return new TaskFailedError(error.name, error.message);
  if (error.name === 'TimeoutError' || error.name === 'ClientExecutionTimeoutException') {
    return new TaskFailedError('StepFunctions.ClientExecutionTimeoutException', `Client execution did not complete before the specified timeout configuration: ${error.message}`);
  }
  const cause = awsErrorCause('AWSStepFunctions', error.message, statusOf(error), error.name);
  if (START_EXECUTION_ERRORS.has(error.name)) return new TaskFailedError(`StepFunctions.${error.name.endsWith('Exception') ? error.name : `${error.name}Exception`}`, cause);
  if (!answeredByService(error) && !/Exception$/.test(error.name)) return new TaskFailedError('StepFunctions.SdkClientException', `Unable to execute HTTP request: ${error.message}`);
  return new TaskFailedError(`StepFunctions.${BASE_EXCEPTION.StepFunctions ?? 'AWSStepFunctionsException'}`, cause);
};

/**
 * Starts an execution and answers what the request-response integration
 * answers: StartExecution's response as the Java SDK gives it (PascalCase,
 * `StartDate` in epoch ms) with the SDK's HTTP metadata, as AWS recorded it:
 * `{ExecutionArn, SdkHttpMetadata, SdkResponseMetadata, StartDate}`.
 * `Input` is the execution's input: an object or any JSON value is sent as its
 * JSON text, a string as it is (it must then be JSON text of an object), none as `{}`.
 */
const startExecutionTask = async (start: StartExecution, parameters: JsonValue, call: TaskCall): Promise<JsonValue> => {
  if (!isRecord(parameters) || typeof parameters.StateMachineArn !== 'string') {
    throw new TaskFailedError('States.Runtime', 'states:startExecution: StateMachineArn must evaluate to a string');
  }
  const name = parameters.Name;
  if (name !== undefined && name !== null && typeof name !== 'string') throw new TaskFailedError('States.Runtime', 'states:startExecution: Name must evaluate to a string');
  const raw = parameters.Input;
  const input = raw === undefined || raw === null ? '{}' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  let started: { readonly executionArn: string; readonly startDate: Date };
  try {
    started = await start({ stateMachineArn: parameters.StateMachineArn, input, ...(typeof name === 'string' ? { name } : {}) }, call);
  } catch (error) {
    throw stepFunctionsError(error);
  }
  const requestId = randomUUID();
  const body = JSON.stringify({ executionArn: started.executionArn, startDate: started.startDate.getTime() / 1000 });
  return {
    ExecutionArn: started.executionArn,
    SdkHttpMetadata: sdkHttpMetadata(requestId, 'application/x-amz-json-1.0', body),
    SdkResponseMetadata: { RequestId: requestId },
    StartDate: started.startDate.getTime(),
  };
};
