import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { eventBridge } from './clients/eventbridge';
import type { DataOf, EventContract, EventDetail } from './contracts/envelope';
import { ContractViolationError, TransientError } from './errors';
import type { EventPublisher } from './event-publisher';
import { newId } from './ids';
import { safeParse } from './validation';

/** Publishes contracts to an EventBridge bus. A rejected entry is retryable. */
export class EventBridgePublisher implements EventPublisher {
  public constructor(
    private readonly busName: string,
    private readonly client: EventBridgeClient = eventBridge(),
    private readonly now: () => Date = () => new Date(),
  ) {}

  public async publish<C extends EventContract>(contract: C, data: DataOf<C>, correlationId: string): Promise<void> {
    const detail: EventDetail<DataOf<C>> = {
      metadata: { eventId: newId(), version: contract.version, occurredAt: this.now().toISOString(), correlationId },
      data,
    };
    const checked = safeParse(contract.detail, detail);
    if (!checked.ok) throw new ContractViolationError(`Outgoing ${contract.detailType}`, checked.issues);
    const result = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: contract.source, DetailType: contract.detailType, Detail: JSON.stringify(detail) }],
      }),
    );
    if ((result.FailedEntryCount ?? 0) > 0) {
      const entry = result.Entries?.[0];
      throw new TransientError(`PutEvents rejected ${contract.detailType}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    }
  }
}
