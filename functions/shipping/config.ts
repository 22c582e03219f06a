import * as z from '../shared/zod';
import { readConfig } from '../shared/config';

const table = z.object({ TABLE_NAME: z.string().check(z.minLength(1)) });

/** Configuration of the functions that only touch the shipments table. */
export const loadShippingConfig = () => readConfig(table);

/**
 * Configuration of CreateShipment: the table and the countries the carrier
 * does not serve (comma-separated ISO 3166-1 alpha-2 codes).
 * `UNSERVED_COUNTRIES` defaults to `AQ`, so an Antarctic address is the
 * documented way to make a shipment unavailable.
 */
export const loadCreateShipmentConfig = () =>
  readConfig(
    z.extend(table, {
      UNSERVED_COUNTRIES: z.pipe(
        z.pipe(
          z._default(z.string(), 'AQ'),
          z.transform((text) => text.split(',').map((code) => code.trim().toUpperCase()).filter(Boolean)),
        ),
        z.array(z.string().check(z.regex(/^[A-Z]{2}$/, 'must be ISO 3166-1 alpha-2 codes separated by commas'))),
      ),
    }),
  );

/** Configuration of the carrier routes (ship, deliver): the table and the bus they announce on. */
export const loadDeliveryConfig = () => readConfig(z.extend(table, { EVENT_BUS_NAME: z.string().check(z.minLength(1)) }));
