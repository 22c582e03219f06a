import type { AwsEndpoint } from '../aws-endpoint';
import { AwsServiceError } from '../aws-endpoint';
import type { InvokeResult, LambdaRuntime } from './lambda-runtime';

/** Where a failed async invocation's event goes after its retries. */
export type DeadLetterSink = (queueArn: string, event: unknown, error: { errorType: string; errorMessage: string }) => void;

/** Options of {@link AsyncInvoker}. */
export interface AsyncInvokerOptions {
  /** Retries and dead-letter queue per function name. */
  readonly failureConfig: (functionName: string) => { readonly maximumRetryAttempts: number; readonly deadLetterArn?: string } | undefined;
  readonly deadLetter: DeadLetterSink;
  /** Delay before retry n (1-based). Lambda waits about 1 then 2 minutes; locally seconds. @default 1 s, 2 s */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly onFailed?: (functionName: string, attempt: number, result: InvokeResult) => void;
}

/**
 * Lambda's asynchronous invocation (`InvocationType: Event`, and how
 * EventBridge delivers to functions): accepted at once, retried on a
 * function error, then sent to the function's dead-letter queue.
 */
export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<void>>();

  public constructor(
    private readonly runtime: LambdaRuntime,
    private readonly options: AsyncInvokerOptions,
  ) {}

  /** Queues the invocation and returns at once. */
  public invoke(functionNameOrArn: string, event: unknown): void {
    const spec = this.runtime.resolve(functionNameOrArn);
    if (!spec) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${functionNameOrArn}`, 404);
    const run = this.run(spec.name, event).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  /** Resolves when no async invocation is running or waiting to retry. */
  public async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async run(name: string, event: unknown): Promise<void> {
    const config = this.options.failureConfig(name) ?? { maximumRetryAttempts: 2 };
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.runtime.invoke(name, event).catch((error: unknown): InvokeResult => ({
        ok: false,
        durationMs: 0,
        error: { errorType: 'ServiceException', errorMessage: error instanceof Error ? error.message : String(error), trace: [] },
      }));
      if (result.ok) return;
      this.options.onFailed?.(name, attempt + 1, result);
      if (attempt >= config.maximumRetryAttempts) {
        if (config.deadLetterArn) this.options.deadLetter(config.deadLetterArn, event, result.error);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs?.(attempt + 1) ?? 1000 * 2 ** attempt));
    }
  }
}

/**
 * Lambda's `Invoke` REST operation on the local AWS endpoint, so functions
 * calling other functions (and the AWS CLI) work unchanged.
 */
export const registerInvokeApi = (endpoint: AwsEndpoint, runtime: LambdaRuntime, asyncInvoker: AsyncInvoker): void => {
  endpoint.registerRest({
    method: 'POST',
    path: '/2015-03-31/functions/{name}/invocations',
    handle: async ({ name }, body, request) => {
      let event: unknown = null;
      if (body.length > 0) {
        try {
          event = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsServiceError('InvalidRequestContentException', 'Could not parse request body into json', 400);
        }
      }
      const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (!runtime.resolve(name)) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${name}`, 404);
      if (type === 'DryRun') return { status: 204, body: '' };
      if (type === 'Event') {
        asyncInvoker.invoke(name, event);
        return { status: 202, body: '' };
      }
      if (type !== 'RequestResponse') throw new AwsServiceError('InvalidParameterValueException', `Unknown invocation type ${type}`);
      const result = await runtime.invoke(name, event);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
      if (!result.ok) {
        headers['x-amz-function-error'] = 'Unhandled';
        return { status: 200, headers, body: JSON.stringify({ errorType: result.error.errorType, errorMessage: result.error.errorMessage, trace: result.error.trace }) };
      }
      return { status: 200, headers, body: JSON.stringify(result.payload) };
    },
  });
};
