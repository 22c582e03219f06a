import * as z from 'zod';
import { breakerVariables } from '../shared/breaker-config';
import { readConfig } from '../shared/config';

const table = z.object({ TABLE_NAME: z.string().min(1) });

/** What cancelling an order needs: shipping's CancelShipment and the cancellation state machine. */
const cancellation = {
  SHIPMENTS_CANCEL_FUNCTION: z.string().min(1),
  CANCELLATION_STATE_MACHINE_ARN: z.string().min(1),
};

/**
 * Configuration of the HTTP function: its table, the functions of the
 * other services it invokes — catalog's GetPrices, payments' GetPayment,
 * shipping's GetShipment and CancelShipment — the settings of the circuit
 * breakers in front of them, and the cancellation state machine it starts.
 */
export const loadOrdersApiConfig = () =>
  readConfig(
    table.extend({
      CATALOG_PRICES_FUNCTION: z.string().min(1),
      PAYMENTS_QUERY_FUNCTION: z.string().min(1),
      SHIPMENTS_QUERY_FUNCTION: z.string().min(1),
      CALL_BREAKER_FAILURES: breakerVariables.failures,
      CALL_BREAKER_OPEN_MS: breakerVariables.openMs,
      CALL_BREAKER_CACHE_MS: breakerVariables.cacheMs,
      ...cancellation,
    }),
  );

/** Configuration of the status consumer: only its table. */
export const loadOrderStatusConfig = () => readConfig(table);

/**
 * Configuration of the reconciler: its table, the order saga it reads and
 * starts (an Express saga with its claims table), and what finishing an
 * interrupted cancellation needs.
 */
export const loadReconcilerConfig = () =>
  readConfig(table.extend({ STATE_MACHINE_ARN: z.string().min(1), SAGA_CLAIMS_TABLE: z.string().min(1).optional(), ...cancellation }));
