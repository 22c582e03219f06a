/**
 * Lambda's asynchronous invocation (`InvocationType: Event`) for the local
 * cloud: how EventBridge delivers to a Lambda target, and what the REST
 * `Invoke` API does with `X-Amz-Invocation-Type: Event`. One invoker serves
 * both, so a function fails, retries and dead-letters the same way whoever
 * invoked it.
 */
import { randomUUID } from 'node:crypto';
import { AwsServiceError } from '../aws-endpoint';
import type { IamGate } from '../iam/local-iam';
import type { IamPrincipal } from '../iam/principals';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalResource } from '../resources';
import type { SqsQueues } from '../sqs/queues';
import { BackgroundService } from '../support/pending-work';
import { PropertyReader } from '../support/property-reader';
import type { InvokeFunction } from './lambda-runtime';
import { ASYNC_REQUEST_LIMIT_BYTES, LambdaThrottledError, PayloadTooLargeError, payloadJson } from './limits';
import type { FunctionErrorPayload } from './protocol';

const LAMBDA_ARN = /^arn:aws:lambda:[^:]*:[^:]*:function:([^:]+)(?::([^:]+))?$/;
const FUNCTION_TYPE = 'AWS::Lambda::Function';
const EVENT_INVOKE_CONFIG_TYPE = 'AWS::Lambda::EventInvokeConfig';

