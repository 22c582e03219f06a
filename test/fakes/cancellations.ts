import type { SagaExecutions, SagaState } from '../../functions/orders/ports/saga-executions';
import type { ShipmentCanceller } from '../../functions/orders/ports/shipment-canceller';
import type { CancelShipmentOutcome, ShipmentTombstone } from '../../functions/shared/contracts/saga';
import { DependencyUnavailableError } from '../../functions/shared/errors';
import { cancelShipment } from '../../functions/shipping/use-cases/shipments';
import { InMemoryShipmentRepository } from './shipment-repository';

/**
 * Executions of a state machine (the saga or the cancellation) by order id,
 * named after it as Step Functions names them: a second start finds the name
 * taken. `states` says how the executions not started here stand.
 */
export class FakeExecutions implements SagaExecutions {
  public readonly started: Array<{ readonly orderId: string; readonly input: string }> = [];
  /** When set, every call fails with it (Step Functions down). */
  public failWith: Error | undefined;

  public constructor(public readonly states: Record<string, SagaState> = {}) {}

  public async stateOf(orderId: string): Promise<SagaState> {
    if (this.failWith) throw this.failWith;
    return this.states[orderId] ?? (this.started.some((s) => s.orderId === orderId) ? { kind: 'running' } : { kind: 'absent' });
  }

  public async start(orderId: string, input: string): Promise<'started' | 'already-started'> {
    if (this.failWith) throw this.failWith;
    if (this.started.some((s) => s.orderId === orderId) || (this.states[orderId] !== undefined && this.states[orderId]?.kind !== 'absent')) return 'already-started';
    this.started.push({ orderId, input });
    return 'started';
  }
}

/**
 * Shipping's CancelShipment as the orders service reaches it: shipping's own
 * use case over an in-memory shipments table, so the fence behaves as it
 * does in shipping. `available = false` makes a call fail as the invoke does
 * when shipping is down.
 */
export class FakeShipmentCanceller implements ShipmentCanceller {
  public readonly calls: Array<{ readonly orderId: string; readonly tombstone: ShipmentTombstone }> = [];
  public available = true;

  public constructor(public readonly repository = new InMemoryShipmentRepository()) {}

  public async cancelShipment(orderId: string, _correlationId: string, tombstone: ShipmentTombstone): Promise<CancelShipmentOutcome> {
    this.calls.push({ orderId, tombstone });
    if (!this.available) throw new DependencyUnavailableError('shipping CancelShipment failed.', 1);
    return (await cancelShipment({ shipments: this.repository }, orderId, tombstone)).outcome;
  }
}
