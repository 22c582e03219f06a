import { DescribeEventBusCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridge } from '../../shared/clients/eventbridge';
import type { DependencyCheck } from '../ports/dependency-check';

/** Ready when the bus exists and this function may reach it (`events:DescribeEventBus`). */
export const eventBusCheck =
  (eventBusName: string, client: Pick<EventBridgeClient, 'send'> = eventBridge()): DependencyCheck =>
  async (abortSignal) => {
    await client.send(new DescribeEventBusCommand({ Name: eventBusName }), { abortSignal });
  };
