import { UnsupportedFeatureError } from '../errors';
import { assertKnownProperties, type LocalResource } from '../resources';
import type { LocalFunctionSpec } from './lambda-runtime';

const KNOWN = [
  'Code',
  'Handler',
  'Runtime',
  'Role',
  'Environment',
  'Timeout',
  'MemorySize',
  'Architectures',
  'TracingConfig',
  'LoggingConfig',
  'Description',
  'DeadLetterConfig',
  'ReservedConcurrentExecutions',
  'Tags',
  'EphemeralStorage',
];

/**
 * What the runtime needs of a function. Its asynchronous-invocation settings
 * (`DeadLetterConfig`, `AWS::Lambda::EventInvokeConfig`) are read and checked
 * by `LambdaAsyncInvoker.create` in `./async-invoke`, the one place that acts
 * on them.
 */
export interface LocalFunction {
  readonly spec: LocalFunctionSpec;
}

/** Variables Lambda's runtime sets, plus the local endpoints the SDK reads. */
export interface RuntimeEnvironment {
  readonly region: string;
  readonly dynamoDbEndpoint: string;
  readonly awsEndpoint: string;
  /**
   * The temporary credentials of the function's execution role session, as
   * Lambda puts them in its environment; the local endpoints recognise who
   * signs with them. @default credentials no principal owns (the administrator)
   */
  readonly credentialsFor?: (fn: LocalResource) => { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string };
}

/** Default concurrency of a function without reserved concurrency. */
export const DEFAULT_CONCURRENCY = 10;

/**
 * Reads the template's functions: the bundle directory from the assembly,
 * handler, runtime (Node.js only), environment, timeout, memory and
 * concurrency. Anything else (layers, VPC, container images...) stops start-up.
 */
export const localFunctions = (
  resources: readonly LocalResource[],
  assetPath: (logicalId: string) => string | undefined,
  runtime: RuntimeEnvironment,
  defaultConcurrency = DEFAULT_CONCURRENCY,
): LocalFunction[] => {
  return resources
    .filter((r) => r.type === 'AWS::Lambda::Function')
    .map((resource) => {
      const fail = (property: string, detail: string) => new UnsupportedFeatureError(resource.logicalId, resource.type, property, detail);
      assertKnownProperties(resource, KNOWN, (p) => fail(p, 'not supported locally'));
      const p = resource.properties as {
        Handler?: string;
        Runtime?: string;
        Environment?: { Variables?: Record<string, string> };
        Timeout?: number;
        MemorySize?: number;
        ReservedConcurrentExecutions?: number;
      };
      if (!p.Runtime || !/^nodejs\d+\.x$/.test(p.Runtime)) throw fail('Runtime', `'${p.Runtime ?? '(none)'}' — only Node.js runtimes run locally`);
      if (!p.Handler) throw fail('Handler', 'missing');
      const codeDir = assetPath(resource.logicalId);
      if (!codeDir) throw fail('Code', 'no asset bundle in the cloud assembly (inline or S3 code is not supported)');
      const memoryMb = p.MemorySize ?? 128;
      const name = resource.ref;
      const variables = p.Environment?.Variables ?? {};
      const credentials = runtime.credentialsFor?.(resource) ?? { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' };
      return {
        spec: {
          name,
          arn: resource.arn ?? name,
          codeDir,
          handler: p.Handler,
          timeoutSeconds: p.Timeout ?? 3,
          memoryMb,
          concurrency: p.ReservedConcurrentExecutions ?? defaultConcurrency,
          environment: {
            // What Lambda's runtime provides...
            AWS_REGION: runtime.region,
            AWS_DEFAULT_REGION: runtime.region,
            AWS_LAMBDA_FUNCTION_NAME: name,
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            AWS_SESSION_TOKEN: credentials.sessionToken,
            TZ: ':UTC',
            // ...no X-Ray daemon runs locally, so tracing is off unless the template says otherwise...
            POWERTOOLS_TRACE_ENABLED: 'false',
            // ...the template's own variables...
            ...variables,
            // ...and the local endpoints, which only the SDK's standard variables carry.
            AWS_ENDPOINT_URL_DYNAMODB: runtime.dynamoDbEndpoint,
            AWS_ENDPOINT_URL_DYNAMODB_STREAMS: runtime.dynamoDbEndpoint,
            AWS_ENDPOINT_URL_EVENTBRIDGE: runtime.awsEndpoint,
            AWS_ENDPOINT_URL_SFN: runtime.awsEndpoint,
            AWS_ENDPOINT_URL_LAMBDA: runtime.awsEndpoint,
          },
        },
      };
    });
};
