import { SFNClient } from '@aws-sdk/client-sfn';
import { awsCallSettings, withCallDeadline } from '../aws-clients';
import { loadDeadlines } from '../deadlines';
import { tracer } from '../powertools';

let sfnClient: SFNClient | undefined;

/** Step Functions client. */
export const stepFunctions = (): SFNClient => {
  sfnClient ??= withCallDeadline(tracer.captureAWSv3Client(new SFNClient(awsCallSettings())), 'A Step Functions call', loadDeadlines().awsMs);
  return sfnClient;
};
