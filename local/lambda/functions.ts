import { UnsupportedFeatureError } from '../errors';
import { assertKnownProperties, type LocalResource } from '../resources';
import { localRuntimeDir, type LocalFunctionSpec } from './lambda-runtime';
import { InvalidFunctionConfigurationError } from './function-errors';
import { DEFAULT_ACCOUNT_CONCURRENCY, MIN_UNRESERVED_CONCURRENCY } from './limits';
import { lambdaLoggingOf, loggingEnvironment, tracingModeOf, type LambdaLogging, type TracingMode } from './log-controls';

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
  /** The template's `Runtime` (`nodejs24.x`): which Node major it must run on. */
  readonly runtime: string;
  /** Its `LoggingConfig`, Lambda's defaults applied (see `./log-controls`). */
  readonly logging: LambdaLogging;
  /** Its `TracingConfig.Mode` (PassThrough when absent). */
  readonly tracing: TracingMode;
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

export { InvalidFunctionConfigurationError };

/** The most bytes of keys and values a function's environment variables may take. */
const MAX_ENVIRONMENT_BYTES = 4096;

/**
 * The variables Lambda sets itself and refuses in a function's
 * configuration ("Defined runtime environment variables", reserved keys):
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const RESERVED_ENVIRONMENT_KEYS: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'TZ',
];

/**
 * Reads the template's functions: the bundle directory from the assembly,
 * handler, runtime (Node.js only), environment (with the variables Lambda's
 * runtime defines, and `AWS_LAMBDA_LOG_FORMAT`/`AWS_LAMBDA_LOG_LEVEL` for the
 * JSON log format), timeout, memory, reserved concurrency, log controls and
 * tracing mode (checked as Lambda checks them: see `./log-controls`). Anything else
 * (layers, VPC, container images...) stops start-up, and so does what AWS
 * refuses at deploy: reserved environment keys, reservations that leave the
 * account fewer than 100 unreserved concurrent executions.
 *
 * @param accountConcurrency the account's concurrent executions. @default 1000
 */
