import { createShipmentInput, type CreateShipmentOutput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import type { CarrierCoverage } from '../ports/carrier-coverage';
import { createShipment, type ShippingDeps } from '../use-cases/shipments';

/** Saga task CreateShipment: one shipment per order, same id on every retry. */
export const createCreateShipmentHandler = (deps: ShippingDeps & { readonly coverage: CarrierCoverage }) =>
  sagaTask('CreateShipment', createShipmentInput, async (input): Promise<CreateShipmentOutput> => {
    const shipment = await createShipment(deps, input);
    return { shipmentId: shipment.shipmentId };
  });
