import * as z from '../../shared/zod';
import { productIdSchema } from '../../shared/contracts/common';
import { jsonResponse, parseJsonBody, validate } from '../../shared/http';
import { httpApi } from '../../shared/middleware';
import { stockChangeSchema } from '../domain/inventory';
import { inventoryRoutes } from '../routes';
import { getStockLevel, setStockLevel, type StockDeps } from '../use-cases/stock';

/** The path of the `/inventory/{productId}` routes. */
export const stockPath = z.object({ productId: productIdSchema });

/** Inventory's HTTP routes: every signed-in user reads stock, only admins set it. */
export const createInventoryApi = (deps: StockDeps) =>
  httpApi(inventoryRoutes, {
    'GET /inventory/{productId}': async ({ event }) => {
      const { productId } = validate(stockPath, event.pathParameters ?? {});
      return jsonResponse(200, await getStockLevel(deps, productId));
    },
    'PUT /inventory/{productId}': async ({ event, correlationId }) => {
      const { productId } = validate(stockPath, event.pathParameters ?? {});
      return jsonResponse(200, await setStockLevel(deps, productId, parseJsonBody(event, stockChangeSchema), correlationId));
    },
  });