/** The ARN of a local Lambda function. */
export const lambdaFunctionArn = (name: string): string => `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;

/**
 * Starts an asynchronous Lambda invocation (`InvocationType: Event`).
 *
 * Contract: resolve as soon as Lambda has *accepted* the event, before the
 * function runs — for EventBridge that is a successful delivery, for the
 * `Invoke` API a 202. Reject only when Lambda refuses the request itself,
 * with an `AwsServiceError` carrying Lambda's error code:
 * `ResourceNotFoundException` (404) for a missing function, which EventBridge
 * dead-letters at once as `NO_RESOURCE`; `TooManyRequestsException` (429) or
 * a 5xx, which it retries. A function error must not reject: Lambda retries it
 * and dead-letters it by its own rules ({@link LambdaAsyncInvoker.invokeAsync}
 * implements this contract). A request over 1 MB is refused with
 * `RequestEntityTooLargeException` (413).
 */
export type InvokeAsync = (functionArn: string, payload: unknown) => Promise<void>;

/** Why Lambda gave up on an asynchronous event (the invocation record's `condition`). */
export type AsyncFailureCondition = 'RetriesExhausted' | 'EventAgeExceeded';

/**
 * One step of an asynchronous invocation: `invoked` (an attempt ran; `ok`
 * says whether the function succeeded), `retry` (another attempt follows
 * after `delayMs`), `throttled` (Lambda had no concurrency for it: the event
 * goes back to the queue for `delayMs`, not counting as an attempt),
 * `destination` (an invocation record was sent), `dlq` (the event went to the
 * function's dead-letter queue), `dropped` (Lambda gave up with nowhere to
 * send the event).
 */
export type LambdaAsyncHop =
  | { readonly kind: 'invoked'; readonly functionArn: string; readonly requestId: string; readonly attempt: number; readonly ok: boolean; readonly errorType?: string }
  | { readonly kind: 'throttled'; readonly functionArn: string; readonly requestId: string; readonly throttles: number; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'retry'; readonly functionArn: string; readonly requestId: string; readonly attempt: number; readonly delayMs: number; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'destination'; readonly functionArn: string; readonly requestId: string; readonly condition: AsyncFailureCondition | 'Success'; readonly destinationArn: string }
  | { readonly kind: 'dlq'; readonly functionArn: string; readonly requestId: string; readonly deadLetterArn: string; readonly errorType: string; readonly errorMessage: string }
  | { readonly kind: 'dropped'; readonly functionArn: string; readonly requestId: string; readonly reason: string };

/** Options of {@link LambdaAsyncInvoker.create}. */
export interface LambdaAsyncOptions {
  /** Runs one attempt synchronously (the local Lambda runtime). */
  readonly invoke: InvokeFunction;
  /** Dead-letter queues and SQS destinations. */
  readonly queues: SqsQueues;
  /**
   * Wait before the first retry; each further retry waits twice as long
   * (Lambda waits 1 minute, then 2). Tests shrink it. @default 60000
   */
  readonly retryDelayMs?: number;
  /**
   * Wait before the event is tried again after its first throttle; each
   * further throttle doubles it, up to {@link throttleRetryMaxMs} (Lambda:
   * from 1 second to 5 minutes). Tests shrink it. @default 1000
   */
  readonly throttleRetryBaseMs?: number;
  /** Longest wait between tries of a throttled event. @default 300000 */
  readonly throttleRetryMaxMs?: number;
  /** Clock (epoch ms) for the event age. @default Date.now */
  readonly now?: () => number;
  /** Hears every step; must not throw. @default no listener */
  readonly onHop?: (hop: LambdaAsyncHop) => void;
  /**
   * Authorizes what Lambda sends to a dead-letter queue or a destination: it
   * does so with the function's execution role. @default no checks
   */
  readonly iam?: IamGate;
}

interface AsyncConfig {
  readonly arn: string;
  /** The function's execution role session, when IAM is checked. */
  readonly principal?: IamPrincipal;
  readonly maxRetries: number;
  readonly maxAgeSeconds: number;
  readonly onSuccess?: string;
  readonly onFailure?: string;
  readonly deadLetterArn?: string;
}

interface AsyncJob {
  readonly config: AsyncConfig;
  readonly payload: unknown;
  readonly requestId: string;
  readonly enqueuedAt: number;
  /** Invocations that ran (throttled tries are not invocations). */
  attempts: number;
  throttles: number;
}

/**
 * Lambda's asynchronous invocation (`InvocationType: Event`), which is how
 * EventBridge invokes a Lambda target and what `Invoke` does with that
 * invocation type: the event is queued and accepted at once; a function error is retried twice (1 minute, then 2 minutes later,
 * scaled by `retryDelayMs`) unless an `AWS::Lambda::EventInvokeConfig` says
 * otherwise (`MaximumRetryAttempts` 0–2, `MaximumEventAgeInSeconds`). A
 * throttled event (no concurrency for it) goes back to the queue and is tried
 * again with backoff (1 s doubling to 5 min, scaled likewise) for as long as
 * its maximum age allows, without using up those retries; past that age it is
 * given up as `EventAgeExceeded`. When
 * Lambda gives up, an invocation record goes to the `OnFailure` destination
 * and the event itself to the function's `DeadLetterConfig.TargetArn` with
 * the `RequestID`, `ErrorCode` and `ErrorMessage` attributes — both, when both
 * are set, as on AWS. A success sends a record to `OnSuccess` if set.
 *
 * Only SQS destinations and dead-letter queues are emulated; versions and
 * aliases are not (a qualifier other than `$LATEST` is refused). `drain()`
 * waits for every attempt and retry; after `close()`, invocations are refused.
 */
export class LambdaAsyncInvoker extends BackgroundService {
  private readonly configs = new Map<string, AsyncConfig>();
  private readonly options: LambdaAsyncOptions;
  private readonly now: () => number;

  private constructor(options: LambdaAsyncOptions) {
    super();
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /**
   * Reads `AWS::Lambda::Function` (only its `DeadLetterConfig`) and
   * `AWS::Lambda::EventInvokeConfig` resources; others are ignored.
   *
   * @throws {UnsupportedFeatureError} for SNS dead-letter targets,
   *   non-SQS destinations, qualifiers other than `$LATEST`, unknown properties.
   */
  public static create(resources: readonly LocalResource[], options: LambdaAsyncOptions): LambdaAsyncInvoker {
    const invoker = new LambdaAsyncInvoker(options);
    const byReference = new Map<string, string>();
    const functions = new Map<string, { arn: string; deadLetterArn?: string; principal?: IamPrincipal }>();
    for (const resource of resources) {
      if (resource.type !== FUNCTION_TYPE) continue;
      const read = new PropertyReader(resource);
      const arn = resource.arn ?? lambdaFunctionArn(resource.logicalId);
      let deadLetterArn: string | undefined;
      const deadLetter = read.optionalObject(resource.properties.DeadLetterConfig, 'DeadLetterConfig');
      if (deadLetter) {
        read.only(deadLetter, 'DeadLetterConfig', ['TargetArn']);
        if (deadLetter.TargetArn !== undefined) deadLetterArn = read.templateQueue(deadLetter.TargetArn, 'DeadLetterConfig.TargetArn', options.queues);
      }
      const role = resource.properties.Role;
      const principal =
        options.iam && typeof role === 'string'
          ? options.iam.roleSession(role, resource.ref, 'function', { logicalId: resource.logicalId, type: resource.type, property: 'Role' })
          : undefined;
      functions.set(arn, { arn, deadLetterArn, ...(principal ? { principal } : {}) });
      for (const key of [arn, resource.ref, resource.logicalId, arn.split(':').at(-1) ?? arn]) byReference.set(key, arn);
    }
    const tuned = new Map<string, Omit<AsyncConfig, 'arn' | 'deadLetterArn'>>();
    for (const resource of resources) {
      if (resource.type !== EVENT_INVOKE_CONFIG_TYPE) continue;
      const read = new PropertyReader(resource);
      const properties = resource.properties;
      read.only(properties, '', ['FunctionName', 'Qualifier', 'MaximumRetryAttempts', 'MaximumEventAgeInSeconds', 'DestinationConfig']);
      const functionName = read.string(properties.FunctionName, 'FunctionName');
      const arn = byReference.get(functionName) ?? byReference.get(LAMBDA_ARN.exec(functionName)?.[1] ?? '');
      if (arn === undefined) throw read.fail('FunctionName', `no function ${functionName} in the template`);
      if (read.string(properties.Qualifier, 'Qualifier') !== '$LATEST') throw read.fail('Qualifier', 'Lambda versions and aliases are not emulated; use $LATEST');
      const destinations = read.optionalObject(properties.DestinationConfig, 'DestinationConfig') ?? {};
      read.only(destinations, 'DestinationConfig', ['OnSuccess', 'OnFailure']);
      const destination = (key: 'OnSuccess' | 'OnFailure'): string | undefined => {
        const declared = read.optionalObject(destinations[key], `DestinationConfig.${key}`);
        if (!declared) return undefined;
        read.only(declared, `DestinationConfig.${key}`, ['Destination']);
        return read.templateQueue(declared.Destination, `DestinationConfig.${key}.Destination`, options.queues);
      };
      tuned.set(arn, {
        maxRetries: read.integer(properties.MaximumRetryAttempts, 'MaximumRetryAttempts', 0, 2, 2),
        maxAgeSeconds: read.integer(properties.MaximumEventAgeInSeconds, 'MaximumEventAgeInSeconds', 60, 21_600, 21_600),
        onSuccess: destination('OnSuccess'),
        onFailure: destination('OnFailure'),
      });
    }
    for (const [arn, fn] of functions) {
      const config: AsyncConfig = { arn, deadLetterArn: fn.deadLetterArn, ...(fn.principal ? { principal: fn.principal } : {}), maxRetries: 2, maxAgeSeconds: 21_600, ...tuned.get(arn) };
      for (const [reference, target] of byReference) if (target === arn) invoker.configs.set(reference, config);
    }
    return invoker;
  }

  /** The function's `DeadLetterConfig.TargetArn` (what `GetFunctionConfiguration` reports), if it has one. */
  public deadLetterArnOf(functionArn: string): string | undefined {
    return (this.configs.get(functionArn) ?? this.configs.get(LAMBDA_ARN.exec(functionArn)?.[1] ?? ''))?.deadLetterArn;
  }

  /**
   * Queues an event for the function and resolves once it is accepted: the
   * {@link InvokeAsync} contract that EventBridge and the `Invoke` API rely on.
   *
   * @throws {AwsServiceError} `ResourceNotFoundException` (404) when no such
   *   function exists (or the ARN names a version or alias),
   *   `RequestEntityTooLargeException` (413) for a payload over 1 MB, and
   *   `ServiceException` (500) once the local cloud is stopping, as Lambda
   *   refuses those requests.
   */
  public readonly invokeAsync: InvokeAsync = async (functionArn, payload) => {
    const match = LAMBDA_ARN.exec(functionArn);
    const qualifier = match?.[2];
    const config = qualifier === undefined || qualifier === '$LATEST' ? this.configs.get(match?.[1] ?? functionArn) ?? this.configs.get(functionArn) : undefined;
    if (!config) throw new AwsServiceError('ResourceNotFoundException', `Function not found: ${functionArn}`, 404);
    const bytes = Buffer.byteLength(payloadJson(payload));
    if (bytes > ASYNC_REQUEST_LIMIT_BYTES) throw new AwsServiceError('RequestEntityTooLargeException', PayloadTooLargeError.async(bytes).message, 413);
    if (this.work.isClosed) throw new AwsServiceError('ServiceException', 'The local cloud is stopping', 500);
    const job: AsyncJob = { config, payload, requestId: randomUUID(), enqueuedAt: this.now(), attempts: 0, throttles: 0 };
    this.work.startSoon(() => this.run(job));
  };

  private async run(job: AsyncJob): Promise<void> {
    const { config } = job;
    let failure: FunctionErrorPayload | undefined;
    let response: unknown;
    try {
      const result = await this.options.invoke(config.arn, job.payload);
      if (result.ok) response = result.payload;
      else failure = result.error;
    } catch (error) {
      if (error instanceof LambdaThrottledError) {
        if (!this.work.isClosed) await this.throttled(job, error);
        return;
      }
      failure = { errorType: error instanceof Error ? error.name : 'Error', errorMessage: error instanceof Error ? error.message : String(error), trace: [] };
    }
    if (this.work.isClosed) return;
    job.attempts += 1;
    const base = { functionArn: config.arn, requestId: job.requestId };
    this.options.onHop?.({ ...base, kind: 'invoked', attempt: job.attempts, ok: failure === undefined, ...(failure ? { errorType: failure.errorType } : {}) });
    if (!failure) {
      if (config.onSuccess !== undefined) await this.sendRecord(job, config.onSuccess, 'Success', response, undefined);
      this.work.end();
      return;
    }
    const retries = job.attempts - 1;
    if (retries < config.maxRetries) {
      const delayMs = (this.options.retryDelayMs ?? 60_000) * 2 ** retries;
      if (this.now() + delayMs - job.enqueuedAt <= config.maxAgeSeconds * 1000) {
        this.options.onHop?.({ ...base, kind: 'retry', attempt: job.attempts, delayMs, errorType: failure.errorType, errorMessage: failure.errorMessage });
        this.work.later(delayMs, () => void this.run(job));
        return;
      }
      await this.giveUp(job, failure, 'EventAgeExceeded');
    } else {
      await this.giveUp(job, failure, 'RetriesExhausted');
    }
    this.work.end();
  }

  /** Why Lambda may not send to a queue with the function's role (AWS's AccessDenied message), if it may not. */
  private async denied(config: AsyncConfig, queueArn: string, what: string): Promise<string | undefined> {
    const iam = this.options.iam;
    if (!iam || !config.principal) return undefined;
    const denial = await iam.check({ principal: config.principal, action: 'sqs:SendMessage', resource: queueArn, hop: `${config.principal.label} → ${what}` });
    return denial ? `AccessDenied: ${denial.message}` : undefined;
  }

  /**
   * Lambda had no concurrency for the event: back to the queue, tried again
   * with exponential backoff while the event is younger than its maximum age.
   * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
   */
  private async throttled(job: AsyncJob, error: LambdaThrottledError): Promise<void> {
    job.throttles += 1;
    const base = this.options.throttleRetryBaseMs ?? 1000;
    const delayMs = Math.min(base * 2 ** (job.throttles - 1), this.options.throttleRetryMaxMs ?? 300_000);
    if (this.now() + delayMs - job.enqueuedAt <= job.config.maxAgeSeconds * 1000) {
      this.options.onHop?.({ kind: 'throttled', functionArn: job.config.arn, requestId: job.requestId, throttles: job.throttles, delayMs, reason: error.reason });
      this.work.later(delayMs, () => void this.run(job));
      return;
    }
    await this.giveUp(job, { errorType: error.name, errorMessage: `${error.message} (${error.reason})`, trace: [] }, 'EventAgeExceeded', 429);
    this.work.end();
  }

  private async giveUp(job: AsyncJob, failure: FunctionErrorPayload, condition: AsyncFailureCondition, statusCode = 200): Promise<void> {
    const { config } = job;
    const base = { functionArn: config.arn, requestId: job.requestId };
    if (config.onFailure !== undefined) await this.sendRecord(job, config.onFailure, condition, failure, failure, statusCode);
    if (config.deadLetterArn !== undefined) {
      const denied = await this.denied(config, config.deadLetterArn, 'its dead-letter queue');
      const offered = denied !== undefined ? { sent: false as const, reason: denied } : this.options.queues.offer(config.deadLetterArn, JSON.stringify(job.payload), {
        RequestID: { dataType: 'String', stringValue: job.requestId },
        ErrorCode: { dataType: 'Number', stringValue: String(statusCode) },
        ErrorMessage: { dataType: 'String', stringValue: failure.errorMessage.slice(0, 1024) || failure.errorType },
      });
      if (offered.sent) this.options.onHop?.({ kind: 'dlq', ...base, deadLetterArn: config.deadLetterArn, errorType: failure.errorType, errorMessage: failure.errorMessage });
      else this.options.onHop?.({ kind: 'dropped', ...base, reason: `the dead-letter queue refused the event: ${offered.reason}` });
    }
    if (config.onFailure === undefined && config.deadLetterArn === undefined) {
      this.options.onHop?.({ kind: 'dropped', ...base, reason: `${condition} after ${String(job.attempts)} attempts: ${failure.errorType}: ${failure.errorMessage}` });
    }
  }

  /** Sends the invocation record Lambda destinations receive. */
  private async sendRecord(
    job: AsyncJob,
    destinationArn: string,
    condition: AsyncFailureCondition | 'Success',
    responsePayload: unknown,
    failure: FunctionErrorPayload | undefined,
    statusCode = 200,
  ): Promise<void> {
    const record = {
      version: '1.0',
      timestamp: new Date(this.now()).toISOString(),
      requestContext: { requestId: job.requestId, functionArn: `${job.config.arn}:$LATEST`, condition, approximateInvokeCount: job.attempts },
      requestPayload: job.payload,
      responseContext: { statusCode, executedVersion: '$LATEST', ...(failure && statusCode === 200 ? { functionError: 'Unhandled' } : {}) },
      responsePayload,
    };
    const base = { functionArn: job.config.arn, requestId: job.requestId };
    const denied = await this.denied(job.config, destinationArn, `its ${condition === 'Success' ? 'OnSuccess' : 'OnFailure'} destination`);
    const offered = denied !== undefined ? { sent: false as const, reason: denied } : this.options.queues.offer(destinationArn, JSON.stringify(record));
    if (offered.sent) this.options.onHop?.({ kind: 'destination', ...base, condition, destinationArn });
    else this.options.onHop?.({ kind: 'dropped', ...base, reason: `the destination refused the record: ${offered.reason}` });
  }
}
