import * as z from 'zod';
import { readConfig } from '../shared/config';

const table = z.object({ TABLE_NAME: z.string().min(1) });

/**
 * Configuration of the HTTP function: its table and the functions of the
 * other services it invokes — catalog's GetPrices, payments' GetPayment and
 * shipping's GetShipment.
 */
export const loadOrdersApiConfig = () =>
  readConfig(
    table.extend({
      CATALOG_PRICES_FUNCTION: z.string().min(1),
      PAYMENTS_QUERY_FUNCTION: z.string().min(1),
      SHIPMENTS_QUERY_FUNCTION: z.string().min(1),
    }),
  );

/** Configuration of the status consumer: only its table. */
export const loadOrderStatusConfig = () => readConfig(table);

/** Configuration of the reconciler: its table and the order saga it reads and starts. */
export const loadReconcilerConfig = () => readConfig(table.extend({ STATE_MACHINE_ARN: z.string().min(1) }));
