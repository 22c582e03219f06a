import * as z from '../shared/zod';
import { breakerVariables } from '../shared/breaker-config';
import { readConfig } from '../shared/config';

const nonEmpty = z.string().check(z.minLength(1));

const table = z.object({ TABLE_NAME: nonEmpty });

/** What cancelling an order needs: shipping's CancelShipment and the cancellation state machine. */
const cancellation = {
  SHIPMENTS_CANCEL_FUNCTION: nonEmpty,
  CANCELLATION_STATE_MACHINE_ARN: nonEmpty,
};

/**
 * Configuration of the HTTP function: its table, the functions of the
 * other services it invokes — catalog's GetPrices, payments' GetPayment,
 * shipping's GetShipment and CancelShipment — the settings of the circuit
 * breakers in front of them, and the cancellation state machine it starts.
 */
export const loadOrdersApiConfig = () =>
  readConfig(
    z.extend(table, {
      CATALOG_PRICES_FUNCTION: nonEmpty,
      PAYMENTS_QUERY_FUNCTION: nonEmpty,
      SHIPMENTS_QUERY_FUNCTION: nonEmpty,
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
  readConfig(z.extend(table, { STATE_MACHINE_ARN: nonEmpty, SAGA_CLAIMS_TABLE: z.optional(nonEmpty), ...cancellation }));
