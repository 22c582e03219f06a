import type { DataOf, EventContract } from '../../functions/shared/contracts/envelope';
import { ContractViolationError } from '../../functions/shared/errors';
import type { EventPublisher } from '../../functions/shared/event-publisher';
import { safeParse } from '../../functions/shared/validation';

/** An event a {@link RecordingEventPublisher} accepted. */
export interface PublishedEvent {
  readonly detailType: string;
  readonly source: string;
  readonly data: unknown;
  readonly correlationId: string;
}

/**
 * {@link EventPublisher} that keeps what it is given. Like the EventBridge
 * adapter it refuses data outside the contract; `failWith` makes it throw.
 */
export class RecordingEventPublisher implements EventPublisher {
  public readonly published: PublishedEvent[] = [];
  public failWith: Error | undefined;

  public async publish<C extends EventContract>(contract: C, data: DataOf<C>, correlationId: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    const checked = safeParse(contract.data, data);
    if (!checked.ok) throw new ContractViolationError(`Outgoing ${contract.detailType}`, checked.issues);
    this.published.push({ detailType: contract.detailType, source: contract.source, data, correlationId });
  }
}
