import { LambdaClient } from '@aws-sdk/client-lambda';
import { sdkTimeouts, withCallDeadline } from '../aws-clients';
import { loadDeadlines } from '../deadlines';
import { tracer } from '../powertools';

let lambdaClient: LambdaClient | undefined;

/**
 * Lambda client. Its calls have the deadline of a call to another service
 * (`SHOP_CALL_DEADLINE_MS`), longer than an AWS call's: an Invoke waits for
 * another function's work. One attempt may use all of it: an Invoke that is
 * slow (a cold start) is not abandoned and started again beside itself, only
 * one refused at once (throttled) is retried.
 */
export const lambda = (): LambdaClient => {
  const { callMs } = loadDeadlines();
  lambdaClient ??= withCallDeadline(tracer.captureAWSv3Client(new LambdaClient(sdkTimeouts(callMs, callMs))), 'A Lambda call', callMs);
  return lambdaClient;
};
