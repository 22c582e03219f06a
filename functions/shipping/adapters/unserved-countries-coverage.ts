import type { Address } from '../../shared/contracts/common';
import type { CarrierCoverage } from '../ports/carrier-coverage';

/**
 * The simulated carrier's coverage: everywhere except a configured list of
 * countries (`UNSERVED_COUNTRIES`, default `AQ`). Listing a country is how an
 * operator or a test makes CreateShipment fail with SHIPPING_UNAVAILABLE.
 */
export class UnservedCountriesCoverage implements CarrierCoverage {
  private readonly unserved: ReadonlySet<string>;

  public constructor(unservedCountries: readonly string[]) {
    this.unserved = new Set(unservedCountries.map((code) => code.toUpperCase()));
  }

  public async serves(address: Address): Promise<boolean> {
    return !this.unserved.has(address.country.toUpperCase());
  }
}
