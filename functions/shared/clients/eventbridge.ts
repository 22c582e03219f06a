import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { awsCallSettings, withCallDeadline } from '../aws-clients';
import { loadDeadlines } from '../deadlines';
import { tracer } from '../powertools';

let eventBridgeClient: EventBridgeClient | undefined;

/** EventBridge client. */
export const eventBridge = (): EventBridgeClient => {
  eventBridgeClient ??= withCallDeadline(tracer.captureAWSv3Client(new EventBridgeClient(awsCallSettings())), 'An EventBridge call', loadDeadlines().awsMs);
  return eventBridgeClient;
};
