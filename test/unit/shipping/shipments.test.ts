import { DependencyUnavailableError, TransientError } from '../../../functions/shared/errors';
import { shipmentIdFor, type Shipment } from '../../../functions/shipping/domain/shipment';
import { cancelShipment, deliverShipment, shipShipment } from '../../../functions/shipping/use-cases/shipments';
import { InMemoryShipmentRepository, shipment } from '../../fakes/shipment-repository';
import { RecordingEventPublisher } from '../../fakes/recording-event-publisher';
import { ORDER_ID } from '../../fixtures/events';

const NOW = new Date('2026-03-02T10:00:00.000Z');
const SHIPMENT_ID = shipmentIdFor(ORDER_ID);


/**
 * A shipment that another writer changes between every read and every
 * conditional write of the code under test: each write loses, each read
 * finds it CREATED again. Counts the writes attempted.
 */
class ContendedShipmentRepository extends InMemoryShipmentRepository {
  public attempts = 0;

  public override async cancel(): Promise<boolean> {
    this.attempts += 1;
    return false;
  }

  public override async markShipped(): Promise<Shipment | undefined> {
    this.attempts += 1;
    return undefined;
  }

  public override async markDelivered(): Promise<Shipment | undefined> {
    this.attempts += 1;
    return undefined;
  }
}

const setup = (repository: InMemoryShipmentRepository) => {
  const events = new RecordingEventPublisher();
  return { deps: { shipments: repository, events, now: () => NOW }, events };
};

describe('a carrier shipping and delivering', () => {
  it('says whether this call shipped the shipment or found it shipped, and announces it both times', async () => {
    // Prepare
    const { deps, events } = setup(new InMemoryShipmentRepository([shipment()]));

    // Act
    const first = await shipShipment(deps, SHIPMENT_ID, 'corr-1');
    const again = await shipShipment(deps, SHIPMENT_ID, 'corr-2');

    // Assess
    expect(first).toMatchObject({ changed: true, shipment: { status: 'SHIPPED', shippedAt: NOW.toISOString() } });
    expect(again).toMatchObject({ changed: false, shipment: { status: 'SHIPPED' } });
    expect(events.published.map((event) => event.detailType)).toEqual(['OrderShipped', 'OrderShipped']);
  });

  it('says whether this call delivered the shipment or found it delivered, and announces it both times', async () => {
    // Prepare
    const { deps, events } = setup(new InMemoryShipmentRepository([shipment({ status: 'SHIPPED' })]));

    // Act
    const first = await deliverShipment(deps, SHIPMENT_ID, 'corr-1');
    const again = await deliverShipment(deps, SHIPMENT_ID, 'corr-2');

    // Assess
    expect(first).toMatchObject({ changed: true, shipment: { status: 'DELIVERED', deliveredAt: NOW.toISOString() } });
    expect(again).toMatchObject({ changed: false, shipment: { status: 'DELIVERED' } });
    expect(events.published.map((event) => event.detailType)).toEqual(['ShipmentDelivered', 'ShipmentDelivered']);
  });

  it.each([
    ['shipping', shipShipment],
    ['delivering', deliverShipment],
  ])('answers 503 after three lost writes when %s a shipment that keeps changing, announcing nothing', async (_what, change) => {
    // Prepare
    const repository = new ContendedShipmentRepository([shipment()]);
    const { deps, events } = setup(repository);

    // Act
    const outcome = await change(deps, SHIPMENT_ID, 'corr-1').catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(DependencyUnavailableError);
    expect(outcome).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE', message: expect.stringContaining(SHIPMENT_ID) });
    expect(repository.attempts).toBe(3);
    expect(events.published).toEqual([]);
  });
});

describe('cancelling a shipment', () => {
  it('gives up as transient (the saga retries) after three lost cancellations of a shipment that keeps changing', async () => {
    // Prepare
    const repository = new ContendedShipmentRepository([shipment()]);

    // Act
    const outcome = await cancelShipment({ shipments: repository, now: () => NOW }, ORDER_ID).catch((error: unknown) => error);

    // Assess
    expect(outcome).toBeInstanceOf(TransientError);
    expect((outcome as Error).message).toContain(ORDER_ID);
    expect(repository.attempts).toBe(3);
  });
});
