import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambda } from '../../shared/clients/lambda';
import type { DependencyCheck } from '../ports/dependency-check';

/**
 * Ready when the function exists and may be invoked: an Invoke of type
 * `DryRun`, which "validates parameter values and verifies that the user or
 * role has permission to invoke the function" without running it, and
 * answers 204 (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html).
 * It costs no invocation and uses no concurrency.
 */
export const functionCheck =
  (functionName: string, client: Pick<LambdaClient, 'send'> = lambda()): DependencyCheck =>
  async (abortSignal) => {
    const { StatusCode } = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'DryRun' }), { abortSignal });
    if (StatusCode !== 204) throw new Error(`A dry-run invoke answered ${String(StatusCode)}, not 204.`);
  };