export const localFunctions = (
  resources: readonly LocalResource[],
  assetPath: (logicalId: string) => string | undefined,
  runtime: RuntimeEnvironment,
  accountConcurrency = DEFAULT_ACCOUNT_CONCURRENCY,
): LocalFunction[] => {
  const functions = resources
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
      const logging = lambdaLoggingOf(resource);
      const tracing = tracingModeOf(resource);
      if (!p.Runtime || !/^nodejs\d+\.x$/.test(p.Runtime)) throw fail('Runtime', `'${p.Runtime ?? '(none)'}' — only Node.js runtimes run locally`);
      if (!p.Handler) throw fail('Handler', 'missing');
      const codeDir = assetPath(resource.logicalId);
      if (!codeDir) throw fail('Code', 'no asset bundle in the cloud assembly (inline or S3 code is not supported)');
      const memoryMb = p.MemorySize ?? 128;
      const name = resource.ref;
      const variables = p.Environment?.Variables ?? {};
      const reservedKeys = Object.keys(variables).filter((key) => RESERVED_ENVIRONMENT_KEYS.includes(key));
      if (reservedKeys.length > 0) {
        throw new InvalidFunctionConfigurationError(
          resource.logicalId,
          'Environment.Variables',
          `InvalidParameterValueException: Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: ${reservedKeys.join(', ')}`,
        );
      }
      // "The total size of the set does not exceed 4 KB" (keys and values):
      // https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
      const environmentBytes = Object.entries(variables).reduce((total, [key, value]) => total + Buffer.byteLength(key) + Buffer.byteLength(String(value)), 0);
      if (environmentBytes > MAX_ENVIRONMENT_BYTES) {
        throw new InvalidFunctionConfigurationError(
          resource.logicalId,
          'Environment.Variables',
          `InvalidParameterValueException: Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit (${String(environmentBytes)} bytes of keys and values)`,
        );
      }
      if (p.Timeout !== undefined && !(Number.isInteger(p.Timeout) && p.Timeout >= 1 && p.Timeout <= 900)) {
        throw new InvalidFunctionConfigurationError(resource.logicalId, 'Timeout', `${JSON.stringify(p.Timeout)}: a function's timeout is a whole number of seconds from 1 to 900`);
      }
      if (p.MemorySize !== undefined && !(Number.isInteger(p.MemorySize) && p.MemorySize >= 128 && p.MemorySize <= 10_240)) {
        throw new InvalidFunctionConfigurationError(resource.logicalId, 'MemorySize', `${JSON.stringify(p.MemorySize)}: a function's memory is a whole number of MB from 128 to 10240`);
      }
      const reserved = p.ReservedConcurrentExecutions;
      if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 0)) throw fail('ReservedConcurrentExecutions', `${JSON.stringify(reserved)}: must be a whole number, 0 or more`);
      const major = /^nodejs(\d+)\.x$/.exec(p.Runtime)?.[1] ?? '';
      const credentials = runtime.credentialsFor?.(resource) ?? { accessKeyId: 'local', secretAccessKey: 'local', sessionToken: 'local' };
      return {
        runtime: p.Runtime,
        logging,
        tracing,
        spec: {
          name,
          arn: resource.arn ?? name,
          codeDir,
          handler: p.Handler,
          timeoutSeconds: p.Timeout ?? 3,
          memoryMb,
          ...(reserved === undefined ? {} : { reservedConcurrency: reserved }),
          environment: {
            // Lambda's runtime defines these too (the paths are this machine's: the bundle is not in /var/task here;
            // no Runtime API is served locally, invocations arrive by message, so AWS_LAMBDA_RUNTIME_API is Lambda's value)...
            _HANDLER: p.Handler,
            AWS_EXECUTION_ENV: `AWS_Lambda_${p.Runtime}`,
            AWS_LAMBDA_LOG_GROUP_NAME: logging.logGroup,
            AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
            AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
            LAMBDA_TASK_ROOT: codeDir,
            LAMBDA_RUNTIME_DIR: localRuntimeDir(),
            LANG: 'en_US.UTF-8',
            // Lambda's documented paths, as its runtime sets them (the fidelity suite checks every documented name is set).
            PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
            LD_LIBRARY_PATH: `/var/lang/lib:/lib64:/usr/lib64:${localRuntimeDir()}:${localRuntimeDir()}/lib:${codeDir}:${codeDir}/lib:/opt/lib`,
            NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task`,
            // What Lambda's runtime provides...
            AWS_REGION: runtime.region,
            AWS_DEFAULT_REGION: runtime.region,
            AWS_LAMBDA_FUNCTION_NAME: name,
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
            // The guide lists AWS_ACCESS_KEY with the other keys of the execution role's session.
            AWS_ACCESS_KEY: credentials.accessKeyId,
            AWS_ACCESS_KEY_ID: credentials.accessKeyId,
            AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            AWS_SESSION_TOKEN: credentials.sessionToken,
            TZ: ':UTC',
            // ...no X-Ray daemon runs locally, so tracing is off unless the template says otherwise...
            POWERTOOLS_TRACE_ENABLED: 'false',
            // (Lambda's X-Ray variables, with a local address nothing listens on)
            AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
            AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
            _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
            _AWS_XRAY_DAEMON_PORT: '2000',
            // ...the template's own variables...
            ...variables,
            // ...Lambda's advanced logging controls (JSON format only), which the runtime and Powertools' Logger read...
            ...loggingEnvironment(logging),
            // ...and the local endpoints, which only the SDK's standard variables carry.
            AWS_ENDPOINT_URL_DYNAMODB: runtime.dynamoDbEndpoint,
            AWS_ENDPOINT_URL_DYNAMODB_STREAMS: runtime.dynamoDbEndpoint,
            AWS_ENDPOINT_URL_EVENTBRIDGE: runtime.awsEndpoint,
            AWS_ENDPOINT_URL_SFN: runtime.awsEndpoint,
            AWS_ENDPOINT_URL_LAMBDA: runtime.awsEndpoint,
            AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: runtime.awsEndpoint,
          },
        },
      };
    });
  const reservations = functions.filter((fn) => fn.spec.reservedConcurrency !== undefined);
  const reservedTotal = reservations.reduce((sum, fn) => sum + (fn.spec.reservedConcurrency ?? 0), 0);
  const last = reservations.at(-1);
  if (last && accountConcurrency - reservedTotal < MIN_UNRESERVED_CONCURRENCY) {
    throw new InvalidFunctionConfigurationError(
      last.spec.name,
      'ReservedConcurrentExecutions',
      `InvalidParameterValueException: Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${MIN_UNRESERVED_CONCURRENCY}]. (${reservations.map((fn) => `${fn.spec.name} ${fn.spec.reservedConcurrency ?? 0}`).join(', ')}: ${reservedTotal} of the account's ${accountConcurrency})`,
    );
  }
  return functions;
};
