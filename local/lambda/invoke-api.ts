import type { AwsEndpoint } from '../aws-endpoint';
import { AwsServiceError } from '../aws-endpoint';
import { invokeAuthorization } from '../iam/api-actions';
import type { LambdaAsyncInvoker } from './async-invoke';
import type { InvokeResult, LambdaRuntime } from './lambda-runtime';
import { ASYNC_REQUEST_LIMIT_BYTES, LambdaThrottledError, PayloadTooLargeError } from './limits';

/** ListFunctions' default and largest page (MaxItems). */
const LIST_PAGE = 50;
const LIST_PAGE_MAX = 10_000;

/**
 * `ListFunctions`: every function, in pages (`MaxItems`, `Marker`), with the
 * configuration fields the local cloud knows (name, ARN, handler, timeout,
 * memory, `DeadLetterConfig`); tools find a dead-letter queue's function
 * with it. Versions and Lambda@Edge replicas are not emulated.
 */
const listFunctions = (runtime: LambdaRuntime, asyncInvoker: Pick<LambdaAsyncInvoker, 'deadLetterArnOf'>, query: URLSearchParams): { status: number; headers: Record<string, string>; body: string } => {
  const maxItems = query.has('MaxItems') ? Number(query.get('MaxItems')) : LIST_PAGE;
  if (!Number.isInteger(maxItems) || maxItems < 1 || maxItems > LIST_PAGE_MAX) {
    throw new AwsServiceError('InvalidParameterValueException', `1 validation error detected: Value '${query.get('MaxItems') ?? ''}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and ${LIST_PAGE_MAX}`);
  }
  const functions = runtime.functions().sort((a, b) => a.name.localeCompare(b.name));
  const marker = query.get('Marker');
  const start = marker === null ? 0 : functions.findIndex((spec) => spec.name === marker);
  if (start < 0) throw new AwsServiceError('InvalidParameterValueException', `Invalid marker: ${marker ?? ''}`);
  const page = functions.slice(start, start + maxItems);
  const next = functions[start + maxItems];
  const Functions = page.map((spec) => {
    const deadLetterArn = asyncInvoker.deadLetterArnOf(spec.arn);
    return {
      FunctionName: spec.name,
      FunctionArn: spec.arn,
      Handler: spec.handler,
      Timeout: spec.timeoutSeconds,
      MemorySize: spec.memoryMb,
      ...(deadLetterArn === undefined ? {} : { DeadLetterConfig: { TargetArn: deadLetterArn } }),
    };
  });
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ Functions, ...(next ? { NextMarker: next.name } : {}) }) };
};

/**
 * Lambda's `Invoke` (and `ListFunctions`) REST operations on the local AWS
 * endpoint, so functions calling other functions (and the AWS CLI, and
 * `npm run redrive`) work unchanged.
 * `RequestResponse` runs the function on `runtime`; `Event` hands it to
 * `asyncInvoker`, the same invoker EventBridge's Lambda targets use, so an
 * asynchronous invocation retries and dead-letters by the template's
 * `DeadLetterConfig` and `AWS::Lambda::EventInvokeConfig` whoever made it.
 *
 * Lambda's refusals are answered as Lambda answers them
 * (https://docs.aws.amazon.com/lambda/latest/dg/API_Invoke.html): a throttled
 * synchronous invocation is 429 `TooManyRequestsException` with its `Reason`
 * (the SDK retries it, as it does against AWS); a request over the payload
 * limit of its type is 413 `RequestEntityTooLargeException`; a response over
 * 6 MB is a function error (`Function.ResponseSizeTooLarge`).
 */
export const registerInvokeApi = (endpoint: AwsEndpoint, runtime: LambdaRuntime, asyncInvoker: Pick<LambdaAsyncInvoker, 'invokeAsync' | 'deadLetterArnOf'>): void => {
  endpoint.registerRest({
    method: 'GET',
    path: '/2015-03-31/functions/',
    authorize: () => [{ action: 'lambda:ListFunctions', resource: '*' }],
    handle: async (_params, _body, request) => listFunctions(runtime, asyncInvoker, new URL(request.url ?? '/', 'http://local').searchParams),
  });
  endpoint.registerRest({
    method: 'POST',
    path: '/2015-03-31/functions/{name}/invocations',
    authorize: ({ name }) => {
      const spec = runtime.resolve(name);
      return spec ? [invokeAuthorization(spec.arn)] : [];
    },
    handle: async ({ name }, body, request) => {
      const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (type === 'Event' && body.length > ASYNC_REQUEST_LIMIT_BYTES) {
        throw new AwsServiceError('RequestEntityTooLargeException', PayloadTooLargeError.async(body.length).message, 413);
      }
      let event: unknown = null;
      if (body.length > 0) {
        try {
          event = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsServiceError('InvalidRequestContentException', 'Could not parse request body into json', 400);
        }
      }
      const spec = runtime.resolve(name);
      if (!spec) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${name}`, 404);
      if (type === 'DryRun') return { status: 204, body: '' };
      if (type === 'Event') {
        await asyncInvoker.invokeAsync(spec.arn, event);
        return { status: 202, body: '' };
      }
      if (type !== 'RequestResponse') throw new AwsServiceError('InvalidParameterValueException', `Unknown invocation type ${type}`);
      let result: InvokeResult;
      try {
        result = await runtime.invoke(name, event);
      } catch (error) {
        if (error instanceof LambdaThrottledError) {
          return {
            status: 429,
            headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
            body: JSON.stringify({ Reason: error.reason, Type: 'User', message: error.message }),
          };
        }
        if (error instanceof PayloadTooLargeError) throw new AwsServiceError(error.name, error.message, error.statusCode);
        throw error;
      }
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
      if (!result.ok) {
        headers['x-amz-function-error'] = 'Unhandled';
        return { status: 200, headers, body: JSON.stringify({ errorType: result.error.errorType, errorMessage: result.error.errorMessage, trace: result.error.trace }) };
      }
      return { status: 200, headers, body: JSON.stringify(result.payload) };
    },
  });
};
