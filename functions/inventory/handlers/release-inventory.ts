import { releaseInventoryInput } from '../../shared/contracts/saga';
import { sagaTask } from '../../shared/middleware';
import { releaseInventory, type ReservationDeps } from '../use-cases/reservations';

/** Saga compensation ReleaseInventory. */
export const createReleaseInventoryHandler = (deps: ReservationDeps) =>
  sagaTask('ReleaseInventory', releaseInventoryInput, (input) => releaseInventory(deps, input));
