import type { Address } from '../../shared/contracts/common';

/** Port: whether the carrier delivers to an address. */
export interface CarrierCoverage {
  serves(address: Address): Promise<boolean>;
}
