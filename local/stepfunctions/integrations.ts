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
 * function's result or its error; reject only for an error of the Lambda
 * service itself (no such function, throttling): the engine names it
 * `Lambda.<name>` as Step Functions does.
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
}

/**
 * A Task attempt failed with this error: `name` is what Retry and Catch
 * match (`Error`), `message` is the `Cause`, as aws-local-stepfunctions
 * builds the catcher output from them.
 */
export class TaskFailedError extends Error {
  public constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

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
  readonly kind: 'lambda-function' | 'lambda:invoke' | 'events:putEvents' | 'dynamodb';
  /** History `resourceType`: `lambda`, `events`, `dynamodb`. */
  readonly resourceType: string;
  /** History `resource`: `invoke`, `putEvents`, `putItem`...; the function ARN for `lambda-function`. */
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
const PUT_EVENTS_ENTRY_FIELDS = ['Detail', 'DetailType', 'EventBusName', 'Resources', 'Source', 'Time', 'TraceHeader'];
const MAX_PUT_EVENTS_ENTRIES = 10;
/** Largest task result Step Functions passes on (256 KiB of UTF-8). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

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
  throw new IntegrationRefusal('Resource', `no local adapter for ${resource} (emulated: Lambda functions, lambda:invoke, events:putEvents, dynamodb:${Object.keys(DYNAMODB_OPERATIONS).join('|')})`);
};

// ---------------------------------------------------------------------------
// Lambda
// ---------------------------------------------------------------------------

const awsErrorCause = (service: string, message: string, status: number, code: string): string =>
  `${message} (Service: ${service}; Status Code: ${status}; Error Code: ${code}; Request ID: ${randomUUID()}; Proxy: null)`;

/** The base exception of each service's Java SDK, which Step Functions names unmodeled errors after. */
const BASE_EXCEPTION: Readonly<Record<string, string>> = { Lambda: 'AWSLambdaException', EventBridge: 'AmazonEventBridgeException', DynamoDB: 'AmazonDynamoDBException' };

/** HTTP statuses of the exceptions a local service may throw without one. */
const STATUS_BY_EXCEPTION: Readonly<Record<string, number>> = {
  ResourceNotFoundException: 404,
  TooManyRequestsException: 429,
  InvalidRequestContentException: 400,
  InvalidParameterValueException: 400,
};

const statusOf = (error: Error): number => {
  const candidate = (error as { statusCode?: unknown; $metadata?: { httpStatusCode?: unknown } }).statusCode ?? (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  return typeof candidate === 'number' ? candidate : (STATUS_BY_EXCEPTION[error.name] ?? 500);
};

/**
 * An error of the service behind an integration, named as Step Functions
 * names it: `<Prefix>.<ExceptionName>`. An error already carrying a
 * service prefix keeps its name and message.
 */
const serviceError = (prefix: string, service: string, error: unknown): TaskFailedError => {
  if (error instanceof TaskFailedError) return error;
  if (!(error instanceof Error)) return new TaskFailedError(`${prefix}.SdkClientException`, String(error));
  if (/^(Lambda|Sandbox|States|EventBridge|DynamoDB)\./.test(error.name)) return new TaskFailedError(error.name, error.message);
  if (!/Exception$/.test(error.name)) return new TaskFailedError(`${prefix}.SdkClientException`, error.message);
  // AccessDeniedException is not an exception the services' Java SDK models, so Step Functions names it after the
  // service's base exception (`Lambda.AWSLambdaException`, cause "... Error Code: AccessDeniedException ...").
  const name = error.name === 'AccessDeniedException' ? (BASE_EXCEPTION[prefix] ?? error.name) : error.name;
  return new TaskFailedError(`${prefix}.${name}`, awsErrorCause(service, error.message, statusOf(error), error.name));
};

const functionError = (error: { readonly errorType: string; readonly errorMessage: string; readonly trace?: readonly string[] }): TaskFailedError => {
  if (!error.errorType) return new TaskFailedError('Lambda.Unknown', JSON.stringify({ errorMessage: error.errorMessage }));
  if (error.errorType === 'Sandbox.Timedout') return new TaskFailedError(error.errorType, JSON.stringify({ errorMessage: error.errorMessage }));
  return new TaskFailedError(error.errorType, JSON.stringify({ errorType: error.errorType, errorMessage: error.errorMessage, trace: error.trace ?? [] }));
};

/** Makes a result JSON (what crossing Lambda's wire does to it). */
const asJson = (value: unknown): JsonValue => (value === undefined ? null : (JSON.parse(JSON.stringify(value)) as JsonValue));

const invokeLambda = async (invoke: InvokeFunction, functionName: string, payload: JsonValue, call: TaskCall): Promise<JsonValue> => {
  let result: FunctionInvocation;
  try {
    result = await invoke(functionName, payload, call);
  } catch (error) {
    throw serviceError('Lambda', 'AWSLambda', error);
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
