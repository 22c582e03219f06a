import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { ZodType } from 'zod';
import { lambda } from './aws-clients';
import { isTransientAwsError } from './aws-errors';
import { DependencyUnavailableError } from './errors';
import { safeParse } from './validation';

/**
 * Calls another service's internal-query function synchronously. Any failure
 * of the callee (error, timeout, malformed answer, throttling) is the
 * dependency being unavailable: the HTTP caller answers 503 + Retry-After.
 */
export const invokeFunction = async <T>(
  functionName: string,
  payload: unknown,
  schema: ZodType<T>,
  client: LambdaClient = lambda(),
): Promise<T> => {
  let result;
  try {
    result = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(payload)) }));
  } catch (error) {
    throw new DependencyUnavailableError(`${functionName} could not be invoked.`, isTransientAwsError(error) ? 1 : 5, { cause: error });
  }
  const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : 'null';
  if (result.FunctionError) {
    throw new DependencyUnavailableError(`${functionName} failed.`, 1, { cause: new Error(text.slice(0, 1000)) });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DependencyUnavailableError(`${functionName} answered something that is not JSON.`, 1, { cause: error });
  }
  const parsed = safeParse(schema, json);
  if (!parsed.ok) {
    throw new DependencyUnavailableError(`${functionName} answered outside its contract.`, 1, {
      cause: new Error(parsed.issues.map((i) => `${i.path}: ${i.message}`).join('; ')),
    });
  }
  return parsed.value;
};
