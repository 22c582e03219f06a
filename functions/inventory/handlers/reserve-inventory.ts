import { reserveInventoryInput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import { reserveInventory, type ReservationDeps } from '../use-cases/reservations';

/** Saga task ReserveInventory. */
export const createReserveInventoryHandler = (deps: ReservationDeps) =>
  sagaTask('ReserveInventory', reserveInventoryInput, (input) => reserveInventory(deps, input));
